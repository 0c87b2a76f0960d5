package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/output"
	"github.com/envoy-plugin/envoy-plugin/internal/sample"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/selectcheck"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/selectcheck/selecttest"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

const tsSecret = "test-select-secret-0123456789"

func TestNewCmdTestSelect(t *testing.T) {
	tests := []struct {
		name  string
		args  string
		usage string // non-empty: a usage error containing this
		check func(t *testing.T, o *testSelectOptions)
	}{
		{name: "defaults", args: "", check: func(t *testing.T, o *testSelectOptions) {
			if o.MaxPages != 100 || o.Slow != 2*time.Second || o.Timeout != 10*time.Second || o.ParamsIn != "both" || o.Strict || o.CheckSigning || len(o.Keys) != 0 {
				t.Fatalf("%+v", o)
			}
		}},
		{name: "keys and flags", args: "HELLO COLOR --search hol --search=two_words --max-pages 5 --strict --slow 1s --timeout 3s --check-signing --json --junit r.xml --params-in body --param zone_id=7", check: func(t *testing.T, o *testSelectOptions) {
			if strings.Join(o.Keys, ",") != "HELLO,COLOR" || strings.Join(o.Search, ",") != "hol,two_words" || o.MaxPages != 5 || !o.Strict || o.Slow != time.Second ||
				o.Timeout != 3*time.Second || !o.CheckSigning || !o.JSON || o.JUnit != "r.xml" || o.ParamsIn != "body" || o.Params[0] != "zone_id=7" {
				t.Fatalf("%+v", o)
			}
		}},
		{name: "url", args: "--url http://127.0.0.1:3000/colors --pagination cursor --searchable --selected-values-url http://127.0.0.1:3000/colors-selected COLOR", check: func(t *testing.T, o *testSelectOptions) {
			if o.URL == "" || o.Pagination != "cursor" || !o.Searchable || o.SelectedValuesURL == "" || o.Keys[0] != "COLOR" {
				t.Fatalf("%+v", o)
			}
		}},
		{name: "pagination without url", args: "--pagination page", usage: "--pagination describes the endpoint given with --url"},
		{name: "searchable without url", args: "--searchable", usage: "--searchable describes"},
		{name: "bad pagination", args: "--url http://x/o --pagination pages", usage: `invalid --pagination "pages"`},
		{name: "relative url", args: "--url /colors", usage: `invalid --url "/colors"`},
		{name: "bad selected url", args: "--url http://x/o --selected-values-url ftp://x/s", usage: "invalid --selected-values-url"},
		{name: "two keys with url", args: "--url http://x/o A B", usage: "at most one KEY"},
		{name: "bad params-in", args: "--params-in header", usage: `invalid --params-in "header"`},
		{name: "bad param", args: "--param nothing", usage: "use KEY=VALUE"},
		{name: "reserved param", args: "--param page=2", usage: "test-select sets page itself"},
		{name: "bad max pages", args: "--max-pages 0", usage: "invalid --max-pages 0"},
		{name: "bad timeout", args: "--timeout 0s", usage: "invalid --timeout"},
		{name: "bad slow", args: "--slow -1s", usage: "invalid --slow"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOpts(newCmdTestSelect, tt.args)
			if tt.usage != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.usage) {
					t.Fatalf("error %v, want a usage error with %q", err, tt.usage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

// startSample runs the sample plugin and writes its manifest into a
// temporary folder; it returns the manifest's path and the server's URL.
func startSample(t *testing.T) (string, string) {
	t.Helper()
	srv := httptest.NewServer(sample.New(sample.Options{Secret: tsSecret}))
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	p := filepath.Join(dir, manifest.FileName)
	if err := os.WriteFile(p, sample.Manifest(srv.URL), 0o644); err != nil {
		t.Fatal(err)
	}
	return p, srv.URL
}

var (
	latencyRe = regexp.MustCompile(`p50 [0-9.]+m?s, p95 [0-9.]+m?s, max [0-9.]+m?s`)
	portRe    = regexp.MustCompile(`127\.0\.0\.1:[0-9]+`)
)

func normalizeReport(s string) string {
	s = portRe.ReplaceAllString(s, "127.0.0.1:PORT")
	return latencyRe.ReplaceAllString(s, "p50 X, p95 X, max X")
}

func assertGolden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("..", "testdata", "golden", name)
	if *update {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (run go test ./cmd -run %s -update)", err, t.Name())
	}
	if string(want) != got {
		t.Fatalf("output differs from %s (rerun with -update if intended):\n%s", p, got)
	}
}

func TestTestSelectSampleGolden(t *testing.T) {
	t.Setenv("ENVOY_CLIENT_SECRET", tsSecret)
	mpath, _ := startSample(t)
	junit := filepath.Join(t.TempDir(), "report.xml")
	code, stdout, stderr := runCLI(t, nil, "test-select", "--manifest", mpath, "--check-signing", "--junit", junit)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	assertGolden(t, "test_select_sample.golden", normalizeReport(stdout))

	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites output.JUnitSuites
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatal(err)
	}
	if len(suites.Suites) != 4 || suites.Failures != 0 || suites.Tests < 50 {
		t.Fatalf("junit: %d suites, %d tests, %d failures", len(suites.Suites), suites.Tests, suites.Failures)
	}
}

func TestTestSelectJSON(t *testing.T) {
	t.Setenv("ENVOY_CLIENT_SECRET", tsSecret)
	mpath, _ := startSample(t)
	code, stdout, stderr := runCLI(t, nil, "test-select", "HELLO", "--manifest", mpath, "--json", "--search", "bon")
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var rep selectcheck.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	if len(rep.Fields) != 1 || rep.Fields[0].Key != "HELLO" || rep.Fields[0].Values != 45 || !rep.Summary.OK || rep.Fields[0].Latency.Calls == 0 {
		t.Fatalf("%+v", rep)
	}
	var found bool
	for _, c := range rep.Fields[0].Checks {
		found = found || (c.Name == `search "bon"` && strings.Contains(c.Message, `found "Bonjour (French)" again`))
	}
	if !found {
		t.Fatalf("no search check for --search bon: %s", stdout)
	}
}

func TestTestSelectExitCodes(t *testing.T) {
	t.Setenv("ENVOY_CLIENT_SECRET", tsSecret)
	srv := httptest.NewServer(selecttest.New(tsSecret))
	defer srv.Close()
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{name: "correct", args: []string{"--url", srv.URL + "/ok/page", "--pagination", "page", "--selected-values-url", srv.URL + "/selected/ok"}, code: 0, stdout: "0 failed, 0 warnings"},
		{name: "broken", args: []string{"--url", srv.URL + "/missing-label"}, code: 1, stdout: "✗ options"},
		{name: "warning only", args: []string{"--url", srv.URL + "/endless/page", "--pagination", "page", "--max-pages", "2", "--selected-values-url", srv.URL + "/selected/ok"}, code: 0, stdout: "! pagination"},
		{name: "warning strict", args: []string{"--url", srv.URL + "/endless/page", "--pagination", "page", "--max-pages", "2", "--selected-values-url", srv.URL + "/selected/ok", "--strict"}, code: 1, stdout: "an error with --strict"},
		{name: "usage", args: []string{"--url", "nope"}, code: 2, stderr: "Usage:"},
		{name: "no manifest", args: []string{"--manifest", filepath.Join(t.TempDir(), "none.toml")}, code: 1, stderr: "not found"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCLI(t, nil, append([]string{"test-select"}, tt.args...)...)
			if code != tt.code || !strings.Contains(stdout, tt.stdout) || !strings.Contains(stderr, tt.stderr) {
				t.Fatalf("exit %d (want %d)\nstdout: %s\nstderr: %s", code, tt.code, stdout, stderr)
			}
		})
	}
}

func TestTestSelectNeedsManifestOrURL(t *testing.T) {
	dir := t.TempDir()
	ios, _, _, _ := iostreams.Test()
	f := NewFactory(ios, build.Info{Version: "v0"})
	f.Getwd = func() (string, error) { return dir, nil }
	err := testSelectRun(context.Background(), f, &testSelectOptions{})
	if err == nil || !strings.Contains(err.Error(), "--url") || !strings.Contains(err.Error(), "envoy-plugin init") {
		t.Fatalf("%v", err)
	}
}

func TestTestSelectUnknownKey(t *testing.T) {
	t.Setenv("ENVOY_CLIENT_SECRET", tsSecret)
	mpath, _ := startSample(t)
	code, _, stderr := runCLI(t, nil, "test-select", "--manifest", mpath, "GREETING")
	// A KEY that names no select field is a mistake in the call: exit 2.
	if code != 2 || !strings.Contains(stderr, `no select or mapping field with key "GREETING"`) || !strings.Contains(stderr, "HELLO, COLOR, VISITOR_TYPE_MAP") {
		t.Fatalf("%d %s", code, stderr)
	}
}

func TestTestSelectMissingSecret(t *testing.T) {
	t.Setenv("ENVOY_CLIENT_SECRET", "")
	code, _, stderr := runCLI(t, nil, "test-select", "--url", "http://127.0.0.1:1/x", "--env-file", filepath.Join(t.TempDir(), ".env"))
	if code != 1 || !strings.Contains(stderr, "ENVOY_CLIENT_SECRET") {
		t.Fatalf("%d %s", code, stderr)
	}
}

// fakeStore is the simulated install of `envoy-plugin dev`.
type fakeStore struct{ simstate.Store }

func (fakeStore) Running() bool { return false }
func (fakeStore) Install(context.Context) (*simstate.Install, error) {
	return &simstate.Install{PluginID: "plugin-from-dev", InstallID: "install-from-dev", Config: map[string]any{"GREETING": "Hola"}}, nil
}

// With a simulated install, meta carries its ids and config.
func TestTestSelectUsesSimulatedInstall(t *testing.T) {
	t.Setenv("ENVOY_CLIENT_SECRET", tsSecret)
	var mu sync.Mutex
	var metas []map[string]any
	inner := selecttest.New(tsSecret)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		var v struct {
			Meta map[string]any `json:"meta"`
		}
		_ = json.Unmarshal(body, &v)
		mu.Lock()
		metas = append(metas, v.Meta)
		mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		inner.ServeHTTP(w, r)
	}))
	defer srv.Close()
	ios, _, out, errOut := iostreams.Test()
	f := NewFactory(ios, build.Info{Version: "v0"})
	f.Getwd = func() (string, error) { return t.TempDir(), nil }
	o := &testSelectOptions{URL: srv.URL + "/ok/none", Pagination: "none", ParamsIn: "both", MaxPages: 10, Slow: time.Second, Timeout: time.Second,
		Params:    []string{"zone_id=7"},
		OpenStore: func(string) (simstate.Store, error) { return fakeStore{}, nil }}
	if err := testSelectRun(context.Background(), f, o); err != nil {
		t.Fatalf("%v\n%s\n%s", err, out, errOut)
	}
	if len(metas) == 0 {
		t.Fatal("no calls")
	}
	for _, m := range metas {
		cfg, _ := m["config"].(map[string]any)
		params, _ := m["params"].(map[string]any)
		if m["install_id"] != "install-from-dev" || m["plugin_id"] != "plugin-from-dev" || cfg["GREETING"] != "Hola" || m["route"] != defaultRoute || params["zone_id"] != float64(7) {
			t.Fatalf("meta %v", m)
		}
	}
	if !strings.Contains(errOut.String(), "install-from-dev") {
		t.Fatalf("stderr %q", errOut)
	}
}

// The JUnit file of a failing run parses back: one testsuite per field,
// one testcase per check of the JSON report, failures (with message and
// details) exactly where the checks failed.
func TestTestSelectJUnitMatchesTheChecks(t *testing.T) {
	t.Setenv("ENVOY_CLIENT_SECRET", tsSecret)
	srv := httptest.NewServer(selecttest.New(tsSecret))
	defer srv.Close()
	junit := filepath.Join(t.TempDir(), "junit.xml")
	code, stdout, stderr := runCLI(t, nil, "test-select", "--url", srv.URL+"/search-breaks", "--pagination", "page", "--searchable",
		"--selected-values-url", srv.URL+"/selected/wrong-label", "--check-signing", "--json", "--junit", junit)
	if code != 1 {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var rep selectcheck.Report
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	b, err := os.ReadFile(junit)
	if err != nil {
		t.Fatal(err)
	}
	var suites output.JUnitSuites
	if err := xml.Unmarshal(b, &suites); err != nil {
		t.Fatalf("invalid XML: %v\n%s", err, b)
	}
	if len(suites.Suites) != len(rep.Fields) || len(rep.Fields) != 1 {
		t.Fatalf("%d suites for %d fields", len(suites.Suites), len(rep.Fields))
	}
	checks, cases := rep.Fields[0].Checks, suites.Suites[0].Cases
	if len(cases) != len(checks) || suites.Tests != len(checks) {
		t.Fatalf("%d testcases (%d counted) for %d checks", len(cases), suites.Tests, len(checks))
	}
	failed := 0
	for i, c := range checks {
		tc := cases[i]
		if tc.Name != c.Name {
			t.Fatalf("testcase %d is %q, check %q", i, tc.Name, c.Name)
		}
		if (c.Status == selectcheck.Fail) != (tc.Failure != nil) {
			t.Fatalf("%s: status %s, failure %+v", c.Name, c.Status, tc.Failure)
		}
		if tc.Failure != nil {
			failed++
			if tc.Failure.Message != c.Message || tc.Failure.Message == "" || !strings.Contains(tc.Failure.Text, "hint: ") {
				t.Fatalf("%s: failure %+v", c.Name, tc.Failure)
			}
		}
	}
	// the four odd search terms and both selected-values lookups
	if failed < 6 || suites.Failures != failed || rep.Fields[0].Failed != failed {
		t.Fatalf("%d failures, %d counted, report %d", failed, suites.Failures, rep.Fields[0].Failed)
	}
}
