package install

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// hostilePlugin answers what a broken or hostile plugin would.
func hostilePlugin(t *testing.T) *httptest.Server {
	t.Helper()
	release := make(chan struct{})
	mux := http.NewServeMux()
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/reset", func(w http.ResponseWriter, r *http.Request) {
		c, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = c.Close()
		}
	})
	mux.HandleFunc("/null", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("null")) })
	mux.HandleFunc("/500", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(500)
		_, _ = w.Write([]byte(`<script>alert(1)</script>`))
	})
	mux.HandleFunc("/large", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"a","pad":"` + strings.Repeat("x", 1<<20) + `"}`))
	})
	mux.HandleFunc("/escape", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		_, _ = w.Write([]byte(`{"message":"no\u001b]0;pwned\u0007\u001b[2J"}`))
	})
	mux.HandleFunc("/evil-options", func(w http.ResponseWriter, r *http.Request) {
		_, _ = w.Write([]byte(`[{"label":"Evil\u001b[31m red","value":"e"},{"label":"Café ☕","value":"c"}]`))
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(func() { close(release); srv.Close() })
	return srv
}

// --strict: a value that could not be checked because the options URL
// failed is the plugin's fault, worded so, not "not offered".
func TestRunStrictOptionsURLFails(t *testing.T) {
	tp := newTestPlugin(t)
	hp := hostilePlugin(t)
	tests := []struct{ path, want string }{
		{"/slow", "the options URL of HELLO failed (timed out): cannot check the answers; fix the plugin or drop --strict"},
		{"/reset", "the options URL of HELLO failed (connection reset): cannot check the answers; fix the plugin or drop --strict"},
		{"/null", "the options URL of HELLO broke the contract (answered a JSON null, not an array of options): cannot check the answers; fix the plugin or drop --strict"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			m := testManifest(tp.URL)
			m.Steps = m.Steps[:1]
			m.Steps[0].ValidationURL = ""
			for i := range m.Steps[0].Fields {
				if f := &m.Steps[0].Fields[i]; f.Key == "HELLO" {
					f.OptionsURL, f.SelectedValuesURL = hp.URL+tt.path, ""
				}
			}
			st := newFakeStore(nil)
			var log bytes.Buffer
			o := walkOptions(m, st, &log)
			o.Client = sim.NewClient(sim.ClientOptions{Timeout: 200 * time.Millisecond})
			o.Answers = mustAnswers(t, "GREETING = \"x\"\nHELLO = \"h1\"\n")
			o.Strict = true
			_, err := Run(context.Background(), o)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("err = %v\nwant %q\n%s", err, tt.want, log.String())
			}
			if strings.Contains(err.Error(), "not offered") || strings.Contains(log.String(), "not among") {
				t.Errorf("an unchecked value was counted as not offered: %v\n%s", err, log.String())
			}
			if !strings.Contains(log.String(), `HELLO = "h1": could not be checked`) || st.merges != 0 {
				t.Errorf("merges %d, log:\n%s", st.merges, log.String())
			}
		})
	}
}

// The callback page answers after the token exchange and the validation:
// it says done only when the step completed, else why it failed
// (HTML-escaped). A token response over the read bound says so.
func TestRunCallbackPageWaitsForOutcome(t *testing.T) {
	tp := newTestPlugin(t)
	hp := hostilePlugin(t)
	tests := []struct {
		name, tokenURL string
		page, err      string
	}{
		{"ok", "", "This step is complete", ""},
		{"token 500", hp.URL + "/500", "This step failed: token URL " + hp.URL + "/500 answered 500: &lt;script&gt;", "answered 500"},
		{"token too large", hp.URL + "/large", "This step failed", "answered 200 with a body larger than 1 MiB, not read whole"},
		{"token timeout", hp.URL + "/slow", "This step failed", "timed out"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testManifest(tp.URL)
			m.Steps = m.Steps[:2]
			if tt.tokenURL != "" {
				m.Steps[1].TokenURL = tt.tokenURL
			}
			st := newFakeStore(nil)
			b := &browser{}
			o := walkOptions(m, st, b)
			o.Client = sim.NewClient(sim.ClientOptions{Timeout: 300 * time.Millisecond})
			o.Answers = mustAnswers(t, "GREETING = \"x\"\n")
			_, err := Run(context.Background(), o)
			b.wg.Wait()
			if tt.err == "" && err != nil || tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
				t.Fatalf("err = %v, want %q\n%s", err, tt.err, b.String())
			}
			b.mu.Lock()
			pages := strings.Join(b.pages, "\n")
			b.mu.Unlock()
			if !strings.Contains(pages, tt.page) {
				t.Errorf("pages lack %q:\n%s", tt.page, pages)
			}
			if tt.err != "" && strings.Contains(pages, "complete") {
				t.Errorf("the page said complete for a failed step:\n%s", pages)
			}
		})
	}
}

// A validation message with terminal escapes is shown escaped.
func TestRunEscapesPluginMessages(t *testing.T) {
	tp := newTestPlugin(t)
	hp := hostilePlugin(t)
	m := testManifest(tp.URL)
	m.Steps = m.Steps[:1]
	m.Steps[0].ValidationURL = hp.URL + "/escape"
	o := walkOptions(m, newFakeStore(nil), &bytes.Buffer{})
	o.Answers = mustAnswers(t, "GREETING = \"x\"\n")
	_, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), `no\x1b]0;pwned\a\x1b[2J`) || strings.ContainsAny(err.Error(), "\x1b\a") {
		t.Fatalf("err = %q", err)
	}
}

// Option labels are escaped before they reach a prompt.
func TestRunEscapesOptionLabels(t *testing.T) {
	tp := newTestPlugin(t)
	hp := hostilePlugin(t)
	m := testManifest(tp.URL)
	m.Steps = m.Steps[:1]
	m.Steps[0].ValidationURL = ""
	for _, f := range m.Steps[0].Fields {
		if f.Key == "HELLO" {
			f.OptionsURL, f.SelectedValuesURL, f.Searchable, f.Pagination = hp.URL+"/evil-options", "", false, ""
			m.Steps[0].Fields = []manifest.Field{f}
			break
		}
	}
	fp := &fakePrompter{t: t, script: []fakeAnswer{{"select", "Preferred hello", `Evil\x1b[31m red`}}}
	o := walkOptions(m, newFakeStore(nil), &bytes.Buffer{})
	o.Prompter = fp
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	fp.done()
	if len(fp.selects) != 1 || !slices.Contains(fp.selects[0].labels, "Café ☕") {
		t.Errorf("selects = %+v", fp.selects)
	}
}
