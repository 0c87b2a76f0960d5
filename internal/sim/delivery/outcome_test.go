package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

func TestClassifyResponse(t *testing.T) {
	tests := []struct {
		name       string
		status     int
		body       string
		location   string
		kind       Kind
		unexpected bool
		message    string
		diagnosis  string
		hint       string
	}{
		{"200 done", 200, `{"ok":true}`, "", Done, false, "", "the job is done (200 OK)", ""},
		{"201 done", 201, ``, "", Done, false, "", "the job is done (201 Created)", ""},
		{"204 no content", 204, ``, "", Failed, true, "", "204 No Content: Envoy reads only 200 and 201 as done", "answer 200"},
		{"304 not modified", 304, ``, "", Failed, true, "", "304 not modified: not an answer Envoy expects", "conditional"},
		{"101 switching", 101, ``, "", Failed, true, "", "informational status 101 Switching Protocols: not a final answer", "answer 200"},
		{"202 ongoing", 202, `{"message":"later"}`, "", Ongoing, false, "later", "ongoing", ""},
		{"400 ignored", 400, `{"message":"nothing changed"}`, "", Ignored, false, "nothing changed", "ignored the event (400): nothing changed", ""},
		{"412 failed with message", 412, `{"message":"Visitor is on the block list","debugInfo":{}}`, "", Failed, false, "Visitor is on the block list", "failed the job (412): Visitor is on the block list", ""},
		{"412 without message", 412, `oops`, "", Failed, false, "", "(no message in the body)", ""},
		{"500 bad signature", 500, `{"message":"Could not verify meta."}`, "", Failed, true, "Could not verify meta.", "could not verify the signature", "ENVOY_CLIENT_SECRET"},
		{"500 wrong signature length", 500, `{"message":"Input buffers must have the same byte length"}`, "", Failed, true, "Input buffers must have the same byte length", "could not verify the signature", "ENVOY_CLIENT_SECRET"},
		{"500 too large", 500, `{"message":"request entity too large"}`, "", Failed, true, "request entity too large", "too large", "100 kB"},
		{"500 crash", 500, `{"message":"boom"}`, "", Failed, true, "boom", "crashed (500 Internal Server Error): boom", "envoy-plugin dev"},
		{"500 crash with a number", 500, `{"message":"row 14010 missing"}`, "", Failed, true, "row 14010 missing", "crashed (500", ""},
		{"500 login failed (axios)", 500, `{"message":"Request failed with status code 401"}`, "", Failed, true, "Request failed with status code 401", "could not log in to Envoy's API (500)", "ENVOY_CLIENT_ID and ENVOY_CLIENT_SECRET"},
		{"500 unauthorized", 500, `{"message":"Unauthorized"}`, "", Failed, true, "Unauthorized", "could not log in", "`envoy-plugin dev`"},
		{"500 login", 500, `{"message":"login to Envoy failed"}`, "", Failed, true, "login to Envoy failed", "could not log in", "ENVOY_CLIENT_ID"},
		{"302 redirect", 302, ``, "https://example.com/x/", Failed, true, "", "redirect 302 to https://example.com/x/: Envoy does not follow redirects", "final address"},
		{"404", 404, `Cannot POST /x`, "", Failed, true, "", "no handler at this URL (404 Not Found)", "envoy-plugin.toml"},
		{"401", 401, `{"message":"no token"}`, "", Failed, true, "no token", "refused the request (401 Unauthorized): no token", "X-Envoy-Signature"},
		{"503", 503, ``, "", Failed, true, "", "proxy in front of the plugin answered 503", "proxy"},
		{"418", 418, ``, "", Failed, true, "", "unexpected status 418 I'm a teapot", "200, 201, 202, 400 and 412"},
		{"299 unknown", 299, ``, "", Failed, true, "", "unexpected status 299 unknown status", ""},
		{"message not a string", 412, `{"message":{"a":1}}`, "", Failed, false, `{"a":1}`, `{"a":1}`, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := ClassifyResponse(&sim.Response{Status: tt.status, Body: []byte(tt.body), Location: tt.location, Header: http.Header{}})
			if o.Kind != tt.kind || o.Unexpected != tt.unexpected {
				t.Fatalf("got %s unexpected=%v, want %s unexpected=%v", o.Kind, o.Unexpected, tt.kind, tt.unexpected)
			}
			if o.Message != tt.message {
				t.Errorf("message %q, want %q", o.Message, tt.message)
			}
			if !strings.Contains(o.Diagnosis, tt.diagnosis) {
				t.Errorf("diagnosis %q lacks %q", o.Diagnosis, tt.diagnosis)
			}
			if !strings.Contains(o.Hint, tt.hint) {
				t.Errorf("hint %q lacks %q", o.Hint, tt.hint)
			}
			if o.Status != tt.status {
				t.Errorf("status %d", o.Status)
			}
			if strings.Contains(o.Diagnosis, "\n") {
				t.Errorf("diagnosis is not one line: %q", o.Diagnosis)
			}
		})
	}
}

func TestClassifyErrorAfterStatus(t *testing.T) {
	o := ClassifyError(&sim.Response{Status: 200}, errors.New("reading the response body: context deadline exceeded"), "http://127.0.0.1:1/x")
	if o.Kind != Failed || !o.Unexpected || o.Status != 200 {
		t.Fatalf("%+v", o)
	}
	if !strings.Contains(o.Diagnosis, "after status 200") {
		t.Fatalf("diagnosis %q", o.Diagnosis)
	}
}

func TestParseKind(t *testing.T) {
	for _, s := range []string{"done", "Ongoing", " ignored ", "FAILED"} {
		if _, err := ParseKind(s); err != nil {
			t.Errorf("%q: %v", s, err)
		}
	}
	for _, s := range []string{"", "ok", "unexpected", "queued"} {
		if _, err := ParseKind(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
}

func TestParseRate(t *testing.T) {
	tests := []struct {
		in   string
		want float64
		err  bool
	}{
		{"", 0, false},
		{"50", 50, false},
		{"50/s", 50, false},
		{"2.5/s", 2.5, false},
		{"600/m", 10, false},
		{"3600/h", 1, false},
		{"0", 0, true},
		{"-1", 0, true},
		{"fast", 0, true},
		{"5/d", 0, true},
		{"NaN", 0, true},
		{"Inf", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseRate(tt.in)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseRate(%q) = %v, %v; want %v, err %v", tt.in, got, err, tt.want, tt.err)
		}
	}
}

func TestPreview(t *testing.T) {
	text, cut := Preview([]byte(`{"a":1,"b":[true]}`), 0)
	if text != "{\n  \"a\": 1,\n  \"b\": [\n    true\n  ]\n}" || cut != 0 {
		t.Fatalf("indent: %q %d", text, cut)
	}
	text, _ = Preview([]byte("line\x1b[31m red\x00\xff"), 0)
	if strings.ContainsAny(text, "\x1b\x00") || !strings.Contains(text, `\x1b`) || !strings.Contains(text, `\xff`) {
		t.Fatalf("sanitize: %q", text)
	}
	long := []byte(`{"items":[` + strings.Repeat(`"xxxxxxxxxxxxxxxx",`, 400) + `"end"]}`)
	text, cut = Preview(long, PreviewLimit)
	if len(text) > PreviewLimit || cut == 0 {
		t.Fatalf("cut: len %d cut %d", len(text), cut)
	}
	full, _ := Preview(long, 0)
	if len(text)+cut != len(full) {
		t.Fatalf("cut does not add up: %d + %d != %d", len(text), cut, len(full))
	}
	// Cutting never splits a rune.
	text, _ = Preview([]byte(strings.Repeat("é", 3000)), 101)
	if !strings.HasSuffix(text, "é") {
		t.Fatalf("split rune: %q", text[len(text)-4:])
	}
}

func FuzzClassify(f *testing.F) {
	f.Add(200, []byte(`{"message":"x"}`))
	f.Add(412, []byte(`{"message":null}`))
	f.Add(500, []byte("\xff\xfe"))
	f.Add(302, []byte(``))
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		o := ClassifyResponse(&sim.Response{Status: status, Body: body})
		if _, err := ParseKind(string(o.Kind)); err != nil {
			t.Fatalf("kind %q", o.Kind)
		}
		if o.Diagnosis == "" || strings.ContainsAny(o.Message, "\n\r\x1b") {
			t.Fatalf("%+v", o)
		}
		if (status == 200 || status == 201 || status == 202 || status == 400 || status == 412) == o.Unexpected {
			t.Fatalf("status %d unexpected=%v", status, o.Unexpected)
		}
		text, _ := Preview(body, 64)
		if strings.ContainsAny(text, "\x1b\x00") {
			t.Fatalf("preview leaks control bytes: %q", text)
		}
	})
}

func FuzzParseRate(f *testing.F) {
	for _, s := range []string{"50", "50/s", "1e3/m", "/", "-0", "0x10"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseRate(s)
		if err == nil && (r < 0 || r != r) {
			t.Fatalf("%q → %v", s, r)
		}
	})
}

// Transport errors that sim.Diagnose leaves raw get a diagnosis and a hint.
func TestClassifyErrorDiagnoses(t *testing.T) {
	garbage, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer garbage.Close()
	go func() {
		for {
			c, err := garbage.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				_, _ = c.Read(make([]byte, 4096))
				_, _ = io.WriteString(c, "SSH-2.0-OpenSSH_9.6\r\n\r\n")
			}(c)
		}
	}()
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer plain.Close()

	c := sim.NewClient(sim.ClientOptions{Timeout: 2 * time.Second})
	tests := []struct {
		url, diagnosis, hint string
	}{
		{"http://" + garbage.Addr().String() + "/x", "the answer is not valid HTTP", "is an HTTP server listening on"},
		{strings.Replace(plain.URL, "http://", "https://", 1), "", "http://"},
		{"localhost:3000/entry-sign-in", "not an http:// or https:// URL", "http://localhost:3000"},
	}
	for _, tt := range tests {
		_, err := c.Do(context.Background(), sim.Request{URL: tt.url, Body: []byte("{}")})
		if err == nil {
			t.Fatalf("%s: no error", tt.url)
		}
		o := ClassifyError(nil, err, tt.url)
		if o.Kind != Failed || !o.Unexpected || !strings.Contains(o.Diagnosis, tt.diagnosis) || o.Hint == "" || !strings.Contains(o.Hint, tt.hint) {
			t.Errorf("%s: %q / %q (from %v)", tt.url, o.Diagnosis, o.Hint, err)
		}
	}
	for _, msg := range []string{
		`Post "http://x/": net/http: HTTP/1.x transport connection broken: net/http: server response headers exceeded 10485760 bytes; aborted`,
		`Post "http://x/": http: server closed idle connection`,
	} {
		o := ClassifyError(nil, errors.New(msg), "http://x/")
		if o.Hint == "" || strings.Contains(o.Diagnosis, "Post ") {
			t.Errorf("%s: %q / %q", msg, o.Diagnosis, o.Hint)
		}
	}
}

// allocBytes is how many bytes f allocates.
func allocBytes(f func()) uint64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// A hostile worker's deeply nested JSON body used to cost memory quadratic
// in its depth (json.Indent writes 2×depth spaces per line): 20 KB of
// nesting took ~900 MB. The rendering is now bounded and depth-capped.
func TestPreviewDeepNestingBounded(t *testing.T) {
	deep := []byte(strings.Repeat("[", 5000) + strings.Repeat("]", 5000))
	for _, limit := range []int{PreviewLimit, VerboseLimit} {
		var text string
		var cut int
		n := allocBytes(func() { text, cut = Preview(deep, limit) })
		if n > 4<<20 {
			t.Errorf("limit %d: rendering 10 KB of nesting allocated %d bytes", limit, n)
		}
		if len(text) > limit || (limit == VerboseLimit && !strings.Contains(text, "[…]")) || strings.Count(text, "\n") > PreviewDepth*2+2 {
			t.Errorf("limit %d: %d bytes, cut %d:\n%.300s", limit, len(text), cut, text)
		}
	}
	// 1 MiB of nesting, many siblings each as deep as encoding/json allows.
	var b strings.Builder
	b.WriteString("[")
	for b.Len() < 1<<20 {
		b.WriteString(strings.Repeat("[", 9000) + `"x"` + strings.Repeat("]", 9000) + ",")
	}
	b.WriteString("1]")
	body := []byte(b.String())
	if !json.Valid(body) {
		t.Fatal("test body is not JSON")
	}
	for _, limit := range []int{PreviewLimit, 0} {
		var text string
		var cut int
		n := allocBytes(func() { text, cut = Preview(body, limit) })
		if n > 8<<20 || len(text) > VerboseLimit || cut == 0 {
			t.Errorf("limit %d: 1 MiB of nesting allocated %d bytes, rendered %d, cut %d", limit, n, len(text), cut)
		}
	}
	r := Result{Event: "e", URL: "http://x/", Outcome: ClassifyResponse(&sim.Response{Status: 200, Body: body}), raw: body}
	cs := (&iostreams.IOStreams{}).ColorScheme()
	for _, v := range []bool{false, true} {
		r.Verbose = v
		var out bytes.Buffer
		if n := allocBytes(func() { _ = r.WriteText(&out, cs) }); n > 16<<20 || out.Len() > VerboseLimit+4<<10 {
			t.Errorf("verbose %v: report allocated %d bytes, printed %d", v, n, out.Len())
		}
	}
}

// Below the depth cap the rendering is exactly json.Indent's.
func FuzzPreviewMatchesIndent(f *testing.F) {
	f.Add([]byte(`{"a":[1,{"b":"c\"]"},[],{}],"d":null, "e" : -1.5e3}`))
	f.Add([]byte(`"x"`))
	f.Add([]byte(` [ [ ] , { } , "\\" ] `))
	f.Fuzz(func(t *testing.T, body []byte) {
		if !json.Valid(body) || !utf8.Valid(body) || bytes.Count(body, []byte("["))+bytes.Count(body, []byte("{")) >= PreviewDepth {
			return
		}
		var want bytes.Buffer
		if err := json.Indent(&want, bytes.TrimSpace(body), "", "  "); err != nil {
			t.Fatal(err)
		}
		got, cut := Preview(body, VerboseLimit)
		if want.Len() <= VerboseLimit && (got != want.String() || cut != 0) {
			t.Fatalf("Preview = %q, json.Indent = %q", got, want.String())
		}
	})
}
