package cmd

import (
	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds are the custom testscript commands (servers, fixtures) that
// scripts may use. Each feature adds its own in its own _test.go file through
// registerScriptCmd.
func scriptCmds() map[string]func(ts *testscript.TestScript, neg bool, args []string) {
	out := map[string]func(ts *testscript.TestScript, neg bool, args []string){}
	for name, fn := range extraScriptCmds {
		out[name] = fn
	}
	return out
}

var extraScriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){}

// registerScriptCmd is called from init functions in test files only.
func registerScriptCmd(name string, fn func(ts *testscript.TestScript, neg bool, args []string)) {
	extraScriptCmds[name] = fn
}
