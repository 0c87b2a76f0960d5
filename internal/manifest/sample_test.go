package manifest_test

import (
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sample"
)

// The built-in sample plugin's manifest passes validation once its base URL
// is filled in, and carries the #:schema directive.
func TestSampleManifestIsValid(t *testing.T) {
	src := sample.Manifest("http://127.0.0.1:3000")
	m, fs := manifest.Parse("sample.toml", src)
	if len(fs) > 0 {
		t.Fatalf("findings: %v", fs)
	}
	if m.Plugin.BaseURL != "http://127.0.0.1:3000" || len(m.Steps) == 0 || len(m.Events) == 0 {
		t.Fatalf("decoded %+v", m.Plugin)
	}
	if string(src[:len(manifest.SchemaDirective)]) != manifest.SchemaDirective {
		t.Fatalf("the sample manifest does not start with %q", manifest.SchemaDirective)
	}
}
