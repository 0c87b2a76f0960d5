package install

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

func TestReadValidation(t *testing.T) {
	tests := []struct {
		name    string
		status  int
		body    string
		trunc   bool
		result  string
		message string
		patch   map[string]any
	}{
		{"object saved", 200, `{"A":"x","B":null,"N":12345678901234567890}`, false, Saved, "", map[string]any{"A": "x", "B": nil, "N": json.Number("12345678901234567890")}},
		{"201 saved", 201, `{}`, false, Saved, "", map[string]any{}},
		{"blocked with message", 400, `{"message":"Nope."}`, false, Blocked, "Nope.", nil},
		{"422 blocked", 422, `{"message":"Bad."}`, false, Blocked, "Bad.", nil},
		{"blocked without message", 400, `oops`, false, Blocked, "", nil},
		{"invalid JSON", 200, `{"A":`, false, Failed, "answered 200 with invalid JSON", nil},
		{"trailing data", 200, `{"A":1} x`, false, Failed, "invalid JSON", nil},
		{"array", 200, `[1,2]`, false, Failed, "a JSON array, not an object", nil},
		{"null", 200, `null`, false, Failed, "a JSON null, not an object", nil},
		{"empty", 204, ``, false, Failed, "empty body", nil},
		{"truncated", 200, `{"A":"xxxx`, true, Failed, "a body larger than 10 bytes, not read whole", nil},
		{"truncated 500", 500, `{"message":"`, true, Failed, "answered 500 with a body larger than 12 bytes, not read whole", nil},
		{"server error", 500, `{"message":"boom"}`, false, Failed, "answered 500: boom", nil},
		{"bad gateway text", 502, `<html>`, false, Failed, "answered 502", nil},
		{"redirect", 302, ``, false, Failed, "redirect", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ReadValidation("http://p/v", &sim.Response{Status: tt.status, Body: []byte(tt.body), Truncated: tt.trunc, Header: http.Header{}})
			if o.Result != tt.result {
				t.Fatalf("result = %s, want %s (%+v)", o.Result, tt.result, o)
			}
			if tt.message != "" && !strings.Contains(o.Message, tt.message) {
				t.Errorf("message = %q, want %q", o.Message, tt.message)
			}
			if tt.result == Blocked && tt.message == "" && o.Hint == "" {
				t.Errorf("a block without message must say so: %+v", o)
			}
			if tt.patch != nil {
				if len(o.Patch) != len(tt.patch) {
					t.Fatalf("patch = %v", o.Patch)
				}
				for k, v := range tt.patch {
					if got, ok := o.Patch[k]; !ok || got != v {
						t.Errorf("patch[%s] = %v, want %v", k, got, v)
					}
				}
			}
		})
	}
}

func TestApplyPatch(t *testing.T) {
	cfg := map[string]any{"A": 1, "B": 2}
	ApplyPatch(cfg, map[string]any{"A": nil, "C": 3, "Z": nil})
	if _, ok := cfg["A"]; ok || cfg["B"] != 2 || cfg["C"] != 3 || len(cfg) != 2 {
		t.Fatalf("cfg = %v", cfg)
	}
}

// TestValidateSendsSignedRouteRequest checks the wire: a signed POST whose
// body is {meta, payload} with the payload as given.
func TestValidateSendsSignedRouteRequest(t *testing.T) {
	var got map[string]any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var raw json.RawMessage
		_ = json.NewDecoder(r.Body).Decode(&raw)
		if !creds.Verify("s3cret", raw, r.Header.Get(creds.SignatureHeader)) || r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" {
			w.WriteHeader(500)
			return
		}
		_ = json.Unmarshal(raw, &got)
		_, _ = w.Write([]byte(`{"OK":true}`))
	}))
	defer srv.Close()
	r := &Route{Client: sim.NewClient(sim.ClientOptions{}), Secret: "s3cret", Install: &sim.Install{PluginID: "p", InstallID: "i", Config: map[string]any{"X": 1}}}
	o := r.Validate(context.Background(), srv.URL+"/v", "/v", map[string]any{"GREETING": "Hi"})
	if o.Result != Saved || o.Patch["OK"] != true {
		t.Fatalf("%+v", o)
	}
	meta := got["meta"].(map[string]any)
	if meta["route"] != "/v" || meta["install_id"] != "i" || meta["config"].(map[string]any)["X"] != float64(1) {
		t.Errorf("meta = %v", meta)
	}
	if got["payload"].(map[string]any)["GREETING"] != "Hi" {
		t.Errorf("payload = %v", got["payload"])
	}
	o = (&Route{Client: sim.NewClient(sim.ClientOptions{}), Secret: "x", Install: r.Install}).Validate(context.Background(), "http://127.0.0.1:1/v", "/v", nil)
	if o.Result != Failed || !strings.Contains(o.Message, "could not be reached: connection refused") {
		t.Fatalf("%+v", o)
	}
}

// A 4xx whose body is cut at the read bound is a block whose message could
// not be read: the outcome says the body is too large, not "no message".
func TestReadValidationTruncatedBlock(t *testing.T) {
	body := bytes.Repeat([]byte("x"), 1<<20)
	o := ReadValidation("http://p/v", &sim.Response{Status: 400, Body: body, Truncated: true, Header: http.Header{}})
	if o.Result != Blocked || !strings.Contains(o.Hint, "a body larger than 1 MiB, not read whole") {
		t.Fatalf("%+v", Outcome{Result: o.Result, Hint: o.Hint, Message: o.Message})
	}
	err := blocked(0, &manifest.Step{Title: "S"}, o, "next")
	if !strings.Contains(err.Error(), "larger than 1 MiB") {
		t.Errorf("error = %v", err)
	}
}

func TestPrintable(t *testing.T) {
	tests := []struct{ in, want string }{
		{"plain text", "plain text"},
		{"héllo 日本 🎉", "héllo 日本 🎉"},
		{"\x1b[2J\x1b]0;pwned\a", `\x1b[2J\x1b]0;pwned\a`},
		{"a\nb\rc\td", `a\nb\rc\td`},
		{"\u202eevil\u0085", `\u202eevil\u0085`},
		{"bad\xffutf8", `bad\xffutf8`},
		{"back\\slash", `back\slash`},
	}
	for _, tt := range tests {
		if got := Printable(tt.in); got != tt.want {
			t.Errorf("Printable(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
