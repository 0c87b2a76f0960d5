package selectcheck

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	sampleplugin "github.com/envoy-plugin/envoy-plugin/internal/sample"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/selectcheck/selecttest"
)

const testSecret = "test-secret-0123456789abcdef"

// sampleManifest starts the sample plugin and returns its manifest.
func sampleManifest(t *testing.T) *manifest.Manifest {
	t.Helper()
	srv := httptest.NewServer(sampleplugin.New(sampleplugin.Options{Secret: testSecret}))
	t.Cleanup(srv.Close)
	path := filepath.Join(t.TempDir(), manifest.FileName)
	if err := os.WriteFile(path, sampleplugin.Manifest(srv.URL), 0o644); err != nil {
		t.Fatal(err)
	}
	m, findings, err := manifest.Load(path)
	if err != nil {
		t.Fatalf("sample manifest: %v %v", err, findings)
	}
	return m
}

// brokenServer starts the selecttest server.
func brokenServer(t *testing.T) string {
	t.Helper()
	srv := httptest.NewServer(selecttest.New(testSecret))
	t.Cleanup(srv.Close)
	return srv.URL
}

func testOptions() Options {
	return Options{
		Client:   sim.NewClient(sim.ClientOptions{Timeout: 2 * time.Second}),
		Secret:   testSecret,
		MaxPages: 20,
	}
}

func runOne(t *testing.T, tg Target, opts Options) *FieldReport {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep := Run(ctx, []Target{tg}, opts)
	if len(rep.Fields) != 1 {
		t.Fatalf("want 1 field, got %d", len(rep.Fields))
	}
	return rep.Fields[0]
}

func check(f *FieldReport, name string) *Check {
	for i := range f.Checks {
		if f.Checks[i].Name == name {
			return &f.Checks[i]
		}
	}
	return nil
}

func dump(f *FieldReport) string {
	var b strings.Builder
	for _, c := range f.Checks {
		b.WriteString(string(c.Status) + " " + c.Name + ": " + c.Message + "\n")
		for _, d := range c.Details {
			b.WriteString("    " + d + "\n")
		}
	}
	return b.String()
}
