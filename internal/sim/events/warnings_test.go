package events

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

func TestWarnings(t *testing.T) {
	entry := func(attrs string) string {
		return `{"meta":{"event":"entry_sign_in","job":{"id":"6a1ea84c-b3ae-4503-9068-40e983a50699"}},` +
			`"payload":{"type":"entries","attributes":` + attrs + `}}`
	}
	ok := `"signed-in-at":"2026-11-27 10:00:00"`
	tests := []struct {
		name string
		body string
		want []string // substrings, one per warning, in order
	}{
		{"clean entry", entry(`{` + ok + `,"signed-out-at":null,"legal-docs":[{"signed-at":"2026-11-27 10:00:00.123456 UTC"}]}`), nil},
		{"clean route", `{"meta":{"route":"/x"},"payload":{}}`, nil},
		{"clean uninstall", `{"meta":{"event":"plugin_uninstalled","job":{"id":"a-b"}},"payload":{}}`, nil},
		{"iso signed-in-at", entry(`{"signed-in-at":"2026-11-27T10:00:00Z"}`),
			[]string{`payload.attributes.signed-in-at "2026-11-27T10:00:00Z" is ISO-8601: an SDK plugin reads entry times with luxon's fromSQL and gets null; use the SQL form "2026-11-27 10:00:00"`}},
		{"iso signed-out-at", entry(`{` + ok + `,"signed-out-at":"2026-11-27T11:00:00.000+01:00"}`),
			[]string{`signed-out-at "2026-11-27T11:00:00.000+01:00" is ISO-8601`}},
		{"iso legal doc", entry(`{` + ok + `,"legal-docs":[{"signed-at":"2026-11-27 10:00:00"},{"signed-at":"2026-11-27T10:00"}]}`),
			[]string{`legal-docs[1].signed-at "2026-11-27T10:00" looks like ISO-8601`}},
		{"entry by type only", `{"meta":{"job":{"id":"x"}},"payload":{"type":"entries","attributes":{"signed-in-at":"yesterday"}}}`,
			[]string{`"yesterday" is not in the SQL form`}},
		{"entry by event only", `{"meta":{"event":"entry_sign_out","job":{"id":"x"}},"payload":{"attributes":{"signed-in-at":1}}}`,
			[]string{"signed-in-at is a number, not a time string"}},
		{"invite times are free", `{"meta":{"event":"invite_created","job":{"id":"x"}},"payload":{"type":"invites","attributes":{"signed-in-at":"2026-11-27T10:00:00Z"}}}`, nil},
		{"missing signed-in-at", entry(`{}`), []string{"signed-in-at is missing"}},
		{"no attributes", `{"meta":{"event":"entry_sign_in","job":{"id":"x"}},"payload":{"type":"entries"}}`, []string{"payload.attributes is missing"}},
		{"entry event without data", `{"meta":{"event":"entry_sign_in","job":{"id":"x"}},"payload":{}}`, []string{"payload.attributes is missing"}},
		{"missing payload", `{"meta":{"job":{"id":"x"}}}`, []string{"the body has no payload: an SDK plugin answers 500"}},
		{"payload array", `{"meta":{"job":{"id":"x"}},"payload":[]}`, []string{"payload is an array, not an object"}},
		{"payload null", `{"meta":{"job":{"id":"x"}},"payload":null}`, []string{"payload is null, not an object"}},
		{"missing meta", `{"payload":{}}`, []string{"the body has no meta"}},
		{"meta string", `{"meta":"x","payload":{}}`, []string{"meta is a string, not an object"}},
		{"no job", `{"meta":{"event":"invite_created"},"payload":{}}`, []string{"meta.job is missing"}},
		{"empty job id", `{"meta":{"job":{"id":""}},"payload":{}}`, []string{"meta.job.id is missing or empty"}},
		{"unsafe job id", `{"meta":{"job":{"id":"a/b c"}},"payload":{}}`, []string{`meta.job.id "a/b c" is not URL-safe`}},
		{"extra keys", `{"meta":{"job":{"id":"x"}},"payload":{},"zz":1,"paylod":{}}`,
			[]string{`unexpected top-level key "paylod"`, `unexpected top-level key "zz"`}},
		{"not json", `{"meta":`, []string{"the body is not valid JSON"}},
		{"array body", `[1]`, []string{"the body is an array, not a JSON object"}},
		{"everything", `{"zz":0}`, []string{"no meta", "no payload", `key "zz"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Warnings([]byte(tt.body))
			if len(got) != len(tt.want) {
				t.Fatalf("Warnings = %q, want %d warnings like %q", got, len(tt.want), tt.want)
			}
			for i := range got {
				if !strings.Contains(got[i], tt.want[i]) {
					t.Errorf("warning %d = %q, want it to contain %q", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestWarningsSize(t *testing.T) {
	pad := strings.Repeat("x", MaxBody)
	body := `{"meta":{"job":{"id":"x"}},"payload":{"pad":"` + pad + `"}}`
	got := Warnings([]byte(body))
	if len(got) != 1 || !strings.Contains(got[0], "over 100 kB") || !strings.Contains(got[0], "request entity too large") {
		t.Errorf("Warnings(big) = %q", got)
	}
	small := `{"meta":{"job":{"id":"x"}},"payload":{"pad":"` + pad[:MaxBody-100] + `"}}`
	if got := Warnings([]byte(small)); len(got) != 0 {
		t.Errorf("Warnings(just under the limit) = %q", got)
	}
}

// Every generated body, in every variant, is free of warnings.
func TestGeneratedBodiesHaveNoWarnings(t *testing.T) {
	g := NewGenerator(21, goldenNow)
	in := g.Install(sim.InstallOptions{Scopes: true})
	for _, e := range append(All(), Info{Name: "custom_thing"}) {
		for _, v := range []Variant{{}, {With: WithNames(), SignedOut: true}, {Protect: true}} {
			body, err := g.Event(e.Name, in, v)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := json.Marshal(body)
			if w := Warnings(b); len(w) != 0 {
				t.Errorf("%s %+v: %q", e.Name, v, w)
			}
		}
	}
}

func TestParseSQLTime(t *testing.T) {
	utc := func(s string) time.Time {
		tm, err := time.Parse(time.RFC3339Nano, s)
		if err != nil {
			t.Fatal(err)
		}
		return tm.UTC()
	}
	tests := []struct {
		in   string
		want time.Time // zero: an error is expected
	}{
		{"2026-11-27 10:00:00", utc("2026-11-27T10:00:00Z")},
		{"2026-11-27", utc("2026-11-27T00:00:00Z")},
		{"2026-11-27 10", utc("2026-11-27T10:00:00Z")},
		{"2026-11-27 10:30", utc("2026-11-27T10:30:00Z")},
		{"2026-11-27 1030", utc("2026-11-27T10:30:00Z")},
		{"2026-11-27 10:00:00.123456", utc("2026-11-27T10:00:00.123456Z")},
		{"2026-11-27 10:00:00,5", utc("2026-11-27T10:00:00.5Z")},
		{"2026-11-27 10:00:00Z", utc("2026-11-27T10:00:00Z")},
		{"2026-11-27 10:00:00 Z", utc("2026-11-27T10:00:00Z")},
		{"2026-11-27 10:00:00 UTC", utc("2026-11-27T10:00:00Z")},
		{"2026-11-27 10:00:00+00:00", utc("2026-11-27T10:00:00Z")},
		{"2026-11-27 10:00:00 +01:00", utc("2026-11-27T09:00:00Z")},
		{"2026-11-27 10:00:00 -0130", utc("2026-11-27T11:30:00Z")},
		{"2026-11-27 10:00:00 -05", utc("2026-11-27T15:00:00Z")},
		{"2026-02-29 10:00:00", time.Time{}},
		{"2028-02-29 10:00:00", utc("2028-02-29T10:00:00Z")},
		{"2026-11-27T10:00:00Z", time.Time{}},
		{"2026-11-27T10:00:00", time.Time{}},
		{"2026-13-01 10:00:00", time.Time{}},
		{"2026-11-00", time.Time{}},
		{"2026-11-27 24:00:00", time.Time{}},
		{"2026-11-27 10:60", time.Time{}},
		{"2026-11-27  10:00:00", time.Time{}},
		{"2026-11-27 10:00:00 Not/AZone", time.Time{}},
		{"2026-11-27 10:00:00 !", time.Time{}},
		{"2026-11-27 10:00:00 Local", time.Time{}},
		{"26-11-27", time.Time{}},
		{"10:00:00", time.Time{}},
		{"", time.Time{}},
		{"2026-11-27 10:0", time.Time{}},
	}
	for _, tt := range tests {
		got, err := ParseSQLTime(tt.in)
		if tt.want.IsZero() {
			if err == nil {
				t.Errorf("ParseSQLTime(%q) = %v, want an error", tt.in, got)
			}
			continue
		}
		if err != nil || !got.Equal(tt.want) {
			t.Errorf("ParseSQLTime(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func FuzzParseSQLTime(f *testing.F) {
	for _, s := range []string{"2026-11-27 10:00:00", "2026-11-27 10:00:00.1 UTC", "2026-11-27T10:00:00Z", "2026-11-27 10 +05:30"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		tm, err := ParseSQLTime(s)
		if err != nil {
			return
		}
		if tm.Year() < 0 || tm.Year() > 9999 {
			return // a zone offset moved it out of four-digit years
		}
		if tm.Location() != time.UTC {
			t.Fatalf("ParseSQLTime(%q) not in UTC", s)
		}
		// What we format in SQL form reads back as the same instant.
		again, err := ParseSQLTime(tm.Format("2006-01-02 15:04:05.999999999"))
		if err != nil || !again.Equal(tm) {
			t.Fatalf("ParseSQLTime(%q) = %v does not round trip: %v, %v", s, tm, again, err)
		}
	})
}
