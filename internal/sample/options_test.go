package sample

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
)

const optSecret = "sample-options-secret"

// call posts a signed route request with params to path.
func call(t *testing.T, h http.Handler, path string, params map[string]any, sign bool) (int, any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"meta": map[string]any{"route": "K", "params": params}, "payload": map[string]any{}})
	req := httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sign {
		req.Header.Set(creds.SignatureHeader, creds.Sign(optSecret, body))
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var v any
	d := json.NewDecoder(rec.Body)
	d.UseNumber()
	if err := d.Decode(&v); err != nil {
		t.Fatalf("%s: invalid JSON answer: %v", path, err)
	}
	return rec.Code, v
}

func labels(t *testing.T, v any) []string {
	t.Helper()
	list, ok := v.([]any)
	if !ok {
		t.Fatalf("not an array: %#v", v)
	}
	var out []string
	for _, e := range list {
		o := e.(map[string]any)
		out = append(out, o["label"].(string))
	}
	return out
}

func TestHelloOptionsPages(t *testing.T) {
	p := New(Options{Secret: optSecret})
	if len(hellos()) != 45 {
		t.Fatalf("%d hellos, want 45", len(hellos()))
	}
	seen := map[string]bool{}
	total := 0
	for page := 1; page <= 6; page++ {
		// page arrives as a number or as a string
		var pv any = page
		if page%2 == 0 {
			pv = strconv.Itoa(page)
		}
		code, v := call(t, p, "/hello-options", map[string]any{"page": pv}, true)
		if code != 200 {
			t.Fatalf("page %d: %d %v", page, code, v)
		}
		ls := labels(t, v)
		if page <= 4 && len(ls) != HelloPageSize || page == 5 && len(ls) != 5 || page == 6 && len(ls) != 0 {
			t.Fatalf("page %d: %d options", page, len(ls))
		}
		for _, l := range ls {
			if seen[l] {
				t.Fatalf("%q twice", l)
			}
			seen[l] = true
		}
		total += len(ls)
	}
	if total != 45 {
		t.Fatalf("%d options", total)
	}
	if code, _ := call(t, p, "/hello-options", map[string]any{"page": "zero"}, true); code != 400 {
		t.Fatalf("bad page: %d", code)
	}
	if code, v := call(t, p, "/hello-options", map[string]any{}, true); code != 200 || len(labels(t, v)) != HelloPageSize {
		t.Fatalf("no page: first page expected, got %d %v", code, v)
	}
}

func TestHelloOptionsSearch(t *testing.T) {
	p := New(Options{Secret: optSecret})
	_, v := call(t, p, "/hello-options", map[string]any{"page": 1, "search": "HOLA"}, true)
	if got := labels(t, v); len(got) != 1 || got[0] != "Hola (Spanish)" {
		t.Fatalf("%v", got)
	}
	_, v = call(t, p, "/hello-options", map[string]any{"page": 1, "search": "привет"}, true)
	if got := labels(t, v); len(got) != 1 || got[0] != "Привет (Russian)" {
		t.Fatalf("unicode, case-insensitive: %v", got)
	}
	for _, odd := range []string{"100% & a?b=c", "zzz", "  "} {
		if code, _ := call(t, p, "/hello-options", map[string]any{"page": 1, "search": odd}, true); code != 200 {
			t.Fatalf("%q: %d", odd, code)
		}
	}
}

func TestSelectedValues(t *testing.T) {
	p := New(Options{Secret: optSecret})
	_, v := call(t, p, "/hello-selected", map[string]any{"value": "es"}, true)
	if o, ok := v.(map[string]any); !ok || o["label"] != "Hola (Spanish)" {
		t.Fatalf("one value: %#v", v)
	}
	_, v = call(t, p, "/hello-selected", map[string]any{"value": []any{"es", "nope", "fr"}}, true)
	if got := labels(t, v); strings.Join(got, "|") != "Hola (Spanish)|Bonjour (French)" {
		t.Fatalf("array: %v", got)
	}
	_, v = call(t, p, "/hello-selected", map[string]any{"value": "nope"}, true)
	if v != nil {
		t.Fatalf("unknown: %#v", v)
	}
	// Numeric values (visitor types) as numbers or strings.
	for _, val := range []any{102, "102"} {
		_, v = call(t, p, "/visitor-types-selected", map[string]any{"value": val}, true)
		if o, ok := v.(map[string]any); !ok || o["label"] != "Contractor" {
			t.Fatalf("%#v: %#v", val, v)
		}
	}
}

func TestCursorRoutes(t *testing.T) {
	p := New(Options{Secret: optSecret})
	for _, tt := range []struct {
		path  string
		total int
	}{{"/colors", len(colorOptions())}, {"/visitor-types", len(visitorTypes())}} {
		var cursor any
		total, pages := 0, 0
		for {
			params := map[string]any{}
			if cursor != nil {
				params["cursor"] = cursor
			}
			code, v := call(t, p, tt.path, params, true)
			if code != 200 {
				t.Fatalf("%s: %d %v", tt.path, code, v)
			}
			obj := v.(map[string]any)
			total += len(labels(t, obj["data"]))
			pages++
			cursor = obj["cursor"]
			if cursor == nil || pages > 50 {
				break
			}
		}
		if total != tt.total || pages < 2 {
			t.Fatalf("%s: %d options over %d pages, want %d", tt.path, total, pages, tt.total)
		}
	}
	code, _ := call(t, p, "/colors", map[string]any{"cursor": "not-a-cursor"}, true)
	if code != 400 {
		t.Fatalf("bad cursor: %d", code)
	}
	_, v := call(t, p, "/colors", map[string]any{"search": "yellow"}, true)
	if got := labels(t, v.(map[string]any)["data"]); len(got) < 3 {
		t.Fatalf("search: %v", got)
	}
}

func TestBadgeTypesDependOnParent(t *testing.T) {
	p := New(Options{Secret: optSecret})
	_, a := call(t, p, "/badge-types", map[string]any{"parent_resource_id": 102}, true)
	_, b := call(t, p, "/badge-types", map[string]any{"parent_resource_id": "109"}, true)
	la, lb := labels(t, a), labels(t, b)
	if len(la) != 3 || len(lb) != 3 || la[0] == lb[0] || !strings.HasPrefix(la[0], "Contractor") || !strings.HasPrefix(lb[0], "Press") {
		t.Fatalf("%v %v", la, lb)
	}
	if code, _ := call(t, p, "/badge-types", map[string]any{}, true); code != 400 {
		t.Fatalf("no parent: %d", code)
	}
	_, v := call(t, p, "/badge-types", map[string]any{"parent_resource_id": 999}, true)
	if len(labels(t, v)) != 0 {
		t.Fatalf("unknown parent: %v", v)
	}
}

// Every options route refuses unsigned calls the way an SDK plugin does.
func TestOptionsRoutesNeedTheSignature(t *testing.T) {
	p := New(Options{Secret: optSecret})
	for _, path := range []string{"/hello-options", "/hello-selected", "/colors", "/colors-selected", "/visitor-types", "/visitor-types-selected", "/badge-types"} {
		code, v := call(t, p, path, map[string]any{"page": 1, "parent_resource_id": 101, "value": "x"}, false)
		if code != 500 || v.(map[string]any)["message"] != "Could not verify meta." {
			t.Fatalf("%s unsigned: %d %v", path, code, v)
		}
	}
}
