package cmd

import (
	"bytes"
	"fmt"
	"os"
	"regexp"
	"runtime"

	"github.com/rogpeppe/go-internal/testscript"
)

// Test-only testscript commands for the creds_*, sign_* and verify_*
// scripts, which need exact bytes (CRLF, no final newline) that txtar
// files cannot hold reliably:
//
//	creds-crlf FILE...   turn LF into CRLF
//	creds-chomp FILE     drop the final line ending
//	creds-mode FILE PERM check a file's permission bits (e.g. 600); not on Windows
//	creds-mask FILE      replace generated ENVOY_CLIENT_ID / ENVOY_CLIENT_SECRET
//	                     values with <id> and <secret>, so a file can be cmp'ed
func init() {
	registerScriptCmd("creds-crlf", func(ts *testscript.TestScript, neg bool, args []string) {
		for _, f := range args {
			data := []byte(ts.ReadFile(f))
			data = bytes.ReplaceAll(bytes.ReplaceAll(data, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
			writeScriptFile(ts, f, data)
		}
	})
	registerScriptCmd("creds-chomp", func(ts *testscript.TestScript, neg bool, args []string) {
		for _, f := range args {
			data := []byte(ts.ReadFile(f))
			data = bytes.TrimSuffix(data, []byte("\n"))
			data = bytes.TrimSuffix(data, []byte("\r"))
			writeScriptFile(ts, f, data)
		}
	})
	registerScriptCmd("creds-mode", func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 2 {
			ts.Fatalf("usage: creds-mode FILE PERM")
		}
		if runtime.GOOS == "windows" {
			return
		}
		st, err := os.Stat(ts.MkAbs(args[0]))
		ts.Check(err)
		got := fmt.Sprintf("%o", st.Mode().Perm())
		if (got == args[1]) == neg {
			ts.Fatalf("%s has mode %s (want %s%s)", args[0], got, map[bool]string{true: "not ", false: ""}[neg], args[1])
		}
	})
	registerScriptCmd("creds-mask", func(ts *testscript.TestScript, neg bool, args []string) {
		id := regexp.MustCompile("(ENVOY_CLIENT_ID=[\"'`]?)[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")
		secret := regexp.MustCompile("(ENVOY_CLIENT_SECRET=[\"'`]?)[A-Za-z0-9_-]{43}")
		for _, f := range args {
			data := []byte(ts.ReadFile(f))
			data = id.ReplaceAll(data, []byte("${1}<id>"))
			data = secret.ReplaceAll(data, []byte("${1}<secret>"))
			writeScriptFile(ts, f, data)
		}
	})
}

func writeScriptFile(ts *testscript.TestScript, name string, data []byte) {
	ts.Check(writeFileKeepMode(ts.MkAbs(name), data))
}

func writeFileKeepMode(path string, data []byte) error {
	mode := os.FileMode(0o644)
	if st, err := os.Stat(path); err == nil {
		mode = st.Mode().Perm()
	}
	return os.WriteFile(path, data, mode)
}
