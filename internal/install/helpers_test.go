package install

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
	"github.com/envoy-plugin/envoy-plugin/internal/sample"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

const testSecret = "test-client-secret"

// fakeStore is a simstate.Store in memory that counts its writes.
type fakeStore struct {
	mu     sync.Mutex
	inst   simstate.Install
	merges int
}

func newFakeStore(cfg map[string]any) *fakeStore {
	if cfg == nil {
		cfg = map[string]any{}
	}
	return &fakeStore{inst: simstate.Install{PluginID: "plugin-1", InstallID: "install-1", Config: cfg}}
}

func (s *fakeStore) Running() bool { return false }
func (s *fakeStore) URL() string   { return "" }
func (s *fakeStore) Install(context.Context) (*simstate.Install, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.inst
	c.Config = maps.Clone(s.inst.Config)
	return &c, nil
}
func (s *fakeStore) MergeConfig(_ context.Context, patch map[string]any) (map[string]any, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.merges++
	ApplyPatch(s.inst.Config, patch)
	return maps.Clone(s.inst.Config), nil
}
func (s *fakeStore) RegisterJob(context.Context, simstate.Job) error { return nil }
func (s *fakeStore) Job(context.Context, string) (*simstate.Job, error) {
	return nil, fmt.Errorf("no jobs")
}
func (s *fakeStore) IssueToken(context.Context) (string, int, error) { return "tok", 3600, nil }

func (s *fakeStore) config() map[string]any {
	s.mu.Lock()
	defer s.mu.Unlock()
	return maps.Clone(s.inst.Config)
}

// testPlugin is the sample plugin plus options routes and broken routes.
type testPlugin struct {
	*httptest.Server
	mu     sync.Mutex
	params map[string][]map[string]any // by path: meta.params of each call
}

func newTestPlugin(t *testing.T) *testPlugin {
	t.Helper()
	tp := &testPlugin{params: map[string][]map[string]any{}}
	mux := http.NewServeMux()
	mux.Handle("/", sample.New(sample.Options{Secret: testSecret}))
	route := func(path string, h func(params map[string]any, payload map[string]any) (int, any)) {
		mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
			raw, _ := io.ReadAll(r.Body)
			if !creds.Verify(testSecret, raw, r.Header.Get(creds.SignatureHeader)) {
				w.WriteHeader(500)
				_, _ = w.Write([]byte(`{"message":"Could not verify meta."}`))
				return
			}
			var body struct {
				Meta    map[string]any `json:"meta"`
				Payload map[string]any `json:"payload"`
			}
			_ = json.Unmarshal(raw, &body)
			params, _ := body.Meta["params"].(map[string]any)
			tp.mu.Lock()
			tp.params[path] = append(tp.params[path], params)
			tp.mu.Unlock()
			status, out := h(params, body.Payload)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			if s, ok := out.(string); ok {
				_, _ = w.Write([]byte(s))
				return
			}
			_ = json.NewEncoder(w).Encode(out)
		})
	}
	hello := make([]Option, 25)
	for i := range hello {
		hello[i] = Option{Label: fmt.Sprintf("Hello %d", i+1), Value: fmt.Sprintf("h%d", i+1)}
	}
	route("/t/hello", func(p, _ map[string]any) (int, any) {
		var list []Option
		search, _ := p["search"].(string)
		for _, o := range hello {
			if strings.Contains(strings.ToLower(o.Label), strings.ToLower(search)) {
				list = append(list, o)
			}
		}
		page := 1
		if f, ok := p["page"].(float64); ok {
			page = int(f)
		}
		out := []Option{}
		for i := (page - 1) * 10; i < page*10 && i < len(list); i++ {
			out = append(out, list[i])
		}
		return 200, out
	})
	route("/t/hello-selected", func(p, _ map[string]any) (int, any) {
		v, _ := p["value"].(string)
		for _, o := range hello {
			if o.Value == v {
				return 200, o
			}
		}
		return 200, nil
	})
	route("/t/colors", func(p, _ map[string]any) (int, any) {
		switch p["cursor"] {
		case nil:
			return 200, map[string]any{"data": []Option{{Label: "Red", Value: "red"}, {Label: "Green", Value: "green"}}, "cursor": "c2"}
		case "c2":
			return 200, map[string]any{"data": []Option{{Label: "Blue", Value: "blue"}}, "cursor": "c3"}
		default:
			return 200, map[string]any{"data": []Option{{Label: "Black", Value: "black"}}, "cursor": nil}
		}
	})
	route("/t/visitor-types", func(map[string]any, map[string]any) (int, any) {
		return 200, []Option{{Label: "Visitor", Value: "visitor"}, {Label: "Guest", Value: "guest"}}
	})
	route("/t/badges", func(p, _ map[string]any) (int, any) {
		parent := fmt.Sprint(p["parent_resource_id"])
		return 200, []Option{{Label: "Badge for " + parent, Value: "badge-" + parent}, {Label: "Plain", Value: "plain"}}
	})
	route("/t/broken/invalid-json", func(map[string]any, map[string]any) (int, any) { return 200, `{"GREETING":` })
	route("/t/broken/500", func(map[string]any, map[string]any) (int, any) {
		return 500, map[string]any{"message": "database down"}
	})
	route("/t/broken/array", func(map[string]any, map[string]any) (int, any) { return 200, []any{"GREETING"} })
	route("/t/broken/no-message", func(map[string]any, map[string]any) (int, any) { return 400, `{}` })
	tp.Server = httptest.NewServer(mux)
	t.Cleanup(tp.Close)
	return tp
}

func (tp *testPlugin) calls(path string) []map[string]any {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return append([]map[string]any(nil), tp.params[path]...)
}

// testManifest is the sample plugin's steps with test options routes.
func testManifest(base string) *manifest.Manifest {
	return &manifest.Manifest{
		SchemaVersion: 1,
		Plugin:        manifest.Plugin{Name: "Test", BaseURL: base},
		Steps: []manifest.Step{
			{Type: manifest.StepForm, Title: "Greetings", ValidationURL: "/validate-greetings", Fields: []manifest.Field{
				{Type: manifest.FieldInfo, Text: "Pick how visitors are greeted."},
				{Type: manifest.FieldText, Key: "GREETING", Label: "Greeting", Required: true, Placeholder: "Hello", Default: "Hello"},
				{Type: manifest.FieldCheckbox, Key: "NOTIFY_HOST", Label: "Also notify the host", Default: true},
				{Type: manifest.FieldLink, Label: "Open the docs", URL: "https://example.com/docs"},
				{Type: manifest.FieldSelect, Key: "HELLO", Label: "Preferred hello", OptionsURL: "/t/hello", Searchable: true, Pagination: manifest.PaginationPage, SelectedValuesURL: "/t/hello-selected"},
				{Type: manifest.FieldSelect, Key: "COLOR", Label: "Badge colour", OptionsURL: "/t/colors", Pagination: manifest.PaginationCursor},
				{Type: manifest.FieldResourceSelect, Key: "LOCATIONS", Label: "Locations", Resource: "locations", Multiple: true},
				{Type: manifest.FieldMapping, Key: "VISITOR_TYPE_MAP", Label: "Map visitor types", OptionsURL: "/t/visitor-types",
					Target: &manifest.Field{Type: manifest.FieldSelect, OptionsURL: "/t/badges"}},
			}},
			{Type: manifest.StepOAuth2, Title: "Connect Acme", AuthorizeURL: "/oauth/authorize", TokenURL: "/oauth/token",
				ClientID: sample.OAuthClientID, ClientSecretEnv: "ACME_CLIENT_SECRET", Scopes: []string{"read"}, ValidationURL: "/acme-oauth-validate"},
			{Type: manifest.StepPopup, Title: "Pick a room", ContentURL: "/popup", ValidationURL: "/popup-validate"},
		},
	}
}

// browser plays the installer's browser: it watches the walk's log for
// "in a browser: URL" and follows that URL through its redirects, as a
// browser would. rewrite, when set, changes the callback request (to forge
// a state).
type browser struct {
	mu      sync.Mutex
	buf     bytes.Buffer
	scanned int
	rewrite func(q url.Values)
	manual  bool // only visit what OpenBrowser is given, not the log's URLs
	wg      sync.WaitGroup
	visits  []string
	errs    []error
	pages   []string // the bodies of the pages the visits ended on
}

func (b *browser) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.buf.Write(p)
	for {
		rest := b.buf.Bytes()[b.scanned:]
		i := bytes.IndexByte(rest, '\n')
		if i < 0 {
			break
		}
		line := string(rest[:i])
		b.scanned += i + 1
		if _, u, ok := strings.Cut(line, "in a browser: "); ok && !b.manual {
			b.visits = append(b.visits, u)
			b.wg.Add(1)
			go b.visit(strings.TrimSpace(u))
		}
	}
	return len(p), nil
}

func (b *browser) visit(u string) {
	defer b.wg.Done()
	c := &http.Client{Timeout: 5 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == CallbackPath && b.rewrite != nil {
			q := req.URL.Query()
			b.rewrite(q)
			req.URL.RawQuery = q.Encode()
		}
		return nil
	}}
	resp, err := c.Get(u)
	if err != nil {
		b.mu.Lock()
		b.errs = append(b.errs, err)
		b.mu.Unlock()
		return
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	b.mu.Lock()
	b.pages = append(b.pages, string(body))
	b.mu.Unlock()
}

func (b *browser) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// walkOptions are the options of a test walk.
func walkOptions(m *manifest.Manifest, st simstate.Store, log io.Writer) Options {
	env := map[string]string{"ACME_CLIENT_SECRET": sample.OAuthClientSecret}
	return Options{
		Manifest:        m,
		Store:           st,
		Client:          sim.NewClient(sim.ClientOptions{Timeout: 5 * time.Second}),
		Secret:          testSecret,
		Log:             log,
		Getenv:          func(k string) string { return env[k] },
		CallbackAddr:    "127.0.0.1:0",
		CallbackTimeout: 5 * time.Second,
	}
}

// lineReader hands out one line per Read, as a terminal does, so that each
// accessible prompt (which scans with its own buffer) gets exactly one line.
type lineReader struct {
	t     *testing.T
	lines []string
	eofs  int
}

func newLineReader(t *testing.T, lines ...string) *lineReader {
	return &lineReader{t: t, lines: lines}
}

func (r *lineReader) Read(p []byte) (int, error) {
	if len(r.lines) == 0 {
		r.eofs++
		if r.eofs > 20 {
			panic("test input exhausted: the walk keeps asking")
		}
		return 0, io.EOF
	}
	n := copy(p, r.lines[0]+"\n")
	r.lines = r.lines[1:]
	return n, nil
}

// fakePrompter answers prompts from a script: each entry names the prompt
// kind, a substring of its title, and the answer (a label to pick for
// Select/MultiSelect, the text for Input, the bool for Confirm).
type fakePrompter struct {
	t      *testing.T
	script []fakeAnswer
	asked  []string
	// selects records every Select: its title, option labels and default.
	selects []seenSelect
	// descs records "title: description" of every Input.
	descs []string
}

type seenSelect struct {
	title  string
	labels []string
	def    string // the label of the default option
}

type fakeAnswer struct {
	kind   string // input, confirm, select, multiselect
	title  string
	answer any
}

func (f *fakePrompter) next(kind, title string) fakeAnswer {
	f.t.Helper()
	f.asked = append(f.asked, kind+": "+title)
	if len(f.script) == 0 {
		f.t.Fatalf("unexpected %s prompt %q (asked so far: %q)", kind, title, f.asked)
	}
	a := f.script[0]
	f.script = f.script[1:]
	if a.kind != kind || !strings.Contains(title, a.title) {
		f.t.Fatalf("prompt %s %q, script expected %s %q", kind, title, a.kind, a.title)
	}
	return a
}

// pressEnter answers an Input as a bare Enter does with the real
// prompter: the default.
type pressEnter struct{}

func (f *fakePrompter) Input(title, desc, def string, _ func(string) error) (string, error) {
	f.descs = append(f.descs, title+": "+desc)
	a := f.next("input", title)
	if _, ok := a.answer.(pressEnter); ok {
		return def, nil
	}
	return a.answer.(string), nil
}

func (f *fakePrompter) Confirm(title string, _ bool) (bool, error) {
	return f.next("confirm", title).answer.(bool), nil
}

func (f *fakePrompter) Select(title string, options []prompt.Option, def string) (string, error) {
	seen := seenSelect{title: title}
	for _, o := range options {
		seen.labels = append(seen.labels, o.Label)
		if o.Value == def {
			seen.def = o.Label
		}
	}
	f.selects = append(f.selects, seen)
	a := f.next("select", title)
	for _, o := range options {
		if o.Label == a.answer.(string) {
			return o.Value, nil
		}
	}
	f.t.Fatalf("select %q has no option %q: %v", title, a.answer, options)
	return "", nil
}

func (f *fakePrompter) MultiSelect(title string, options []prompt.Option, _ []string) ([]string, error) {
	a := f.next("multiselect", title)
	var out []string
	for _, want := range a.answer.([]string) {
		found := false
		for _, o := range options {
			if strings.HasPrefix(o.Label, want) {
				out = append(out, o.Value)
				found = true
			}
		}
		if !found {
			f.t.Fatalf("multiselect %q has no option %q: %v", title, want, options)
		}
	}
	return out, nil
}

func (f *fakePrompter) done() {
	f.t.Helper()
	if len(f.script) > 0 {
		f.t.Fatalf("prompts not asked: %v", f.script)
	}
}
