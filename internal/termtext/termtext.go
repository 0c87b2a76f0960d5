// Package termtext makes text that a plugin chose safe to print on a
// developer's terminal (or in a JUnit file): labels, messages, bodies and
// log values may hold escape sequences (ESC, BEL, C1 controls), line or
// paragraph separators, bidi overrides and invalid UTF-8. Each such rune is
// shown escaped as Go writes it (\n, \a, \x1b, \u2028; \xff for an
// invalid byte) instead of acting;
// every other character, in any script, is kept. JSON output escapes by
// itself and does not need this.
package termtext

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Escape returns s on one line with every unsafe rune escaped, newlines
// and tabs included.
func Escape(s string) string { return escape(s, false, -1) }

// EscapeKeepLines is Escape but keeps newlines and tabs (a pretty-printed
// body spans lines).
func EscapeKeepLines(s string) string { return escape(s, true, -1) }

// Cut is Escape, then cut to max runes (escapes counted as shown) with an
// ellipsis.
func Cut(s string, max int) string { return escape(s, false, max) }

func escape(s string, keepLines bool, max int) string {
	unsafe := func(r rune) bool {
		if keepLines && (r == '\n' || r == '\t') {
			return false
		}
		return r == utf8.RuneError || needsEscape(r)
	}
	if !strings.ContainsFunc(s, unsafe) && (max < 0 || utf8.RuneCountInString(s) <= max) {
		return s
	}
	var b strings.Builder
	width := 0 // runes written, escapes counted as written
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		piece := s[i : i+size]
		switch {
		case r == utf8.RuneError && size <= 1:
			piece = fmt.Sprintf(`\x%02x`, s[i])
		case keepLines && (r == '\n' || r == '\t'):
		case needsEscape(r):
			q := strconv.QuoteRuneToASCII(r) // \n, \a, \x1b, \u0085, \u202e
			piece = q[1 : len(q)-1]
		}
		n := utf8.RuneCountInString(piece)
		if max >= 0 && width+n > max {
			b.WriteString("…")
			break
		}
		b.WriteString(piece)
		width += n
		i += size
	}
	return b.String()
}

// needsEscape: control characters (C0, DEL, C1, newline and tab included),
// line and paragraph separators, bidi controls and other invisible format
// characters, and noncharacters.
func needsEscape(r rune) bool {
	switch {
	case unicode.IsControl(r):
		return true
	case r == '\u2028' || r == '\u2029':
		return true
	case unicode.Is(unicode.Cf, r): // bidi overrides, zero-width, BOM...
		return true
	case r == 0xFFFE || r == 0xFFFF:
		return true
	}
	return false
}
