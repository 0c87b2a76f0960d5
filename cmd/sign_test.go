package cmd

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

func writeEnv(t *testing.T, content string) string {
	t.Helper()
	env := filepath.Join(t.TempDir(), ".env")
	if err := os.WriteFile(env, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return env
}

func TestSign(t *testing.T) {
	// printf '%s' "$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64
	env := writeEnv(t, "ENVOY_CLIENT_SECRET=key\n")
	tests := []struct {
		name, stdin string
		args        []string
		code        int
		out, errOut string
	}{
		{"stdin", "The quick brown fox jumps over the lazy dog", nil, 0, "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=\n", "secret from"},
		{"dash", "The quick brown fox jumps over the lazy dog", []string{"-"}, 0, "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg=\n", ""},
		{"newline warned", "x\n", nil, 0, "", "ends with a newline"},
		{"json", "", []string{"--json"}, 0, `"header":"X-Envoy-Signature"`, ""},
		{"too many", "", []string{"a", "b"}, 2, "", "too many arguments"},
		{"secret flag refused", "", []string{"--client-secret", "k"}, 2, "", "unknown flag"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			args := append([]string{"sign", "--env-file", env}, tt.args...)
			code, out, errOut := credsCLI(t, tt.stdin, args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errOut, strings.Replace(tt.errOut, "secret from", "with ENVOY_CLIENT_SECRET from", 1)) {
				t.Errorf("exit %d out %q err %q", code, out, errOut)
			}
			if strings.Contains(out+errOut, "=key") {
				t.Error("secret printed")
			}
		})
	}
}

// TestSignBodyFromTerminal: without a file and without a pipe, sign and
// verify do not wait silently for typed input.
func TestSignBodyFromTerminal(t *testing.T) {
	env := writeEnv(t, "ENVOY_CLIENT_SECRET=key\n")
	for _, args := range [][]string{{"sign"}, {"verify", "--signature", "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="}} {
		t.Run(args[0], func(t *testing.T) {
			ios, in, out, errOut := iostreams.Test()
			ios.SetStdinTTY(true)
			in.WriteString("typed")
			f := NewFactory(ios, build.Info{Version: "v0.0.0-test"})
			f.Getenv = func(string) string { return "" }
			if code := Run(append(args, "--env-file", env), f); code != 2 || !strings.Contains(errOut.String(), "no body to read") {
				t.Fatalf("no file: exit %d, out %q, err %q", code, out, errOut)
			}
			out.Reset()
			errOut.Reset()
			code := Run(append(args, "--env-file", env, "-"), f)
			if code == 2 || !strings.Contains(errOut.String(), "end it with Ctrl-D") {
				t.Fatalf("-: exit %d, out %q, err %q", code, out, errOut)
			}
		})
	}
}
