package termtext

import (
	"strings"
	"testing"
)

func TestEscape(t *testing.T) {
	for in, want := range map[string]string{
		"plain café 日本 🎉":         "plain café 日本 🎉",
		"\x1b[31mRED\x1b]0;x\x07": `\x1b[31mRED\x1b]0;x\a`,
		"a\nb\tc":                 `a\nb\tc`,
		"bidi \u202e evil":        `bidi \u202e evil`,
		"sep\u2028x":              `sep\u2028x`,
		"bad \xff byte":           `bad \xff byte`,
		"c1 \u009b":               `c1 \u009b`,
	} {
		if got := Escape(in); got != want {
			t.Errorf("Escape(%q) = %q, want %q", in, got, want)
		}
	}
	if got := EscapeKeepLines("a\n\tb\x1b"); got != "a\n\tb\\x1b" {
		t.Errorf("EscapeKeepLines = %q", got)
	}
}

func TestCut(t *testing.T) {
	if got := Cut(strings.Repeat("x", 10), 4); got != "xxxx…" {
		t.Errorf("Cut = %q", got)
	}
	if got := Cut("\x1b\x1b", 5); got != `\x1b…` {
		t.Errorf("escapes count as shown: %q", got)
	}
	if got := Cut("short", 10); got != "short" {
		t.Errorf("Cut = %q", got)
	}
}

func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", "x", "\x1b[0m", "\xff\xfe", "\u202e"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Escape(s), Cut(s, 20)} {
			for _, r := range out {
				if r != '…' && (needsEscape(r) || r == '\uFFFD' && !strings.ContainsRune(s, '\uFFFD')) {
					t.Fatalf("unsafe rune %U left in %q (from %q)", r, out, s)
				}
			}
		}
		for _, r := range EscapeKeepLines(s) {
			if r != '\n' && r != '\t' && needsEscape(r) {
				t.Fatalf("unsafe rune %U left", r)
			}
		}
	})
}
