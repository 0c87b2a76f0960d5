package manifest

import (
	"os"
	"path/filepath"
	"testing"
)

func TestFindWalksUpToTheRepositoryRoot(t *testing.T) {
	root := t.TempDir()
	outer := filepath.Join(root, "outer")
	repo := filepath.Join(outer, "repo")
	deep := filepath.Join(repo, "a", "b")
	for _, d := range []string{deep, filepath.Join(repo, ".git")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	// A manifest above the repository must not be found from inside it.
	if err := os.WriteFile(filepath.Join(outer, FileName), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Find(deep, FileName)
	if err != nil || got != "" {
		t.Fatalf("Find crossed the repository root: %q, %v", got, err)
	}
	// One in the repository root is found from a nested folder.
	want := filepath.Join(repo, FileName)
	if err := os.WriteFile(want, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err = Find(deep, FileName); err != nil || got != want {
		t.Fatalf("Find = %q, %v; want %q", got, err, want)
	}
	// The nearest one wins.
	nearer := filepath.Join(repo, "a", FileName)
	if err := os.WriteFile(nearer, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got, _ = Find(deep, FileName); got != nearer {
		t.Fatalf("Find = %q; want %q", got, nearer)
	}
	// A folder with the manifest's name is not a manifest.
	if err := os.Mkdir(filepath.Join(deep, FileName), 0o755); err != nil {
		t.Fatal(err)
	}
	if got, _ = Find(deep, FileName); got != nearer {
		t.Fatalf("Find took a folder: %q", got)
	}
}
