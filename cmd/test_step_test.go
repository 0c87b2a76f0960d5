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
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sample"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

func TestNewCmdTestStep(t *testing.T) {
	tests := []struct {
		args    []string
		want    testStepOptions
		wantErr string
	}{
		{args: []string{"Greetings", "--set", "A=1", "--set", "B:=true", "--expect", "saved", "--json"},
			want: testStepOptions{Step: "Greetings", Sets: []string{"A=1", "B:=true"}, Expect: "saved", JSON: true}},
		{args: []string{"2", "--expect", "blocked"}, want: testStepOptions{Step: "2", Expect: "blocked"}},
		{args: []string{}, wantErr: "step required"},
		{args: []string{"a", "b"}, wantErr: "too many arguments"},
		{args: []string{"1", "--expect", "done"}, wantErr: `--expect must be saved or blocked, not "done"`},
		{args: []string{"1", "--set", "x"}, wantErr: "want key=value or key:=json"},
		{args: []string{"1", "--set", "=x"}, wantErr: "want key=value or key:=json"},
		{args: []string{"1", "--set", ":=1"}, wantErr: "want key:=json"},
		{args: []string{"1", "--set", "a:=[1"}, wantErr: "invalid JSON after :="},
		{args: []string{"1", "--set", "a:=1 2"}, wantErr: "more than one value"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			var got *testStepOptions
			c := newCmdTestStep(NewFactory(ios, build.Info{}), func(o *testStepOptions) error { got = o; return nil })
			c.SetArgs(tt.args)
			c.SetOut(io.Discard)
			c.SetErr(io.Discard)
			err := c.Execute()
			if tt.wantErr != "" {
				var ue *UsageError
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !errors.As(err, &ue) {
					t.Fatalf("err = %v, want a usage error %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Step != tt.want.Step || !reflect.DeepEqual(got.Sets, tt.want.Sets) || got.Expect != tt.want.Expect || got.JSON != tt.want.JSON {
				t.Errorf("opts = %+v", got)
			}
		})
	}
}

func TestParseStepSet(t *testing.T) {
	tests := []struct {
		in    string
		key   string
		value any
	}{
		{"A=b", "A", "b"},
		{"A=", "A", ""},
		{"A=b=c", "A", "b=c"},
		{"A:=3600", "A", json.Number("3600")},
		{"A:=true", "A", true},
		{"A:=null", "A", nil},
		{`A:={"x":[1]}`, "A", map[string]any{"x": []any{json.Number("1")}}},
		{`A:="s"`, "A", "s"},
	}
	for _, tt := range tests {
		k, v, err := parseStepSet(tt.in)
		if err != nil || k != tt.key || !reflect.DeepEqual(v, tt.value) {
			t.Errorf("parseStepSet(%q) = %q, %#v, %v", tt.in, k, v, err)
		}
	}
}

func TestFindStep(t *testing.T) {
	m := &manifest.Manifest{Steps: []manifest.Step{{Title: "Greetings"}, {Title: "Connect Acme"}, {Title: "greetings"}}}
	tests := []struct {
		in      string
		want    int
		wantErr string
	}{
		{"1", 0, ""}, {"3", 2, ""}, {"Greetings", 0, ""}, {"greetings", 2, ""}, {"CONNECT ACME", 1, ""},
		{"0", 0, "no step 0: the manifest has 3 step(s)"}, {"4", 0, "no step 4"},
		{"Nope", 0, `no step "Nope"; steps: "Greetings", "Connect Acme", "greetings"`},
		{"Conect Acme", 0, `no step "Conect Acme" (did you mean "Connect Acme"?); steps:`},
	}
	for _, tt := range tests {
		got, err := findStep(m, tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("%q: %d, %v; want %d", tt.in, got, err, tt.want)
		}
	}
	if _, err := findStep(&manifest.Manifest{}, "x"); err == nil || !strings.Contains(err.Error(), "no [[steps]]") {
		t.Errorf("empty manifest: %v", err)
	}
}

func TestStepPayload(t *testing.T) {
	step := &manifest.Step{Fields: []manifest.Field{
		{Type: manifest.FieldText, Key: "GREETING", Default: "Hello"},
		{Type: manifest.FieldCheckbox, Key: "NOTIFY", Default: true},
		{Type: manifest.FieldText, Key: "FLAG"},
		{Type: manifest.FieldInfo, Text: "x"},
	}}
	got := stepPayload(step, []string{"NOTIFY=false", "FLAG=true", "N:=3"})
	want := map[string]any{"GREETING": "Hello", "NOTIFY": false, "FLAG": "true", "N": json.Number("3")}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("payload = %#v, want %#v", got, want)
	}
}

func TestTestStepRun(t *testing.T) {
	const secret = "step-secret-0123456789"
	t.Setenv("ENVOY_CLIENT_SECRET", secret)
	srv := httptest.NewServer(sample.New(sample.Options{Secret: secret}))
	defer srv.Close()
	dir := t.TempDir()
	mpath := filepath.Join(dir, "envoy-plugin.toml")
	if err := os.WriteFile(mpath, sample.Manifest(srv.URL), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		opts    testStepOptions
		store   *installMemStore
		out     []string
		wantErr string
	}{
		{name: "saved on the stored config", opts: testStepOptions{Step: "1", Sets: []string{"GREETING=Hey"}, Expect: "saved"}, store: &installMemStore{cfg: map[string]any{"KEEP": "k", "LEGACY_GREETING": "x", "API_TOKEN": "0123456789abcdefghij"}},
			out: []string{`✓ step 1 "Greetings": saved (200)`, `    KEEP = "k"`, `    GREETING_SHOUT = "HEY!"`, "  removes: LEGACY_GREETING"}},
		{name: "blocked", opts: testStepOptions{Step: "Greetings", Sets: []string{"GREETING=block"}, Expect: "blocked"},
			out: []string{`! step 1 "Greetings": blocked (400): The greeting "block" is not allowed`}},
		{name: "expect mismatch", opts: testStepOptions{Step: "Greetings", Sets: []string{"GREETING=block"}, Expect: "saved"},
			out: []string{"blocked (400)"}, wantErr: `step 1 "Greetings": expected saved, got blocked: The greeting "block" is not allowed`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, stdout, _ := iostreams.Test()
			f := NewFactory(ios, build.Info{})
			f.ManifestFlag = mpath
			o := tt.opts
			o.OpenStore = func(string) (simstate.Store, error) {
				if tt.store == nil {
					return nil, simstate.ErrNoSimulator
				}
				return tt.store, nil
			}
			err := testStepRun(context.Background(), f, &o)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.out {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			if strings.Contains(stdout.String(), "0123456789abcdefghij") {
				t.Errorf("a secret-looking value was printed:\n%s", stdout.String())
			}
			if tt.store != nil && (tt.store.merges != 0 || tt.store.cfg["LEGACY_GREETING"] != "x") {
				t.Errorf("test-step stored something: %v", tt.store.cfg)
			}
		})
	}
}

// A hostile validation URL: a body that stalls after the headers gets a
// diagnosis with the --timeout hint, a body over the 1 MiB read bound says
// so, and a message with terminal escapes is printed escaped.
func TestTestStepHostile(t *testing.T) {
	const secret = "step-secret-0123456789"
	t.Setenv("ENVOY_CLIENT_SECRET", secret)
	mode := ""
	release := make(chan struct{})
	defer close(release)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch mode {
		case "slow":
			w.WriteHeader(200)
			_, _ = w.Write([]byte(`{"GREETING":`))
			w.(http.Flusher).Flush()
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "large400", "large200":
			status := 400
			if mode == "large200" {
				status = 200
			}
			w.WriteHeader(status)
			_, _ = w.Write([]byte(`{"message":"` + strings.Repeat("x", 1<<20) + `"}`))
		case "escape":
			w.WriteHeader(400)
			_, _ = w.Write([]byte(`{"message":"bad\u001b]0;pwned\u0007\u001b[2J"}`))
		}
	}))
	defer srv.Close()
	dir := t.TempDir()
	mpath := filepath.Join(dir, "envoy-plugin.toml")
	if err := os.WriteFile(mpath, sample.Manifest(srv.URL), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode string
		out  []string
	}{
		{"slow", []string{"answered 200, then timed out while reading the answer", "hint: the plugin did not answer in time; raise --timeout"}},
		{"large400", []string{"blocked (400): (no message)", "hint: a body larger than 1 MiB, not read whole"}},
		{"large200", []string{"answered 200 with a body larger than 1 MiB, not read whole"}},
		{"escape", []string{`blocked (400): bad\x1b]0;pwned\a\x1b[2J`}},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			mode = tt.mode
			ios, _, stdout, _ := iostreams.Test()
			f := NewFactory(ios, build.Info{})
			f.ManifestFlag = mpath
			o := testStepOptions{Step: "1", Timeout: 300 * time.Millisecond,
				OpenStore: func(string) (simstate.Store, error) { return nil, simstate.ErrNoSimulator }}
			_ = testStepRun(context.Background(), f, &o)
			for _, s := range tt.out {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			if strings.ContainsAny(stdout.String(), "\x1b\a") || strings.Contains(stdout.String(), "deadline exceeded") {
				t.Errorf("raw escape or undiagnosed error:\n%q", stdout.String())
			}
		})
	}
}
