package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/install"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
	"github.com/envoy-plugin/envoy-plugin/internal/suggest"
)

type testStepOptions struct {
	Step     string
	Sets     []string
	Expect   string
	JSON     bool
	Timeout  time.Duration
	Insecure bool

	// OpenStore reaches the simulated install when there is one; tests
	// replace it.
	OpenStore func(projectDir string) (simstate.Store, error)
}

func newCmdTestStep(f *Factory, runF func(*testStepOptions) error) *cobra.Command {
	opts := &testStepOptions{OpenStore: func(dir string) (simstate.Store, error) { return simstate.Open(dir, false) }}
	c := &cobra.Command{
		Use:   "test-step <step> [--set key=value ...] [flags]",
		Short: "Call one setup step's validation URL with a given payload and report the outcome",
		Long: `Call the validation URL of one setup step (its title, or its 1-based number)
with a payload, as Envoy does when an installer completes the step, and
report the outcome: saved (a 2xx JSON object, merged into the config; null
removes a key), blocked (a 4xx, with the body's message) or failed
(anything else: the plugin's failure, exit 1).

The payload is the step's result: a form step's answers by field key
(starting from the fields' defaults), an OAuth2 step's token response, a
popup step's callback params. --set key=value sets a string (a checkbox
field's true/false becomes a boolean); --set key:=json sets raw JSON.

The route request carries the simulated install's ids and config when
` + "`envoy-plugin dev`" + ` has one (nothing is stored: use ` + "`envoy-plugin install`" + `),
else a fresh install with the manifest's defaults. --expect saved|blocked
makes the exit status an assertion, for CI.`,
		Example: `  $ envoy-plugin test-step Greetings --set GREETING=Hello --expect saved
  $ envoy-plugin test-step 1 --set GREETING="please block" --expect blocked
  $ envoy-plugin test-step "Connect Acme" --set access_token=test-token --set expires_in:=3600 --json`,
		Args: exactArgs(1, "step required: its title or its 1-based number"),
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			m, err := f.Manifest()
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []string
			for _, s := range m.Steps {
				if s.ValidationURL != "" {
					out = append(out, s.Title+"\t"+string(s.Type))
				}
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Step = args[0]
			switch opts.Expect {
			case "", install.Saved, install.Blocked:
			default:
				return usageErrorf("--expect must be saved or blocked, not %q", opts.Expect)
			}
			for _, s := range opts.Sets {
				if _, _, err := parseStepSet(s); err != nil {
					return usageErrorf("--set %s: %v", s, err)
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return testStepRun(c.Context(), f, opts)
		},
	}
	fl := c.Flags()
	fl.StringArrayVar(&opts.Sets, "set", nil, "payload value: key=text or key:=json (repeatable)")
	fl.StringVar(&opts.Expect, "expect", "", "exit 1 unless the outcome is saved or blocked")
	fl.BoolVar(&opts.JSON, "json", false, "print the outcome as JSON")
	fl.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "request timeout")
	fl.BoolVar(&opts.Insecure, "insecure", false, "accept a self-signed TLS certificate")
	_ = c.RegisterFlagCompletionFunc("expect", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{install.Saved, install.Blocked}, cobra.ShellCompDirectiveNoFileComp
	})
	return c
}

// parseStepSet splits key=text or key:=json.
func parseStepSet(s string) (key string, value any, err error) {
	i := strings.Index(s, "=")
	if i <= 0 {
		return "", nil, fmt.Errorf("want key=value or key:=json")
	}
	key, raw := s[:i], s[i+1:]
	if strings.HasSuffix(key, ":") {
		key = strings.TrimSuffix(key, ":")
		if key == "" {
			return "", nil, fmt.Errorf("want key:=json")
		}
		dec := json.NewDecoder(strings.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&value); err != nil {
			return "", nil, fmt.Errorf("invalid JSON after := (%v)", err)
		}
		if dec.More() {
			return "", nil, fmt.Errorf("invalid JSON after :=: more than one value")
		}
		return key, value, nil
	}
	return key, raw, nil
}

// findStep resolves a step's title (exact, then case-insensitive) or its
// 1-based number.
func findStep(m *manifest.Manifest, s string) (int, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > len(m.Steps) {
			return 0, usageErrorf("no step %d: the manifest has %d step(s)", n, len(m.Steps))
		}
		return n - 1, nil
	}
	for i, st := range m.Steps {
		if st.Title == s {
			return i, nil
		}
	}
	for i, st := range m.Steps {
		if strings.EqualFold(st.Title, s) {
			return i, nil
		}
	}
	var titles, raw []string
	for _, st := range m.Steps {
		titles = append(titles, strconv.Quote(st.Title))
		raw = append(raw, st.Title)
	}
	if len(titles) == 0 {
		return 0, usageErrorf("no step %q: the manifest has no [[steps]]", s)
	}
	if c := suggest.Closest(s, raw); c != "" {
		return 0, usageErrorf("no step %q (did you mean %q?); steps: %s", s, c, strings.Join(titles, ", "))
	}
	return 0, usageErrorf("no step %q; steps: %s", s, strings.Join(titles, ", "))
}

// testStepResult is what test-step reports.
type testStepResult struct {
	Number  int            `json:"number"`
	Title   string         `json:"title"`
	Type    string         `json:"type"`
	Payload map[string]any `json:"payload"`
	install.Outcome
	// Config is the install config after merging the answer (saved only).
	Config map[string]any `json:"config,omitempty"`
	// InstallFrom is "simulator", "state_file" or "fresh".
	InstallFrom string `json:"install_from"`
}

func (r *testStepResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	head := fmt.Sprintf("step %d %q", r.Number, r.Title)
	switch r.Result {
	case install.Saved:
		fmt.Fprintf(w, "%s %s: saved (%d)\n", cs.SuccessIcon(), head, r.Status)
		fmt.Fprintln(w, "  config after the step:")
		if len(r.Config) == 0 {
			fmt.Fprintln(w, "    (empty)")
		}
		for _, k := range sortedMapKeys(r.Config) {
			fmt.Fprintf(w, "    %s = %s\n", install.Printable(k), install.FormatValue(r.Config[k]))
		}
		var removed []string
		for _, k := range sortedMapKeys(r.Patch) {
			if r.Patch[k] == nil {
				removed = append(removed, install.Printable(k))
			}
		}
		if len(removed) > 0 {
			fmt.Fprintf(w, "  removes: %s\n", strings.Join(removed, ", "))
		}
	case install.Blocked:
		msg := install.Printable(r.Message)
		if msg == "" {
			msg = "(no message)"
		}
		fmt.Fprintf(w, "%s %s: blocked (%d): %s\n", cs.WarningIcon(), head, r.Status, msg)
	default:
		fmt.Fprintf(w, "%s %s: %s\n", cs.FailureIcon(), head, r.Describe())
	}
	if r.Hint != "" {
		fmt.Fprintf(w, "  hint: %s\n", r.Hint)
	}
	return nil
}

func sortedMapKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func testStepRun(ctx context.Context, f *Factory, opts *testStepOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	m, err := f.Manifest()
	if err != nil {
		return err
	}
	i, err := findStep(m, opts.Step)
	if err != nil {
		return err
	}
	step := &m.Steps[i]
	if step.ValidationURL == "" {
		return usageErrorf("step %d %q has no validation_url: nothing to call (a form step without one saves its answers as they are)", i+1, step.Title)
	}
	u, err := m.ResolveURL(step.ValidationURL)
	if err != nil {
		return fmt.Errorf("step %d %q: validation_url: %w", i+1, step.Title, err)
	}
	payload := stepPayload(step, opts.Sets)
	cr, err := f.Credentials("", "")
	if err != nil {
		return err
	}

	st := &simstate.Install{PluginID: "test-step-plugin", InstallID: "test-step-install", Config: m.Defaults()}
	from := "fresh"
	var store simstate.Store
	switch s, err := opts.OpenStore(f.ProjectDir()); {
	case err == nil:
		store = s
		if st, err = s.Install(ctx); err != nil {
			return fmt.Errorf("reading the simulated install: %w", err)
		}
		from = "state_file"
		if s.Running() {
			from = "simulator"
		}
	case errors.Is(err, simstate.ErrNoSimulator):
	default:
		return fmt.Errorf("opening the simulated install: %w", err)
	}
	var auth *sim.Auth
	if len(m.Plugin.Scopes) > 0 {
		auth = &sim.Auth{TokenType: "Bearer", AccessToken: "simulated-" + st.InstallID, ExpiresIn: 3600}
		if store != nil {
			if tok, exp, err := store.IssueToken(ctx); err == nil {
				auth.AccessToken, auth.ExpiresIn = tok, exp
			}
		}
	}
	route := &install.Route{Client: f.HTTPClient(opts.Timeout, opts.Insecure), Secret: cr.ClientSecret, Install: install.RouteInstall(st, auth)}
	o := route.Validate(ctx, u, step.ValidationURL, payload)
	res := &testStepResult{Number: i + 1, Title: step.Title, Type: string(step.Type), Payload: install.MaskConfig(payload), Outcome: o, InstallFrom: from}
	if o.Result == install.Saved {
		cfg := maps.Clone(st.Config)
		if cfg == nil {
			cfg = map[string]any{}
		}
		install.ApplyPatch(cfg, o.Patch)
		res.Config = install.MaskConfig(cfg)
		res.Patch = install.MaskConfig(o.Patch)
	}
	if err := f.Printer(opts.JSON).Print(res); err != nil {
		return err
	}
	switch {
	case opts.Expect != "" && o.Result != opts.Expect:
		what := o.Result
		if o.Message != "" {
			what += ": " + install.Printable(o.Message)
		}
		return fmt.Errorf("step %d %q: expected %s, got %s", i+1, step.Title, opts.Expect, what)
	case o.Result == install.Failed:
		return SilentError
	}
	return nil
}

// stepPayload builds the payload: a form step's field defaults, then the
// --set values (a checkbox field's "true"/"false" becomes a boolean).
func stepPayload(step *manifest.Step, sets []string) map[string]any {
	payload := map[string]any{}
	types := map[string]manifest.FieldType{}
	for _, fd := range step.Fields {
		if fd.Key == "" {
			continue
		}
		types[fd.Key] = fd.Type
		if fd.Default != nil {
			payload[fd.Key] = fd.Default
		}
	}
	for _, s := range sets {
		k, v, _ := parseStepSet(s)
		if str, ok := v.(string); ok && types[k] == manifest.FieldCheckbox {
			if b, err := strconv.ParseBool(str); err == nil {
				v = b
			}
		}
		payload[k] = v
	}
	return payload
}
