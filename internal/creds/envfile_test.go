package creds

import (
	"reflect"
	"strings"
	"testing"
)

// parseCases are checked against hand-written expectations here and, when
// ENVOY_PLUGIN_DOTENV is set, against Node's dotenv itself (node_test.go).
var parseCases = []struct {
	name      string
	in        string
	want      map[string]string
	warnLines []int
}{
	{"basic", "A=1\nB=two\n", map[string]string{"A": "1", "B": "two"}, nil},
	{"comments and blanks", "# c\n\nA=1 # trailing\n  # indented\nB=x#y\n", map[string]string{"A": "1", "B": "x"}, nil},
	{"export prefix", "export A=1\nexport  B = 2\n", map[string]string{"A": "1", "B": "2"}, nil},
	{"single quotes literal", `A='a\nb $X'` + "\n", map[string]string{"A": `a\nb $X`}, nil},
	{"double quotes expand newline", `A="a\nb\rc\t"` + "\n", map[string]string{"A": "a\nb\rc\\t"}, nil},
	{"backticks", "A=`it's \"x\"`\n", map[string]string{"A": `it's "x"`}, nil},
	{"no expansion", "A=$HOME\nB=${A}\n", map[string]string{"A": "$HOME", "B": "${A}"}, nil},
	{"hash inside quotes", `A="a # b"` + "\nB='#'\n", map[string]string{"A": "a # b", "B": "#"}, nil},
	{"multi-line double", "A=\"line1\nline2\"\nB=2\n", map[string]string{"A": "line1\nline2", "B": "2"}, nil},
	{"multi-line single", "KEY='-----BEGIN-----\nabc\n-----END-----'\n", map[string]string{"KEY": "-----BEGIN-----\nabc\n-----END-----"}, nil},
	{"crlf", "A=1\r\nB=\"x\r\ny\"\r\n", map[string]string{"A": "1", "B": "x\ny"}, nil},
	{"lone cr", "A=1\rB=2", map[string]string{"A": "1", "B": "2"}, nil},
	{"no trailing newline", "A=1\nB=2", map[string]string{"A": "1", "B": "2"}, nil},
	{"duplicate: last wins", "A=1\nA=2\n", map[string]string{"A": "2"}, []int{2}},
	{"empty values", "A=\nB=''\nC=\"\"\nD= # c\n", map[string]string{"A": "", "B": "", "C": "", "D": ""}, nil},
	{"spaces around", "  A  =  spaced out  \n", map[string]string{"A": "spaced out"}, nil},
	{"colon form", "A: 1\nB:2\n", map[string]string{"A": "1"}, []int{2}},
	{"skipped lines", "just words\n=nokey\nA=1\nbad key=2\n", map[string]string{"A": "1"}, []int{1, 2, 4}},
	{"unterminated quote kept", "A=\"abc\nB=2\n", map[string]string{"A": `"abc`, "B": "2"}, []int{1}},
	{"unterminated quote swallows", "A=\"abc\nB=2\"\nC=3\n", map[string]string{"A": "abc\nB=2", "C": "3"}, []int{2}},
	{"text after closing quote", `A="x" y` + "\n", map[string]string{"A": `"x" y`}, []int{1}},
	{"escaped quote stays", `A="a\"b"` + "\n" + `B='c\'d'` + "\n", map[string]string{"A": `a\"b`, "B": `c\'d`}, nil},
	{"value on next line", "A=\n'v'\n", map[string]string{"A": "v"}, []int{1}},
	{"key chars", "a.b-c_D9=1\n", map[string]string{"a.b-c_D9": "1"}, nil},
	{"bom", "\ufeffA=1\n", map[string]string{"A": "1"}, nil},
	{"proto dropped", "__proto__=1\nA=2\n", map[string]string{"A": "2"}, []int{1}},
	{"equals in value", "URL=http://x/?a=b&c=d\n", map[string]string{"URL": "http://x/?a=b&c=d"}, nil},
}

func TestParseEnv(t *testing.T) {
	for _, c := range parseCases {
		t.Run(c.name, func(t *testing.T) {
			ef, warns := ParseEnv([]byte(c.in))
			if got := ef.Values(); !reflect.DeepEqual(got, c.want) {
				t.Errorf("values = %q, want %q", got, c.want)
			}
			var lines []int
			for _, w := range warns {
				lines = append(lines, w.Line)
			}
			if !reflect.DeepEqual(lines, c.warnLines) {
				t.Errorf("warning lines = %v, want %v (%v)", lines, c.warnLines, warns)
			}
		})
	}
}

func TestParseEnvPositions(t *testing.T) {
	in := "# head\r\nexport A = 'one' # c\r\nB=\r\nC: two\r\nD=\"x\r\ny\"\r\n"
	ef, _ := ParseEnv([]byte(in))
	if ef.Newline != "\r\n" {
		t.Errorf("newline = %q", ef.Newline)
	}
	want := map[string]struct {
		raw       string
		line, end int
		quote     byte
		export    bool
	}{
		"A": {"'one'", 2, 2, '\'', true},
		"B": {"", 3, 3, 0, false},
		"C": {"two", 4, 4, 0, false},
		"D": {"\"x\r\ny\"", 5, 6, '"', false},
	}
	for _, e := range ef.Entries {
		w := want[e.Key]
		if raw := in[e.ValueStart:e.ValueEnd]; raw != w.raw || e.Line != w.line || e.EndLine != w.end || e.Quote != w.quote || e.Export != w.export {
			t.Errorf("%s: raw %q line %d-%d quote %q export %v; want %+v", e.Key, raw, e.Line, e.EndLine, e.Quote, e.Export, w)
		}
	}
	// An empty value sits right after the separator.
	b, _ := ef.Lookup("B")
	if !strings.HasPrefix(in[b.ValueStart:], "\r\nC:") {
		t.Errorf("B's empty value at %q", in[b.ValueStart:])
	}
}

func TestWarningsNeverHoldValues(t *testing.T) {
	_, warns := ParseEnv([]byte("SECRET=\"supersecretvalue\nB=2\"\nX=\"hunter2\" junk\nSECRET=again-secret\n"))
	for _, w := range warns {
		for _, s := range []string{"supersecret", "hunter2", "again-secret"} {
			if strings.Contains(w.Message, s) {
				t.Errorf("warning leaks a value: %s", w.Message)
			}
		}
	}
	if len(warns) == 0 {
		t.Fatal("expected warnings")
	}
}

func FuzzParseEnv(f *testing.F) {
	for _, c := range parseCases {
		f.Add([]byte(c.in))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		ef, warns := ParseEnv(data)
		lines := strings.Count(strings.ReplaceAll(strings.ReplaceAll(string(data), "\r\n", "\n"), "\r", "\n"), "\n") + 1
		for _, w := range warns {
			if w.Line < 1 || w.Line > lines {
				t.Fatalf("warning line %d out of 1..%d: %v", w.Line, lines, w)
			}
		}
		prevEnd := 0
		for _, e := range ef.Entries {
			if e.ValueStart < prevEnd || e.ValueStart > e.ValueEnd || e.ValueEnd > len(data) {
				t.Fatalf("bad offsets %d..%d (prev %d, len %d)", e.ValueStart, e.ValueEnd, prevEnd, len(data))
			}
			prevEnd = e.ValueEnd
			if e.Line < 1 || e.EndLine < e.Line || e.EndLine > lines {
				t.Fatalf("bad lines %d..%d", e.Line, e.EndLine)
			}
			// The raw value alone parses back to the same value.
			raw := string(data[e.ValueStart:e.ValueEnd])
			if v, _ := dotenvValue(normalizeString(raw)); v != e.Value {
				t.Fatalf("raw %q gives %q, entry has %q", raw, v, e.Value)
			}
		}
	})
}

func normalizeString(s string) string {
	n, _ := normalize([]byte(s))
	return n
}
