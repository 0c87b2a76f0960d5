package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

func TestNewCmdSendEvent(t *testing.T) {
	tests := []struct {
		name  string
		args  string
		usage string // a usage error containing this
		check func(t *testing.T, o *sendEventOptions)
	}{
		{name: "event", args: "entry_sign_in", check: func(t *testing.T, o *sendEventOptions) {
			if o.Event != "entry_sign_in" || o.Timeout != 10*time.Second || o.SeedSet || o.WaitSet || o.CountSet {
				t.Errorf("%+v", o)
			}
		}},
		{name: "seed zero is a seed", args: "entry_sign_in --seed 0", check: func(t *testing.T, o *sendEventOptions) {
			if !o.SeedSet || o.Seed != 0 {
				t.Errorf("%+v", o)
			}
		}},
		{name: "load", args: "entry_sign_in --count 10 --concurrency 3 --rate 5/s", check: func(t *testing.T, o *sendEventOptions) {
			if !o.CountSet || o.Count != 10 || o.Concurrency != 3 || o.Rate != "5/s" {
				t.Errorf("%+v", o)
			}
		}},
		{name: "wait", args: "invite_created --wait 2s", check: func(t *testing.T, o *sendEventOptions) {
			if !o.WaitSet || o.Wait != 2*time.Second {
				t.Errorf("%+v", o)
			}
		}},
		{name: "repeatable edits", args: "entry_sign_in --set a.b=1 --set c:=2 --config K=V --config L:=true", check: func(t *testing.T, o *sendEventOptions) {
			if len(o.Sets) != 2 || len(o.Configs) != 2 {
				t.Errorf("%+v", o)
			}
		}},
		{name: "list", args: "--list --json", check: func(t *testing.T, o *sendEventOptions) {
			if !o.List || !o.JSON {
				t.Errorf("%+v", o)
			}
		}},
		{name: "no event", args: "", usage: "event name required"},
		{name: "list and event", args: "entry_sign_in --list", usage: "--list takes no event"},
		{name: "two events", args: "a b", usage: "too many arguments"},
		{name: "body and set", args: "x --body f --set a=b", usage: "--body sends the file as it is"},
		{name: "body and config", args: "x --body f --config a=b", usage: "--body sends the file as it is"},
		{name: "probes exclusive", args: "x --check-signing --replay", usage: "choose one of"},
		{name: "count and dry-run", args: "x --count 3 --dry-run", usage: "choose one of"},
		{name: "concurrency without count", args: "x --concurrency 4", usage: "add --count N"},
		{name: "negative concurrency", args: "x --count 4 --concurrency 0", usage: "invalid --concurrency"},
		{name: "bad rate", args: "x --count 4 --rate fast", usage: "invalid rate"},
		{name: "bad timeout", args: "x --timeout 0s", usage: "invalid --timeout"},
		{name: "bad config", args: "x --config :=nope", usage: "invalid --config"},
		{name: "bad raw config", args: "x --config K:={", usage: "not JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseOpts(newCmdSendEvent, tt.args)
			if tt.usage != "" {
				var ue *UsageError
				if !errors.As(err, &ue) || !strings.Contains(err.Error(), tt.usage) {
					t.Fatalf("error %v, want a usage error with %q", err, tt.usage)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, got)
		})
	}
}

func TestSendParseConfigFlags(t *testing.T) {
	got, err := sendParseConfigFlags([]string{"A=x=y", "B:=12", "C:={\"k\":[1]}", "D=", " E =v"})
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(got)
	if string(b) != `{"A":"x=y","B":12,"C":{"k":[1]},"D":"","E":"v"}` {
		t.Fatalf("%s", b)
	}
	for _, bad := range []string{"A", "=v", ":=1", "A:=", "A:=1 2"} {
		if _, err := sendParseConfigFlags([]string{bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func FuzzSendParseConfigFlags(f *testing.F) {
	for _, s := range []string{"A=b", "A:=1", "A:=[", "=", ":=", "A:={\"x\":1}"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		m, err := sendParseConfigFlags([]string{s})
		if err != nil {
			return
		}
		if len(m) != 1 {
			t.Fatalf("%q → %v", s, m)
		}
		for k := range m {
			if strings.TrimSpace(k) == "" {
				t.Fatalf("%q → empty key", s)
			}
		}
	})
}

func TestSendParseNow(t *testing.T) {
	want := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	for _, s := range []string{"2026-11-27T10:00:00Z", "2026-11-27T11:00:00+01:00", "2026-11-27 10:00:00", "2026-11-27T10:00:00", "2026-11-27 10:00"} {
		got, err := sendParseNow(s)
		if err != nil || !got.Equal(want) {
			t.Errorf("%q → %v %v", s, got, err)
		}
	}
	if _, err := sendParseNow("tomorrow"); err == nil {
		t.Error("tomorrow accepted")
	}
}

// sendFakeStore plays a running `envoy-plugin dev` simulator.
type sendFakeStore struct {
	mu        sync.Mutex
	install   simstate.Install
	jobs      map[string]*simstate.Job
	statusSet map[string]string
	token     string
	stopped   bool // only the state file: dev is not running
	// finish is applied (as the plugin's PATCH) when the plugin answers.
	finish simstate.JobUpdate
}

func (s *sendFakeStore) Running() bool { return !s.stopped }
func (s *sendFakeStore) URL() string   { return "http://127.0.0.1:9/fake-simulator" }
func (s *sendFakeStore) Install(context.Context) (*simstate.Install, error) {
	in := s.install
	return &in, nil
}
func (s *sendFakeStore) MergeConfig(context.Context, map[string]any) (map[string]any, error) {
	return nil, errors.New("not used")
}
func (s *sendFakeStore) RegisterJob(_ context.Context, j simstate.Job) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.jobs == nil {
		s.jobs = map[string]*simstate.Job{}
	}
	s.jobs[j.ID] = &j
	return nil
}
func (s *sendFakeStore) Job(_ context.Context, id string) (*simstate.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return nil, errors.New("unknown job")
	}
	c := *j
	return &c, nil
}
func (s *sendFakeStore) SetJobStatus(_ context.Context, id, status string) (*simstate.Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.statusSet == nil {
		s.statusSet = map[string]string{}
	}
	s.statusSet[id] = status
	s.jobs[id].Status = status
	c := *s.jobs[id]
	return &c, nil
}
func (s *sendFakeStore) IssueToken(context.Context) (string, int, error) { return s.token, 7200, nil }

// patch is the plugin finishing a job through the API.
func (s *sendFakeStore) patch(id string, u simstate.JobUpdate) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[id]
	j.History = append(j.History, u)
	if u.Status != "" {
		j.Status = u.Status
	}
}

const sendSimManifest = `schema_version = 1

[plugin]
name = "Sim Test"
scopes = ["locations.read"]
base_url = "%s"

[[events]]
name = "invite_created"
url = "/invite-created"

[[steps]]
type = "form"
title = "Settings"

  [[steps.fields]]
  type = "text"
  key = "GREETING"
  label = "Greeting"
  default = "Hello"

  [[steps.fields]]
  type = "text"
  key = "COLOR"
  label = "Colour"
  default = "red"
`

// With a simulator running, send-event uses its install, config and
// token, registers the job before the plugin sees it, records the answer,
// waits for the plugin to finish the job and reports its final status;
// --expect checks that final status.
func TestSendEventWithSimulator(t *testing.T) {
	const secret = "sim-secret-0123456789abcdefghijklmnopqrstuvwxyz"
	t.Setenv(creds.EnvClientSecret, secret)
	t.Setenv(creds.EnvClientID, "")

	store := &sendFakeStore{
		install: simstate.Install{PluginID: "plugin-from-sim", InstallID: "install-from-sim", Config: map[string]any{"COLOR": "blue", "SIZE": "L"}},
		token:   "token-the-simulator-accepts",
	}
	var mu sync.Mutex
	var seen map[string]any
	var registeredFirst bool
	plugin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !creds.Verify(secret, body, r.Header.Get(creds.SignatureHeader)) {
			w.WriteHeader(500)
			return
		}
		var b struct {
			Meta map[string]any `json:"meta"`
		}
		_ = json.Unmarshal(body, &b)
		job, _ := b.Meta["job"].(map[string]any)
		id, _ := job["id"].(string)
		_, err := store.Job(r.Context(), id)
		mu.Lock()
		seen, registeredFirst = b.Meta, err == nil
		mu.Unlock()
		w.WriteHeader(http.StatusAccepted)
		go func() {
			time.Sleep(30 * time.Millisecond)
			store.patch(id, simstate.JobUpdate{Attachments: []map[string]any{{"type": "text", "label": "Badge", "value": "42"}}})
			time.Sleep(30 * time.Millisecond)
			store.patch(id, store.finish)
		}()
	}))
	defer plugin.Close()

	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "envoy-plugin.toml"), []byte(strings.Replace(sendSimManifest, "%s", plugin.URL, 1)), 0o644); err != nil {
		t.Fatal(err)
	}

	run := func(t *testing.T, args ...string) (error, string, string) {
		ios, _, out, errOut := iostreams.Test()
		f := NewFactory(ios, build.Info{Version: "test"})
		f.Getwd = func() (string, error) { return dir, nil }
		f.Getenv = func(string) string { return "" }
		c := newCmdSendEvent(f, func(o *sendEventOptions) error {
			o.OpenStore = func(projectDir string) (simstate.Store, error) {
				if projectDir != dir {
					t.Errorf("simulator looked up in %s, want %s", projectDir, dir)
				}
				return store, nil
			}
			return sendEventRun(context.Background(), f, o)
		})
		c.SetArgs(args)
		c.SetOut(io.Discard)
		c.SetErr(io.Discard)
		err := c.Execute()
		return err, out.String(), errOut.String()
	}

	t.Run("done through the API", func(t *testing.T) {
		store.finish = simstate.JobUpdate{Status: "done", StatusMessage: "Badge printed"}
		err, out, errOut := run(t, "invite_created", "--seed", "1", "--config", "SIZE=XL", "--set", "meta.config.EXTRA:=1", "--expect", "done")
		if err != nil {
			t.Fatalf("%v\n%s\n%s", err, out, errOut)
		}
		for _, want := range []string{"✓ invite_created: 202 ongoing → job done (", "job → done after waiting", `"Badge printed"`, "attachment [text] Badge: 42"} {
			if !strings.Contains(out, want) {
				t.Errorf("stdout lacks %q:\n%s", want, out)
			}
		}
		if !strings.Contains(errOut, "using the simulated install install-from-sim") {
			t.Errorf("stderr %q", errOut)
		}
		mu.Lock()
		defer mu.Unlock()
		if !registeredFirst {
			t.Error("the job was not registered before the plugin got it")
		}
		if seen["install_id"] != "install-from-sim" || seen["plugin_id"] != "plugin-from-sim" {
			t.Errorf("ids %v %v", seen["install_id"], seen["plugin_id"])
		}
		cfg, _ := json.Marshal(seen["config"])
		if string(cfg) != `{"COLOR":"blue","EXTRA":1,"GREETING":"Hello","SIZE":"XL"}` {
			t.Errorf("config layers: %s", cfg)
		}
		auth, _ := seen["auth"].(map[string]any)
		if auth["access_token"] != "token-the-simulator-accepts" || auth["expires_in"] != float64(7200) {
			t.Errorf("auth %v", auth)
		}
		for id, st := range store.statusSet {
			if st != "ongoing" {
				t.Errorf("job %s: the 202 was recorded as %q", id, st)
			}
		}
	})

	t.Run("failed through the API fails --expect done", func(t *testing.T) {
		store.finish = simstate.JobUpdate{Status: "failed", StatusMessage: "no printer", FailureReason: "printer_offline"}
		err, out, _ := run(t, "invite_created", "--seed", "2", "--expect", "done", "--json")
		if !errors.Is(err, SilentError) {
			t.Fatalf("err %v, want exit 1\n%s", err, out)
		}
		var res struct {
			Outcome string `json:"outcome"`
			Final   string `json:"final"`
			OK      bool   `json:"ok"`
			Job     struct {
				Status        string           `json:"status"`
				FailureReason string           `json:"failure_reason"`
				Attachments   []map[string]any `json:"attachments"`
				Final         bool             `json:"final"`
			} `json:"job"`
		}
		if err := json.Unmarshal([]byte(out), &res); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if res.Outcome != "ongoing" || res.Final != "failed" || res.OK || res.Job.Status != "failed" || res.Job.FailureReason != "printer_offline" || len(res.Job.Attachments) != 1 || !res.Job.Final {
			t.Fatalf("%+v", res)
		}
	})

	t.Run("state file only: ids and config, no jobs, no token", func(t *testing.T) {
		store.stopped = true
		defer func() { store.stopped = false }()
		before := len(store.jobs)
		err, out, errOut := run(t, "invite_created", "--seed", "4", "--dry-run", "--json")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !strings.Contains(out, `"install_id":"install-from-sim"`) || !strings.Contains(out, `"COLOR":"blue"`) || strings.Contains(out, "token-the") {
			t.Fatalf("%s", out)
		}
		if !strings.Contains(errOut, "envoy-plugin dev is not running") || len(store.jobs) != before {
			t.Fatalf("stderr %q, %d jobs registered", errOut, len(store.jobs)-before)
		}
	})

	t.Run("--wait 0 reports the job as it stands", func(t *testing.T) {
		store.finish = simstate.JobUpdate{Status: "done"}
		err, out, _ := run(t, "invite_created", "--seed", "3", "--wait", "0s", "--expect", "ongoing")
		if err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if !strings.Contains(out, "job → ongoing (not final)") {
			t.Fatalf("%s", out)
		}
	})
}

// A load run stopped by Ctrl-C prints its summary so far and exits 130.
func TestSendEventLoadInterrupted(t *testing.T) {
	t.Setenv(creds.EnvClientSecret, "load-secret-0123456789abcdefghijklmnopqrstuvwxyz")
	var hits sync.WaitGroup
	hits.Add(1)
	var once sync.Once
	plugin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		once.Do(hits.Done)
	}))
	defer plugin.Close()
	ios, _, out, _ := iostreams.Test()
	f := NewFactory(ios, build.Info{Version: "test"})
	dir := t.TempDir()
	f.Getwd = func() (string, error) { return dir, nil }
	f.Getenv = func(string) string { return "" }
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { hits.Wait(); cancel() }()
	c := newCmdSendEvent(f, func(o *sendEventOptions) error {
		o.OpenStore = nil
		return sendEventRun(ctx, f, o)
	})
	c.SetArgs([]string{"entry_sign_in", "--to", plugin.URL, "--count", "100000", "--rate", "200/s", "--seed", "1"})
	c.SetOut(io.Discard)
	c.SetErr(io.Discard)
	err := c.Execute()
	if !errors.Is(err, CancelError) {
		t.Fatalf("err = %v, want CancelError (exit 130)", err)
	}
	if !strings.Contains(out.String(), "interrupted after") {
		t.Fatalf("no summary:\n%s", out.String())
	}
}
