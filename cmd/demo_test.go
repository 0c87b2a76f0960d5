package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sample"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/delivery"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/events"
)

// The sample manifest's comments say what every subscribed worker answers.
func TestExpectedFromComments(t *testing.T) {
	text := sample.Manifest("http://127.0.0.1:1")
	got := expectedFromComments(text)
	m, _ := manifest.Parse("envoy-plugin.toml", text)
	if m == nil || len(m.Events) == 0 {
		t.Fatal("sample manifest has no events")
	}
	for _, e := range m.Events {
		if _, ok := got[e.Name]; !ok {
			t.Errorf("%s: no expectation in its comment", e.Name)
		}
	}
	if got["invite_created"] != (demoExpectation{202, delivery.Ongoing}) || got["entry_blacklist_review"] != (demoExpectation{412, delivery.Failed}) {
		t.Fatalf("%v", got)
	}
	odd := expectedFromComments([]byte("name = \"a\" # 200: finished\nname=\"b\"#400:ignored (x)\n  # name = \"c\" # 200: done"))
	if len(odd) != 1 || odd["b"].Kind != delivery.Ignored {
		t.Fatalf("%v", odd)
	}
}

// demoTestEnv runs the sample plugin with a manifest whose comments may
// have been edited.
func demoTestEnv(t *testing.T, edit func(string) string) *demoEnv {
	t.Helper()
	const secret = "demo-test-secret-0123456789abcdefghijklmnop"
	srv := httptest.NewServer(sample.New(sample.Options{Secret: secret}))
	t.Cleanup(srv.Close)
	text := []byte(edit(string(sample.Manifest(srv.URL))))
	m, findings := manifest.Parse("envoy-plugin.toml", text)
	if m == nil || manifest.HasErrors(findings) {
		t.Fatalf("%v", findings)
	}
	gen := events.NewGenerator(1, time.Time{})
	return &demoEnv{URL: srv.URL, Manifest: m, Text: text, Secret: secret,
		Client:  sim.NewClient(sim.ClientOptions{Timeout: 5 * time.Second}),
		Builder: &delivery.Builder{Gen: gen, Install: gen.Install(sim.InstallOptions{Config: m.Defaults()}), Secret: secret}}
}

func TestDemoEventsMismatch(t *testing.T) {
	env := demoTestEnv(t, func(s string) string {
		return strings.Replace(s, `name = "entry_sign_out"         # 200: done`, `name = "entry_sign_out"         # 412: failed`, 1)
	})
	res := demoEvents(context.Background(), env)
	bad := 0
	for _, c := range res.Checks {
		if !c.OK {
			bad++
			if c.Name != "entry_sign_out" || c.Expected != "412 failed" || c.Got != "200 done" {
				t.Errorf("%+v", c)
			}
		}
	}
	if bad != 1 || len(res.Checks) != len(env.Manifest.Events) {
		t.Fatalf("%d failures in %+v", bad, res.Checks)
	}
}

func TestDemoSigningAndLoad(t *testing.T) {
	env := demoTestEnv(t, func(s string) string { return s })
	res := demoSigning(context.Background(), env)
	if len(res.Checks) != 5 || res.Error != "" {
		t.Fatalf("%+v", res)
	}
	for _, c := range res.Checks {
		if !c.OK {
			t.Errorf("%+v", c)
		}
	}
	res = demoLoad(context.Background(), env)
	if len(res.Checks) != 1 || !res.Checks[0].OK || res.Checks[0].Got != "200 done" {
		t.Fatalf("%+v", res)
	}
}

// The report is a list of sections: any failing check fails the demo (exit
// 1), and --json carries every section.
func TestDemoRunSections(t *testing.T) {
	ios, _, out, _ := iostreams.Test()
	f := NewFactory(ios, build.Info{Version: "test"})
	var dir string
	sections := append(demoSections()[:1], demoSection{Name: "extra", Title: "A section added later",
		Run: func(_ context.Context, env *demoEnv) demoSectionResult {
			dir = env.Dir
			return demoSectionResult{Checks: []demoCheck{{Name: "always fails", Got: "no", Expected: "yes"}}}
		}})
	err := demoRun(context.Background(), f, &demoOptions{JSON: true, Timeout: 5 * time.Second}, sections)
	if !errors.Is(err, SilentError) {
		t.Fatalf("err %v, want exit 1", err)
	}
	var rep demoReport
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if rep.OK || len(rep.Sections) != 2 || !rep.Sections[0].OK || rep.Sections[1].OK || rep.Failed != 1 || rep.Passed != 7 {
		t.Fatalf("%+v", rep)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Fatalf("temporary folder %s left behind: %v", dir, err)
	}
}
