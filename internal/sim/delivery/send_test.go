package delivery

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/delivery/deliverytest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/events"
)

const testSecret = "test-secret-0123456789abcdefghijklmnopqrstuv"

func testClient(timeout time.Duration) *sim.Client {
	return sim.NewClient(sim.ClientOptions{Timeout: timeout, UserAgent: "envoy-plugin/test"})
}

func testBuilder(seed uint64) *Builder {
	gen := events.NewGenerator(seed, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	return &Builder{Gen: gen, Install: gen.Install(sim.InstallOptions{}), Secret: testSecret, UserAgent: "envoy-plugin/test"}
}

func mustBuild(t testing.TB, b *Builder, event, url string) Delivery {
	t.Helper()
	d, err := b.Build(event, url)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// Hostile plugins give a diagnosis, never a hang or a crash.
func TestSendHostile(t *testing.T) {
	tests := []struct {
		mode       string
		kind       Kind
		unexpected bool
		diagnosis  string
		check      func(t *testing.T, r Result, s *deliverytest.Server)
	}{
		{"hang", Failed, true, "timed out", nil},
		{"drip", Failed, true, "timed out while reading the body (after status 200)", nil},
		// A body still streaming at the deadline: Envoy never sees the
		// answer complete, whatever the status.
		{"endless", Failed, true, "the body did not end: timed out while reading the body (after status 200)", func(t *testing.T, r Result, _ *deliverytest.Server) {
			if !r.Truncated || len(r.RawBody()) != 64<<10 {
				t.Errorf("truncated=%v len=%d", r.Truncated, len(r.RawBody()))
			}
			if len(r.Notes) == 0 || !strings.Contains(r.Notes[0], "body longer than 64.0 KiB: not read whole") {
				t.Errorf("notes %q", r.Notes)
			}
		}},
		// A long body that ends: the status decides; its message is past
		// the bound.
		{"big-412", Failed, false, "the plugin failed the job (412): the body is larger than 64.0 KiB and was not read whole; its message cannot be shown", func(t *testing.T, r Result, _ *deliverytest.Server) {
			if !r.Truncated || strings.Contains(strings.Join(r.Notes, " "), "not JSON") {
				t.Errorf("truncated=%v notes %q", r.Truncated, r.Notes)
			}
		}},
		{"bad-length", Failed, true, "invalid Content-Length header", nil},
		{"not-modified", Failed, true, "304 not modified: not an answer Envoy expects", nil},
		{"invalid-json", Failed, false, "(no message in the body)", func(t *testing.T, r Result, _ *deliverytest.Server) {
			if _, ok := r.Body.(string); !ok {
				t.Errorf("body %T, want the raw string", r.Body)
			}
			if !strings.Contains(strings.Join(r.Notes, " "), "not JSON") {
				t.Errorf("notes %q", r.Notes)
			}
		}},
		{"reset", Failed, true, "connection reset", nil},
		{"redirect", Failed, true, "redirect 307 to /entry-sign-in", func(t *testing.T, r Result, s *deliverytest.Server) {
			if r.Location != "/entry-sign-in" || s.Hits() != 1 {
				t.Errorf("location %q hits %d: the redirect was followed", r.Location, s.Hits())
			}
		}},
		{"crash", Failed, true, "crashed", nil},
	}
	b := testBuilder(1)
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			t.Parallel()
			s, err := deliverytest.NewHostile(tt.mode)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			c := sim.NewClient(sim.ClientOptions{Timeout: 300 * time.Millisecond, MaxBody: 64 << 10})
			d := mustBuild(t, b, "entry_sign_in", s.URL+"/entry-sign-in")
			done := make(chan Result, 1)
			go func() { done <- Send(context.Background(), c, d) }()
			var r Result
			select {
			case r = <-done:
			case <-time.After(10 * time.Second):
				t.Fatal("Send hung")
			}
			if r.Kind != tt.kind || r.Unexpected != tt.unexpected {
				t.Fatalf("got %s unexpected=%v (%s)", r.Kind, r.Unexpected, r.Diagnosis)
			}
			if !strings.Contains(r.Diagnosis, tt.diagnosis) {
				t.Fatalf("diagnosis %q lacks %q", r.Diagnosis, tt.diagnosis)
			}
			if r.Unexpected && r.OK {
				t.Fatal("an unexpected failure is OK")
			}
			var buf bytes.Buffer
			if err := r.WriteText(&buf, (&iostreams.IOStreams{}).ColorScheme()); err != nil {
				t.Fatal(err)
			}
			if strings.ContainsAny(buf.String(), "\x1b\x00") {
				t.Fatalf("text report carries control bytes: %q", buf.String())
			}
			if tt.check != nil {
				tt.check(t, r, s)
			}
		})
	}
}

func TestSendRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	r := Send(context.Background(), testClient(time.Second), mustBuild(t, testBuilder(1), "entry_sign_in", "http://"+addr+"/entry-sign-in"))
	if r.Kind != Failed || !r.Unexpected || r.Diagnosis != "connection refused" {
		t.Fatalf("%+v", r.Outcome)
	}
	if r.Hint != "is your plugin running on http://"+addr+"?" {
		t.Fatalf("hint %q", r.Hint)
	}
}

// Every body sent, for every event and variant, verifies with the secret,
// and carries the headers Envoy sends.
func TestEverySentBodyVerifies(t *testing.T) {
	v := deliverytest.NewVerifier(testSecret)
	defer v.Close()
	c := testClient(5 * time.Second)
	variants := []events.Variant{{}, {SignedOut: true}, {Protect: true}, {With: events.WithNames()}}
	sent := 0
	for i, variant := range variants {
		b := testBuilder(uint64(i))
		b.Variant = variant
		for _, ev := range events.All() {
			d := mustBuild(t, b, ev.Name, v.URL+"/"+ev.Name)
			if r := Send(context.Background(), c, d); r.Kind != Done {
				t.Fatalf("%s: %s", ev.Name, r.Diagnosis)
			}
			sent++
		}
	}
	got := v.Received()
	if len(got) != sent {
		t.Fatalf("received %d of %d", len(got), sent)
	}
	for _, r := range got {
		if !r.Verified {
			t.Errorf("%s: signature %q does not verify", r.Path, r.Signature)
		}
		if len(r.Signature) != 44 {
			t.Errorf("%s: signature length %d", r.Path, len(r.Signature))
		}
		if ct := r.Header.Get("Content-Type"); ct != "application/json" {
			t.Errorf("content type %q", ct)
		}
		if ua := r.Header.Get("User-Agent"); ua != "envoy-plugin/test" {
			t.Errorf("user agent %q", ua)
		}
		var body map[string]json.RawMessage
		if err := json.Unmarshal(r.Body, &body); err != nil || body["meta"] == nil || body["payload"] == nil {
			t.Errorf("%s: body %s", r.Path, r.Body)
		}
	}
}

func TestBuildEditsAndExactBody(t *testing.T) {
	b := testBuilder(7)
	set, err := events.ParseSet("payload.attributes.full-name=Ada <Lovelace> & co")
	if err != nil {
		t.Fatal(err)
	}
	b.Sets = []events.Set{set}
	d := mustBuild(t, b, "entry_sign_in", "http://x/")
	if !bytes.Contains(d.Body, []byte(`"full-name":"Ada <Lovelace> & co"`)) {
		t.Fatalf("set not applied or HTML-escaped: %s", d.Body)
	}
	if bytes.HasSuffix(d.Body, []byte("\n")) {
		t.Fatal("trailing newline")
	}
	if d.JobID == "" || !bytes.Contains(d.Body, []byte(d.JobID)) {
		t.Fatalf("job id %q", d.JobID)
	}
	d2 := mustBuild(t, b, "entry_sign_in", "http://x/")
	if d2.JobID == d.JobID {
		t.Fatal("job id reused")
	}

	b.Payload = json.RawMessage(`{"custom":true,"n":12345678901234567890}`)
	d = mustBuild(t, b, "entry_sign_in", "http://x/")
	if !bytes.Contains(d.Body, []byte(`"payload":{"attributes":{"full-name":"Ada <Lovelace> & co"},"custom":true,"n":12345678901234567890}`)) {
		t.Fatalf("payload not replaced, or --set not applied after it: %s", d.Body)
	}
	// The edits apply to a fresh copy every time.
	b.Sets = nil
	d = mustBuild(t, b, "entry_sign_in", "http://x/")
	if !bytes.Contains(d.Body, []byte(`"payload":{"custom":true,"n":12345678901234567890}`)) {
		t.Fatalf("payload shared between deliveries: %s", d.Body)
	}

	raw := []byte(`{"meta":{"job":{"id":"abc"}},"payload":{}}  `)
	b.Body = raw
	d = mustBuild(t, b, "whatever", "http://x/")
	if !bytes.Equal(d.Body, raw) || d.JobID != "abc" || !creds.Verify(testSecret, raw, d.Header.Get(creds.SignatureHeader)) {
		t.Fatalf("exact body changed: %q %q", d.Body, d.JobID)
	}
}

func TestSameSeedSameBytes(t *testing.T) {
	a := mustBuild(t, testBuilder(42), "invite_updated", "http://x/")
	b := mustBuild(t, testBuilder(42), "invite_updated", "http://x/")
	if !bytes.Equal(a.Body, b.Body) || a.Header.Get(creds.SignatureHeader) != b.Header.Get(creds.SignatureHeader) {
		t.Fatal("same seed, different bytes")
	}
}

// A plugin that checks signatures passes; one that accepts anything fails;
// one that cannot be reached is not a pass.
func TestCheckSigning(t *testing.T) {
	verifying := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get(creds.SignatureHeader)
		if len(sig) != 44 {
			w.WriteHeader(500)
			io.WriteString(w, `{"message":"Input buffers must have the same byte length"}`)
			return
		}
		if !creds.Verify(testSecret, body, sig) {
			w.WriteHeader(500)
			io.WriteString(w, `{"message":"Could not verify meta."}`)
			return
		}
		w.WriteHeader(200)
	}))
	defer verifying.Close()
	// Remembers job ids: a plugin that de-duplicates must not hide an
	// accepted forgery, so every probe needs its own job id.
	var mu sync.Mutex
	seen := map[string]bool{}
	naive := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		id := JobID(body)
		mu.Lock()
		dup := seen[id]
		seen[id] = true
		mu.Unlock()
		if dup {
			w.WriteHeader(400)
			return
		}
		w.WriteHeader(200)
	}))
	defer naive.Close()

	c := testClient(2 * time.Second)
	b := testBuilder(3)

	rep := CheckSigning(context.Background(), c, mustBuild(t, b, "entry_sign_in", verifying.URL), testSecret)
	if !rep.Pass || len(rep.Probes) != 4 || !rep.Baseline.Accepted() {
		t.Fatalf("verifying plugin: %+v", rep)
	}
	names := []string{}
	for _, p := range rep.Probes {
		names = append(names, p.Name)
		if p.Verdict != Rejected || p.Status != 500 {
			t.Errorf("%s: %s %d", p.Name, p.Verdict, p.Status)
		}
	}
	if strings.Join(names, ",") != "no signature,wrong secret,tampered body,hex signature" {
		t.Fatalf("probes %v", names)
	}
	var hexProbe Probe = rep.Probes[3]
	if !strings.Contains(hexProbe.Diagnosis, "same byte length") {
		t.Errorf("hex probe diagnosis %q", hexProbe.Diagnosis)
	}

	rep = CheckSigning(context.Background(), c, mustBuild(t, b, "entry_sign_in", naive.URL), testSecret)
	if rep.Pass || rep.Advice == "" {
		t.Fatalf("naive plugin passed: %+v", rep)
	}
	for _, p := range rep.Probes {
		if p.Verdict != Accepted || p.Pass {
			t.Errorf("%s: %s", p.Name, p.Verdict)
		}
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	rep = CheckSigning(context.Background(), c, mustBuild(t, b, "entry_sign_in", closed.URL), testSecret)
	if rep.Pass || rep.Probes[0].Verdict != NoAnswer {
		t.Fatalf("unreachable plugin: %+v", rep)
	}
	var buf bytes.Buffer
	_ = rep.WriteText(&buf, (&iostreams.IOStreams{}).ColorScheme())
	if !strings.Contains(buf.String(), "no answer") || !strings.Contains(buf.String(), "the correctly signed delivery failed: connection refused; the probes are inconclusive") {
		t.Fatalf("text %q", buf.String())
	}
}

// When the correctly signed delivery fails (a plugin with the wrong secret
// answers 500 to everything, or redirects), rejected probes prove nothing:
// the check fails as inconclusive.
func TestCheckSigningBaselineFails(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"wrong secret": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(500)
			io.WriteString(w, `{"message":"Could not verify meta."}`)
		},
		"redirect loop": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusMovedPermanently)
		},
	} {
		srv := httptest.NewServer(h)
		rep := CheckSigning(context.Background(), testClient(2*time.Second), mustBuild(t, testBuilder(3), "entry_sign_in", srv.URL), testSecret)
		srv.Close()
		if rep.Pass || !rep.Inconclusive || !strings.HasPrefix(rep.Advice, "the correctly signed delivery failed: ") || !strings.Contains(rep.Advice, "the probes are inconclusive") {
			t.Errorf("%s: pass %v, advice %q", name, rep.Pass, rep.Advice)
		}
	}
}

func TestTamperAndDeriveID(t *testing.T) {
	d := mustBuild(t, testBuilder(9), "entry_sign_in", "http://x/")
	tampered := Tamper(d.Body)
	if bytes.Equal(tampered, d.Body) || !json.Valid(tampered) || !bytes.Contains(tampered, []byte("Mallory")) {
		t.Fatalf("tamper: %s", tampered)
	}
	for _, in := range []string{`[1]`, `not json`, `{}`} {
		if out := Tamper([]byte(in)); bytes.Equal(out, []byte(in)) {
			t.Errorf("Tamper(%s) unchanged", in)
		}
	}
	id := DeriveID("4d1f", "no signature")
	if id != DeriveID("4d1f", "no signature") || id == DeriveID("4d1f", "wrong secret") {
		t.Fatal("DeriveID not deterministic or not salted")
	}
	if len(id) != 36 || id[14] != '4' || !strings.ContainsRune("89ab", rune(id[19])) {
		t.Fatalf("not UUID-shaped: %s", id)
	}
}

func TestReplay(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]bool{}
	dedup := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		mu.Lock()
		defer mu.Unlock()
		if seen[string(body)] {
			w.WriteHeader(400)
			io.WriteString(w, `{"message":"already handled"}`)
			return
		}
		seen[string(body)] = true
	}))
	defer dedup.Close()
	naive := deliverytest.NewVerifier(testSecret)
	defer naive.Close()
	c := testClient(2 * time.Second)
	b := testBuilder(5)

	rep := Replay(context.Background(), c, mustBuild(t, b, "entry_sign_in", dedup.URL))
	if !rep.Deduplicated || rep.Second.Kind != Ignored {
		t.Fatalf("dedup: %+v", rep)
	}
	rep = Replay(context.Background(), c, mustBuild(t, b, "entry_sign_in", naive.URL))
	if rep.Deduplicated || rep.Verdict != "processed twice" || !strings.Contains(rep.Advice, "meta.job.id") {
		t.Fatalf("naive: %+v", rep)
	}
	got := naive.Received()
	if len(got) != 2 || !bytes.Equal(got[0].Body, got[1].Body) || got[0].Signature != got[1].Signature {
		t.Fatal("the replay was not byte for byte")
	}
}

func TestCurlReproducesTheRequest(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	v := deliverytest.NewVerifier(testSecret)
	defer v.Close()
	b := testBuilder(11)
	set, _ := events.ParseSet(`payload.attributes.full-name=O'Brien "quoted" $HOME \n ` + "`x` é\ttab\nnewline")
	b.Sets = []events.Set{set}
	d := mustBuild(t, b, "entry_sign_in", v.URL+"/entry-sign-in?x=1&y=2")
	cv, err := d.Curl()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("sh", "-c", cv.Command).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	got := v.Received()
	if len(got) != 1 {
		t.Fatalf("received %d", len(got))
	}
	if !bytes.Equal(got[0].Body, d.Body) || !got[0].Verified {
		t.Fatalf("curl sent other bytes:\n%s\n%s", got[0].Body, d.Body)
	}
	if got[0].Header.Get("User-Agent") != "envoy-plugin/test" || got[0].Header.Get("Content-Type") != "application/json" {
		t.Fatalf("headers %v", got[0].Header)
	}
	if _, err := (Delivery{Body: []byte("a\x00b")}).Curl(); err == nil {
		t.Fatal("NUL body accepted")
	}
}

// A body over the 128 KiB a single exec argument may hold still goes out
// byte for byte (through printf and curl's stdin).
func TestCurlReproducesALargeBody(t *testing.T) {
	if _, err := exec.LookPath("curl"); err != nil {
		t.Skip("curl not installed")
	}
	v := deliverytest.NewVerifier(testSecret)
	defer v.Close()
	b := testBuilder(12)
	set, _ := events.ParseSet(`payload.attributes.private-notes=` + strings.Repeat("it's 100% \\ $x `y`\n", 12000))
	b.Sets = []events.Set{set}
	d := mustBuild(t, b, "entry_sign_in", v.URL+"/entry-sign-in")
	if len(d.Body) < 200<<10 {
		t.Fatalf("body of %d bytes, want a large one", len(d.Body))
	}
	cv, err := d.Curl()
	if err != nil {
		t.Fatal(err)
	}
	// As a user runs it: the script on the shell's stdin (a file or a
	// paste), not as one exec argument.
	sh := exec.Command("sh")
	sh.Stdin = strings.NewReader(cv.Command + "\n")
	out, err := sh.CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %.300s", err, out)
	}
	got := v.Received()
	if len(got) != 1 || !bytes.Equal(got[0].Body, d.Body) || !got[0].Verified {
		t.Fatalf("curl did not send the same bytes (%d requests)", len(got))
	}
}

func TestShellQuote(t *testing.T) {
	for _, s := range []string{"", "plain", "it's", `"$HOME"`, "a\nb", "'", "''", `\`, "é ü", "!x", "*"} {
		out, err := exec.Command("sh", "-c", "printf %s "+ShellQuote(s)).Output()
		if err != nil {
			t.Fatalf("%q: %v", s, err)
		}
		if string(out) != s {
			t.Errorf("ShellQuote(%q) → sh gives %q", s, out)
		}
	}
}

func TestDryRunView(t *testing.T) {
	b := testBuilder(13)
	b.Install.Auth = &sim.Auth{TokenType: "Bearer", AccessToken: "access-token-123456789", RefreshToken: "refresh-token-123456789"}
	d := mustBuild(t, b, "entry_sign_in", "http://localhost:3000/entry-sign-in")
	v := d.View()
	var buf bytes.Buffer
	if err := v.WriteText(&buf, (&iostreams.IOStreams{}).ColorScheme()); err != nil {
		t.Fatal(err)
	}
	text := buf.String()
	head, body, ok := strings.Cut(text, "\n\n")
	if !ok || body != string(d.Body)+"\n" {
		t.Fatalf("text body is not the exact bytes")
	}
	for _, want := range []string{"POST http://localhost:3000/entry-sign-in", "Content-Type: application/json", "User-Agent: envoy-plugin/test", "X-Envoy-Signature: " + d.Header.Get(creds.SignatureHeader)} {
		if !strings.Contains(head, want) {
			t.Errorf("head lacks %q:\n%s", want, head)
		}
	}
	js, _ := json.Marshal(v)
	if bytes.Contains(js, []byte("access-token-123456789")) || bytes.Contains(js, []byte("refresh-token-123456789")) {
		t.Fatalf("--json leaks tokens: %s", js)
	}
}

func TestResultText(t *testing.T) {
	cs := (&iostreams.IOStreams{}).ColorScheme()
	body := []byte(`{"message":"` + strings.Repeat("x", 3000) + `"}`)
	r := Result{Event: "entry_sign_in", URL: "http://x/", JobID: "j1", Outcome: ClassifyResponse(&sim.Response{Status: 412, Body: body}), Latency: 3 * time.Millisecond, raw: body}
	r.Judge(Done)
	var buf bytes.Buffer
	_ = r.WriteText(&buf, cs)
	text := buf.String()
	for _, want := range []string{"✗ entry_sign_in: 412 failed (3.0ms)", "expected done, got failed", "more (-v shows up to 64.0 KiB)", "job j1"} {
		if !strings.Contains(text, want) {
			t.Errorf("text lacks %q:\n%s", want, text)
		}
	}
	if r.OK {
		t.Fatal("mismatch is OK")
	}
	r.Verbose = true
	buf.Reset()
	_ = r.WriteText(&buf, cs)
	if strings.Contains(buf.String(), "more (") || !strings.Contains(buf.String(), strings.Repeat("x", 3000)) {
		t.Fatal("-v still cuts the body")
	}
}

func TestSendTLS(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	d := mustBuild(t, testBuilder(1), "entry_sign_in", srv.URL+"/x")
	r := Send(context.Background(), testClient(2*time.Second), d)
	if r.Kind != Failed || !r.Unexpected || r.Diagnosis != "TLS certificate not trusted" || !strings.Contains(r.Hint, "--insecure") {
		t.Fatalf("%+v", r.Outcome)
	}
	insecure := sim.NewClient(sim.ClientOptions{Timeout: 2 * time.Second, Insecure: true})
	if r := Send(context.Background(), insecure, d); r.Kind != Done {
		t.Fatalf("--insecure: %+v", r.Outcome)
	}
	// Plain HTTP spoken to a TLS port.
	plain := strings.Replace(srv.URL, "https://", "http://", 1)
	r = Send(context.Background(), testClient(2*time.Second), mustBuild(t, testBuilder(1), "entry_sign_in", plain))
	if r.Kind != Failed || !r.Unexpected || r.Status != 400 {
		t.Fatalf("http to https port: %+v", r.Outcome)
	}
}

func TestProgressBar(t *testing.T) {
	var buf bytes.Buffer
	bar := ProgressBar(&buf)
	bar(LoadProgress{Done: 50, Total: 100, Failed: 2, Elapsed: time.Second})
	if !strings.Contains(buf.String(), "[===============               ] 50/100  50/s  2 failed") {
		t.Fatalf("%q", buf.String())
	}
	buf.Reset()
	bar(LoadProgress{Final: true})
	if buf.String() != "\r\x1b[K" {
		t.Fatalf("final %q", buf.String())
	}
}

func FuzzBodyHelpers(f *testing.F) {
	f.Add([]byte(`{"meta":{"job":{"id":"x"},"auth":{"access_token":"abcdefghijkl"}},"payload":{"attributes":{"full-name":"A"}}}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte("\x00"))
	f.Fuzz(func(t *testing.T, body []byte) {
		_ = JobID(body)
		_ = MaskedBody(body)
		if out := Tamper(body); bytes.Equal(out, body) {
			t.Fatalf("Tamper left %q unchanged", body)
		}
		d := Delivery{Body: body, Header: http.Header{}}
		if cv, err := d.Curl(); err == nil && !strings.Contains(cv.Command, "--data-binary") {
			t.Fatal(cv.Command)
		}
	})
}

// oneShotServer answers one request per connection with HTTP/1.1 and a
// Content-Length (so the client keeps the connection for the next request)
// and then drops the connection as soon as a second request arrives on it.
func oneShotServer(t *testing.T) (url string, served func() int) {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	n := 0
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func(c net.Conn) {
				defer c.Close()
				_ = c.SetDeadline(time.Now().Add(5 * time.Second))
				req, err := http.ReadRequest(bufio.NewReader(c))
				if err != nil {
					return
				}
				_, _ = io.Copy(io.Discard, req.Body)
				mu.Lock()
				n++
				mu.Unlock()
				_, _ = io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}")
				// Wait for the next request on this connection, then drop it
				// unanswered.
				var b [1]byte
				_, _ = c.Read(b[:])
			}(c)
		}
	}()
	t.Cleanup(func() { _ = l.Close() })
	return "http://" + l.Addr().String(), func() int { mu.Lock(); defer mu.Unlock(); return n }
}

// A plugin that closes a kept-alive connection it will not serve again gets
// every delivery once: no spurious "connection reset", no duplicate.
func TestSendRetriesAClosedKeepAliveConnection(t *testing.T) {
	url, served := oneShotServer(t)
	c := testClient(2 * time.Second)
	b := testBuilder(5)
	for i := 0; i < 5; i++ {
		r := Send(context.Background(), c, mustBuild(t, b, "entry_sign_in", url))
		if r.Kind != Done {
			t.Fatalf("delivery %d: %s: %s", i, r.Kind, r.Diagnosis)
		}
	}
	if got := served(); got != 5 {
		t.Fatalf("the plugin served %d requests, want 5", got)
	}
}

func TestRequestSendsNoIdempotencyKey(t *testing.T) {
	d := mustBuild(t, testBuilder(5), "entry_sign_in", "http://127.0.0.1:1/")
	if _, ok := d.Header["Idempotency-Key"]; ok {
		t.Fatal("the delivery shows an Idempotency-Key header")
	}
	var buf bytes.Buffer
	req, _ := http.NewRequest(http.MethodPost, d.URL, bytes.NewReader(d.Body))
	req.Header = d.Request().Header
	if err := req.Write(&buf); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(strings.ToLower(buf.String()), "idempotency") {
		t.Fatalf("the wire request names an idempotency key:\n%.400s", buf.String())
	}
}
