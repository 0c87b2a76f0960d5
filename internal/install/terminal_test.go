package install

import (
	"bytes"
	"context"
	"reflect"
	"strings"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
	"github.com/envoy-plugin/envoy-plugin/internal/sample"
)

// A missing client secret names the environment and the env file; on a
// terminal, Enter at "Try to connect again?" retries (Yes by default) and
// the retry reads the variable again, so a secret set meanwhile is found.
func TestRunOAuthSecretSetBeforeRetry(t *testing.T) {
	tp := newTestPlugin(t)
	m := testManifest(tp.URL)
	m.Steps = m.Steps[1:2]
	st := newFakeStore(nil)
	b := &browser{}
	o := walkOptions(m, st, b)
	o.Prompter = &prompt.HuhPrompter{In: newLineReader(t, ""), Out: b, Accessible: true}
	o.EnvFile = "/plugin/.env"

	reads := 0
	o.Getenv = func(k string) string {
		reads++
		if reads == 1 {
			return ""
		}
		return sample.OAuthClientSecret
	}
	_, err := Run(context.Background(), o)
	b.wg.Wait()
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if reads < 2 || st.merges != 1 {
		t.Fatalf("secret read %d times, %d merges\n%s", reads, st.merges, b.String())
	}
	want := "ACME_CLIENT_SECRET is not set: set ACME_CLIENT_SECRET in the environment or in /plugin/.env"
	if !strings.Contains(b.String(), want) || strings.Contains(b.String(), "export") {
		t.Errorf("log lacks %q:\n%s", want, b.String())
	}
}

// An empty search answer clears the search: the full list is back.
func TestRunSearchCleared(t *testing.T) {
	tp := newTestPlugin(t)
	m := testManifest(tp.URL)
	m.Steps = m.Steps[:1]
	m.Steps[0].ValidationURL = ""
	m.Steps[0].Fields = m.Steps[0].Fields[4:5] // HELLO, searchable
	st := newFakeStore(nil)
	fp := &fakePrompter{t: t, script: []fakeAnswer{
		{"select", "Preferred hello", "Search…"},
		{"input", "Search Preferred hello", "2"},
		{"select", "Preferred hello", `Search… (now: "2")`},
		{"input", "Search Preferred hello", pressEnter{}},
		{"select", "Preferred hello", "Hello 1"}, // not found by "2"
	}}
	o := walkOptions(m, st, &bytes.Buffer{})
	o.Prompter = fp
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	fp.done()
	if got := st.config()["HELLO"]; got != "h1" {
		t.Fatalf("HELLO = %v", got)
	}
	calls := tp.calls("/t/hello")
	if len(calls) != 3 || calls[2]["search"] != nil {
		t.Errorf("calls = %v: the third must have no search", calls)
	}
}

// An optional text field with a default takes "-" for empty (Enter keeps
// the default), as its description says; a required one keeps its check.
func TestRunOptionalTextCleared(t *testing.T) {
	tp := newTestPlugin(t)
	m := testManifest(tp.URL)
	m.Steps = m.Steps[:1]
	m.Steps[0].ValidationURL = ""
	m.Steps[0].Fields = []manifest.Field{
		{Type: manifest.FieldText, Key: "GREETING", Label: "Greeting", Required: true, Default: "Hello"},
		{Type: manifest.FieldText, Key: "NOTE", Label: "Note", Default: "hi"},
		{Type: manifest.FieldText, Key: "SIGN", Label: "Signature", Default: "yo"},
	}
	st := newFakeStore(nil)
	fp := &fakePrompter{t: t, script: []fakeAnswer{
		{"input", "Greeting", ""},
		{"input", "Greeting", pressEnter{}},
		{"input", "Note", "-"},
		{"input", "Signature", pressEnter{}},
	}}
	o := walkOptions(m, st, &bytes.Buffer{})
	o.Prompter = fp
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	fp.done()
	want := map[string]any{"GREETING": "Hello", "NOTE": "", "SIGN": "yo"}
	if got := st.config(); !reflect.DeepEqual(got, want) {
		t.Fatalf("config = %v, want %v", got, want)
	}
	if d := fp.descs[2]; !strings.Contains(d, `Enter keeps "hi"; - leaves it empty`) {
		t.Errorf("Note's description = %q", d)
	}
	if d := fp.descs[0]; strings.Contains(d, "leaves it empty") {
		t.Errorf("a required field offers no empty answer: %q", d)
	}
}

// A mapping's list so far shows labels; "Load more…" comes before "Done"
// and the cursor starts on the first option.
func TestRunMappingLabelsAndOrder(t *testing.T) {
	tp := newTestPlugin(t)
	m := testManifest(tp.URL)
	m.Steps = m.Steps[:1]
	m.Steps[0].ValidationURL = ""
	m.Steps[0].Fields = []manifest.Field{{Type: manifest.FieldMapping, Key: "HELLO_MAP", Label: "Map hellos",
		OptionsURL: "/t/hello", Pagination: manifest.PaginationPage,
		Target: &manifest.Field{Type: manifest.FieldSelect, OptionsURL: "/t/badges"}}}
	st := newFakeStore(nil)
	fp := &fakePrompter{t: t, script: []fakeAnswer{
		{"select", "Map hellos: pick a left option", "Hello 3"},
		{"select", "Map Hello 3 to", "Badge for h3"},
		{"select", "Map hellos: pick a left option", "Done"},
	}}
	var log bytes.Buffer
	o := walkOptions(m, st, &log)
	o.Prompter = fp
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
	fp.done()
	if got := st.config()["HELLO_MAP"]; !reflect.DeepEqual(got, map[string]any{"h3": "badge-h3"}) {
		t.Fatalf("HELLO_MAP = %v", got)
	}
	first := fp.selects[0]
	if n := len(first.labels); n < 2 || first.labels[n-2] != "Load more…" || first.labels[n-1] != "Done" {
		t.Errorf("options = %q: Load more… then Done last", first.labels)
	}
	if first.def != "Hello 1" {
		t.Errorf("focus on %q, want the first option", first.def)
	}
	if !strings.Contains(log.String(), "Hello 3 (h3) → Badge for h3 (badge-h3)") {
		t.Errorf("so far list:\n%s", log.String())
	}
}

// A key the validation URL removes is reported only when the install had it.
func TestRunRemovedOnlyWhenPresent(t *testing.T) {
	tp := newTestPlugin(t)
	for _, tt := range []struct {
		cfg  map[string]any
		want []string
	}{
		{nil, []string{}},
		{map[string]any{"LEGACY_GREETING": "old"}, []string{"LEGACY_GREETING"}},
	} {
		var log bytes.Buffer
		o := walkOptions(testManifest(tp.URL), newFakeStore(tt.cfg), &log)
		o.Answers = mustAnswers(t, fullAnswers)
		res, err := Run(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(res.Removed, tt.want) {
			t.Errorf("config %v: removed = %v, want %v", tt.cfg, res.Removed, tt.want)
		}
		var text bytes.Buffer
		ios, _, _, _ := iostreams.Test()
		_ = res.WriteText(&text, ios.ColorScheme())
		if got := strings.Contains(text.String()+log.String(), "emoved"); got != (len(tt.want) > 0) {
			t.Errorf("config %v: removal printed = %v:\n%s%s", tt.cfg, got, log.String(), text.String())
		}
	}
}
