package events

import (
	"slices"
	"strings"
	"testing"
)

func FuzzParseWith(f *testing.F) {
	for _, s := range []string{"host,email", "all", " Photo ,,device", "hots", ",", "ALL,host"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := ParseWith(s)
		if err != nil {
			if !strings.Contains(err.Error(), "--with") {
				t.Fatalf("error %q does not name --with", err)
			}
			return
		}
		for i, w := range got {
			if !slices.Contains(WithNames(), w) || slices.Contains(got[:i], w) {
				t.Fatalf("ParseWith(%q) = %q", s, got)
			}
		}
		again, err := ParseWith(strings.Join(got, ","))
		if err != nil || !slices.Equal(again, got) {
			t.Fatalf("ParseWith(%q) = %q does not read back: %q, %v", s, got, again, err)
		}
	})
}

func FuzzWarnings(f *testing.F) {
	for _, s := range []string{
		`{"meta":{"event":"entry_sign_in","job":{"id":"x"}},"payload":{"type":"entries","attributes":{"signed-in-at":"2026-11-27T10:00:00Z","legal-docs":[1,{"signed-at":null}]}}}`,
		`{"meta":null}`, `[]`, `"x"`, `{`, `{"payload":{"type":"entries","attributes":[]}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, w := range Warnings(body) {
			if w == "" {
				t.Fatal("empty warning")
			}
		}
	})
}
