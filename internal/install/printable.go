package install

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Printable escapes what a terminal would act on in a string a plugin
// supplied (a validation message, a token error, an option label): control
// characters (ESC, BEL, CR, newlines, C1 codes...), Unicode format
// characters (bidi overrides) and invalid UTF-8 are written as Go escapes
// (\x1b, \a, \u202e), so a plugin cannot drive the developer's terminal.
// Other text, any script or emoji, is kept as is. Use it once, where text
// output prints the string; JSON output escapes by itself.
func Printable(s string) string {
	clean := true
	for _, r := range s {
		if needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteString(`\x` + strconv.FormatUint(uint64(s[i])|0x100, 16)[1:])
		case needsEscape(r):
			q := strconv.QuoteRuneToASCII(r)
			b.WriteString(q[1 : len(q)-1])
		default:
			b.WriteString(s[i : i+n])
		}
		i += n
	}
	return b.String()
}

func needsEscape(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || unicode.Is(unicode.Cf, r)
}
