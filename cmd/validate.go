package cmd

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
)

type validateOptions struct {
	// Path is the manifest to check (absolute); Display is how it is
	// named in the output (relative to the current folder).
	Path    string
	Display string
	JSON    bool
	// HasCredentials reports whether client credentials can be found; it
	// feeds the `live = true` warning.
	HasCredentials func() bool
}

func newCmdValidate(f *Factory, runF func(*validateOptions) error) *cobra.Command {
	opts := &validateOptions{}
	c := &cobra.Command{
		Use:   "validate [manifest|dir]",
		Short: "Check envoy-plugin.toml and print every problem",
		Long: `Check the plugin manifest and print every problem found, not only the
first: TOML syntax, unknown keys (with the nearest valid one), wrong types,
missing keys, unknown step and field types, URLs, duplicate events and config
keys, pagination settings, and steps whose result would never be saved.

Each problem is printed as file:line:col: error|warning: message (hint).
Errors make the command exit 1; warnings alone do not. When the manifest is
valid, the callback URL to register for each OAuth2 step is printed too.

The manifest is the argument, else --manifest, else envoy-plugin.toml found
from the current folder upwards.`,
		Example: `  $ envoy-plugin validate
  $ envoy-plugin validate path/to/envoy-plugin.toml
  $ envoy-plugin validate path/to/plugin-folder
  $ envoy-plugin validate --json | jq '.[] | select(.severity == "error")'`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				if c.Flags().Changed("manifest") {
					return usageErrorf("give the manifest either as an argument or with --manifest, not both")
				}
				f.ManifestFlag = args[0]
				// A folder stands for the manifest inside it.
				if st, err := os.Stat(args[0]); err == nil && st.IsDir() {
					f.ManifestFlag = filepath.Join(args[0], manifest.FileName)
				}
			}
			p, found, err := f.ManifestPath()
			if err != nil {
				return err
			}
			if !found {
				if f.ManifestFlag != "" {
					return fmt.Errorf("manifest %s not found; check the path, or run `envoy-plugin init` to create one", f.ManifestFlag)
				}
				wd, _ := f.Getwd()
				return fmt.Errorf("no %s found in %s or its parents; run `envoy-plugin init` or pass --manifest", manifest.FileName, wd)
			}
			opts.Path = p
			opts.Display = f.rel(p)
			opts.HasCredentials = func() bool {
				_, err := f.Credentials("", "")
				var missing *creds.MissingError
				return !errors.As(err, &missing)
			}
			if runF != nil {
				return runF(opts)
			}
			return validateRun(f, opts)
		},
	}
	c.Flags().BoolVar(&opts.JSON, "json", false, "print the findings as a JSON array (empty when the manifest is clean)")
	return c
}

func validateRun(f *Factory, opts *validateOptions) error {
	data, err := manifest.ReadFile(opts.Path)
	if err != nil {
		return fmt.Errorf("cannot read the manifest: %w", err)
	}
	m, findings := manifest.Parse(opts.Path, data)
	if m != nil && m.Plugin.Live && opts.HasCredentials != nil && !opts.HasCredentials() {
		line, col := m.Pos("plugin.live")
		findings = append(findings, manifest.Finding{File: opts.Path, Line: line, Col: col, Severity: manifest.SevWarning, Key: "plugin.live",
			Message: "live = true but no client credentials were found",
			Hint:    "run `envoy-plugin creds generate`, or set ENVOY_CLIENT_ID and ENVOY_CLIENT_SECRET, before going live"})
		manifest.SortFindings(findings)
	}
	if findings == nil {
		findings = []manifest.Finding{}
	}
	for i := range findings {
		findings[i].File = opts.Display
	}
	res := &validateResult{File: opts.Display, Findings: findings}
	if f.IO.IsStdoutTTY() {
		res.Source = strings.Split(string(data), "\n")
	}
	if m != nil && !manifest.HasErrors(findings) {
		for i, s := range m.Steps {
			if s.Type == manifest.StepOAuth2 {
				res.Callbacks = append(res.Callbacks, oauthCallback{Step: i, Title: s.Title, URL: manifest.OAuthCallbackURL(manifest.DefaultCallbackPort)})
			}
		}
	}
	p := f.Printer(opts.JSON)
	if opts.JSON {
		err = p.Print(findings)
	} else {
		err = p.Print(res)
	}
	if err != nil {
		return err
	}
	if manifest.HasErrors(findings) {
		return SilentError
	}
	return nil
}

type oauthCallback struct {
	Step  int
	Title string
	URL   string
}

// validateResult is what validate prints as text.
type validateResult struct {
	File      string
	Findings  []manifest.Finding
	Callbacks []oauthCallback
	// Source lines, when the excerpt under each finding is wanted (on a
	// terminal).
	Source []string
}

func (r *validateResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	var b strings.Builder
	errs, warns := 0, 0
	for _, fd := range r.Findings {
		sev := string(fd.Severity)
		if fd.Severity == manifest.SevError {
			errs++
			sev = cs.Red(sev)
		} else {
			warns++
			sev = cs.Yellow(sev)
		}
		loc := fd.File
		if fd.Line > 0 {
			loc += fmt.Sprintf(":%d", fd.Line)
			if fd.Col > 0 {
				loc += fmt.Sprintf(":%d", fd.Col)
			}
		}
		fmt.Fprintf(&b, "%s: %s: %s", cs.Bold(loc), sev, fd.Message)
		if fd.Hint != "" {
			fmt.Fprintf(&b, " %s", cs.Gray("("+fd.Hint+")"))
		}
		b.WriteByte('\n')
		if fd.Line > 0 && fd.Line <= len(r.Source) {
			src := strings.ReplaceAll(r.Source[fd.Line-1], "\t", " ")
			fmt.Fprintf(&b, "  %s\n", src)
			if fd.Col > 0 && fd.Col <= len(src)+1 {
				fmt.Fprintf(&b, "  %s%s\n", strings.Repeat(" ", fd.Col-1), cs.Cyan("^"))
			}
		}
	}
	if len(r.Findings) > 0 {
		b.WriteByte('\n')
	}
	counts := plural(warns, "warning")
	if errs > 0 {
		fmt.Fprintf(&b, "%s %s: %s, %s\n", cs.FailureIcon(), r.File, plural(errs, "error"), counts)
	} else if warns > 0 {
		fmt.Fprintf(&b, "%s %s is valid (%s)\n", cs.SuccessIcon(), r.File, counts)
	} else {
		fmt.Fprintf(&b, "%s %s is valid\n", cs.SuccessIcon(), r.File)
	}
	for _, cb := range r.Callbacks {
		fmt.Fprintf(&b, "\nOAuth2 step %q: register this callback URL with the external system:\n  %s\n", cb.Title, cb.URL)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, what string) string {
	if n == 1 {
		return "1 " + what
	}
	return fmt.Sprintf("%d %ss", n, what)
}
