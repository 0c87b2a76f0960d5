package selectcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/selectcheck/selecttest"
)

type recorded struct {
	path   string
	query  url.Values
	header http.Header
	body   []byte
	meta   map[string]any
	params map[string]any
	hasPay bool
}

// recorder serves the selecttest variants and records every request.
type recorder struct {
	mu   sync.Mutex
	reqs []recorded
	next http.Handler
}

func (r *recorder) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	body, _ := io.ReadAll(req.Body)
	var v struct {
		Meta    map[string]any  `json:"meta"`
		Payload json.RawMessage `json:"payload"`
	}
	_ = json.Unmarshal(body, &v)
	params, _ := v.Meta["params"].(map[string]any)
	r.mu.Lock()
	r.reqs = append(r.reqs, recorded{path: req.URL.Path, query: req.URL.Query(), header: req.Header.Clone(), body: body, meta: v.Meta, params: params, hasPay: string(v.Payload) == "{}"})
	r.mu.Unlock()
	req.Body = io.NopCloser(bytes.NewReader(body))
	r.next.ServeHTTP(w, req)
}

func (r *recorder) byPath(p string) []recorded {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []recorded
	for _, q := range r.reqs {
		if q.path == p {
			out = append(out, q)
		}
	}
	return out
}

func startRecorder(t *testing.T) (*recorder, string) {
	rec := &recorder{next: selecttest.New(testSecret)}
	srv := httptest.NewServer(rec)
	t.Cleanup(srv.Close)
	return rec, srv.URL
}

// Each call is a route request as Envoy makes it: signed POST, meta with
// route and params, payload {}, params also in the query string.
func TestRequestsAreRouteRequests(t *testing.T) {
	rec, base := startRecorder(t)
	opts := testOptions()
	opts.Search = []string{"berry"}
	f := runOne(t, Target{Key: "FRUIT", URL: base + "/ok/cursor", Pagination: manifest.PaginationCursor, Searchable: true, SelectedValuesURL: base + "/selected/ok"}, opts)
	if f.Failed+f.Warnings > 0 {
		t.Fatalf("unexpected problems:\n%s", dump(f))
	}
	calls := rec.byPath("/ok/cursor")
	if len(calls) < 4 {
		t.Fatalf("only %d calls", len(calls))
	}
	for i, c := range calls {
		if !creds.Verify(testSecret, c.body, c.header.Get(creds.SignatureHeader)) {
			t.Fatalf("call %d: signature does not verify", i)
		}
		if c.header.Get("Content-Type") != "application/json" {
			t.Fatalf("call %d: content type %q", i, c.header.Get("Content-Type"))
		}
		for _, k := range []string{"route", "plugin_id", "install_id", "config", "params", "location", "company", "zone", "auth"} {
			if _, ok := c.meta[k]; !ok {
				t.Fatalf("call %d: meta lacks %s: %v", i, k, c.meta)
			}
		}
		// A route's meta is an event's without event and job (platform.md).
		for _, k := range []string{"event", "job"} {
			if _, ok := c.meta[k]; ok {
				t.Fatalf("call %d: a route's meta must not carry %s: %v", i, k, c.meta)
			}
		}
		if _, ok := c.meta["params"].(map[string]any); !ok {
			t.Fatalf("call %d: meta.params is not an object: %v", i, c.meta["params"])
		}
		if c.meta["route"] != "FRUIT" || !c.hasPay {
			t.Fatalf("call %d: route %v, payload {} %v", i, c.meta["route"], c.hasPay)
		}
		// Params are in meta.params and in the query string alike.
		for k, v := range c.params {
			if got := c.query.Get(k); got != v.(string) {
				t.Fatalf("call %d: query %s=%q, meta.params %v", i, k, got, v)
			}
		}
	}
	// The first call carries no cursor; each later one the previous cursor.
	if _, ok := calls[0].params["cursor"]; ok {
		t.Fatalf("first call has a cursor: %v", calls[0].params)
	}
	if calls[1].params["cursor"] != "c10" || calls[2].params["cursor"] != "c20" {
		t.Fatalf("cursors: %v, %v", calls[1].params, calls[2].params)
	}
	// A search walk: first call without cursor but with search.
	var searched bool
	for _, c := range calls {
		if c.params["search"] == "berry" {
			if _, ok := c.params["cursor"]; ok {
				continue
			}
			searched = true
		}
	}
	if !searched {
		t.Fatal("no first search call without a cursor")
	}
	// Selected values: one value, then an array (the key repeated in the query).
	sel := rec.byPath("/selected/ok")
	var sawArray bool
	for _, c := range sel {
		if _, ok := c.meta["job"]; ok || c.meta["route"] != "FRUIT" || !c.hasPay || !creds.Verify(testSecret, c.body, c.header.Get(creds.SignatureHeader)) {
			t.Fatalf("selected-values call is not a signed route request: %v", c.meta)
		}
		if arr, ok := c.params["value"].([]any); ok {
			sawArray = true
			if len(c.query["value"]) != len(arr) || len(arr) < 2 {
				t.Fatalf("array value %v, query %v", arr, c.query["value"])
			}
		}
	}
	if !sawArray {
		t.Fatal("selected values never looked up as an array")
	}
}

func TestPageParamNumberFirstPageOne(t *testing.T) {
	rec, base := startRecorder(t)
	f := runOne(t, Target{Key: "K", URL: base + "/ok/page", Pagination: manifest.PaginationPage}, testOptions())
	calls := rec.byPath("/ok/page")
	// 3 pages of 25 fruits, then empty page 4 and page 5.
	if len(calls) != 5 {
		t.Fatalf("%d calls:\n%s", len(calls), dump(f))
	}
	for i, c := range calls {
		if n, ok := c.params["page"].(float64); !ok || int(n) != i+1 {
			t.Fatalf("call %d: page %#v", i, c.params["page"])
		}
		if c.query.Get("page") != string(rune('1'+i)) {
			t.Fatalf("call %d: query page %q", i, c.query.Get("page"))
		}
	}
}

func TestParamsIn(t *testing.T) {
	for _, tt := range []struct {
		in       ParamsIn
		inBody   bool
		inQuery  bool
		walkFail bool // the server reads meta.params only
	}{
		{ParamsBoth, true, true, false},
		{ParamsBody, true, false, false},
		{ParamsQuery, false, true, true},
	} {
		t.Run(string(tt.in), func(t *testing.T) {
			rec, base := startRecorder(t)
			opts := testOptions()
			opts.ParamsIn = tt.in
			f := runOne(t, Target{Key: "K", URL: base + "/ok/page", Pagination: manifest.PaginationPage}, opts)
			first := rec.byPath("/ok/page")[0]
			if _, ok := first.params["page"]; ok != tt.inBody {
				t.Fatalf("page in meta.params: %v", first.params)
			}
			if first.query.Has("page") != tt.inQuery {
				t.Fatalf("page in query: %v", first.query)
			}
			if _, ok := first.meta["params"].(map[string]any); !ok {
				t.Fatalf("meta.params must always be an object: %v", first.meta)
			}
			if p := check(f, "pagination"); (p.Status == Fail) != tt.walkFail {
				t.Fatalf("pagination %s:\n%s", p.Status, dump(f))
			}
		})
	}
}

// The right side of a mapping is called with the left side's values as
// parent_resource_id; without left values it is skipped.
func TestMappingRightSide(t *testing.T) {
	rec, base := startRecorder(t)
	left := Target{Key: "MAP", Side: SideLeft, URL: base + "/ok/cursor", Pagination: manifest.PaginationCursor, SelectedValuesURL: base + "/selected/ok"}
	right := Target{Key: "MAP", Side: SideRight, URL: base + "/ok/none", Pagination: manifest.PaginationNone}
	rep := Run(context.Background(), []Target{left, right}, testOptions())
	if !rep.OK() {
		t.Fatalf("%s\n%s", dump(rep.Fields[0]), dump(rep.Fields[1]))
	}
	var parents []any
	for _, c := range rec.byPath("/ok/none") {
		parents = append(parents, c.params["parent_resource_id"])
	}
	// first option, first of page 2, last option
	want := []any{"apple", "dragon fruit", "plum"}
	if len(parents) != 3 || parents[0] != want[0] || parents[1] != want[1] || parents[2] != want[2] {
		t.Fatalf("parents %v, want %v", parents, want)
	}
	if rep.Fields[1].Name != "MAP (right)" || !strings.Contains(rep.Fields[1].Checks[0].Message, "3 parent values (\"apple\", \"dragon fruit\", \"plum\")") {
		t.Fatalf("%s", dump(rep.Fields[1]))
	}

	// A left side without options: the right side is skipped.
	empty := left
	empty.URL = base + "/ok/none"
	empty.Pagination = manifest.PaginationNone
	empty.Params = map[string]any{"search": "no fruit is called this"}
	rep = Run(context.Background(), []Target{empty, right}, testOptions())
	if c := rep.Fields[1].Checks[0]; c.Status != Skip {
		t.Fatalf("right side: %+v", c)
	}
	if c := check(rep.Fields[0], "walk"); c.Status != Warn {
		t.Fatalf("empty left side: %+v", c)
	}
}

func TestTargetsFromManifest(t *testing.T) {
	m := sampleManifest(t)
	ts, err := Targets(m, nil)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, tg := range ts {
		names = append(names, tg.Name())
	}
	if got := strings.Join(names, ","); got != "HELLO,COLOR,VISITOR_TYPE_MAP (left),VISITOR_TYPE_MAP (right)" {
		t.Fatalf("targets %s", got)
	}
	if ts[0].Pagination != manifest.PaginationPage || !ts[0].Searchable || !strings.HasSuffix(ts[0].SelectedValuesURL, "/hello-selected") {
		t.Fatalf("%+v", ts[0])
	}
	ts, err = Targets(m, []string{"VISITOR_TYPE_MAP"})
	if err != nil || len(ts) != 2 {
		t.Fatalf("%v %v", ts, err)
	}
	_, err = Targets(m, []string{"HELLO", "GREETING", "NOPE"})
	var uk *UnknownKeyError
	if !errors.As(err, &uk) || len(uk.Keys) != 2 || !strings.Contains(err.Error(), "HELLO, COLOR, VISITOR_TYPE_MAP") {
		t.Fatalf("%v", err)
	}
}
