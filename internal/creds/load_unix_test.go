//go:build unix

package creds

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestLoadRefusesFIFO: a named pipe where an env file should be is an
// error (or, for dotenv-flow's extra files, a warning), never a read that
// waits forever for a writer.
func TestLoadRefusesFIFO(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	if err := syscall.Mkfifo(env, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	_, _, err := Load(LoadOptions{EnvFile: env, LookupEnv: envMap(nil)})
	if err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Fatalf(".env: %v", err)
	}
	must(t, os.Remove(env))
	must(t, os.WriteFile(env, []byte("ENVOY_CLIENT_SECRET=s\n"), 0o600))
	if err := syscall.Mkfifo(filepath.Join(dir, ".env.local"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, warns, err := Load(LoadOptions{EnvFile: env, LookupEnv: envMap(nil)})
	if err != nil || c.ClientSecret != "s" || len(warns) != 1 || !strings.Contains(warns[0].String(), "named pipe") {
		t.Fatalf(".env.local: %v %v", warns, err)
	}
}
