package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

// credsCLI runs the CLI with stdin and no ENVOY_* variables in the
// process environment (credentials are read with os.LookupEnv).
func credsCLI(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	for _, k := range []string{"ENVOY_CLIENT_ID", "ENVOY_CLIENT_SECRET", "ENVOY_BASE_URL", "NODE_ENV"} {
		t.Setenv(k, "")
		os.Unsetenv(k)
	}
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	f := NewFactory(ios, build.Info{Version: "v0.0.0-test"})
	f.Getenv = func(string) string { return "" }
	code = Run(args, f)
	return code, out.String(), errOut.String()
}

func TestNewCmdCredsGenerate(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		argv    string
		want    credsGenerateOptions
		wantErr string
	}{
		{"", credsGenerateOptions{EnvFile: filepath.Join(dir, ".env")}, ""},
		{"--rotate --json", credsGenerateOptions{EnvFile: filepath.Join(dir, ".env"), Rotate: true, JSON: true}, ""},
		{"--api-url http://127.0.0.1:4000", credsGenerateOptions{EnvFile: filepath.Join(dir, ".env"), APIURL: "http://127.0.0.1:4000"}, ""},
		{"--api-url 127.0.0.1:4000", credsGenerateOptions{}, "invalid API URL"},
		{"extra", credsGenerateOptions{}, "too many arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.argv, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := NewFactory(ios, build.Info{})
			f.Getwd = func() (string, error) { return dir, nil }
			var got *credsGenerateOptions
			c := newCmdCredsGenerate(f, func(o *credsGenerateOptions) error { got = o; return nil })
			argv := strings.Fields(tt.argv)
			c.SetArgs(argv)
			c.SetOut(ios.Out)
			c.SetErr(ios.ErrOut)
			err := c.Execute()
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if *got != tt.want {
				t.Errorf("opts = %+v, want %+v", *got, tt.want)
			}
		})
	}
}

func TestCredsGenerateAndShow(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	code, out, stderr := credsCLI(t, "", "creds", "generate", "--env-file", env, "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var res struct {
		Created bool     `json:"created"`
		Written []string `json:"written"`
		ID      string   `json:"client_id"`
	}
	if err := json.Unmarshal([]byte(out), &res); err != nil || !res.Created || len(res.Written) != 2 {
		t.Fatalf("%v: %s", err, out)
	}
	data, _ := os.ReadFile(env)
	secret := ""
	for _, l := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(l, "ENVOY_CLIENT_SECRET="); ok {
			secret = v
		}
	}
	if len(secret) != 43 || strings.Contains(out+stderr, secret) {
		t.Fatalf("secret %q missing from the file or printed: %s", secret, out)
	}

	tests := []struct {
		args   []string
		reveal bool
	}{
		{[]string{"creds", "show"}, false},
		{[]string{"creds", "show", "--json"}, false},
		{[]string{"creds", "show", "--reveal"}, true},
		{[]string{"creds", "show", "--json", "--reveal"}, true},
	}
	for _, tt := range tests {
		code, out, stderr := credsCLI(t, "", append(tt.args, "--env-file", env)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", tt.args, code, stderr)
		}
		if strings.Contains(out, secret) != tt.reveal {
			t.Errorf("%v: secret shown = %v, want %v:\n%s", tt.args, !tt.reveal, tt.reveal, out)
		}
		if !strings.Contains(out, res.ID) {
			t.Errorf("%v: client id missing: %s", tt.args, out)
		}
	}
}

func TestCredsMissing(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	for _, args := range [][]string{{"creds", "show"}, {"sign", "-"}, {"verify", "--signature", "x", "-"}} {
		code, _, stderr := credsCLI(t, "{}", append(args, "--env-file", env)...)
		if code != 1 || !strings.Contains(stderr, ".env") || !strings.Contains(stderr, "envoy-plugin creds generate") {
			t.Errorf("%v: exit %d, stderr %q", args, code, stderr)
		}
	}
}
