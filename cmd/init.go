package cmd

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
)

type initOptions struct {
	Dir         string
	Name        string
	Description string
	BaseURL     string
	EventFlags  []string // raw --event values
	Step        string
	Force       bool

	// Which of the above came from flags (the others are asked for on a
	// terminal).
	NameSet, DescriptionSet, BaseURLSet, StepSet bool

	// prevName and prevBaseURL come from the manifest being overwritten:
	// the prompts' defaults instead of the folder's name.
	prevName, prevBaseURL string
}

const defaultBaseURL = "http://localhost:3000"

func newCmdInit(f *Factory, runF func(*initOptions) error) *cobra.Command {
	opts := &initOptions{}
	c := &cobra.Command{
		Use:   "init [dir]",
		Short: "Create envoy-plugin.toml and the plugin's credentials",
		Long: `Create a commented envoy-plugin.toml in dir (default: the current folder)
that passes ` + "`envoy-plugin validate`" + `, then client credentials in .env beside it
(ignored by git).

On a terminal it asks for the plugin's name, description, base URL, events
and their worker URLs, and an optional first setup step; flags given on the
command line are not asked for. With --no-input, in CI or without a
terminal, everything comes from flags: --name is then required, and the
others default to --base-url ` + defaultBaseURL + `, --event entry_sign_in and
no setup step.

An existing envoy-plugin.toml is never overwritten without --force or a
Yes at the "Overwrite it?" prompt (whose No cancels, exit 130); after a Yes
the prompts start from the old file's name and base URL.`,
		Example: `  $ envoy-plugin init
  $ envoy-plugin init my-plugin --no-input --name "Hello World"
  $ envoy-plugin init --no-input --name "Hello World" --base-url http://localhost:8080 \
      --event entry_sign_in=/entry-sign-in --event entry_sign_out=/entry-sign-out --step form`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			opts.Dir = "."
			if len(args) == 1 {
				opts.Dir = args[0]
			}
			fl := c.Flags()
			opts.NameSet = fl.Changed("name")
			opts.DescriptionSet = fl.Changed("description")
			opts.BaseURLSet = fl.Changed("base-url")
			opts.StepSet = fl.Changed("step")
			if opts.StepSet {
				switch opts.Step {
				case "none", string(manifest.StepForm), string(manifest.StepOAuth2), string(manifest.StepPopup):
				default:
					return usageErrorf("invalid --step %q; use form, oauth2, popup or none", opts.Step)
				}
			}
			if opts.NameSet {
				if err := manifest.ValidateName(opts.Name); err != nil {
					return usageErrorf("invalid --name: %v", err)
				}
			}
			if opts.BaseURLSet {
				if err := manifest.ValidateBaseURL(opts.BaseURL); err != nil {
					return usageErrorf("invalid --base-url: %v", err)
				}
			}
			if _, err := parseEventFlags(opts.EventFlags); err != nil {
				return err
			}
			if !opts.NameSet && !f.IO.CanPrompt() {
				return noInputError("--name")
			}
			if runF != nil {
				return runF(opts)
			}
			return initRun(f, opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.Name, "name", "", "plugin name (required when not running interactively)")
	fl.StringVar(&opts.Description, "description", "", "plugin description")
	fl.StringVar(&opts.BaseURL, "base-url", defaultBaseURL, "URL the plugin listens on while you develop it; relative endpoint URLs resolve against it")
	fl.StringArrayVar(&opts.EventFlags, "event", nil, "subscribe to an event: name=/worker-path, or just name for /name-with-dashes (repeatable; default entry_sign_in)")
	fl.StringVar(&opts.Step, "step", "", "add a first setup step: form (with a select field), oauth2, popup or none")
	fl.BoolVar(&opts.Force, "force", false, "overwrite an existing envoy-plugin.toml")
	_ = c.RegisterFlagCompletionFunc("step", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"form", "oauth2", "popup", "none"}, cobra.ShellCompDirectiveNoFileComp
	})
	_ = c.RegisterFlagCompletionFunc("event", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return manifest.KnownEvents(), cobra.ShellCompDirectiveNoSpace | cobra.ShellCompDirectiveNoFileComp
	})
	return c
}

// parseEventFlags reads --event values: name=/path, name=https://..., or
// name alone (the default path).
func parseEventFlags(vals []string) ([]manifest.Event, error) {
	var out []manifest.Event
	seen := map[string]bool{}
	for _, v := range vals {
		name, path, hasPath := strings.Cut(v, "=")
		name = strings.TrimSpace(name)
		if name == "" {
			return nil, usageErrorf("invalid --event %q: give the event's name, e.g. --event entry_sign_in=/entry-sign-in", v)
		}
		if !hasPath || strings.TrimSpace(path) == "" {
			path = manifest.DefaultEventPath(name)
		}
		if err := manifest.ValidateEndpoint(path); err != nil {
			return nil, usageErrorf("invalid --event %q: %v", v, err)
		}
		if seen[name] {
			return nil, usageErrorf("--event %s given twice; Envoy calls one worker URL per event", name)
		}
		seen[name] = true
		out = append(out, manifest.Event{Name: name, URL: path})
	}
	return out, nil
}

func initRun(f *Factory, opts *initOptions) error {
	dir := opts.Dir
	target := filepath.Join(dir, manifest.FileName)
	events, _ := parseEventFlags(opts.EventFlags)
	interactive := f.IO.CanPrompt()

	if st, err := os.Stat(target); err == nil && !st.Mode().IsRegular() {
		return fmt.Errorf("%s is not a regular file; remove it, or init another folder", target)
	}
	envFile := filepath.Join(dir, ".env")
	if f.EnvFileFlag != "" {
		envFile = f.EnvFile()
	}
	// Refuse before writing anything when the credentials could not be
	// written next (an env file that is a directory, a foreign symlink,
	// read-only ...).
	if st, err := os.Stat(filepath.Dir(envFile)); err == nil && st.IsDir() {
		if err := creds.CheckEnvFile(envFile); err != nil {
			return fmt.Errorf("nothing written: %w", err)
		}
	}
	if _, err := os.Stat(target); err == nil && !opts.Force {
		if !interactive {
			return fmt.Errorf("%s already exists; pass --force to overwrite it", target)
		}
		ok, err := f.Prompter.Confirm(fmt.Sprintf("%s already exists. Overwrite it?", target), false)
		if err != nil {
			return err
		}
		if !ok {
			// A deliberate No is a cancel, not a failure.
			fmt.Fprintf(f.IO.ErrOut, "left %s as it is\n", target)
			return CancelError
		}
		opts.Force = true
		if data, err := os.ReadFile(target); err == nil {
			if old, _ := manifest.Parse(target, data); old != nil {
				if manifest.ValidateName(old.Plugin.Name) == nil {
					opts.prevName = old.Plugin.Name
				}
				if manifest.ValidateBaseURL(old.Plugin.BaseURL) == nil {
					opts.prevBaseURL = old.Plugin.BaseURL
				}
			}
		}
	}

	so := manifest.ScaffoldOptions{Name: opts.Name, Description: opts.Description, BaseURL: opts.BaseURL, Events: events, Step: manifest.StepType(opts.Step)}
	if opts.Step == "none" {
		so.Step = ""
	}
	if interactive {
		if err := askInit(f.Prompter, opts, &so); err != nil {
			return err
		}
	} else if len(so.Events) == 0 {
		so.Events = []manifest.Event{{Name: "entry_sign_in", URL: manifest.DefaultEventPath("entry_sign_in")}}
	}
	for _, e := range so.Events {
		if !manifest.IsKnownEvent(e.Name) {
			hint := "kept as a custom event"
			if s := manifest.Closest(e.Name, manifest.KnownEvents()); s != "" {
				hint = fmt.Sprintf("did you mean %q? kept as a custom event", s)
			}
			f.Warnf("%q is not an event Envoy sends (%s)", e.Name, hint)
		}
	}

	data := manifest.Scaffold(so)
	// What init writes must pass validate; refuse to write anything else.
	if _, findings := manifest.Parse(target, data); manifest.HasErrors(findings) {
		f.printFindings(findings)
		return errors.New("the manifest init would write is invalid; please report this bug at https://github.com/envoy-plugin/envoy-plugin/issues")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("cannot create %s: %w", dir, err)
	}
	if err := writeFileAtomic(target, data, 0o644, opts.Force); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("%s already exists; pass --force to overwrite it", target)
		}
		return fmt.Errorf("cannot write %s: %w", target, err)
	}
	cs := f.IO.ColorScheme()
	fmt.Fprintf(f.IO.ErrOut, "%s Wrote %s\n", cs.SuccessIcon(), target)
	if interactive {
		// Answered prompts vanish from the screen: say what was chosen.
		printInitRecap(f.IO.ErrOut, so)
	}

	if err := initCredentials(f, envFile); err != nil {
		return fmt.Errorf("%s is written, but the credentials are not: %w; run `envoy-plugin creds generate`", target, err)
	}

	fmt.Fprintf(f.IO.ErrOut, "\nNext:\n")
	if dir != "." {
		fmt.Fprintf(f.IO.ErrOut, "  cd %s\n", dir)
	}
	fmt.Fprintf(f.IO.ErrOut, "  envoy-plugin validate\n")
	if len(so.Events) > 0 {
		fmt.Fprintf(f.IO.ErrOut, "  envoy-plugin send-event %s   # once your plugin listens on %s\n", so.Events[0].Name, so.BaseURL)
	}
	return nil
}

// printInitRecap lists what the manifest was written with.
func printInitRecap(w io.Writer, so manifest.ScaffoldOptions) {
	fmt.Fprintf(w, "  Name:        %s\n", so.Name)
	if so.Description != "" {
		fmt.Fprintf(w, "  Description: %s\n", so.Description)
	}
	fmt.Fprintf(w, "  Base URL:    %s\n", so.BaseURL)
	events := make([]string, len(so.Events))
	for i, e := range so.Events {
		events[i] = e.Name + " → " + e.URL
	}
	if len(events) == 0 {
		events = []string{"none"}
	}
	fmt.Fprintf(w, "  Events:      %s\n", strings.Join(events, ", "))
	step := string(so.Step)
	if step == "" {
		step = "none"
	}
	fmt.Fprintf(w, "  Setup step:  %s\n", step)
}

// initCredentials creates the plugin's client credentials in envFile (kept
// when they exist already) and prints what was done.
func initCredentials(f *Factory, envFile string) error {
	res, err := creds.Generate(creds.GenerateOptions{EnvFile: envFile, Now: f.Now})
	if err != nil {
		return err
	}
	for _, l := range res.Lines() {
		fmt.Fprintln(f.IO.ErrOut, l)
	}
	return nil
}

// askInit asks, on a terminal, for what the flags did not give.
func askInit(p prompt.Prompter, opts *initOptions, so *manifest.ScaffoldOptions) error {
	var err error
	if !opts.NameSet {
		def := opts.prevName
		if abs, e := filepath.Abs(opts.Dir); e == nil && def == "" {
			def = filepath.Base(abs)
		}
		if so.Name, err = ask(p, "Plugin name", "Shown in Envoy's Integration Directory.", def, manifest.ValidateName); err != nil {
			return err
		}
	}
	if !opts.DescriptionSet {
		if so.Description, err = ask(p, "Description", "What the plugin does; may stay empty.", "", nil); err != nil {
			return err
		}
	}
	if !opts.BaseURLSet {
		def := defaultBaseURL
		if opts.prevBaseURL != "" {
			def = opts.prevBaseURL
		}
		if so.BaseURL, err = ask(p, "Base URL", "Where the plugin listens while you develop it; relative URLs resolve against it.", def, manifest.ValidateBaseURL); err != nil {
			return err
		}
	}
	if len(so.Events) == 0 {
		var options []prompt.Option
		for _, e := range manifest.KnownEvents() {
			options = append(options, prompt.Option{Label: e, Value: e})
		}
		names, err := p.MultiSelect("Events to subscribe to", options, []string{"entry_sign_in"})
		if err != nil {
			return err
		}
		for _, n := range names {
			u, err := ask(p, fmt.Sprintf("Worker URL for %s", n), "A path (resolved against the base URL) or a full URL.", manifest.DefaultEventPath(n), manifest.ValidateEndpoint)
			if err != nil {
				return err
			}
			so.Events = append(so.Events, manifest.Event{Name: n, URL: u})
		}
	}
	if !opts.StepSet {
		step, err := p.Select("Add a first setup step?", []prompt.Option{
			{Label: "No, not now", Value: "none"},
			{Label: "A form with a select field", Value: string(manifest.StepForm)},
			{Label: "OAuth2 with an external system", Value: string(manifest.StepOAuth2)},
			{Label: "A popup", Value: string(manifest.StepPopup)},
		}, "none")
		if err != nil {
			return err
		}
		so.Step = manifest.StepType(step)
		if step == "none" {
			so.Step = ""
		}
	}
	return nil
}

// ask prompts for one value. The default is shown in the title, and the
// input starts empty (a pre-filled input would append what is typed to the
// default): an empty answer means the default. The final value is checked
// again, since an input that ends early returns whatever was typed last.
func ask(p prompt.Prompter, title, description, def string, validate func(string) error) (string, error) {
	shown := title
	if def != "" {
		shown = fmt.Sprintf("%s [%s]", title, def)
	}
	var v func(string) error
	if validate != nil {
		v = func(s string) error {
			if strings.TrimSpace(s) == "" && def != "" {
				return nil
			}
			return validate(strings.TrimSpace(s))
		}
	}
	got, err := p.Input(shown, description, "", v)
	if err != nil {
		return "", err
	}
	got = strings.TrimSpace(got)
	if got == "" {
		got = def
	}
	if validate != nil {
		if err := validate(got); err != nil {
			return "", fmt.Errorf("%s: %w", strings.ToLower(title), err)
		}
	}
	return got, nil
}

// writeFileAtomic writes data to path through a temporary file and a
// rename, so that a reader never sees half a file. Unless overwrite is
// set, it first claims path with O_EXCL and fails with fs.ErrExist when
// the file is already there.
func writeFileAtomic(path string, data []byte, perm os.FileMode, overwrite bool) (err error) {
	claimed := false
	if !overwrite {
		fd, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, perm)
		if err != nil {
			return err
		}
		_ = fd.Close()
		claimed = true
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		if claimed {
			_ = os.Remove(path)
		}
		return err
	}
	defer func() {
		if err != nil {
			_ = os.Remove(tmp.Name())
			if claimed {
				_ = os.Remove(path)
			}
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		_ = tmp.Close()
		return err
	}
	if err = tmp.Sync(); err != nil {
		_ = tmp.Close()
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), perm); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
