package selectcheck

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// maxLine bounds one rendered message, detail or hint (in runes): checks cut
// the plugin's strings they quote, this is the safety net for the rest.
const maxLine = 400

// safeText makes s safe to print on a terminal or in a JUnit file: a
// plugin's label, value, cursor or answer excerpt may hold escape
// sequences (ESC, BEL, C1 controls), line or paragraph separators, bidi
// overrides and invalid UTF-8. Each such rune is shown escaped (\x1b,
// \u2028, \xff for an invalid byte), so nothing reaches the terminal
// as a control; the result is cut to max runes (escapes counted as
// shown) with an ellipsis.
func safeText(s string, max int) string {
	clean := true
	for _, r := range s {
		if r == utf8.RuneError || needsEscape(r) {
			clean = false
			break
		}
	}
	if clean && utf8.RuneCountInString(s) <= max {
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
		case needsEscape(r) && r < 0x100:
			piece = fmt.Sprintf(`\x%02x`, r)
		case needsEscape(r):
			piece = fmt.Sprintf(`\u%04x`, r)
		}
		n := utf8.RuneCountInString(piece)
		if width+n > max {
			b.WriteString("…")
			break
		}
		b.WriteString(piece)
		width += n
		i += size
	}
	return b.String()
}

// needsEscape: control characters (C0, DEL, C1, newline and tab included:
// a rendered line stays one line), line and paragraph separators, bidi
// controls and other invisible format characters, and noncharacters.
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

// safeCheck is c with every string that may quote the plugin made safe.
func safeCheck(c Check) Check {
	c.Name = safeText(c.Name, maxLine)
	c.Message = safeText(c.Message, maxLine)
	c.Hint = safeText(c.Hint, maxLine)
	if c.Details != nil {
		d := make([]string, len(c.Details))
		for i, s := range c.Details {
			d[i] = safeText(s, maxLine)
		}
		c.Details = d
	}
	return c
}
