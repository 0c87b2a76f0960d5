package suggest

import (
	"strings"
	"testing"
)

func TestClosest(t *testing.T) {
	names := []string{"name", "base_url", "description", "live", "entry_sign_in"}
	for in, want := range map[string]string{
		"nmae":           "name",     // a swap is one edit
		"NAME":           "name",     // case is ignored
		"baseurl":        "base_url", // one deletion
		"descripton":     "description",
		"entry_sigin_in": "entry_sign_in",
		"zzz":            "", // nothing near
		"url":            "", // too far for a short word
	} {
		if got := Closest(in, names); got != want {
			t.Errorf("Closest(%q) = %q, want %q", in, got, want)
		}
	}
	if got := Closest("x", nil); got != "" {
		t.Errorf("no candidates: %q", got)
	}
}

func TestEditDistanceIsBounded(t *testing.T) {
	if d := editDistance(strings.Repeat("a", 10000), strings.Repeat("b", 10000)); d != 64 {
		t.Errorf("long inputs are capped: %d", d)
	}
	if d := editDistance("ab", "ba"); d != 1 {
		t.Errorf("transposition: %d", d)
	}
}
