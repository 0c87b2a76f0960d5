package cmd

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

// TestDocsUpToDate fails when docs/ differs from what gen-docs writes now.
// Refresh with: go run . gen-docs --dir docs
func TestDocsUpToDate(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	f := NewFactory(ios, build.Info{Version: "dev"})
	dir := t.TempDir()
	if err := genDocs(NewRootCmd(f), dir); err != nil {
		t.Fatal(err)
	}
	for _, sub := range []string{"cli", "man"} {
		want := readTree(t, filepath.Join(dir, sub))
		got := readTree(t, filepath.Join("..", "docs", sub))
		if *update {
			_ = genDocs(NewRootCmd(NewFactory(ios, build.Info{Version: "dev"})), filepath.Join("..", "docs"))
			return
		}
		for name, w := range want {
			if g, ok := got[name]; !ok || !bytes.Equal(g, w) {
				t.Errorf("docs/%s/%s is stale; run `go run . gen-docs --dir docs`", sub, name)
			}
		}
		for name := range got {
			if _, ok := want[name]; !ok {
				t.Errorf("docs/%s/%s documents a command that no longer exists; run `go run . gen-docs --dir docs`", sub, name)
			}
		}
	}
}

func readTree(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return out
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}
