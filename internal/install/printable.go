package install

import "github.com/envoy-plugin/envoy-plugin/internal/termtext"

// Printable escapes what a terminal would act on in a string a plugin
// supplied (a validation message, a token error, an option label): control
// characters (ESC, BEL, CR, newlines, C1 codes...), Unicode format
// characters (bidi overrides) and invalid UTF-8 are written as Go escapes
// (\x1b, \a, \u202e), so a plugin cannot drive the developer's terminal.
// Other text, any script or emoji, is kept as is. Use it once, where text
// output prints the string; JSON output escapes by itself.
func Printable(s string) string { return termtext.Escape(s) }
