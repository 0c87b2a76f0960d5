package cmd

import (
	"bytes"
	"os"
	"regexp"

	"github.com/rogpeppe/go-internal/testscript"
)

// Test-only testscript commands for the creds_*, sign_* and verify_*
// scripts, which need exact bytes (CRLF, no final newline) that txtar
// files cannot hold reliably:
//
//	creds-crlf FILE...   turn LF into CRLF
//	creds-chomp FILE     drop the final line ending
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
