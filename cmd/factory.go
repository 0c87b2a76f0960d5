package cmd

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/output"
	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// Factory holds what commands depend on. Commands take what they need from
// it in their RunE; tests build one with fake streams.
type Factory struct {
	IO       *iostreams.IOStreams
	Build    build.Info
	Prompter prompt.Prompter
	Getenv   func(string) string
	Getwd    func() (string, error)
	Now      func() time.Time

	// Set from the global flags (or their ENVOY_PLUGIN_* variables).
	ManifestFlag string
	EnvFileFlag  string
}

// NewFactory wires the real dependencies.
func NewFactory(ios *iostreams.IOStreams, info build.Info) *Factory {
	return &Factory{
		IO:       ios,
		Build:    info,
		Prompter: prompt.New(ios.In, ios.ErrOut),
		Getenv:   os.Getenv,
		Getwd:    os.Getwd,
		Now:      time.Now,
	}
}

// ManifestPath returns the manifest's path: --manifest when given, else
// envoy-plugin.toml found from the current folder upwards. found is false
// when no manifest exists there.
func (f *Factory) ManifestPath() (path string, found bool, err error) {
	if f.ManifestFlag != "" {
		p, err := filepath.Abs(f.ManifestFlag)
		if err != nil {
			return "", false, err
		}
		_, statErr := os.Stat(p)
		return p, statErr == nil, nil
	}
	wd, err := f.Getwd()
	if err != nil {
		return "", false, err
	}
	p, err := manifest.Find(wd, manifest.FileName)
	if err != nil {
		return "", false, err
	}
	if p == "" {
		return filepath.Join(wd, manifest.FileName), false, nil
	}
	return p, true, nil
}

// ProjectDir is the folder of the manifest, or the current folder when
// there is none.
func (f *Factory) ProjectDir() string {
	p, found, err := f.ManifestPath()
	if err == nil && (found || f.ManifestFlag != "") {
		return filepath.Dir(p)
	}
	wd, _ := f.Getwd()
	return wd
}

// Manifest loads and validates the manifest, printing its warnings to
// stderr. A missing manifest is an error that says how to create one.
func (f *Factory) Manifest() (*manifest.Manifest, error) {
	p, found, err := f.ManifestPath()
	if err != nil {
		return nil, err
	}
	if !found {
		if f.ManifestFlag != "" {
			return nil, fmt.Errorf("manifest %s not found", f.ManifestFlag)
		}
		wd, _ := f.Getwd()
		return nil, fmt.Errorf("no %s found in %s or its parents; run `envoy-plugin init` or pass --manifest", manifest.FileName, wd)
	}
	m, findings, err := manifest.Load(p)
	f.printFindings(findings)
	var merr *manifest.Error
	if errors.As(err, &merr) {
		return nil, fmt.Errorf("%s is invalid; run `envoy-plugin validate` for details", f.rel(p))
	}
	return m, err
}

func (f *Factory) printFindings(fs []manifest.Finding) {
	cs := f.IO.ColorScheme()
	for _, fd := range fs {
		fd.File = f.rel(fd.File)
		line := fd.String()
		if fd.Severity == manifest.SevError {
			fmt.Fprintln(f.IO.ErrOut, cs.Red(line))
		} else {
			fmt.Fprintln(f.IO.ErrOut, cs.Yellow(line))
		}
	}
}

// rel shortens path relative to the current folder when that is shorter.
func (f *Factory) rel(path string) string {
	wd, err := f.Getwd()
	if err != nil {
		return path
	}
	if r, err := filepath.Rel(wd, path); err == nil && len(r) < len(path) {
		return r
	}
	return path
}

// EnvFile is --env-file, else .env beside the manifest, else ./.env.
func (f *Factory) EnvFile() string {
	if f.EnvFileFlag != "" {
		p, err := filepath.Abs(f.EnvFileFlag)
		if err == nil {
			return p
		}
		return f.EnvFileFlag
	}
	return filepath.Join(f.ProjectDir(), ".env")
}

// Credentials loads the client credentials (flags > environment > env file)
// and prints any env-file warnings to stderr.
func (f *Factory) Credentials(clientID, clientSecret string) (*creds.Credentials, error) {
	c, warns, err := creds.Load(creds.LoadOptions{EnvFile: f.EnvFile(), ClientID: clientID, ClientSecret: clientSecret})
	cs := f.IO.ColorScheme()
	for _, w := range warns {
		fmt.Fprintf(f.IO.ErrOut, "%s %s\n", cs.WarningIcon(), w.String())
	}
	return c, err
}

// HTTPClient returns the one outgoing client, configured for a command.
func (f *Factory) HTTPClient(timeout time.Duration, insecure bool) *sim.Client {
	return sim.NewClient(sim.ClientOptions{Timeout: timeout, Insecure: insecure, UserAgent: f.Build.UserAgent()})
}

// Printer returns the renderer for a command's results.
func (f *Factory) Printer(asJSON bool) *output.Printer { return output.New(f.IO, asJSON) }

// Warnf prints a warning line to stderr.
func (f *Factory) Warnf(format string, a ...any) {
	cs := f.IO.ColorScheme()
	fmt.Fprintf(f.IO.ErrOut, "%s %s\n", cs.WarningIcon(), fmt.Sprintf(format, a...))
}

// Infof prints a status line to stderr.
func (f *Factory) Infof(format string, a ...any) {
	fmt.Fprintf(f.IO.ErrOut, format+"\n", a...)
}
