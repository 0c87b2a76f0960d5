package cmd

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
)

// `envoy-plugin schema` prints exactly the committed
// docs/envoy-plugin.schema.json (kept fresh by internal/manifest's
// TestSchemaUpToDate).
func TestSchemaCommand(t *testing.T) {
	code, out, stderr := runCLI(t, nil, "schema")
	if code != 0 || stderr != "" {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	want, err := manifest.Schema()
	if err != nil {
		t.Fatal(err)
	}
	if out != string(want) {
		t.Fatal("schema output differs from manifest.Schema()")
	}
	committed, err := os.ReadFile(filepath.Join("..", "docs", "envoy-plugin.schema.json"))
	if err != nil || string(committed) != out {
		t.Fatalf("docs/envoy-plugin.schema.json is stale (%v); run go test ./internal/manifest -run TestSchemaUpToDate -update", err)
	}
	if code, _, _ := runCLI(t, nil, "schema", "extra"); code != 2 {
		t.Fatalf("extra argument: exit %d", code)
	}
}
