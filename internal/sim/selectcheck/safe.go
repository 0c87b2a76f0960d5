package selectcheck

import (
	"github.com/envoy-plugin/envoy-plugin/internal/termtext"
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
func safeText(s string, max int) string { return termtext.Cut(s, max) }

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
