// Package install walks a manifest's setup steps the way an installer in
// Envoy's dashboard would: form steps (prompted on a terminal or read from
// an answers file), OAuth2 steps (a real authorization-code flow with a
// local callback listener) and popup steps (the content URL opened with a
// fresh state, the completion checked). Each step's result goes through its
// validation URL as a signed route request, and the resulting install config
// is stored in the simulated install at the end, all at once: a failed walk
// leaves the install config untouched.
package install

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"sort"
	"strings"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

// DefaultCallbackPort is the callback listener's port unless --callback-port
// says otherwise: fixed, so that the callback URL registered with an OAuth2
// provider stays valid from one run to the next; the same port that
// `envoy-plugin validate` prints in the URL to register.
const DefaultCallbackPort = manifest.DefaultCallbackPort

// DefaultCallbackTimeout is how long an OAuth2 or popup step waits for its
// completion.
const DefaultCallbackTimeout = 5 * time.Minute

// maxAttempts bounds how often one step is asked again after a block, so
// that an input stream at its end cannot loop forever.
const maxAttempts = 10

// Options configure a walk.
type Options struct {
	Manifest *manifest.Manifest
	Store    simstate.Store
	Client   *sim.Client
	// Secret is the plugin's client secret: every route request is signed with it.
	Secret string
	// Prompter asks the installer; nil walks without prompts, from Answers.
	Prompter prompt.Prompter
	// Answers are the values of a walk without prompts (nil: none).
	Answers *Answers
	// Log receives progress: step headers, URLs to open, outcomes (stderr).
	Log io.Writer
	CS  *iostreams.ColorScheme
	// Getenv reads the OAuth2 client secrets named by client_secret_env,
	// from the environment, else the env file; it is called again on each
	// attempt of a step, so it must not cache.
	Getenv func(string) string
	// EnvFile is the env file Getenv also reads, named in errors.
	EnvFile string
	// OpenBrowser opens a URL; nil never opens one (URLs are printed anyway).
	OpenBrowser func(url string) error
	// CallbackAddr is the callback listener's address (default 127.0.0.1:DefaultCallbackPort).
	CallbackAddr string
	// CallbackTimeout bounds the wait for an OAuth2 or popup completion.
	CallbackTimeout time.Duration
	// Rand is the source of state values (default crypto/rand).
	Rand io.Reader
	// Strict refuses answers-file values the installer could not pick in
	// the dashboard (not offered by the options URL, unknown resource ids):
	// the walk fails and nothing is stored.
	Strict bool
}

// Result is the outcome of a walk.
type Result struct {
	PluginID  string         `json:"plugin_id"`
	InstallID string         `json:"install_id"`
	Config    map[string]any `json:"config"`
	Changed   []string       `json:"changed"`
	Removed   []string       `json:"removed"`
	Steps     []StepResult   `json:"steps"`
	// StoredIn says where the config went: "simulator" (a running dev) or "state_file".
	StoredIn     string `json:"stored_in"`
	SimulatorURL string `json:"simulator_url,omitempty"`
}

// StepResult is what one step did.
type StepResult struct {
	Number int    `json:"number"`
	Title  string `json:"title"`
	Type   string `json:"type"`
	// Via is how the step saved: "validation_url", "answers" (a form
	// without validation URL) or "nothing" (an OAuth2 or popup step
	// without validation URL).
	Via     string   `json:"via"`
	Saved   []string `json:"saved"`
	Removed []string `json:"removed,omitempty"`
}

// StepError is a step that could not be completed.
type StepError struct {
	Number int
	Title  string
	// Reason is blocked, failed, forged or input.
	Reason string
	Err    error
}

func (e *StepError) Error() string {
	return fmt.Sprintf("step %d %q: %v", e.Number, e.Title, e.Err)
}

func (e *StepError) Unwrap() error { return e.Err }

type walker struct {
	o Options
	// offWarnings counts answers-file values not offered (checkOffered).
	offWarnings int
	// unchecked are answers-file values whose options URL failed.
	unchecked []uncheckedValue
	route     *Route
	config    map[string]any // the install config as the walk goes
	patch     map[string]any // what the walk changes
	cb        *callbackServer
	// awaiting is the completion whose browser page waits for the step's
	// outcome (set once a callback arrived, answered by finishBrowser).
	awaiting *pendingCallback
}

// finishBrowser answers the browser page of the callback that completed
// this step (if any) with the step's outcome.
func (w *walker) finishBrowser(ok bool, msg string) {
	w.awaiting.finish(ok, msg)
	w.awaiting = nil
}

// Run walks every step in order and stores the resulting config. Nothing is
// stored unless every step completes.
func Run(ctx context.Context, o Options) (*Result, error) {
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.CS == nil {
		ios, _, _, _ := iostreams.Test()
		o.CS = ios.ColorScheme()
	}
	if o.Getenv == nil {
		o.Getenv = func(string) string { return "" }
	}
	if o.CallbackAddr == "" {
		o.CallbackAddr = fmt.Sprintf("127.0.0.1:%d", DefaultCallbackPort)
	}
	if o.CallbackTimeout <= 0 {
		o.CallbackTimeout = DefaultCallbackTimeout
	}
	if o.Answers == nil {
		o.Answers = &Answers{Values: map[string]any{}, Steps: map[string]map[string]any{}}
	}
	if o.Prompter == nil {
		if err := o.Answers.Check(o.Manifest); err != nil {
			return nil, err
		}
	}
	st, err := o.Store.Install(ctx)
	if err != nil {
		return nil, fmt.Errorf("reading the simulated install: %w", err)
	}
	var auth *sim.Auth
	if len(o.Manifest.Plugin.Scopes) > 0 {
		if tok, exp, err := o.Store.IssueToken(ctx); err == nil {
			auth = &sim.Auth{TokenType: "Bearer", AccessToken: tok, ExpiresIn: exp, RefreshToken: tok + "-refresh", RefreshTokenExpiresIn: exp * 2}
		} else {
			auth = &sim.Auth{TokenType: "Bearer", AccessToken: "simulated-" + st.InstallID, ExpiresIn: 3600}
		}
	}
	w := &walker{
		o:      o,
		route:  &Route{Client: o.Client, Secret: o.Secret, Install: RouteInstall(st, auth)},
		config: map[string]any{},
		patch:  map[string]any{},
	}
	maps.Copy(w.config, st.Config)
	defer w.close()

	res := &Result{PluginID: st.PluginID, InstallID: st.InstallID, Changed: []string{}, Removed: []string{}, Steps: []StepResult{}}
	n := len(o.Manifest.Steps)
	for i := range o.Manifest.Steps {
		step := &o.Manifest.Steps[i]
		fmt.Fprintf(o.Log, "%s\n", o.CS.Bold(fmt.Sprintf("Step %d/%d: %s (%s)", i+1, n, step.Title, step.Type)))
		sr, err := w.step(ctx, i, step)
		if err != nil {
			var se *StepError
			if errors.As(err, &se) {
				return nil, err
			}
			if errors.Is(err, context.Canceled) || errors.Is(err, prompt.ErrCancelled) {
				return nil, err
			}
			return nil, &StepError{Number: i + 1, Title: step.Title, Reason: Failed, Err: err}
		}
		res.Steps = append(res.Steps, *sr)
	}
	if err := ctx.Err(); err != nil {
		return nil, err // cancelled after the last step: store nothing
	}
	if o.Strict {
		if err := w.strictError(); err != nil {
			return nil, err
		}
	}
	final, err := o.Store.MergeConfig(ctx, w.patch)
	if err != nil {
		return nil, fmt.Errorf("storing the install config: %w", err)
	}
	res.Config = final
	for _, k := range sortedKeys(w.patch) {
		if w.patch[k] == nil {
			// Only a key the install had is reported as removed (a
			// validation URL may null a legacy key on every install).
			if _, had := st.Config[k]; had {
				res.Removed = append(res.Removed, k)
			}
		} else {
			res.Changed = append(res.Changed, k)
		}
	}
	res.StoredIn = "state_file"
	if o.Store.Running() {
		res.StoredIn, res.SimulatorURL = "simulator", o.Store.URL()
	}
	return res, nil
}

// strictError is the --strict failure: values not offered are the answers
// file's to fix; values that could not be checked because an options URL
// failed are the plugin's.
func (w *walker) strictError() error {
	var parts []string
	if len(w.unchecked) > 0 {
		u := w.unchecked[0]
		what := "failed (" + Printable(u.err.Problem) + ")"
		if u.err.Contract {
			what = "broke the contract (" + Printable(u.err.Problem) + ")"
		}
		s := fmt.Sprintf("the options URL of %s %s: cannot check the answers", u.key, what)
		if n := len(w.unchecked); n > 1 {
			s += fmt.Sprintf(" (%d value(s) unchecked)", n)
		}
		parts = append(parts, s+"; fix the plugin or drop --strict")
	}
	if w.offWarnings > 0 {
		parts = append(parts, fmt.Sprintf("%d answers-file value(s) are not offered to an installer (warnings above): fix the answers file or the plugin's options", w.offWarnings))
	}
	if len(parts) == 0 {
		return nil
	}
	return fmt.Errorf("--strict stores nothing: %s", strings.Join(parts, "; "))
}

func (w *walker) close() {
	if w.cb != nil {
		_ = w.cb.Close()
	}
}

func (w *walker) interactive() bool { return w.o.Prompter != nil }

// callback starts the callback listener on first use.
func (w *walker) callback() (*callbackServer, error) {
	if w.cb == nil {
		// The callback page waits for the token exchange and the
		// validation call, each bounded by the client's timeout.
		wait := 30 * time.Second
		if w.o.Client != nil {
			wait = 2*w.o.Client.Timeout() + 5*time.Second
		}
		cb, err := startCallbackServer(w.o.CallbackAddr, wait)
		if err != nil {
			return nil, err
		}
		w.cb = cb
	}
	return w.cb, nil
}

func (w *walker) step(ctx context.Context, i int, step *manifest.Step) (*StepResult, error) {
	sr := &StepResult{Number: i + 1, Title: step.Title, Type: string(step.Type)}
	var patch map[string]any
	var err error
	switch step.Type {
	case manifest.StepForm:
		patch, sr.Via, err = w.formStep(ctx, i, step)
	case manifest.StepOAuth2:
		patch, sr.Via, err = w.oauthStep(ctx, i, step)
	case manifest.StepPopup:
		patch, sr.Via, err = w.popupStep(ctx, i, step)
	default:
		return nil, &StepError{Number: i + 1, Title: step.Title, Reason: "input", Err: fmt.Errorf("unknown step type %q; run envoy-plugin validate", step.Type)}
	}
	if err != nil {
		return nil, err
	}
	for _, k := range sortedKeys(patch) {
		if patch[k] == nil {
			if _, had := w.config[k]; had {
				sr.Removed = append(sr.Removed, k)
			}
		} else {
			sr.Saved = append(sr.Saved, k)
		}
	}
	if sr.Saved == nil {
		sr.Saved = []string{}
	}
	w.apply(patch)
	w.report(sr)
	return sr, nil
}

// apply merges a step's patch into the working config (which later route
// requests carry in meta.config) and into what will be stored.
func (w *walker) apply(patch map[string]any) {
	for k, v := range patch {
		w.patch[k] = v
	}
	ApplyPatch(w.config, patch)
	w.route.Install.Config = map[string]any{}
	maps.Copy(w.route.Install.Config, w.config)
}

func (w *walker) report(sr *StepResult) {
	cs := w.o.CS
	msg := "nothing saved"
	if len(sr.Saved) > 0 {
		msg = "saved " + joinKeys(sr.Saved)
	}
	if len(sr.Removed) > 0 {
		msg += ", removed " + joinKeys(sr.Removed)
	}
	switch sr.Via {
	case "validation_url":
		msg += " (from the validation URL's answer)"
	case "answers":
		msg += " (the answers, no validation URL)"
	}
	fmt.Fprintf(w.o.Log, "%s %s: %s\n", cs.SuccessIcon(), sr.Title, msg)
	if secrets := SecretKeys(w.onlySaved(sr.Saved)); len(secrets) > 0 {
		fmt.Fprintf(w.o.Log, "%s %s look like secrets: the install config is visible in Envoy's dashboard; keep secrets in install storage instead\n", cs.WarningIcon(), joinKeys(secrets))
	}
}

func (w *walker) onlySaved(keys []string) map[string]any {
	out := map[string]any{}
	for _, k := range keys {
		out[k] = w.config[k]
	}
	return out
}

func joinKeys(keys []string) string {
	s := append([]string(nil), keys...)
	sort.Strings(s)
	out := ""
	for i, k := range s {
		if i > 0 {
			out += ", "
		}
		out += Printable(k) // keys may come from a plugin's answer
	}
	return out
}

// validate sends a step's result to its validation URL.
func (w *walker) validate(ctx context.Context, step *manifest.Step, payload any) (Outcome, error) {
	u, err := w.o.Manifest.ResolveURL(step.ValidationURL)
	if err != nil {
		return Outcome{}, fmt.Errorf("validation_url: %w", err)
	}
	return w.route.Validate(ctx, u, step.ValidationURL, payload), nil
}

// failure turns a failed validation outcome into a step error.
func failure(i int, step *manifest.Step, o Outcome) error {
	msg := fmt.Sprintf("the validation URL %s %s", o.URL, Printable(o.Message))
	if o.Hint != "" {
		msg += "; " + o.Hint
	}
	msg += "; the install config was not changed"
	if o.Body != "" {
		msg += " (body: " + o.Body + ")"
	}
	return &StepError{Number: i + 1, Title: step.Title, Reason: Failed, Err: errors.New(msg)}
}

// blocked turns a blocking outcome into a step error (a walk without prompts).
func blocked(i int, step *manifest.Step, o Outcome, next string) error {
	msg := fmt.Sprintf("blocked by its validation URL (%d)", o.Status)
	if o.Message != "" {
		msg += ": " + Printable(o.Message)
	} else {
		msg += " without a message"
		if o.Hint != "" {
			msg += " (" + o.Hint + ")"
		}
	}
	msg += "; " + next + "; the install config was not changed"
	if o.Message == "" && o.Body != "" {
		msg += " (body: " + o.Body + ")"
	}
	return &StepError{Number: i + 1, Title: step.Title, Reason: Blocked, Err: errors.New(msg)}
}

// showBlocked prints a block to the installer, as the dashboard shows it.
func (w *walker) showBlocked(o Outcome) {
	msg := Printable(o.Message)
	if msg == "" {
		msg = fmt.Sprintf("the step was blocked (%d) without a message", o.Status)
		if o.Hint != "" {
			msg += " (" + o.Hint + ")"
		}
	}
	fmt.Fprintf(w.o.Log, "%s %s\n", w.o.CS.FailureIcon(), msg)
}

// openURL prints a URL and opens it in a browser when interactive.
func (w *walker) openURL(what, u string) {
	fmt.Fprintf(w.o.Log, "  %s in a browser: %s\n", what, u)
	if w.interactive() && w.o.OpenBrowser != nil {
		if err := w.o.OpenBrowser(u); err != nil {
			fmt.Fprintf(w.o.Log, "%s could not open a browser (%v): open the URL yourself\n", w.o.CS.WarningIcon(), err)
		}
	}
}
