package cmd

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
)

func TestConfigCommand(t *testing.T) {
	_, run := simFactory(t)
	steps := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{args: []string{"config", "get"}, code: 1, stderr: "no simulated install"},
		{args: []string{"config", "set", "HELLO=hi", "N=3", `L=["a","b"]`, "EMPTY="}, stdout: "EMPTY = \"\"\nHELLO = \"hi\"\nL = [\"a\",\"b\"]\nN = 3"},
		{args: []string{"config", "get", "--json"}, stdout: `{"EMPTY":"","HELLO":"hi","L":["a","b"],"N":3}`},
		{args: []string{"config", "set", "EMPTY=null", "N=4", "--json"}, stdout: `{"HELLO":"hi","L":["a","b"],"N":4}`},
		{args: []string{"config", "get", "HELLO"}, stdout: "hi"},
		{args: []string{"config", "get", "L", "--json"}, stdout: `["a","b"]`},
		{args: []string{"config", "get", "NOPE"}, code: 1, stderr: `no key "NOPE"`},
		{args: []string{"config", "set", "=x"}, code: 2, stderr: `"=x" is not KEY=VALUE`},
	}
	for _, s := range steps {
		code, out, errOut := run(s.args...)
		if code != s.code {
			t.Fatalf("%v: exit %d, want %d\nstdout: %s\nstderr: %s", s.args, code, s.code, out, errOut)
		}
		if s.stdout != "" && strings.TrimSpace(out) != s.stdout {
			t.Errorf("%v: stdout = %q, want %q", s.args, strings.TrimSpace(out), s.stdout)
		}
		if s.stderr != "" && !strings.Contains(errOut, s.stderr) {
			t.Errorf("%v: stderr lacks %q:\n%s", s.args, s.stderr, errOut)
		}
	}
}

func TestParseValue(t *testing.T) {
	tests := []struct {
		in   string
		want string // JSON of the parsed value
	}{
		{"hello", `"hello"`},
		{"42", `42`},
		{"12345678901234567890", `12345678901234567890`},
		{"true", `true`},
		{"null", `null`},
		{`"null"`, `"null"`},
		{`{"a":1}`, `{"a":1}`},
		{`{"a":1} x`, `"{\"a\":1} x"`},
		{"", `""`},
		{" 1 ", `1`},
	}
	for _, tt := range tests {
		var b bytes.Buffer
		enc := json.NewEncoder(&b)
		enc.SetEscapeHTML(false)
		if err := enc.Encode(parseValue(tt.in)); err != nil {
			t.Fatal(err)
		}
		if got := strings.TrimSpace(b.String()); got != tt.want {
			t.Errorf("parseValue(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

// FuzzParseConfigPairs: any argument either is a usage error or parses
// into a key with a value that encodes as JSON.
func FuzzParseConfigPairs(f *testing.F) {
	for _, s := range []string{"A=1", "B=", "=x", "noeq", `C={"a":[1]}`, "D=null", "E==", " F =x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := parseConfigPairs([]string{s}, "--config")
		if err != nil {
			if _, ok := err.(*UsageError); !ok {
				t.Fatalf("error %T is not a usage error", err)
			}
			return
		}
		if len(m) != 1 {
			t.Fatalf("%d keys from %q", len(m), s)
		}
		if _, err := json.Marshal(m); err != nil {
			t.Fatalf("%q does not encode: %v", s, err)
		}
	})
}

// TestConfigStorageNeedASubcommand: config and storage alone are usage
// errors that list their commands.
func TestConfigStorageNeedASubcommand(t *testing.T) {
	_, run := simFactory(t)
	tests := []struct {
		args []string
		want string
	}{
		{[]string{"config"}, "envoy-plugin config needs a command: get, set"},
		{[]string{"storage"}, "envoy-plugin storage needs a command: get, list, set, unset"},
		{[]string{"config", "list"}, `unknown command "list" for envoy-plugin config: the commands are get, set`},
		{[]string{"storage", "del", "k"}, `unknown command "del" for envoy-plugin storage`},
	}
	for _, tt := range tests {
		code, out, errOut := run(tt.args...)
		if code != 2 || !strings.Contains(errOut, tt.want) || out != "" {
			t.Errorf("%v = %d %q %q, want exit 2 and %q", tt.args, code, out, errOut, tt.want)
		}
	}
	if code, out, _ := run("config", "--help"); code != 0 || !strings.Contains(out, "Available Commands") {
		t.Errorf("config --help = %d %q", code, out)
	}
}
