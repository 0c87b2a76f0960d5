package creds

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestGitignoreCoversWithoutGit(t *testing.T) {
	dir := t.TempDir()
	gi := filepath.Join(dir, ".gitignore")
	tests := []struct {
		content, name string
		want          bool
	}{
		{"", ".env", false},
		{".env\n", ".env", true},
		{"/.env\n", ".env", true},
		{".env*\n", ".env", true},
		{"*.env\n!.env\n", ".env", false},
		{".env.*.bak\n", ".env.x.bak", true},
		{".envoy-plugin\n", ".envoy-plugin/", true},
		{".envoy-plugin/\n", ".envoy-plugin/", true},
		{"node_modules/\r\n.env\r\n", ".env", true},
		{"# .env\n", ".env", false},
	}
	for _, tt := range tests {
		must(t, os.WriteFile(gi, []byte(tt.content), 0o644))
		if got, err := gitignoreCovers(gi, tt.name); err != nil || got != tt.want {
			t.Errorf("%q covers %q = %v (%v), want %v", tt.content, tt.name, got, err, tt.want)
		}
	}
}

func TestEnsureGitignored(t *testing.T) {
	for _, withGit := range []bool{false, true} {
		dir := t.TempDir()
		if withGit {
			git, err := exec.LookPath("git")
			if err != nil {
				t.Skip("git not found")
			}
			if out, err := exec.Command(git, "-C", dir, "init", "-q").CombinedOutput(); err != nil {
				t.Fatalf("%v %s", err, out)
			}
		}
		must(t, os.WriteFile(filepath.Join(dir, ".gitignore"), []byte("node_modules/\r\n/.env"), 0o644))
		added, tracked, err := EnsureGitignored(dir, ".env")
		if err != nil || added || tracked {
			t.Errorf("git=%v: .env already covered: %v %v %v", withGit, added, tracked, err)
		}
		added, _, err = EnsureGitignored(dir, ".envoy-plugin/")
		if err != nil || !added {
			t.Errorf("git=%v: .envoy-plugin/ not added: %v %v", withGit, added, err)
		}
		added, _, _ = EnsureGitignored(dir, ".envoy-plugin/")
		if added {
			t.Errorf("git=%v: added twice", withGit)
		}
		b, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
		if string(b) != "node_modules/\r\n/.env\r\n.envoy-plugin/\r\n" {
			t.Errorf("git=%v: .gitignore = %q", withGit, b)
		}
	}
}
