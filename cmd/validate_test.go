package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
)

// runIn runs the CLI as if started in dir, with non-TTY streams.
func runIn(t *testing.T, dir string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := NewFactory(ios, build.Info{Version: "v0.0.0-test"})
	f.Getenv = func(string) string { return "" }
	f.Getwd = func() (string, error) { return dir, nil }
	code = Run(args, f)
	return code, out.String(), errOut.String()
}

// noCredentialsInEnv hides the process's client secret, if any, so that
// the `live = true` warning does not depend on the machine.
func noCredentialsInEnv(t *testing.T) {
	for _, k := range []string{"ENVOY_CLIENT_ID", "ENVOY_CLIENT_SECRET", "NODE_ENV"} {
		t.Setenv(k, "x") // restores the old value after the test
		os.Unsetenv(k)
	}
}

// TestValidateGolden runs validate on every testdata/manifests/invalid
// fixture and compares the output with its .golden file (rewritten with
// -update). Errors must exit 1, warnings alone 0.
func TestValidateGolden(t *testing.T) {
	noCredentialsInEnv(t)
	dir, err := filepath.Abs(filepath.Join("..", "testdata", "manifests", "invalid"))
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.toml"))
	if len(files) < 10 {
		t.Fatalf("only %d invalid fixtures", len(files))
	}
	for _, file := range files {
		name := strings.TrimSuffix(filepath.Base(file), ".toml")
		t.Run(name, func(t *testing.T) {
			code, out, stderr := runIn(t, dir, "validate", "--manifest", file)
			golden := filepath.Join(dir, name+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(out), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./cmd -run TestValidateGolden -update)", err)
			}
			if out != string(want) {
				t.Errorf("output differs from %s.golden (-update rewrites it)\n--- got\n%s--- want\n%s", name, out, want)
			}
			wantCode := 0
			if strings.Contains(out, ": error: ") {
				wantCode = 1
			}
			if code != wantCode {
				t.Errorf("exit %d, want %d; stderr %s", code, wantCode, stderr)
			}
			if strings.Contains(stderr, "error:") {
				t.Errorf("findings leaked to stderr: %s", stderr)
			}
		})
	}
}

func TestValidateValidFixtures(t *testing.T) {
	dir, _ := filepath.Abs(filepath.Join("..", "testdata", "manifests"))
	files, _ := filepath.Glob(filepath.Join(dir, "*.toml"))
	for _, file := range files {
		code, out, stderr := runIn(t, dir, "validate", file)
		want := "✓ " + filepath.Base(file) + " is valid\n"
		if code != 0 || !strings.HasPrefix(out, want) {
			t.Errorf("%s: exit %d, out %q, stderr %q", file, code, out, stderr)
		}
	}
	// The OAuth2 callback to register is printed on success.
	_, out, _ := runIn(t, dir, "validate", filepath.Join(dir, "full.toml"))
	if !strings.Contains(out, "OAuth2 step \"Connect Acme\": register this callback URL with the external system:\n  "+manifest.OAuthCallbackURL(manifest.DefaultCallbackPort)+"\n") {
		t.Errorf("no callback URL in %q", out)
	}
}

func TestValidateJSON(t *testing.T) {
	noCredentialsInEnv(t)
	dir, _ := filepath.Abs(filepath.Join("..", "testdata", "manifests"))

	code, out, _ := runIn(t, dir, "validate", "--json", filepath.Join(dir, "minimal.toml"))
	if code != 0 || out != "[]\n" {
		t.Fatalf("clean manifest: exit %d, %q", code, out)
	}

	code, out, _ = runIn(t, dir, "validate", "--json", filepath.Join(dir, "invalid", "events.toml"))
	var got []manifest.Finding
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("%v: %q", err, out)
	}
	if code != 1 || len(got) != 3 {
		t.Fatalf("exit %d, %d findings: %s", code, len(got), out)
	}
	first := got[0]
	if first.File != filepath.Join("invalid", "events.toml") || first.Line != 13 || first.Col != 8 || first.Severity != manifest.SevWarning ||
		first.Key != "events[1].name" || !strings.Contains(first.Hint, "entry_sign_in") {
		t.Fatalf("first finding %+v", first)
	}
	if got[2].Severity != manifest.SevError || got[2].Line != 21 {
		t.Fatalf("third finding %+v", got[2])
	}
}

func TestValidateFindsManifestUpwards(t *testing.T) {
	root := t.TempDir()
	if err := os.Mkdir(filepath.Join(root, ".git"), 0o755); err != nil {
		t.Fatal(err)
	}
	sub := filepath.Join(root, "a", "b")
	if err := os.MkdirAll(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	// No manifest anywhere: a clear error, exit 1.
	code, _, stderr := runIn(t, sub, "validate")
	if code != 1 || !strings.Contains(stderr, "no envoy-plugin.toml found") || !strings.Contains(stderr, "envoy-plugin init") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	src, _ := os.ReadFile(filepath.Join("..", "testdata", "manifests", "minimal.toml"))
	if err := os.WriteFile(filepath.Join(root, manifest.FileName), src, 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runIn(t, sub, "validate")
	if code != 0 || out != "✓ ../../envoy-plugin.toml is valid\n" {
		t.Fatalf("exit %d, out %q", code, out)
	}
	// An explicit path that does not exist.
	code, _, stderr = runIn(t, sub, "validate", filepath.Join(sub, "nope.toml"))
	if code != 1 || !strings.Contains(stderr, "not found") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	// The argument and --manifest together are a usage error.
	code, _, _ = runIn(t, sub, "validate", "--manifest", "x.toml", "y.toml")
	if code != 2 {
		t.Fatalf("arg and --manifest: exit %d", code)
	}
}

func TestValidateTextOnTTY(t *testing.T) {
	res := &validateResult{
		File: "m.toml",
		Findings: []manifest.Finding{
			{File: "m.toml", Line: 2, Col: 8, Severity: manifest.SevError, Message: "live must be a boolean", Hint: "write true or false"},
			{File: "m.toml", Line: 1, Col: 1, Severity: manifest.SevWarning, Message: "w"},
		},
		Source: []string{"[plugin]", "live = \"yes\""},
	}
	var b strings.Builder
	ios, _, _, _ := iostreams.Test()
	ios.SetColorEnabled(true)
	defer ios.SetColorEnabled(false)
	if err := res.WriteText(&b, ios.ColorScheme()); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	for _, want := range []string{"\x1b[31merror\x1b[0m", "\x1b[33mwarning\x1b[0m", "  live = \"yes\"\n", "         \x1b[36m^\x1b[0m\n", "1 error, 1 warning"} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
}

func TestValidateLiveWithoutCredentials(t *testing.T) {
	noCredentialsInEnv(t)
	dir := t.TempDir()
	src := "schema_version = 1\n[plugin]\nname = \"P\"\nlive = true\n"
	if err := os.WriteFile(filepath.Join(dir, manifest.FileName), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runIn(t, dir, "validate")
	if code != 0 || !strings.Contains(out, "envoy-plugin.toml:4:8: warning: live = true but no client credentials were found") {
		t.Fatalf("exit %d, out %q", code, out)
	}
	// With credentials in the .env beside the manifest, no warning.
	if err := os.WriteFile(filepath.Join(dir, ".env"), []byte("ENVOY_CLIENT_ID=id\nENVOY_CLIENT_SECRET=secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runIn(t, dir, "validate")
	if code != 0 || out != "✓ envoy-plugin.toml is valid\n" {
		t.Fatalf("with credentials: exit %d, out %q", code, out)
	}
}
