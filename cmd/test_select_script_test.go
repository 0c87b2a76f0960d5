package cmd

import (
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envoy-plugin/envoy-plugin/internal/sample"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/selectcheck/selecttest"
)

func init() {
	registerScriptCmd("tsel-sample", scriptTselSample)
	registerScriptCmd("tsel-broken", scriptTselBroken)
	registerScriptCmd("tsel-wait-hang", scriptTselWaitHang)
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

// tsel-wait-hang: wait (up to 20 s) until the tsel-broken server holds a
// request of /hang-on-2, so that a script can interrupt a walk stuck there.
func scriptTselWaitHang(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 0 {
		ts.Fatalf("usage: tsel-wait-hang")
	}
	base := ts.Getenv("BROKEN_URL")
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(base + selecttest.HangingPath); err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if n, _ := strconv.Atoi(strings.TrimSpace(string(b))); n > 0 {
				return
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
	ts.Fatalf("tsel-wait-hang: no request reached /hang-on-2's page 2")
}
