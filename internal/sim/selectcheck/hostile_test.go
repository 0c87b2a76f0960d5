package selectcheck

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/output"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

func TestSafeText(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Apple", "Apple"},
		{"Grüße 👋 日本", "Grüße 👋 日本"},
		{"\xff\x1b[31mRED\x1b]0;pwned\x07", `\xff\x1b[31mRED\x1b]0;pwned\a`},
		{"a\nb\tc\rd", `a\nb\tc\rd`},
		{"\u009b31m", `\u009b31m`},
		{"line\u2028sep\u2029", `line\u2028sep\u2029`},
		{"\u202eevil\u200b\ufeff", `\u202eevil\u200b\ufeff`},
		{"\x7f", `\x7f`},
		{strings.Repeat("é", 10), strings.Repeat("é", 4) + "…"},
		{"\x1b\x1b\x1b", `\x1b…`},
	}
	for _, tt := range tests {
		max := 100
		if strings.HasPrefix(tt.in, "é") || strings.HasPrefix(tt.in, "\x1b\x1b") {
			max = 4
		}
		if got := safeText(tt.in, max); got != tt.want {
			t.Errorf("safeText(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// terminalSafe fails when s holds anything a terminal would act on.
func terminalSafe(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s: invalid UTF-8", what)
	}
	for i, r := range s {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == '\u202e' {
			t.Fatalf("%s: raw %U at byte %d in:\n%s", what, r, i, s)
		}
	}
}

// A hostile plugin's bytes never reach the terminal or the JUnit file
// raw: escape sequences, separators, bidi overrides and invalid UTF-8 are
// shown escaped, huge strings cut; the JSON report stays valid.
func TestHostileAnswersAreEscaped(t *testing.T) {
	base := brokenServer(t)
	var targets []Target
	for _, p := range []string{"/hostile-bytes", "/hostile-labels", "/gzip"} {
		targets = append(targets, Target{Key: "K" + p, URL: base + p, Pagination: manifest.PaginationNone, Searchable: true})
	}
	rep := Run(t.Context(), targets, testOptions())

	var text bytes.Buffer
	if err := rep.WriteText(&text, (&iostreams.IOStreams{}).ColorScheme()); err != nil {
		t.Fatal(err)
	}
	out := text.String()
	terminalSafe(t, "text", out)
	for _, want := range []string{
		`answer: [{"label":"\xff\x1b[31mRED\x1b]0;pwned\a","value":"red"}]`, // the excerpt, escaped
		`"\u001b[2J" repeats`, // a value in a duplicate's message, as JSON
		`\ufffd31m C1`,        // a C1 control, replaced by the JSON encoder
		`\x1f\x8b`,            // the gzip magic
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %s in:\n%s", want, out)
		}
	}
	for _, line := range strings.Split(out, "\n") {
		if n := utf8.RuneCountInString(line); n > maxLine+10 {
			t.Errorf("a line of %d runes: %.80s…", n, line)
		}
	}

	var junit bytes.Buffer
	if err := output.WriteJUnit(&junit, rep.JUnit()); err != nil {
		t.Fatal(err)
	}
	terminalSafe(t, "junit", junit.String())
	if !strings.Contains(junit.String(), `\x1b[31mRED`) {
		t.Errorf("junit lacks the escaped excerpt:\n%s", junit.String())
	}

	js, err := json.Marshal(rep)
	if err != nil || !json.Valid(js) {
		t.Fatalf("json: %v", err)
	}
}

func TestCutAndBrokenAnswers(t *testing.T) {
	base := brokenServer(t)
	tests := []struct {
		path     string
		timeout  time.Duration
		contains string
		hint     string
	}{
		{"/truncated", 2 * time.Second, "page 1: invalid JSON: the answer ends early (after 20 bytes, in the middle of a value)", ""},
		{"/drip", 300 * time.Millisecond, "page 1: timed out after 300ms (--timeout) while reading the answer", "sent its status"},
		{"/not-http", 2 * time.Second, "page 1: the answer is not valid HTTP", "is an HTTP server listening on"},
		{"/tls-alert", 2 * time.Second, "page 1: the server answered in TLS (HTTPS) on an http:// URL", "use https://"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			opts := testOptions()
			opts.Client = sim.NewClient(sim.ClientOptions{Timeout: tt.timeout})
			f := runOne(t, Target{Key: "K", URL: base + tt.path, Pagination: manifest.PaginationNone}, opts)
			c := check(f, "walk")
			if c == nil || c.Status != Fail || !strings.Contains(c.Message, tt.contains) || !strings.Contains(c.Hint, tt.hint) {
				t.Fatalf("want %q (hint %q):\n%s", tt.contains, tt.hint, dump(f))
			}
		})
	}
}

// A probe answered 2xx with an empty list, or with a redirect, proves
// nothing either way: a warning, neither a pass nor a failure.
func TestSigningInconclusiveAnswers(t *testing.T) {
	base := brokenServer(t)
	for _, tt := range []struct{ path, want string }{
		{"/unsigned-empty", "answered HTTP 200 with no options to an unsigned call: cannot tell whether the signature was checked"},
		{"/unsigned-redirect", "answered a redirect (HTTP 301 to /login) to an unsigned call: cannot tell"},
	} {
		t.Run(tt.path, func(t *testing.T) {
			opts := testOptions()
			opts.CheckSigning = true
			f := runOne(t, Target{Key: "K", URL: base + tt.path, Pagination: manifest.PaginationPage}, opts)
			c := check(f, "signing: unsigned")
			if c == nil || c.Status != Warn || !strings.Contains(c.Message, tt.want) {
				t.Fatalf("want %q:\n%s", tt.want, dump(f))
			}
			for _, name := range []string{"signing: wrong secret", "signing: tampered body"} {
				if c := check(f, name); c == nil || c.Status != Warn {
					t.Fatalf("%s:\n%s", name, dump(f))
				}
			}
		})
	}
}

func TestListKind(t *testing.T) {
	for body, want := range map[string]int{
		`[]`: listEmpty, ` [ ] `: listEmpty, `{"data":[]}`: listEmpty, `{"data":[],"cursor":null}`: listEmpty,
		`[{"label":"A","value":"a"}]`: listWithOptions, `{"data":[1]}`: listWithOptions,
		`{"message":"Could not verify meta."}`: listNone, ``: listNone, `[`: listNone, `null`: listNone, `{"data":null}`: listNone,
	} {
		if got := listKind([]byte(body)); got != want {
			t.Errorf("listKind(%s) = %d, want %d", body, got, want)
		}
	}
}
