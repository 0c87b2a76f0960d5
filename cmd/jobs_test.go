package cmd

import (
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/api"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

// simFactory returns a factory whose project folder is a fresh temp dir,
// and a run func that executes argv and returns the exit code.
func simFactory(t *testing.T) (dir string, run func(args ...string) (code int, stdout, stderr string)) {
	t.Helper()
	dir = t.TempDir()
	run = func(args ...string) (int, string, string) {
		ios, _, out, errOut := iostreams.Test()
		f := NewFactory(ios, build.Info{Version: "v0.0.0-test"})
		f.Getwd = func() (string, error) { return dir, nil }
		f.Getenv = func(string) string { return "" }
		code := Run(args, f)
		return code, out.String(), errOut.String()
	}
	return dir, run
}

// seedState creates a state file with one job that the plugin updated.
func seedState(t *testing.T, dir string) *api.DB {
	t.Helper()
	db, err := api.Open(simstate.StatePath(dir), api.OpenOptions{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.SetIDs("plug-1", "inst-1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RegisterJob(api.Job{ID: "job-1", Event: "entry_sign_in"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.RegisterJob(api.Job{ID: "job-2", Event: "invite_created"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateJob("job-1", api.JobUpdate{Attachments: []map[string]any{
		{"type": "text", "label": "Greeting", "value": "Hello Ada"},
		{"type": "password", "label": "Door code", "value": "4242"},
	}}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateJob("job-1", api.JobUpdate{Status: "failed", StatusMessage: "no badge", FailureReason: "printer offline", Attachments: []map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	return db
}

func TestJobsCommand(t *testing.T) {
	dir, run := simFactory(t)
	seedState(t, dir)
	tests := []struct {
		name       string
		args       []string
		code       int
		stdout     []string
		notStdout  []string
		stderr     string
		jsonStatus string
	}{
		{name: "list", args: []string{"jobs"}, stdout: []string{"ID", "EVENT", "STATUS", "job-1", "entry_sign_in", "failed", "no badge (reason: printer offline)", "job-2", "queued"}},
		{name: "one job", args: []string{"jobs", "job-1"}, stdout: []string{"job job-1", "status:         failed", "failure reason: printer offline", "text Greeting: Hello Ada", "password Door code: ••••••••", "failed \"no badge\" (reason: printer offline)"}, notStdout: []string{"4242"}},
		{name: "one job as JSON keeps the value", args: []string{"jobs", "job-1", "--json"}, stdout: []string{`"value":"4242"`}, jsonStatus: "failed"},
		{name: "unknown job", args: []string{"jobs", "nope"}, code: 1, stderr: `no job "nope" in the state file`},
		{name: "too many args", args: []string{"jobs", "a", "b"}, code: 2, stderr: "too many arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run(tt.args...)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			for _, w := range tt.stdout {
				if !strings.Contains(out, w) {
					t.Errorf("stdout lacks %q:\n%s", w, out)
				}
			}
			for _, w := range tt.notStdout {
				if strings.Contains(out, w) {
					t.Errorf("stdout shows %q:\n%s", w, out)
				}
			}
			if tt.stderr != "" && !strings.Contains(errOut, tt.stderr) {
				t.Errorf("stderr lacks %q:\n%s", tt.stderr, errOut)
			}
			if tt.jsonStatus != "" {
				var j api.Job
				if err := json.Unmarshal([]byte(out), &j); err != nil || j.Status != tt.jsonStatus || len(j.History) != 2 {
					t.Errorf("JSON = %s (%v)", out, err)
				}
			}
		})
	}
	code, out, _ := run("jobs", "--json")
	var list []api.Job
	if code != 0 || json.Unmarshal([]byte(out), &list) != nil || len(list) != 2 || list[0].ID != "job-1" {
		t.Fatalf("jobs --json = %d %s", code, out)
	}
}

// TestCommandsUseTheRunningSimulator: with a live simulator, jobs, storage
// and config go through it, and the state file is not written by them.
func TestCommandsUseTheRunningSimulator(t *testing.T) {
	dir, run := simFactory(t)
	db := seedState(t, dir)
	srv := httptest.NewServer(api.New(api.Options{DB: api.NewMemory(nil), AdminKey: "k", PID: 99}))
	defer srv.Close()
	if err := simstate.WriteDevInfo(dir, simstate.DevInfo{URL: srv.URL, PID: 99, AdminKey: "k"}); err != nil {
		t.Fatal(err)
	}
	// The live simulator has no jobs: the state file's are not read.
	if code, _, errOut := run("jobs"); code != 0 || !strings.Contains(errOut, "no jobs yet") {
		t.Fatalf("jobs = %d %s", code, errOut)
	}
	if code, _, errOut := run("config", "set", "A=1"); code != 0 || !strings.Contains(errOut, "the simulator at "+srv.URL) {
		t.Fatalf("config set = %d %s", code, errOut)
	}
	if _, ok := db.Install().Config["A"]; ok {
		t.Fatal("config set wrote the state file while a simulator runs")
	}
	reopened, _ := api.Open(simstate.StatePath(dir), api.OpenOptions{})
	if _, ok := reopened.Install().Config["A"]; ok {
		t.Fatal("the state file changed")
	}
	if code, out, _ := run("config", "get", "A"); code != 0 || strings.TrimSpace(out) != "1" {
		t.Fatalf("config get A = %d %q", code, out)
	}
}

func TestJobsPrefix(t *testing.T) {
	dir, run := simFactory(t)
	db := seedState(t, dir)
	for _, id := range []string{"0b7c7bde-aaaa", "0b7c9999-bbbb", "f00dface-cccc"} {
		if _, err := db.RegisterJob(api.Job{ID: id, Event: "entry_sign_in"}); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name   string
		id     string
		code   int
		stdout string
		stderr []string
	}{
		{name: "unique prefix", id: "f00d", stdout: "job f00dface-cccc"},
		{name: "prefix ignores case", id: "F00DFACE", stdout: "job f00dface-cccc"},
		{name: "longer unique prefix", id: "0b7c7", stdout: "job 0b7c7bde-aaaa"},
		{name: "whole id", id: "job-2", stdout: "job job-2"},
		{name: "ambiguous", id: "0b7c", code: 1, stderr: []string{`"0b7c" matches 2 jobs: give more of the id`, "0b7c7bde-aaaa", "0b7c9999-bbbb"}},
		{name: "too short", id: "f00", code: 1, stderr: []string{"at least 4 characters"}},
		{name: "no match", id: "dead", code: 1, stderr: []string{`no job "dead"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errOut := run("jobs", tt.id)
			if code != tt.code {
				t.Fatalf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tt.code, out, errOut)
			}
			if tt.stdout != "" && !strings.Contains(out, tt.stdout) {
				t.Errorf("stdout lacks %q:\n%s", tt.stdout, out)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, errOut)
				}
			}
		})
	}
}

// TestJobsOutsideProject: without a manifest or state, jobs (and the
// storage/config reads) say where they looked and how to start; inside a
// project without state, jobs lists nothing.
func TestJobsOutsideProject(t *testing.T) {
	dir, run := simFactory(t)
	for _, args := range [][]string{{"jobs"}, {"jobs", "--json"}, {"jobs", "abcd"}, {"storage", "list"}, {"config", "get"}} {
		code, out, errOut := run(args...)
		if code != 1 || !strings.Contains(errOut, "no simulated install found in "+dir+" (no envoy-plugin.toml") || !strings.Contains(errOut, "`envoy-plugin dev`") || out != "" {
			t.Errorf("%v = %d %q %q", args, code, out, errOut)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, "envoy-plugin.toml"), []byte("schema_version = 1\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errOut := run("jobs"); code != 0 || !strings.Contains(errOut, "no jobs yet") {
		t.Errorf("jobs in a project = %d %q", code, errOut)
	}
	if code, out, _ := run("jobs", "--json"); code != 0 || strings.TrimSpace(out) != "[]" {
		t.Errorf("jobs --json in a project = %d %q", code, out)
	}
	if code, _, errOut := run("config", "get"); code != 1 || !strings.Contains(errOut, "no simulated install in . yet") && !strings.Contains(errOut, "no simulated install in "+dir+" yet") {
		t.Errorf("config get in a project = %d %q", code, errOut)
	}
}
