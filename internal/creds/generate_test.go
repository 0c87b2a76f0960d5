package creds

import (
	"bytes"
	"crypto/rand"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"
)

var (
	uuidV4     = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	fixedNow   = func() time.Time { return time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC) }
	noEnv      = func(string) (string, bool) { return "", false }
	zeroReader = bytes.NewReader(make([]byte, 1024))
)

func genOpts(env string) GenerateOptions {
	return GenerateOptions{EnvFile: env, Now: fixedNow, LookupEnv: noEnv}
}

func TestNewCredentials(t *testing.T) {
	id, err := NewClientID(bytes.NewReader(bytes.Repeat([]byte{0xff}, 16)))
	if err != nil || !uuidV4.MatchString(id) {
		t.Errorf("id %q, %v", id, err)
	}
	sec, err := NewClientSecret(zeroReader)
	if err != nil || len(sec) != 43 || strings.ContainsAny(sec, "+/=") {
		t.Errorf("secret %q (%d chars), %v", sec, len(sec), err)
	}
	if _, err := NewClientSecret(bytes.NewReader(nil)); err == nil {
		t.Error("short random source accepted")
	}
	a, _ := NewClientSecret(rand.Reader)
	b, _ := NewClientSecret(rand.Reader)
	if a == b {
		t.Error("two secrets are equal")
	}
}

func TestGenerateNewFile(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	res, err := Generate(genOpts(env))
	if err != nil {
		t.Fatal(err)
	}
	if !res.Created || strings.Join(res.Written, ",") != "ENVOY_CLIENT_ID,ENVOY_CLIENT_SECRET" || len(res.Kept) != 0 {
		t.Errorf("result %+v", res)
	}
	info, err := os.Stat(env)
	if err != nil {
		t.Fatal(err)
	}
	if runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v, want 0600", info.Mode().Perm())
	}
	data, _ := os.ReadFile(env)
	ef, warns := ParseEnv(data)
	v := ef.Values()
	if !uuidV4.MatchString(v[EnvClientID]) || len(v[EnvClientSecret]) != 43 || len(warns) != 0 {
		t.Errorf("file %q, warnings %v", data, warns)
	}
	if v[EnvClientID] != res.ClientID || res.ClientSecretMasked != Mask(v[EnvClientSecret]) {
		t.Errorf("result does not describe the file: %+v", res)
	}
	// Nothing in the result gives the secret away.
	js, _ := json.Marshal(res)
	for _, out := range []string{string(js), strings.Join(res.Lines(), "\n")} {
		if strings.Contains(out, v[EnvClientSecret]) {
			t.Errorf("secret leaked: %s", out)
		}
	}
	gi, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if !res.GitignoreAdded || string(gi) != ".env\n" {
		t.Errorf(".gitignore = %q, added %v", gi, res.GitignoreAdded)
	}
	if _, err := os.Stat(env + ".lock"); !os.IsNotExist(err) {
		t.Error("lock file left behind")
	}

	// A second run keeps everything.
	res2, err := Generate(genOpts(env))
	if err != nil {
		t.Fatal(err)
	}
	data2, _ := os.ReadFile(env)
	if !bytes.Equal(data, data2) || len(res2.Written) != 0 || len(res2.Kept) != 2 || res2.GitignoreAdded {
		t.Errorf("second run changed things: %+v", res2)
	}
	if !strings.Contains(strings.Join(res2.Lines(), "\n"), "Kept the ENVOY_CLIENT_ID and ENVOY_CLIENT_SECRET") {
		t.Errorf("lines %q", res2.Lines())
	}
}

func TestGenerateKeepsExistingAndSetsURL(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	orig := "# mine\r\nENVOY_CLIENT_ID=my-id\r\nENVOY_CLIENT_SECRET='my-secret-value-123'\r\nPORT=3000"
	if err := os.WriteFile(env, []byte(orig), 0o640); err != nil {
		t.Fatal(err)
	}
	o := genOpts(env)
	o.APIURL = "http://127.0.0.1:4000"
	res, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(env)
	want := orig + "\r\nENVOY_BASE_URL=http://127.0.0.1:4000\r\n"
	if string(data) != want {
		t.Errorf("got %q\nwant %q", data, want)
	}
	if res.Created || strings.Join(res.Written, ",") != EnvBaseURL || len(res.Kept) != 2 {
		t.Errorf("result %+v", res)
	}
	if info, _ := os.Stat(env); runtime.GOOS != "windows" && info.Mode().Perm() != 0o640 {
		t.Errorf("mode changed to %v", info.Mode().Perm())
	}
	// Changing only the URL again touches only that value.
	o.APIURL = "http://127.0.0.1:5000"
	if _, err := Generate(o); err != nil {
		t.Fatal(err)
	}
	data, _ = os.ReadFile(env)
	if string(data) != strings.Replace(want, "4000", "5000", 1) {
		t.Errorf("got %q", data)
	}
	o.APIURL = "ftp://x"
	if _, err := Generate(o); err == nil || !strings.Contains(err.Error(), "invalid API URL") {
		t.Errorf("bad URL: %v", err)
	}
}

func TestGenerateRotate(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	orig := "A=1\nENVOY_CLIENT_ID=old-id\nENVOY_CLIENT_SECRET=old-secret-old-secret\n"
	if err := os.WriteFile(env, []byte(orig), 0o644); err != nil {
		t.Fatal(err)
	}
	o := genOpts(env)
	o.Rotate = true
	res, err := Generate(o)
	if err != nil {
		t.Fatal(err)
	}
	backup := filepath.Join(dir, ".env.2026-11-27T10-00-00.bak")
	if res.Backup != backup || !res.Rotated {
		t.Errorf("backup %q rotated %v", res.Backup, res.Rotated)
	}
	b, err := os.ReadFile(backup)
	if err != nil || string(b) != orig {
		t.Fatalf("backup %q, %v", b, err)
	}
	if info, _ := os.Stat(backup); runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v", info.Mode().Perm())
	}
	data, _ := os.ReadFile(env)
	v := func() map[string]string { ef, _ := ParseEnv(data); return ef.Values() }()
	if v["A"] != "1" || v[EnvClientID] == "old-id" || v[EnvClientSecret] == "old-secret-old-secret" || !strings.HasPrefix(string(data), "A=1\nENVOY_CLIENT_ID=") {
		t.Errorf("rotated file %q", data)
	}
	gi, _ := os.ReadFile(filepath.Join(dir, ".gitignore"))
	if string(gi) != ".env\n.env.*.bak\n" {
		t.Errorf(".gitignore = %q", gi)
	}
	// A second rotation in the same second gets its own backup.
	res2, err := Generate(o)
	if err != nil || res2.Backup != filepath.Join(dir, ".env.2026-11-27T10-00-00-2.bak") {
		t.Errorf("second backup %q, %v", res2.Backup, err)
	}
}

func TestGenerateRefuses(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the env file path
		want  string
	}{
		{"directory", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, ".env")
			must(t, os.Mkdir(p, 0o755))
			return p
		}, "is a directory"},
		{"read-only file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, ".env")
			must(t, os.WriteFile(p, []byte("A=1\n"), 0o444))
			return p
		}, "is read-only"},
		{"symlink elsewhere", func(t *testing.T, dir string) string {
			other := t.TempDir()
			must(t, os.WriteFile(filepath.Join(other, "real.env"), []byte("A=1\n"), 0o600))
			p := filepath.Join(dir, ".env")
			if err := os.Symlink(filepath.Join(other, "real.env"), p); err != nil {
				t.Skip("no symlinks here")
			}
			return p
		}, "outside its folder"},
		{"dangling symlink", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, ".env")
			if err := os.Symlink(filepath.Join(dir, "missing"), p); err != nil {
				t.Skip("no symlinks here")
			}
			return p
		}, "leads nowhere"},
		{"second writer", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, ".env")
			must(t, os.WriteFile(p, []byte("A=1\n"), 0o600))
			must(t, os.WriteFile(p+".lock", []byte("123\n"), 0o600))
			return p
		}, "being written by another envoy-plugin"},
		{"missing folder", func(t *testing.T, dir string) string {
			return filepath.Join(dir, "nope", ".env")
		}, "does not exist"},
		{"unwritable folder", func(t *testing.T, dir string) string {
			if os.Geteuid() == 0 || runtime.GOOS == "windows" {
				t.Skip("permissions do not bind root")
			}
			p := filepath.Join(dir, ".env")
			must(t, os.WriteFile(p, []byte("A=1\n"), 0o600))
			must(t, os.Chmod(dir, 0o500))
			t.Cleanup(func() { _ = os.Chmod(dir, 0o700) })
			return p
		}, "cannot write in folder"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			env := tt.setup(t, dir)
			before := snapshot(t, dir)
			_, err := Generate(genOpts(env))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v, want %q", err, tt.want)
			}
			if after := snapshot(t, dir); after != before {
				t.Errorf("folder changed:\nbefore %s\nafter  %s", before, after)
			}
			if _, err := SetVars(env, map[string]string{"X": "1"}); err == nil {
				t.Error("SetVars did not refuse")
			}
		})
	}
}

func TestSymlinkInSameFolderIsFollowed(t *testing.T) {
	dir := t.TempDir()
	must(t, os.WriteFile(filepath.Join(dir, "dev.env"), []byte("A=1\n"), 0o600))
	if err := os.Symlink("dev.env", filepath.Join(dir, ".env")); err != nil {
		t.Skip("no symlinks here")
	}
	if _, err := SetVars(filepath.Join(dir, ".env"), map[string]string{"B": "2"}); err != nil {
		t.Fatal(err)
	}
	if fi, _ := os.Lstat(filepath.Join(dir, ".env")); fi.Mode()&os.ModeSymlink == 0 {
		t.Error("the link was replaced")
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "dev.env")); string(b) != "A=1\nB=2\n" {
		t.Errorf("target = %q", b)
	}
}

func TestSetVars(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	changed, err := SetVars(env, map[string]string{EnvBaseURL: "http://127.0.0.1:4000"})
	if err != nil || len(changed) != 1 {
		t.Fatalf("%v %v", changed, err)
	}
	changed, err = SetVars(env, map[string]string{EnvBaseURL: "http://127.0.0.1:4000"})
	if err != nil || len(changed) != 0 {
		t.Errorf("unchanged value rewritten: %v %v", changed, err)
	}
	if info, _ := os.Stat(env); runtime.GOOS != "windows" && info.Mode().Perm() != 0o600 {
		t.Errorf("mode %v", info.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("leftover files: %v", entries)
	}
}

// A file changed by someone else between our read and our rename is left
// as they wrote it.
func TestWriteAtomicNoticesOtherWriter(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, ".env")
	must(t, os.WriteFile(p, []byte("A=1\n"), 0o600))
	before, _ := os.Stat(p)
	must(t, os.WriteFile(p, []byte("A=22\n"), 0o600))
	if err := writeAtomic(p, []byte("A=3\n"), 0o600, before); err == nil || !strings.Contains(err.Error(), "changed while") {
		t.Fatalf("err = %v", err)
	}
	if b, _ := os.ReadFile(p); string(b) != "A=22\n" {
		t.Errorf("file = %q", b)
	}
}

func TestGenerateTrackedByGit(t *testing.T) {
	git, err := exec.LookPath("git")
	if err != nil {
		t.Skip("git not found")
	}
	dir := t.TempDir()
	run := func(args ...string) {
		cmd := exec.Command(git, append([]string{"-C", dir, "-c", "user.name=t", "-c", "user.email=t@example.com"}, args...)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("git %v: %v\n%s", args, err, out)
		}
	}
	run("init", "-q")
	must(t, os.WriteFile(filepath.Join(dir, ".env"), []byte("PORT=1\n"), 0o600))
	run("add", ".env")
	res, err := Generate(genOpts(filepath.Join(dir, ".env")))
	if err != nil {
		t.Fatal(err)
	}
	// The fix names the file as seen from the current folder.
	if !res.Tracked || !strings.Contains(strings.Join(res.Lines(), "\n"), "git rm --cached "+shellQuote(displayPath(filepath.Join(dir, ".env")))+"`") {
		t.Errorf("tracked file not reported: %q", res.Lines())
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// snapshot lists a folder's files with their content and mode.
func snapshot(t *testing.T, dir string) string {
	t.Helper()
	var b strings.Builder
	_ = filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(dir, p)
		b.WriteString(rel + " " + info.Mode().String())
		if info.Mode().IsRegular() {
			data, _ := os.ReadFile(p)
			b.WriteString(" " + string(data))
		}
		b.WriteString("; ")
		return nil
	})
	return b.String()
}

func TestShellQuote(t *testing.T) {
	for in, want := range map[string]string{"sub/.env": "sub/.env", "my plugin/.env": "'my plugin/.env'", "it's": `'it'\''s'`, "": "''", "$HOME/.env": "'$HOME/.env'"} {
		if got := shellQuote(in); got != want {
			t.Errorf("shellQuote(%q) = %s, want %s", in, got, want)
		}
	}
}
