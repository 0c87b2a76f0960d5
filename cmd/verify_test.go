package cmd

import (
	"strings"
	"testing"
)

func TestVerify(t *testing.T) {
	env := writeEnv(t, "ENVOY_CLIENT_SECRET=key\n")
	const body = "The quick brown fox jumps over the lazy dog"
	tests := []struct {
		name string
		args []string
		code int
		out  string
	}{
		{"match", []string{"--signature", "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="}, 0, "✓ signature matches (43 bytes"},
		{"hex", []string{"--signature", "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8"}, 1, "encoded as hex"},
		{"mismatch", []string{"--signature", "JH0+K19PMZm0MmDfhQTMU8HjhMd/6/KQJRGaQup0XNs="}, 1, "does not match"},
		{"json", []string{"--json", "--signature", "97yD9DBThCSxMpjmqm+xQ+9NWaFJRhdZl0edvC0aPNg="}, 0, `"valid":true`},
		{"no signature", nil, 2, ""},
		{"blank signature", []string{"--signature", " "}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := credsCLI(t, body, append([]string{"verify", "--env-file", env}, tt.args...)...)
			if code != tt.code || !strings.Contains(out, tt.out) {
				t.Errorf("exit %d (want %d) out %q err %q", code, tt.code, out, errOut)
			}
			if tt.code == 1 && errOut != "" {
				t.Errorf("a mismatch printed more on stderr: %q", errOut)
			}
		})
	}
}
