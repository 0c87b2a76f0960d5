package cmd

import (
	"net/http/httptest"
	"os"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envoy-plugin/envoy-plugin/internal/sample"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/selectcheck/selecttest"
)

func init() {
	registerScriptCmd("tsel-sample", scriptTselSample)
	registerScriptCmd("tsel-broken", scriptTselBroken)
}

// tsel-sample [manifest]: start the sample plugin in the background,
// signed with $ENVOY_CLIENT_SECRET, set $SAMPLE_URL, and write its manifest
// (base_url pointing at it) to the given file. Stopped when the script ends.
func scriptTselSample(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 {
		ts.Fatalf("usage: tsel-sample [manifest-file]")
	}
	secret := ts.Getenv("ENVOY_CLIENT_SECRET")
	if secret == "" {
		ts.Fatalf("tsel-sample: set ENVOY_CLIENT_SECRET first")
	}
	srv := httptest.NewServer(sample.New(sample.Options{Secret: secret}))
	ts.Defer(srv.Close)
	ts.Setenv("SAMPLE_URL", srv.URL)
	if len(args) == 1 {
		ts.Check(os.WriteFile(ts.MkAbs(args[0]), sample.Manifest(srv.URL), 0o644))
	}
}

// tsel-broken: start the server of correct and deliberately broken
// options endpoints (internal/sim/selectcheck/selecttest) in the
// background and set $BROKEN_URL.
func scriptTselBroken(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 0 {
		ts.Fatalf("usage: tsel-broken")
	}
	secret := ts.Getenv("ENVOY_CLIENT_SECRET")
	if secret == "" {
		ts.Fatalf("tsel-broken: set ENVOY_CLIENT_SECRET first")
	}
	srv := httptest.NewServer(selecttest.New(secret))
	ts.Defer(srv.Close)
	ts.Setenv("BROKEN_URL", srv.URL)
}
