package creds

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"
)

// How Node's dotenv (v16, lib/main.js) reads a file, which dotenv-flow and
// so Envoy's SDK use:
//
//   - CRLF and lone CR become LF first;
//   - one multi-line regular expression (LINE below) is matched repeatedly
//     over the whole text; each match is KEY=VALUE (or KEY: VALUE), with an
//     optional `export ` prefix and an optional # comment after the value;
//   - a value in single, double or backtick quotes may span lines; the quotes
//     are removed only when the (trimmed) value starts and ends with the same
//     quote; double-quoted values then turn \n and \r into newline and CR;
//   - there is no $VAR expansion and no other escape;
//   - a later duplicate key wins (obj[key] = value);
//   - whatever the regular expression does not match is skipped silently:
//     we report such lines as warnings instead.
//
// The pattern below is dotenv's LINE with JavaScript's classes spelled out
// for Go: JS \s also matches \v, NBSP, the Unicode spaces and the BOM, and
// JS . excludes U+2028/U+2029. Go's regexp picks the same match and
// submatches a backtracking engine would (leftmost-first), so the result is
// the same as Node's; the one difference, JS treating U+2028/U+2029 as line
// ends for ^ and $, is reported as a warning.
const (
	jsSpace = `\t\n\v\f\r \x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}\x{feff}`
	jsS     = `[` + jsSpace + `]`
	jsDot   = `[^\n\r\x{2028}\x{2029}]`
)

var dotenvLine = regexp.MustCompile(`(?m)^` + jsS + `*(?:export` + jsS + `+)?([\w.-]+)(?:` + jsS + `*=` + jsS + `*?|:` + jsS + `+?)(` +
	jsS + `*'(?:\\'|[^'])*'|` +
	jsS + `*"(?:\\"|[^"])*"|` +
	jsS + "*`(?:\\\\`|[^`])*`|" +
	`[^#\r\n]+)?` + jsS + `*(?:#` + jsDot + `*)?$`)

// isJSSpace reports whether r is whitespace for JavaScript's \s and trim().
func isJSSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', ' ', 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000, 0xfeff:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func jsTrim(s string) string { return strings.TrimFunc(s, isJSSpace) }

// Entry is one KEY=VALUE that Node's dotenv reads from a file.
type Entry struct {
	Key   string
	Value string // as Node sees it: quotes removed, \n expanded in "..."
	Line  int    // 1-based line of the key
	// EndLine is the line the value ends on (> Line for multi-line values).
	EndLine int
	// Quote is the quote character Node removed (' " `), or 0.
	Quote byte
	// Export is true for `export KEY=...`.
	Export bool

	// Byte offsets in the original data of the raw value (quotes included,
	// surrounding blanks excluded): replacing [ValueStart, ValueEnd) changes
	// the value and nothing else. Equal offsets mean an empty value.
	ValueStart, ValueEnd int
}

// EnvFile is a parsed env file that can also be rewritten with the bytes
// of every other line kept.
type EnvFile struct {
	Data    []byte
	Entries []Entry // in file order, duplicates included
	// Newline is the file's line ending ("\r\n" when it uses CRLF).
	Newline string
}

// Values returns the variables as Node would load them (last duplicate
// wins).
func (e *EnvFile) Values() map[string]string {
	m := make(map[string]string, len(e.Entries))
	for _, en := range e.Entries {
		m[en.Key] = en.Value
	}
	return m
}

// Lookup returns the effective (last) entry for key.
func (e *EnvFile) Lookup(key string) (Entry, bool) {
	for i := len(e.Entries) - 1; i >= 0; i-- {
		if e.Entries[i].Key == key {
			return e.Entries[i], true
		}
	}
	return Entry{}, false
}

// Keys returns the distinct keys, sorted.
func (e *EnvFile) Keys() []string {
	seen := map[string]bool{}
	var out []string
	for _, en := range e.Entries {
		if !seen[en.Key] {
			seen[en.Key] = true
			out = append(out, en.Key)
		}
	}
	sort.Strings(out)
	return out
}

// normalize does dotenv's `replace(/\r\n?/g, "\n")` and keeps, for every
// byte of the result, its offset in src (plus one final entry for the end).
func normalize(src []byte) (string, []int) {
	var b strings.Builder
	b.Grow(len(src))
	off := make([]int, 0, len(src)+1)
	for i := 0; i < len(src); i++ {
		c := src[i]
		if c == '\r' {
			off = append(off, i)
			b.WriteByte('\n')
			if i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
			continue
		}
		off = append(off, i)
		b.WriteByte(c)
	}
	off = append(off, len(src))
	return b.String(), off
}

// ParseEnv reads data as Node's dotenv v16 does. Warnings (with 1-based
// line numbers and no File) describe lines Node skips and other surprises;
// they never contain a value.
func ParseEnv(data []byte) (*EnvFile, []Warning) {
	ef := &EnvFile{Data: data, Newline: "\n"}
	if strings.Contains(string(data), "\r\n") {
		ef.Newline = "\r\n"
	}
	var warns []Warning
	text, off := normalize(data)
	lineAt := newLineIndex(text)
	if !utf8.ValidString(text) {
		warns = append(warns, Warning{Line: firstInvalidLine(text), Message: "not valid UTF-8: Node replaces the bad bytes with U+FFFD, so a value here may differ from what the plugin reads"})
	}
	if i := strings.IndexAny(text, "\u2028\u2029"); i >= 0 {
		warns = append(warns, Warning{Line: lineAt(text, i), Message: "contains a Unicode line or paragraph separator (U+2028/U+2029), which Node treats as a line end: envoy-plugin may read this file differently from the plugin"})
	}

	covered := make([]bool, strings.Count(text, "\n")+2) // by line number
	firstLine := map[string]int{}
	for _, m := range dotenvLine.FindAllStringSubmatchIndex(text, -1) {
		keyStart, keyEnd := m[2], m[3]
		key := text[keyStart:keyEnd]
		if key == "__proto__" {
			// obj["__proto__"] = "string" is a no-op in JavaScript.
			for l := lineAt(text, m[0]); l <= lineAt(text, m[1]); l++ {
				covered[l] = true
			}
			warns = append(warns, Warning{Line: lineAt(text, keyStart), Message: "Node's dotenv silently drops a variable named __proto__"})
			continue
		}
		en := Entry{Key: key, Line: lineAt(text, keyStart)}
		prefix := text[m[0]:keyStart]
		en.Export = strings.Contains(prefix, "export")

		raw := ""
		vs, ve := m[5], m[5] // value position when there is none: after the separator
		if m[4] >= 0 {
			raw = text[m[4]:m[5]]
			lead := len(raw) - len(strings.TrimLeftFunc(raw, isJSSpace))
			trail := len(raw) - len(strings.TrimRightFunc(raw, isJSSpace))
			if lead == len(raw) {
				vs, ve = m[4], m[4]
			} else {
				vs, ve = m[4]+lead, m[5]-trail
			}
		} else {
			// No value group: the separator ends where the trailing blanks
			// and comment begin. Find the end of "KEY =" / "KEY: ".
			vs = sepEnd(text, keyEnd, m[1])
			ve = vs
		}
		en.ValueStart, en.ValueEnd = off[vs], off[ve]
		en.EndLine = lineAt(text, ve)
		en.Value, en.Quote = dotenvValue(raw)
		for l := lineAt(text, m[0]); l <= lineAt(text, m[1]); l++ {
			covered[l] = true
		}

		if first, ok := firstLine[key]; ok {
			warns = append(warns, Warning{Line: en.Line, Message: fmt.Sprintf("%s is set again (first on line %d): dotenv uses the last one", key, first)})
		} else {
			firstLine[key] = en.Line
		}
		trimmed := jsTrim(raw)
		if en.Quote == 0 && trimmed != "" && strings.ContainsRune(`'"`+"`", rune(trimmed[0])) {
			warns = append(warns, Warning{Line: en.Line, Message: fmt.Sprintf("the value of %s starts with %c but does not end with it: Node keeps the quote characters in the value", key, trimmed[0])})
		}
		if en.EndLine > en.Line {
			valueLine := lineAt(text, vs)
			if valueLine > en.Line && vs < ve {
				warns = append(warns, Warning{Line: en.Line, Message: fmt.Sprintf("%s has nothing after the =, so Node takes its value from line %d", key, valueLine)})
			}
			for i, l := range strings.Split(text[vs:ve], "\n")[1:] {
				if looksLikeAssignment(l) {
					warns = append(warns, Warning{Line: lineAt(text, vs) + 1 + i, Message: fmt.Sprintf("this line is part of the multi-line quoted value of %s (line %d), not a variable of its own: is a closing quote missing?", key, en.Line)})
					break
				}
			}
		}
		ef.Entries = append(ef.Entries, en)
	}

	for i, l := range strings.Split(text, "\n") {
		n := i + 1
		if covered[n] {
			continue
		}
		t := jsTrim(l)
		if t == "" || strings.HasPrefix(t, "#") {
			continue
		}
		warns = append(warns, Warning{Line: n, Message: "not a KEY=value line: Node's dotenv skips it" + skipHint(t)})
	}
	sort.SliceStable(warns, func(i, j int) bool { return warns[i].Line < warns[j].Line })
	return ef, warns
}

// dotenvValue turns the raw value group into the value, as dotenv does.
func dotenvValue(raw string) (string, byte) {
	v := jsTrim(raw)
	if v == "" {
		return "", 0
	}
	first := v[0]
	var quote byte
	if len(v) >= 2 && (first == '\'' || first == '"' || first == '`') && v[len(v)-1] == first {
		v = v[1 : len(v)-1]
		quote = first
	}
	if first == '"' {
		v = strings.ReplaceAll(v, `\n`, "\n")
		v = strings.ReplaceAll(v, `\r`, "\r")
	}
	return v, quote
}

// sepEnd finds where "KEY =" or "KEY: " ends, between the key and the end
// of the match, for an entry with no value.
func sepEnd(text string, from, to int) int {
	s := text[from:to]
	if i := strings.IndexByte(s, '='); i >= 0 {
		// KEY\s*= : the lazy \s*? after = takes nothing.
		if pre := s[:i]; strings.TrimFunc(pre, isJSSpace) == "" {
			return from + i + 1
		}
	}
	if strings.HasPrefix(s, ":") {
		// ":\s+?" takes exactly one whitespace character.
		_, size := utf8.DecodeRuneInString(s[1:])
		return from + 1 + size
	}
	return from
}

var (
	assignmentLike = regexp.MustCompile(`^\s*(?:export\s+)?[\w.-]+\s*=`)
	colonNoSpace   = regexp.MustCompile(`^[\w.-]+:\S`)
)

func looksLikeAssignment(l string) bool { return assignmentLike.MatchString(l) }

func skipHint(t string) string {
	switch {
	case strings.HasPrefix(t, "="):
		return " (no name before the =)"
	case colonNoSpace.MatchString(t):
		return " (after a colon Node needs a space: NAME: value)"
	case strings.ContainsAny(t, "=:"):
		return " (names may only hold letters, digits, _ . and -)"
	default:
		return " (no = sign)"
	}
}

// newLineIndex returns a function giving the 1-based line of a byte
// offset in text.
func newLineIndex(text string) func(text string, i int) int {
	starts := []int{0}
	for i := 0; i < len(text); i++ {
		if text[i] == '\n' {
			starts = append(starts, i+1)
		}
	}
	return func(_ string, i int) int {
		return sort.Search(len(starts), func(k int) bool { return starts[k] > i })
	}
}

func firstInvalidLine(text string) int {
	for i := 0; i < len(text); {
		r, size := utf8.DecodeRuneInString(text[i:])
		if r == utf8.RuneError && size == 1 {
			return strings.Count(text[:i], "\n") + 1
		}
		i += size
	}
	return 1
}
