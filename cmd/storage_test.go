package cmd

import (
	"strings"
	"testing"
)

func TestStorageCommand(t *testing.T) {
	dir, run := simFactory(t)
	steps := []struct {
		args   []string
		code   int
		stdout string // exact, after trimming
		stderr string
	}{
		{args: []string{"storage", "get", "k"}, code: 1, stderr: "no simulated install"},
		{args: []string{"storage", "set", "k", "hello"}, stderr: `set k = "hello" in the install storage (the state file`},
		{args: []string{"storage", "get", "k"}, stdout: "hello"},
		{args: []string{"storage", "get", "k", "--json"}, stdout: `{"key":"k","value":"hello"}`},
		{args: []string{"storage", "set", "n", "42", "--global", "--json"}, stdout: `{"key":"n","value":42}`},
		{args: []string{"storage", "set", "o", `{"a":[1,"x"]}`}},
		{args: []string{"storage", "set", "q", `"42"`}},
		{args: []string{"storage", "get", "q", "--json"}, stdout: `{"key":"q","value":"42"}`},
		{args: []string{"storage", "list"}, stdout: "k = \"hello\"\no = {\"a\":[1,\"x\"]}\nq = \"42\""},
		{args: []string{"storage", "list", "--global", "--json"}, stdout: `[{"key":"n","value":42}]`},
		{args: []string{"storage", "list", "--page", "2", "--json"}, stdout: `[]`},
		{args: []string{"storage", "get", "n"}, code: 1, stderr: "The data you are looking for may not exist"},
		{args: []string{"storage", "unset", "k", "--json"}, stdout: `{"key":"k","value":"hello"}`},
		{args: []string{"storage", "unset", "k", "--json"}, stdout: `null`, stderr: "was not set"},
		{args: []string{"storage", "get", "k", "--install", "other"}, code: 1, stderr: `unknown install "other"`},
		{args: []string{"storage", "get"}, code: 2, stderr: "give the key to read"},
		{args: []string{"storage", "set", "k"}, code: 2, stderr: "give the key and the value"},
		{args: []string{"storage", "list", "--install", "x", "--global"}, code: 2, stderr: "cannot be used together"},
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
	_ = dir
}
