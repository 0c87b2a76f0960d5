package cmd

import (
	"strings"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

func runCLI(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	f := NewFactory(ios, build.Info{Version: "v1.2.3", Commit: "abcdef1234567890"})
	f.Getenv = func(k string) string { return env[k] }
	code = Run(args, f)
	return code, out.String(), errOut.String()
}

func TestExitCodes(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		err  string
	}{
		{"ok", []string{"version"}, 0, ""},
		{"unknown command", []string{"frobnicate"}, 2, `unknown command "frobnicate"`},
		{"unknown flag", []string{"version", "--nope"}, 2, "unknown flag: --nope"},
		{"extra args", []string{"version", "x"}, 2, "too many arguments: x"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, nil, tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d; stderr: %s", code, tt.code, stderr)
			}
			if !strings.Contains(stderr, tt.err) {
				t.Fatalf("stderr %q lacks %q", stderr, tt.err)
			}
			if tt.code == 2 && !strings.Contains(stderr, "Usage:") {
				t.Fatalf("usage error without usage: %q", stderr)
			}
		})
	}
}

func TestVersion(t *testing.T) {
	_, out, _ := runCLI(t, nil, "--version")
	if out != "envoy-plugin v1.2.3 (abcdef123456)\n" {
		t.Fatalf("got %q", out)
	}
	_, out, _ = runCLI(t, nil, "version", "--json")
	if !strings.Contains(out, `"version":"v1.2.3"`) {
		t.Fatalf("got %q", out)
	}
}

func TestEnvFlagsAllowlist(t *testing.T) {
	// ENVOY_PLUGIN_JSON is allowlisted: version prints JSON.
	_, out, _ := runCLI(t, map[string]string{"ENVOY_PLUGIN_JSON": "true"}, "version")
	if !strings.HasPrefix(out, "{") {
		t.Fatalf("ENVOY_PLUGIN_JSON ignored: %q", out)
	}
	// A bad value is a usage error naming the variable.
	code, _, stderr := runCLI(t, map[string]string{"ENVOY_PLUGIN_JSON": "maybe"}, "version")
	if code != 2 || !strings.Contains(stderr, "ENVOY_PLUGIN_JSON") {
		t.Fatalf("code %d stderr %q", code, stderr)
	}
	// The flag on the command line wins over the variable.
	_, out, _ = runCLI(t, map[string]string{"ENVOY_PLUGIN_JSON": "true"}, "version", "--json=false")
	if strings.HasPrefix(out, "{") {
		t.Fatalf("flag did not win: %q", out)
	}
	for _, banned := range []string{"force", "rotate", "reveal", "help", "version"} {
		for _, n := range envFlags {
			if n == banned {
				t.Fatalf("--%s must never come from the environment", banned)
			}
		}
	}
}
