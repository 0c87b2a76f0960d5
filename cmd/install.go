package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"time"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/install"
	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

type installOptions struct {
	AnswersFile     string
	CallbackPort    int
	CallbackTimeout time.Duration
	Timeout         time.Duration
	Insecure        bool
	NoBrowser       bool
	JSON            bool
	Strict          bool

	// OpenStore reaches the simulated install (a running `envoy-plugin
	// dev`, else its state file, created when missing); tests replace it.
	OpenStore func(projectDir string) (simstate.Store, error)
	// OpenBrowser opens a URL; nil uses $BROWSER or the platform's opener.
	OpenBrowser func(string) error
}

func newCmdInstall(f *Factory, runF func(*installOptions) error) *cobra.Command {
	opts := &installOptions{OpenStore: func(dir string) (simstate.Store, error) { return simstate.Open(dir, true) }}
	c := &cobra.Command{
		Use:   "install [flags]",
		Short: "Walk the manifest's setup steps as an installer would, and store the install config",
		Long: `Walk the [[steps]] of envoy-plugin.toml in order, as an installer in Envoy's
dashboard would, and end with the install config that every later event and
route request carries (send-event and test-select read it).

Form steps ask every field on a terminal: text, checkbox, info, link,
select (options from the plugin's options URL: "Search…" sends search,
"Load more…" the next page or cursor), resource_select (the simulated
install's locations, flows, employees...), mapping (a left option, then a
right value; the right side's options URL gets parent_resource_id). After
a step, its answers go to the validation URL as a signed route request: a
2xx JSON object is merged into the config (null removes a key) and the raw
answers are not saved; a 4xx shows the body's message and asks the step
again. Without a validation URL the answers are saved under their keys.
At a text prompt Enter keeps the default; for an optional field a single
"-" leaves it empty. An empty search shows the full list again.

OAuth2 steps run a real authorization-code flow: a callback listener on
127.0.0.1 (register the printed callback URL with the provider; the port is
fixed by --callback-port), the authorize URL opened in a browser, the state
checked, the code exchanged at the token URL with the client secret read
from the variable that client_secret_env names (environment, else the env
file). The token response goes to the validation URL: the only way the step
saves anything.

Popup steps open the content URL with a fresh state (and a "callback" param
naming the local callback URL, since a plugin under development cannot
redirect to Envoy's own); the plugin redirects to the callback with the same
state plus values, which go to the validation URL (as for OAuth2, without
one nothing is saved). A missing or wrong state is refused as forged (on a
terminal the step can be started over).

The callback URL is http://127.0.0.1:8765/oauth2/callback unless
--callback-port says otherwise: the one envoy-plugin validate prints.

Ctrl-C (or Ctrl-D at an accessible prompt) cancels: exit 130, nothing
stored.

With --answers FILE there are no prompts (for CI): form values at the top
level by field key, an OAuth2 step's token response or a popup's callback
params in [steps."<title>"] tables. Without those tables the flows still
run: their URLs are printed and the walk waits for the callback.

Nothing is stored unless every step completes. The config is shown with
secret-looking values masked and stored in the simulated install (a running
` + "`envoy-plugin dev`" + `, else its state file .envoy-plugin/state.json).`,
		Example: `  # on a terminal, with envoy-plugin dev (and your plugin) running
  $ envoy-plugin install

  # in CI
  $ cat answers.toml
  GREETING = "Hello"
  NOTIFY_HOST = true
  [steps."Connect Acme"]
  access_token = "test-token"
  token_type = "Bearer"
  [steps."Pick a room"]
  ROOM = "101"
  $ envoy-plugin install --answers answers.toml --json`,
		Args: maxArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			if opts.CallbackPort < 0 || opts.CallbackPort > 65535 {
				return usageErrorf("--callback-port must be between 0 and 65535")
			}
			if opts.AnswersFile == "" && !f.IO.CanPrompt() {
				return noInputError("--answers")
			}
			if runF != nil {
				return runF(opts)
			}
			return installRun(c.Context(), f, opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.AnswersFile, "answers", "", "walk without prompts, with the answers in this TOML file (- for stdin)")
	fl.IntVar(&opts.CallbackPort, "callback-port", install.DefaultCallbackPort, "port of the OAuth2/popup callback listener on 127.0.0.1 (0: any free port)")
	fl.DurationVar(&opts.CallbackTimeout, "callback-timeout", install.DefaultCallbackTimeout, "how long an OAuth2 or popup step waits for its callback")
	fl.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "per-request timeout (validation, options and token URLs)")
	fl.BoolVar(&opts.Insecure, "insecure", false, "accept a self-signed TLS certificate")
	fl.BoolVar(&opts.NoBrowser, "no-browser", false, "print URLs without opening a browser")
	fl.BoolVar(&opts.JSON, "json", false, "print the result (config with secrets masked, steps) as JSON")
	fl.BoolVar(&opts.Strict, "strict", false, "with --answers: fail, storing nothing, when a value is not one the plugin's options (or the install's resources) offer")
	_ = c.MarkFlagFilename("answers", "toml")
	return c
}

func installRun(ctx context.Context, f *Factory, opts *installOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	// Ctrl-C: a full-screen prompt gets it as a key (huh answers
	// ErrUserAborted); an accessible prompt, a callback wait or a request
	// gets it as a signal, which cancels ctx; the bound prompter ends the
	// prompt blocked on its read. Either way the walk ends with exit 130
	// before anything is stored.
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	m, err := f.Manifest()
	if err != nil {
		return err
	}
	cr, err := f.Credentials("", "")
	if err != nil {
		return err
	}
	var answers *install.Answers
	var p prompt.Prompter
	if opts.AnswersFile != "" {
		data, err := readAnswersFile(f, opts.AnswersFile)
		if err != nil {
			return err
		}
		if answers, err = install.ParseAnswers(data); err != nil {
			return fmt.Errorf("%s: %v", opts.AnswersFile, err)
		}
	} else {
		p = prompt.Bind(f.Prompter, ctx)
	}
	store, err := opts.OpenStore(f.ProjectDir())
	if err != nil {
		return fmt.Errorf("opening the simulated install: %w", err)
	}
	openBrowser := opts.OpenBrowser
	if openBrowser == nil && !opts.NoBrowser {
		openBrowser = install.BrowserOpener(f.Getenv)
	}
	if opts.NoBrowser {
		openBrowser = nil
	}
	if store.Running() {
		f.Infof("Using the simulated install of envoy-plugin dev at %s", store.URL())
	}
	res, err := install.Run(ctx, install.Options{
		Manifest:        m,
		Store:           store,
		Client:          f.HTTPClient(opts.Timeout, opts.Insecure),
		Secret:          cr.ClientSecret,
		Prompter:        p,
		Answers:         answers,
		Log:             f.IO.ErrOut,
		CS:              f.IO.ColorScheme(),
		Getenv:          envThenFile(f),
		EnvFile:         f.EnvFile(),
		OpenBrowser:     openBrowser,
		CallbackAddr:    fmt.Sprintf("127.0.0.1:%d", opts.CallbackPort),
		CallbackTimeout: opts.CallbackTimeout,
		Strict:          opts.Strict,
	})
	if err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, prompt.ErrCancelled) {
			return CancelError
		}
		return err
	}
	return f.Printer(opts.JSON).Print(res.Masked())
}

func readAnswersFile(f *Factory, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(io.LimitReader(f.IO.In, 1<<20))
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading the answers file: %w", err)
	}
	return data, nil
}

// envThenFile reads a variable from the environment, else from the env
// file (where a developer keeps an OAuth2 client secret next to the
// plugin's own credentials). Nothing is cached: a step tried again after
// "ACME_CLIENT_SECRET is not set" finds a value written to the env file
// meanwhile.
func envThenFile(f *Factory) func(string) string {
	return func(k string) string {
		if v := f.Getenv(k); v != "" {
			return v
		}
		data, err := os.ReadFile(f.EnvFile())
		if err != nil {
			return ""
		}
		ef, _ := creds.ParseEnv(data)
		return ef.Values()[k]
	}
}
