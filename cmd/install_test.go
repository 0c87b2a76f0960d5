package cmd

import (
	"context"
	"errors"
	"io"
	"maps"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/install"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
	"github.com/envoy-plugin/envoy-plugin/internal/sample"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

func TestNewCmdInstall(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		tty     bool
		wantErr string
		check   func(t *testing.T, o *installOptions)
	}{
		{name: "answers", args: []string{"--answers", "a.toml", "--callback-port", "0", "--json", "--no-browser", "--callback-timeout", "3s"}, check: func(t *testing.T, o *installOptions) {
			if o.AnswersFile != "a.toml" || o.CallbackPort != 0 || !o.JSON || !o.NoBrowser || o.CallbackTimeout != 3*time.Second {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "defaults on a terminal", tty: true, check: func(t *testing.T, o *installOptions) {
			if o.CallbackPort != install.DefaultCallbackPort || o.CallbackTimeout != install.DefaultCallbackTimeout || o.Timeout != 10*time.Second {
				t.Errorf("opts = %+v", o)
			}
		}},
		{name: "no terminal, no answers", wantErr: "--answers is required when not running interactively"},
		{name: "bad port", args: []string{"--answers", "a", "--callback-port", "-1"}, wantErr: "--callback-port must be between 0 and 65535"},
		{name: "no args", args: []string{"--answers", "a", "extra"}, wantErr: "too many arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			ios.SetStdinTTY(tt.tty)
			ios.SetStdoutTTY(tt.tty)
			ios.SetStderrTTY(tt.tty)
			f := NewFactory(ios, build.Info{})
			var got *installOptions
			c := newCmdInstall(f, func(o *installOptions) error { got = o; return nil })
			c.SetArgs(tt.args)
			c.SetOut(io.Discard)
			c.SetErr(io.Discard)
			err := c.Execute()
			if tt.wantErr != "" {
				var ue *UsageError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				if !errors.As(err, &ue) && !isCobraUsageError(err) {
					t.Fatalf("err %v is not a usage error", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

// installMemStore is a simstate.Store in memory.
type installMemStore struct {
	mu     sync.Mutex
	cfg    map[string]any
	merges int
}

func (s *installMemStore) Running() bool { return false }
func (s *installMemStore) URL() string   { return "" }
func (s *installMemStore) Install(context.Context) (*simstate.Install, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return &simstate.Install{PluginID: "p-1", InstallID: "i-1", Config: maps.Clone(s.cfg)}, nil
}
func (s *installMemStore) MergeConfig(_ context.Context, patch map[string]any) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.merges++
	install.ApplyPatch(s.cfg, patch)
	return maps.Clone(s.cfg), nil
}
func (s *installMemStore) RegisterJob(context.Context, simstate.Job) error { return nil }
func (s *installMemStore) Job(context.Context, string) (*simstate.Job, error) {
	return nil, errors.New("none")
}
func (s *installMemStore) IssueToken(context.Context) (string, int, error) { return "t", 3600, nil }

// installLineReader hands out one line per Read, as a terminal does.
type installLineReader struct{ lines []string }

func (r *installLineReader) Read(p []byte) (int, error) {
	if len(r.lines) == 0 {
		return 0, io.EOF
	}
	n := copy(p, r.lines[0]+"\n")
	r.lines = r.lines[1:]
	return n, nil
}

const installInteractiveManifest = `schema_version = 1
[plugin]
name = "Sample"
base_url = "{{BASE_URL}}"

[[steps]]
type = "form"
title = "Greetings"
validation_url = "/validate-greetings"
  [[steps.fields]]
  type = "text"
  key = "GREETING"
  label = "Greeting"
  required = true
  [[steps.fields]]
  type = "checkbox"
  key = "NOTIFY_HOST"
  label = "Also notify the host"
  default = true

[[steps]]
type = "oauth2"
title = "Connect Acme"
authorize_url = "/oauth/authorize"
token_url = "/oauth/token"
client_id = "sample-client"
client_secret_env = "ACME_CLIENT_SECRET"
validation_url = "/acme-oauth-validate"

[[steps]]
type = "popup"
title = "Pick a room"
content_url = "/popup?room=12"
validation_url = "/popup-validate"
`

// TestInstallRunInteractive walks on a (pretend) terminal through huh's
// accessible mode: a blocked greeting is asked again; the OAuth2 and
// popup URLs are opened in the "browser", which the test plays.
func TestInstallRunInteractive(t *testing.T) {
	const secret = "interactive-secret-0123456789"
	t.Setenv("ENVOY_CLIENT_SECRET", secret)
	t.Setenv("ENVOY_CLIENT_ID", "client")
	srv := httptest.NewServer(sample.New(sample.Options{Secret: secret}))
	defer srv.Close()
	dir := t.TempDir()
	mpath := filepath.Join(dir, "envoy-plugin.toml")
	if err := os.WriteFile(mpath, []byte(strings.ReplaceAll(installInteractiveManifest, "{{BASE_URL}}", srv.URL)), 0o644); err != nil {
		t.Fatal(err)
	}

	ios, _, stdout, stderr := iostreams.Test()
	ios.SetStdinTTY(true)
	ios.SetStdoutTTY(true)
	ios.SetStderrTTY(true)
	f := NewFactory(ios, build.Info{})
	f.ManifestFlag = mpath
	f.Getenv = func(k string) string {
		if k == "ACME_CLIENT_SECRET" {
			return sample.OAuthClientSecret
		}
		return ""
	}
	f.Prompter = &prompt.HuhPrompter{In: &installLineReader{lines: []string{
		"blocked greeting", "y", // blocked
		"Welcome", "n",
	}}, Out: stderr, Accessible: true}
	store := &installMemStore{cfg: map[string]any{"OLD": "x"}}
	var opened []string
	var wg sync.WaitGroup
	var mu sync.Mutex
	opts := &installOptions{
		CallbackPort: 0, CallbackTimeout: 5 * time.Second, Timeout: 5 * time.Second,
		OpenStore: func(string) (simstate.Store, error) { return store, nil },
		OpenBrowser: func(u string) error {
			mu.Lock()
			opened = append(opened, u)
			mu.Unlock()
			wg.Add(1)
			go func() { defer wg.Done(); _ = instPlayBrowser(u, "") }()
			return nil
		},
	}
	err := installRun(context.Background(), f, opts)
	wg.Wait()
	if err != nil {
		t.Fatalf("%v\n%s", err, stderr.String())
	}
	cfg := store.cfg
	if cfg["GREETING"] != "Welcome" || cfg["NOTIFY_HOST"] != false || cfg["ACME_CONNECTED"] != true || cfg["ROOM"] != "12" || cfg["OLD"] != "x" {
		t.Fatalf("config = %v\n%s", cfg, stderr.String())
	}
	if store.merges != 1 {
		t.Errorf("merges = %d", store.merges)
	}
	if len(opened) != 2 || !strings.Contains(opened[0], "/oauth/authorize?") || !strings.Contains(opened[1], "/popup?") {
		t.Errorf("opened = %v", opened)
	}
	for _, s := range []string{`✗ The greeting "blocked greeting" is not allowed`, "Greeting *", "Also notify the host"} {
		if !strings.Contains(stderr.String(), s) {
			t.Errorf("stderr lacks %q:\n%s", s, stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), `  GREETING = "Welcome"`) {
		t.Errorf("stdout:\n%s", stdout.String())
	}
}

// TestInstallRunFailureStoresNothing: the plugin fails at the last step;
// nothing is stored and the error names the step.
func TestInstallRunFailureStoresNothing(t *testing.T) {
	const secret = "interactive-secret-0123456789"
	t.Setenv("ENVOY_CLIENT_SECRET", secret)
	srv := httptest.NewServer(sample.New(sample.Options{Secret: secret}))
	defer srv.Close()
	dir := t.TempDir()
	mpath := filepath.Join(dir, "envoy-plugin.toml")
	m := strings.ReplaceAll(installInteractiveManifest, "{{BASE_URL}}", srv.URL)
	m = strings.ReplaceAll(m, `validation_url = "/popup-validate"`, `validation_url = "/nowhere"`)
	if err := os.WriteFile(mpath, []byte(m), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.toml"), []byte("GREETING = \"Hi\"\n[steps.\"Connect Acme\"]\naccess_token = \"t\"\n[steps.\"Pick a room\"]\nROOM = \"1\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	ios, _, stdout, _ := iostreams.Test()
	f := NewFactory(ios, build.Info{})
	f.ManifestFlag = mpath
	store := &installMemStore{cfg: map[string]any{"OLD": "x"}}
	err := installRun(context.Background(), f, &installOptions{
		AnswersFile: filepath.Join(dir, "a.toml"), CallbackTimeout: time.Second, Timeout: 5 * time.Second,
		OpenStore: func(string) (simstate.Store, error) { return store, nil },
	})
	var se *install.StepError
	if !errors.As(err, &se) || se.Number != 3 || !strings.Contains(err.Error(), "blocked by its validation URL (404) without a message (a 404 without a message: is validation_url right?") {
		t.Fatalf("err = %v", err)
	}
	if store.merges != 0 || len(store.cfg) != 1 || stdout.Len() != 0 {
		t.Fatalf("stored %v (%d merges), printed %q", store.cfg, store.merges, stdout.String())
	}
}

// installSyncBuffer is a bytes.Buffer safe to read while the walk writes.
type installSyncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *installSyncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *installSyncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestInstallRunInterrupted: Ctrl-C arrives as a signal (which cancels the
// run's context) while an accessible prompt is blocked on its input, or
// while a popup waits for its callback: the walk ends with exit 130
// (CancelError) and stores nothing.
func TestInstallRunInterrupted(t *testing.T) {
	const secret = "interactive-secret-0123456789"
	t.Setenv("ENVOY_CLIENT_SECRET", secret)
	srv := httptest.NewServer(sample.New(sample.Options{Secret: secret}))
	defer srv.Close()
	tests := []struct {
		name    string
		answers string // "": interactive, accessible mode
		waitFor string
	}{
		{"accessible prompt", "", "Greeting *"},
		{"callback wait", "GREETING = \"Hi\"\n[steps.\"Connect Acme\"]\naccess_token = \"t\"\n", "Waiting for the callback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mpath := filepath.Join(dir, "envoy-plugin.toml")
			if err := os.WriteFile(mpath, []byte(strings.ReplaceAll(installInteractiveManifest, "{{BASE_URL}}", srv.URL)), 0o644); err != nil {
				t.Fatal(err)
			}
			ios, _, stdout, _ := iostreams.Test()
			errOut := &installSyncBuffer{}
			ios.ErrOut = errOut
			ios.SetStdinTTY(true)
			ios.SetStdoutTTY(true)
			ios.SetStderrTTY(true)
			f := NewFactory(ios, build.Info{})
			f.ManifestFlag = mpath
			in, w := io.Pipe()
			defer w.Close()
			f.Prompter = &prompt.HuhPrompter{In: in, Out: errOut, Accessible: true}
			store := &installMemStore{cfg: map[string]any{"OLD": "x"}}
			opts := &installOptions{CallbackPort: 0, CallbackTimeout: time.Minute, Timeout: 5 * time.Second,
				OpenStore: func(string) (simstate.Store, error) { return store, nil }}
			if tt.answers != "" {
				opts.AnswersFile = filepath.Join(dir, "a.toml")
				if err := os.WriteFile(opts.AnswersFile, []byte(tt.answers), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- installRun(ctx, f, opts) }()
			deadline := time.Now().Add(10 * time.Second)
			for !strings.Contains(errOut.String(), tt.waitFor) {
				if time.Now().After(deadline) {
					cancel()
					t.Fatalf("never reached %q:\n%s", tt.waitFor, errOut.String())
				}
				time.Sleep(5 * time.Millisecond)
			}
			cancel()
			select {
			case err := <-done:
				if !errors.Is(err, CancelError) {
					t.Fatalf("err = %v, want CancelError (exit 130)", err)
				}
			case <-time.After(10 * time.Second):
				t.Fatal("the walk did not end after the interrupt")
			}
			if store.merges != 0 || len(store.cfg) != 1 || stdout.Len() != 0 {
				t.Fatalf("stored %v (%d merges), printed %q", store.cfg, store.merges, stdout.String())
			}
		})
	}
}

// The OAuth2 client secret is read from the environment, else the env
// file, again on every call: a retry finds a secret written meanwhile.
func TestInstallEnvThenFileRereads(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := NewFactory(ios, build.Info{})
	env := map[string]string{}
	f.Getenv = func(k string) string { return env[k] }
	f.EnvFileFlag = filepath.Join(t.TempDir(), ".env")
	get := envThenFile(f)
	if v := get("ACME_CLIENT_SECRET"); v != "" {
		t.Fatalf("no env file yet: %q", v)
	}
	if err := os.WriteFile(f.EnvFileFlag, []byte("ACME_CLIENT_SECRET=from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if v := get("ACME_CLIENT_SECRET"); v != "from-file" {
		t.Fatalf("after writing the env file: %q", v)
	}
	env["ACME_CLIENT_SECRET"] = "from-env"
	if v := get("ACME_CLIENT_SECRET"); v != "from-env" {
		t.Fatalf("the environment comes first: %q", v)
	}
}
