package cmd

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
)

var update = flag.Bool("update", false, "rewrite golden files and testscript expectations")

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"envoy-plugin": func() {
			os.Exit(Main(os.Args[1:], build.Info{Version: "v0.0.0-test"}))
		},
	})
}

// TestScripts runs every testdata/script/*.txtar against the real binary.
func TestScripts(t *testing.T) {
	testscript.Run(t, scriptParams(t))
}

func scriptParams(t *testing.T) testscript.Params {
	return testscript.Params{
		Dir:                 filepath.Join("..", "testdata", "script"),
		UpdateScripts:       *update,
		RequireExplicitExec: true,
		Setup: func(e *testscript.Env) error {
			// A clean, non-interactive environment: no colour, no CI
			// leakage from the host, a fixed HOME.
			e.Setenv("NO_COLOR", "1")
			e.Setenv("HOME", e.WorkDir)
			e.Setenv("CI", "")
			// Under -race every exiting binary would sleep 1s first
			// (the race runtime's atexit_sleep_ms default).
			e.Setenv("GORACE", "atexit_sleep_ms=0")
			return nil
		},
		Cmds: scriptCmds(),
	}
}
