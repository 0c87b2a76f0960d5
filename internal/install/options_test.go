package install

import (
	"context"
	"encoding/json"
	"net/http"
	"reflect"
	"strings"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

func TestParseOptions(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		opts    []Option
		cursor  any
		wantErr string
	}{
		{name: "array", body: `[{"label":"A","value":"a"},{"label":"B","value":2,"isDisabled":true}]`,
			opts: []Option{{Label: "A", Value: "a"}, {Label: "B", Value: json.Number("2"), Disabled: true}}},
		{name: "cursor object", body: `{"data":[{"label":"A","value":"a"}],"cursor":"next"}`, opts: []Option{{Label: "A", Value: "a"}}, cursor: "next"},
		{name: "last cursor page", body: `{"data":[],"cursor":null}`, opts: []Option{}},
		{name: "null", body: `null`, wantErr: "a JSON null, not an array of options"},
		{name: "number", body: `3`, wantErr: "a JSON number, not an array of options"},
		{name: "number label", body: `[{"label":7,"value":"a"}]`, opts: []Option{{Label: "7", Value: "a"}}},
		{name: "invalid JSON", body: `[{`, wantErr: "invalid JSON"},
		{name: "object without data", body: `{"options":[]}`, wantErr: `without a "data" array`},
		{name: "string", body: `"x"`, wantErr: "a JSON string, not an array"},
		{name: "option not an object", body: `["a"]`, wantErr: "option 0: not an object"},
		{name: "no label", body: `[{"value":"a"}]`, wantErr: "option 0: no label"},
		{name: "bool value", body: `[{"label":"A","value":true}]`, wantErr: "value must be a string or a number, got boolean"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts, cursor, err := parseOptions([]byte(tt.body))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(opts, tt.opts) || cursor != tt.cursor {
				t.Fatalf("got %#v %v, want %#v %v", opts, cursor, tt.opts, tt.cursor)
			}
		})
	}
}

// TestOptionLoader walks page and cursor pagination the way the dashboard
// does, with search and parent_resource_id, and stops at loops.
func TestOptionLoader(t *testing.T) {
	tp := newTestPlugin(t)
	m := testManifest(tp.URL)
	r := &Route{Client: sim.NewClient(sim.ClientOptions{}), Secret: testSecret, Install: RouteInstall(&newFakeStore(nil).inst, nil)}
	ctx := context.Background()

	hello := &manifest.Field{OptionsURL: "/t/hello", Pagination: manifest.PaginationPage, Searchable: true}
	l, err := newOptionLoader(r, m, "HELLO", hello, nil)
	if err != nil {
		t.Fatal(err)
	}
	l.reset("")
	var all []Option
	for l.hasMore() {
		page, err := l.next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		all = append(all, page...)
	}
	if len(all) != 25 || l.pages != 4 {
		t.Fatalf("%d options in %d pages, want 25 in 4 (the last one empty)", len(all), l.pages)
	}
	l.reset("1")
	page, _ := l.next(ctx)
	if len(page) != 10 || page[0].Label != "Hello 1" || page[1].Label != "Hello 10" {
		t.Fatalf("search page = %v", page)
	}
	calls := tp.calls("/t/hello")
	if last := calls[len(calls)-1]; last["search"] != "1" || last["page"] != float64(1) {
		t.Fatalf("params = %v", last)
	}

	colors, _ := newOptionLoader(r, m, "COLOR", &manifest.Field{OptionsURL: "/t/colors", Pagination: manifest.PaginationCursor}, nil)
	colors.reset("")
	n := 0
	for colors.hasMore() {
		page, err := colors.next(ctx)
		if err != nil {
			t.Fatal(err)
		}
		n += len(page)
	}
	if n != 4 || colors.pages != 3 {
		t.Fatalf("cursor walk: %d options in %d pages", n, colors.pages)
	}

	badges, _ := newOptionLoader(r, m, "MAP", &manifest.Field{OptionsURL: "/t/badges"}, json.Number("12"))
	badges.reset("")
	page, _ = badges.next(ctx)
	if page[0].Value != "badge-12" || badges.hasMore() {
		t.Fatalf("right side = %v", page)
	}

	if _, err := newOptionLoader(r, m, "X", &manifest.Field{}, nil); err == nil {
		t.Fatal("a select without options_url must be refused")
	}
	bad, _ := newOptionLoader(r, m, "X", &manifest.Field{OptionsURL: "/t/broken/500"}, nil)
	bad.reset("")
	if _, err := bad.next(ctx); err == nil || !strings.Contains(err.Error(), "answered 500") {
		t.Fatalf("err = %v", err)
	}
}

func TestLookupSelected(t *testing.T) {
	tp := newTestPlugin(t)
	m := testManifest(tp.URL)
	r := &Route{Client: sim.NewClient(sim.ClientOptions{}), Secret: testSecret, Install: RouteInstall(&newFakeStore(nil).inst, nil)}
	f := &manifest.Field{SelectedValuesURL: "/t/hello-selected"}
	o, err := lookupSelected(context.Background(), r, m, "HELLO", f, "h21")
	if err != nil || o == nil || o.Label != "Hello 21" {
		t.Fatalf("%v %v", o, err)
	}
	o, err = lookupSelected(context.Background(), r, m, "HELLO", f, "nope")
	if err != nil || o != nil {
		t.Fatalf("unknown value: %v %v", o, err)
	}
}

// FuzzParseOptions: any answer parses or fails, never panics; parsed
// options always have a string or number value.
func FuzzParseOptions(f *testing.F) {
	for _, s := range []string{`[{"label":"A","value":"a"}]`, `{"data":[{"label":"A","value":1}],"cursor":"c"}`, `null`, `[{"label":null}]`, `{"data":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		opts, _, err := parseOptions(data)
		if err != nil {
			return
		}
		for _, o := range opts {
			switch o.Value.(type) {
			case string, json.Number:
			default:
				t.Fatalf("option value %T", o.Value)
			}
		}
	})
}

// FuzzReadValidation: any answer gives exactly one of saved (with an
// object), blocked or failed; never a panic.
func FuzzReadValidation(f *testing.F) {
	f.Add(200, []byte(`{"A":null}`))
	f.Add(400, []byte(`{"message":"no"}`))
	f.Add(500, []byte(`oops`))
	f.Add(204, []byte(``))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		o := ReadValidation("http://p/v", &sim.Response{Status: status, Body: body, Header: http.Header{}})
		switch o.Result {
		case Saved:
			if o.Patch == nil || status < 200 || status > 299 {
				t.Fatalf("saved without an object or with status %d", status)
			}
		case Blocked:
			if status < 400 || status > 499 {
				t.Fatalf("blocked with status %d", status)
			}
		case Failed:
		default:
			t.Fatalf("result %q", o.Result)
		}
		_ = o.Describe()
	})
}

// FuzzReadTokenResponse: a token endpoint's answer is a token response
// with an access_token, or an error; never a panic.
func FuzzReadTokenResponse(f *testing.F) {
	f.Add(200, "application/json", []byte(`{"access_token":"a","token_type":"Bearer"}`))
	f.Add(401, "application/json", []byte(`{"error":"invalid_client"}`))
	f.Add(200, "application/x-www-form-urlencoded", []byte(`access_token=a&scope=read`))
	f.Add(200, "text/plain", []byte(`access_token=a`))
	step := &manifest.Step{ClientID: "c", ClientSecretEnv: "S"}
	f.Fuzz(func(t *testing.T, status int, ctype string, body []byte) {
		h := http.Header{}
		h.Set("Content-Type", ctype)
		tok, err := readTokenResponse(step, "http://p/token", &sim.Response{Status: status, Header: h, Body: body})
		if err == nil && valueString(tok["access_token"]) == "" {
			t.Fatalf("a token response without access_token: %v", tok)
		}
	})
}

func TestReadTokenResponse(t *testing.T) {
	step := &manifest.Step{ClientID: "c", ClientSecretEnv: "ACME_SECRET"}
	tests := []struct {
		status  int
		ctype   string
		body    string
		wantErr string
		token   string
	}{
		{200, "application/json", `{"access_token":"a1","expires_in":3600}`, "", "a1"},
		{200, "application/x-www-form-urlencoded", `access_token=a2&token_type=bearer`, "", "a2"},
		{401, "application/json", `{"error":"invalid_client","error_description":"bad secret"}`, "answered 401 error=invalid_client: bad secret; check ACME_SECRET", ""},
		{200, "application/json", `{"error":"invalid_grant"}`, "answered 200 error=invalid_grant", ""},
		{500, "text/html", `<h1>down</h1>`, "answered 500: <h1>down</h1>", ""},
		{200, "application/json", `{"token_type":"Bearer"}`, "without an access_token", ""},
		{200, "application/json", `[1]`, "without a JSON object", ""},
	}
	for _, tt := range tests {
		h := http.Header{}
		h.Set("Content-Type", tt.ctype)
		tok, err := readTokenResponse(step, "http://p/token", &sim.Response{Status: tt.status, Header: h, Body: []byte(tt.body)})
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s: err = %v, want %q", tt.body, err, tt.wantErr)
			}
			continue
		}
		if err != nil || tok["access_token"] != tt.token {
			t.Errorf("%s: %v %v", tt.body, tok, err)
		}
	}
}
