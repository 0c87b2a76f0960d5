package install

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
	"github.com/envoy-plugin/envoy-plugin/internal/sample"
)

func mustAnswers(t *testing.T, s string) *Answers {
	t.Helper()
	a, err := ParseAnswers([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

const fullAnswers = `GREETING = "Hi"
HELLO = "h12"
COLOR = "blue"
LOCATIONS = ["loc-x"]
VISITOR_TYPE_MAP = { visitor = "badge-visitor" }

[steps."Connect Acme"]
access_token = "at-from-ci"
token_type = "Bearer"
expires_in = 3600

[steps."Pick a room"]
ROOM = "7"
state = "ignored"
`

func TestRunWithAnswers(t *testing.T) {
	tp := newTestPlugin(t)
	st := newFakeStore(map[string]any{"LEGACY_GREETING": "old", "KEEP": "k"})
	var log bytes.Buffer
	o := walkOptions(testManifest(tp.URL), st, &log)
	o.Answers = mustAnswers(t, fullAnswers)
	res, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	want := map[string]any{
		"KEEP": "k", "GREETING": "Hi", "GREETING_SHOUT": "HI!", "NOTIFY_HOST": true, "HELLO": "h12", "COLOR": "blue",
		"LOCATIONS": []any{"loc-x"}, "VISITOR_TYPE_MAP": map[string]any{"visitor": "badge-visitor"},
		"ACME_CONNECTED": true, "ROOM": "7", "ROOM_CONFIRMED": true,
	}
	got := normalizeJSON(t, st.config())
	if !reflect.DeepEqual(got, normalizeJSON(t, want)) {
		t.Fatalf("stored config = %v\nwant %v", got, want)
	}
	if st.merges != 1 {
		t.Fatalf("MergeConfig called %d times, want once at the end", st.merges)
	}
	if !reflect.DeepEqual(normalizeJSON(t, res.Config), got) {
		t.Errorf("result config %v differs from the stored one", res.Config)
	}
	if !reflect.DeepEqual(res.Removed, []string{"LEGACY_GREETING"}) {
		t.Errorf("removed = %v", res.Removed)
	}
	if len(res.Steps) != 3 || res.Steps[0].Via != "validation_url" || res.Steps[1].Via != "validation_url" {
		t.Errorf("steps = %+v", res.Steps)
	}
	for _, s := range []string{"Step 1/3: Greetings (form)", "Pick how visitors are greeted.", "Open the docs: https://example.com/docs", "token response taken from the answers file"} {
		if !strings.Contains(log.String(), s) {
			t.Errorf("log lacks %q:\n%s", s, log.String())
		}
	}
}

func normalizeJSON(t *testing.T, v any) any {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestRunPlaysOAuthAndPopup drives the real flows: the test plays the
// browser by following the authorize and popup URLs through their
// redirects to the local callback listener.
func TestRunPlaysOAuthAndPopup(t *testing.T) {
	tp := newTestPlugin(t)
	st := newFakeStore(nil)
	b := &browser{}
	o := walkOptions(testManifest(tp.URL), st, b)
	o.Answers = mustAnswers(t, `GREETING = "Hi"`)
	res, err := Run(context.Background(), o)
	b.wg.Wait()
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	cfg := st.config()
	if cfg["ACME_CONNECTED"] != true || cfg["ROOM"] != sample.DefaultRoom || cfg["ROOM_CONFIRMED"] != true {
		t.Fatalf("config = %v", cfg)
	}
	for k, v := range cfg {
		if s, ok := v.(string); ok && strings.HasPrefix(s, "sample-at-") {
			t.Fatalf("the raw token was saved under %s", k)
		}
	}
	if len(b.visits) != 2 {
		t.Fatalf("visits = %v", b.visits)
	}
	au, _ := url.Parse(b.visits[0])
	q := au.Query()
	if q.Get("client_id") != "sample-client" || q.Get("response_type") != "code" || q.Get("scope") != "read" || len(q.Get("state")) != 32 || !strings.HasPrefix(q.Get("redirect_uri"), "http://127.0.0.1:") {
		t.Errorf("authorize URL %s", b.visits[0])
	}
	pu, _ := url.Parse(b.visits[1])
	if pu.Path != "/popup" || pu.Query().Get("state") == "" || pu.Query().Get("state") == q.Get("state") || pu.Query().Get(CallbackParam) != q.Get("redirect_uri") {
		t.Errorf("popup URL %s (a fresh state, and the callback URL)", b.visits[1])
	}
	if !strings.Contains(b.String(), "Callback URL (register it with the provider as a redirect URI): http://127.0.0.1:") {
		t.Errorf("callback URL not printed:\n%s", b.String())
	}
	if res.Steps[2].Via != "validation_url" {
		t.Errorf("steps %+v", res.Steps)
	}
}

// TestRunFailuresLeaveConfigUntouched: every bad answer or refusal is a
// clear diagnosis naming the step, and nothing is stored.
func TestRunFailuresLeaveConfigUntouched(t *testing.T) {
	tests := []struct {
		name    string
		answers string
		edit    func(m *manifest.Manifest)
		env     map[string]string
		rewrite func(q url.Values)
		reason  string
		want    []string
	}{
		{name: "blocked", answers: `GREETING = "please block me"` + "\n" + fullAnswers[len(`GREETING = "Hi"`)+1:], reason: Blocked,
			want: []string{`step 1 "Greetings": blocked by its validation URL (400): The greeting "please block me" is not allowed`, "answers file"}},
		{name: "blocked without message", answers: `GREETING = "x"`, edit: func(m *manifest.Manifest) { m.Steps[0].ValidationURL = "/t/broken/no-message" }, reason: Blocked,
			want: []string{"blocked by its validation URL (400) without a message (the answer had no {\"message\": \"...\"}", "(body: {})"}},
		{name: "invalid JSON", answers: `GREETING = "x"`, edit: func(m *manifest.Manifest) { m.Steps[0].ValidationURL = "/t/broken/invalid-json" }, reason: Failed,
			want: []string{`step 1 "Greetings": the validation URL`, "answered 200 with invalid JSON", "the install config was not changed"}},
		{name: "server error", answers: `GREETING = "x"`, edit: func(m *manifest.Manifest) { m.Steps[0].ValidationURL = "/t/broken/500" }, reason: Failed,
			want: []string{"answered 500: database down", "the plugin failed"}},
		{name: "non-object", answers: `GREETING = "x"`, edit: func(m *manifest.Manifest) { m.Steps[0].ValidationURL = "/t/broken/array" }, reason: Failed,
			want: []string{"answered 200 with a JSON array, not an object"}},
		{name: "unreachable", answers: `GREETING = "x"`, edit: func(m *manifest.Manifest) { m.Steps[0].ValidationURL = "http://127.0.0.1:1/v" }, reason: Failed,
			want: []string{"could not be reached: connection refused"}},
		{name: "token error", answers: `GREETING = "x"`, env: map[string]string{"ACME_CLIENT_SECRET": "wrong"}, reason: Failed,
			want: []string{`step 2 "Connect Acme": token URL`, "answered 401 error=invalid_client: client authentication failed; check ACME_CLIENT_SECRET"}},
		{name: "client secret unset", answers: `GREETING = "x"`, env: map[string]string{}, reason: Failed,
			want: []string{"ACME_CLIENT_SECRET is not set"}},
		{name: "authorize refused", answers: `GREETING = "x"`, edit: func(m *manifest.Manifest) { m.Steps[1].ClientID = "nobody" }, reason: Failed,
			want: []string{"the authorization server answered error=unauthorized_client"}},
		{name: "forged oauth state", answers: `GREETING = "x"`, rewrite: func(q url.Values) { q.Set("state", "forged") }, reason: "forged",
			want: []string{`step 2 "Connect Acme": forged completion: the authorization callback carried state "forged"`}},
		{name: "forged popup state", answers: "GREETING = \"x\"\n[steps.\"Connect Acme\"]\naccess_token = \"a\"\n", rewrite: func(q url.Values) { q.Set("state", "0123") }, reason: "forged",
			want: []string{`step 3 "Pick a room": forged completion: the popup callback carried state "0123"`}},
		{name: "popup without state", answers: "GREETING = \"x\"\n[steps.\"Connect Acme\"]\naccess_token = \"a\"\n", rewrite: func(q url.Values) { q.Del("state") }, reason: "forged",
			want: []string{"the popup callback carried no state; refused"}},
		{name: "token validation blocked", answers: "GREETING = \"x\"\n[steps.\"Connect Acme\"]\nrefresh_token = \"r\"\n", reason: Blocked,
			want: []string{"Acme sent no access token"}},
		{name: "required missing", answers: ``, edit: func(m *manifest.Manifest) { m.Steps[0].Fields[1].Default = nil }, reason: "input",
			want: []string{"GREETING is required: add GREETING = \"...\" to the answers file"}},
		{name: "wrong type", answers: "NOTIFY_HOST = \"yes\"", reason: "input",
			want: []string{"answers file: NOTIFY_HOST: a checkbox takes true or false, got a string"}},
	}
	tp := newTestPlugin(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := testManifest(tp.URL)
			if tt.edit != nil {
				tt.edit(m)
			}
			before := map[string]any{"KEEP": "k"}
			st := newFakeStore(map[string]any{"KEEP": "k"})
			b := &browser{rewrite: tt.rewrite}
			o := walkOptions(m, st, b)
			o.CallbackTimeout = 3e9
			if tt.env != nil {
				o.Getenv = func(k string) string { return tt.env[k] }
			}
			o.Answers = mustAnswers(t, tt.answers)
			_, err := Run(context.Background(), o)
			b.wg.Wait()
			if err == nil {
				t.Fatalf("no error\n%s", b.String())
			}
			var se *StepError
			if !errors.As(err, &se) || se.Reason != tt.reason {
				t.Fatalf("err = %#v (%v), want a StepError with reason %s", err, err, tt.reason)
			}
			for _, w := range tt.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q\nlacks %q", err, w)
				}
			}
			if st.merges != 0 || !reflect.DeepEqual(st.config(), before) {
				t.Fatalf("config touched: %d merges, %v", st.merges, st.config())
			}
		})
	}
}

// TestRunInteractiveAccessible walks a form through huh's accessible mode:
// the first answer is blocked, the message shown, and the step asked
// again with the previous answers pre-filled; "Load more…" fetches page 2.
func TestRunInteractiveAccessible(t *testing.T) {
	tp := newTestPlugin(t)
	m := testManifest(tp.URL)
	m.Steps = m.Steps[:1]
	m.Steps[0].Fields = m.Steps[0].Fields[:5] // info, GREETING, NOTIFY_HOST, link, HELLO
	st := newFakeStore(nil)
	var out bytes.Buffer
	in := newLineReader(t,
		"Please block", // GREETING
		"n",            // NOTIFY_HOST
		"3",            // HELLO: Hello 3
		// blocked: asked again
		"Hola", // GREETING
		"",     // NOTIFY_HOST: keeps the previous answer (no)
		"12",   // HELLO: Load more…
		"15",   // HELLO: Hello 15
	)
	p := &prompt.HuhPrompter{In: in, Out: &out, Accessible: true}
	o := walkOptions(m, st, &out)
	o.Prompter = p
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatalf("%v\n%s", err, out.String())
	}
	cfg := st.config()
	if cfg["GREETING"] != "Hola" || cfg["NOTIFY_HOST"] != false || cfg["HELLO"] != "h15" {
		t.Fatalf("config = %v\n%s", cfg, out.String())
	}
	for _, s := range []string{`The greeting "Please block" is not allowed`, "Change your answers and try again.", "Hello 10", "Load more…", "Search…"} {
		if !strings.Contains(out.String(), s) {
			t.Errorf("output lacks %q:\n%s", s, out.String())
		}
	}
	var pages []any
	for _, p := range tp.calls("/t/hello") {
		pages = append(pages, p["page"])
	}
	if fmt.Sprint(pages) != "[1 1 2]" {
		t.Errorf("pages asked = %v, want [1 1 2]", pages)
	}
}

// TestRunInteractiveSelects covers search, cursor pages, resources,
// mappings, links and a saved value missing from the first page, with a
// scripted prompter.
func TestRunInteractiveSelects(t *testing.T) {
	tp := newTestPlugin(t)
	m := testManifest(tp.URL)
	m.Steps = m.Steps[:1]
	m.Steps[0].ValidationURL = "" // saved as answered
	st := newFakeStore(map[string]any{"HELLO": "h22"})
	var opened []string
	fp := &fakePrompter{t: t, script: []fakeAnswer{
		{"input", "Greeting", "Bonjour"},
		{"confirm", "Also notify the host", true},
		{"confirm", `Open "Open the docs"`, true},
		{"select", "Preferred hello", "Search…"},
		{"input", "Search Preferred hello", "2"},
		{"select", "Preferred hello", "Hello 20"},
		{"select", "Badge colour", "Load more…"},
		{"select", "Badge colour", "Load more…"},
		{"select", "Badge colour", "Black"},
		{"multiselect", "Locations", []string{""}},
		{"select", "Map visitor types: pick a left option", "Guest"},
		{"select", "Map Guest to", "Badge for guest"},
		{"select", "Map visitor types: pick a left option", "Done"},
	}}
	var log bytes.Buffer
	o := walkOptions(m, st, &log)
	o.Prompter = fp
	o.OpenBrowser = func(u string) error { opened = append(opened, u); return nil }
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatalf("%v\n%s", err, log.String())
	}
	fp.done()
	cfg := st.config()
	if cfg["GREETING"] != "Bonjour" || cfg["HELLO"] != "h20" || cfg["COLOR"] != "black" {
		t.Errorf("config = %v", cfg)
	}
	if !reflect.DeepEqual(cfg["VISITOR_TYPE_MAP"], map[string]any{"guest": "badge-guest"}) {
		t.Errorf("mapping = %v", cfg["VISITOR_TYPE_MAP"])
	}
	locs, _ := cfg["LOCATIONS"].([]any)
	ri := RouteInstall(&st.inst, nil)
	if len(locs) != 3 || locs[0] != ri.Location.ID {
		t.Errorf("locations = %v, want the install's location %s first", locs, ri.Location.ID)
	}
	if !reflect.DeepEqual(opened, []string{"https://example.com/docs"}) {
		t.Errorf("opened = %v", opened)
	}
	hello := tp.calls("/t/hello")
	if len(hello) != 2 || hello[1]["search"] != "2" || hello[1]["page"] != float64(1) {
		t.Errorf("hello calls = %v (a search starts again at page 1)", hello)
	}
	if sel := tp.calls("/t/hello-selected"); len(sel) != 1 || sel[0]["value"] != "h22" {
		t.Errorf("the saved value h22 (not on page 1) must be looked up: %v", sel)
	}
	colors := tp.calls("/t/colors")
	if len(colors) != 3 || colors[0]["cursor"] != nil || colors[1]["cursor"] != "c2" || colors[2]["cursor"] != "c3" {
		t.Errorf("cursor calls = %v", colors)
	}
	if badges := tp.calls("/t/badges"); len(badges) != 1 || badges[0]["parent_resource_id"] != "guest" {
		t.Errorf("right side calls = %v", badges)
	}
}

func TestRunNotInteractiveChecksAnswers(t *testing.T) {
	tp := newTestPlugin(t)
	st := newFakeStore(nil)
	o := walkOptions(testManifest(tp.URL), st, &bytes.Buffer{})
	o.Answers = mustAnswers(t, "GRETING = \"x\"\n")
	_, err := Run(context.Background(), o)
	if err == nil || !strings.Contains(err.Error(), "did you mean GREETING?") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunInteractiveCancel(t *testing.T) {
	tp := newTestPlugin(t)
	st := newFakeStore(nil)
	o := walkOptions(testManifest(tp.URL), st, &bytes.Buffer{})
	o.Prompter = cancelPrompter{}
	_, err := Run(context.Background(), o)
	if !errors.Is(err, prompt.ErrCancelled) || st.merges != 0 {
		t.Fatalf("err = %v, merges %d", err, st.merges)
	}
}

type cancelPrompter struct{}

func (cancelPrompter) Input(string, string, string, func(string) error) (string, error) {
	return "", prompt.ErrCancelled
}
func (cancelPrompter) Confirm(string, bool) (bool, error) { return false, prompt.ErrCancelled }
func (cancelPrompter) Select(string, []prompt.Option, string) (string, error) {
	return "", prompt.ErrCancelled
}
func (cancelPrompter) MultiSelect(string, []prompt.Option, []string) ([]string, error) {
	return nil, prompt.ErrCancelled
}

func TestResources(t *testing.T) {
	st := newFakeStore(nil)
	in := RouteInstall(&st.inst, nil)
	locs, err := Resources(in, "locations")
	if err != nil {
		t.Fatal(err)
	}
	if locs[0].Value != in.Location.ID || locs[0].Label != in.Location.Attributes["name"] {
		t.Errorf("first location %v, want the install's %s", locs[0], in.Location.ID)
	}
	again, _ := Resources(RouteInstall(&st.inst, nil), "locations")
	if !reflect.DeepEqual(locs, again) {
		t.Error("resources differ between runs for the same install")
	}
	other := newFakeStore(nil)
	other.inst.InstallID = "install-2"
	if o, _ := Resources(RouteInstall(&other.inst, nil), "locations"); reflect.DeepEqual(o, locs) {
		t.Error("another install has the same resources")
	}
	for _, k := range []string{"flows", "employees", "zones", "companies", "visitor_types"} {
		if o, err := Resources(in, k); err != nil || len(o) == 0 {
			t.Errorf("%s: %v %v", k, o, err)
		}
	}
	if _, err := Resources(in, "spaceships"); err == nil || !strings.Contains(err.Error(), "locations") {
		t.Errorf("unknown resource: %v", err)
	}
}

// TestRunWithoutValidationURLs: a popup's values are saved as they came
// (without state); an OAuth2 step saves nothing and says why.
func TestRunWithoutValidationURLs(t *testing.T) {
	tp := newTestPlugin(t)
	m := testManifest(tp.URL)
	m.Steps = m.Steps[1:]
	m.Steps[0].ValidationURL = ""
	m.Steps[1].ValidationURL = ""
	m.Steps[1].ContentURL = "/popup?room=5"
	st := newFakeStore(nil)
	b := &browser{}
	o := walkOptions(m, st, b)
	res, err := Run(context.Background(), o)
	b.wg.Wait()
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	// The builder's text: a popup's extra callback params are saved; an
	// OAuth2 step needs a validation URL to save anything.
	if got := st.config(); len(got) != 1 || got["ROOM"] != "5" {
		t.Fatalf("config = %v, want only ROOM=5 (state dropped)", got)
	}
	if res.Steps[0].Via != "nothing" || res.Steps[1].Via != "callback params" {
		t.Errorf("steps = %+v", res.Steps)
	}
	want := `"Connect Acme" has no validation_url: an OAuth2 step saves nothing without one (access_token, `
	if !strings.Contains(b.String(), want) {
		t.Errorf("log lacks %q:\n%s", want, b.String())
	}
	if strings.Contains(b.String(), `"Pick a room" has no validation_url`) {
		t.Errorf("a popup without validation_url is not a warning:\n%s", b.String())
	}
}

// TestRunInteractiveRetries: after a plugin failure or a block the
// installer is asked whether to try again; no means the walk fails and
// nothing is stored.
func TestRunInteractiveRetries(t *testing.T) {
	tp := newTestPlugin(t)
	t.Run("form failure, retried then given up", func(t *testing.T) {
		m := testManifest(tp.URL)
		m.Steps = m.Steps[:1]
		m.Steps[0].Fields = m.Steps[0].Fields[1:2]
		m.Steps[0].ValidationURL = "/t/broken/500"
		st := newFakeStore(nil)
		fp := &fakePrompter{t: t, script: []fakeAnswer{
			{"input", "Greeting", "Hi"},
			{"confirm", "The plugin failed. Try this step again?", true},
			{"input", "Greeting", "Hi again"},
			{"confirm", "The plugin failed. Try this step again?", false},
		}}
		var log bytes.Buffer
		o := walkOptions(m, st, &log)
		o.Prompter = fp
		_, err := Run(context.Background(), o)
		fp.done()
		if err == nil || !strings.Contains(err.Error(), "answered 500: database down") || st.merges != 0 {
			t.Fatalf("err = %v, merges %d", err, st.merges)
		}
	})
	t.Run("oauth blocked, connect again", func(t *testing.T) {
		m := testManifest(tp.URL)
		m.Steps = m.Steps[1:2]
		m.Steps[0].ValidationURL = "/t/broken/no-message"
		st := newFakeStore(nil)
		fp := &fakePrompter{t: t, script: []fakeAnswer{
			{"confirm", "Try to connect again?", true},
			{"confirm", "Try to connect again?", false},
		}}
		b := &browser{manual: true}
		o := walkOptions(m, st, b)
		o.Prompter = fp
		o.OpenBrowser = func(u string) error {
			b.wg.Add(1)
			go b.visit(u)
			return nil
		}
		_, err := Run(context.Background(), o)
		b.wg.Wait()
		fp.done()
		var se *StepError
		if !errors.As(err, &se) || se.Reason != Blocked || st.merges != 0 {
			t.Fatalf("err = %v, merges %d", err, st.merges)
		}
		if n := strings.Count(b.String(), "Authorize in a browser:"); n != 2 {
			t.Errorf("the flow ran %d times, want 2:\n%s", n, b.String())
		}
		if !strings.Contains(b.String(), "the step was blocked (400) without a message") {
			t.Errorf("log:\n%s", b.String())
		}
	})
}
