package manifest

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"
)

// FuzzParse feeds arbitrary bytes to Parse (decode + validate). Invariants:
// it never panics; every finding has a position that is not negative, a
// severity and a message; parsing is deterministic; and a valid manifest,
// encoded back to TOML, parses again without errors into the same value.
func FuzzParse(f *testing.F) {
	for _, pattern := range []string{"*.toml", filepath.Join("invalid", "*.toml")} {
		files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "manifests", pattern))
		for _, file := range files {
			b, err := os.ReadFile(file)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(head + "steps = 1\n"))
	f.Add([]byte("a = [[1], {b = 2}]\n[[a]]\n"))
	f.Add([]byte(head + "[[steps]\ntype = 1\n[plugin\nx = [1 2,\n3]\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, fs := Parse("f.toml", data)
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, fd := range fs {
			if fd.Line < 0 || fd.Col < 0 || fd.Line > lines+1 {
				t.Fatalf("bad position %d:%d (of %d lines): %v", fd.Line, fd.Col, lines, fd)
			}
			if fd.Message == "" || (fd.Severity != SevError && fd.Severity != SevWarning) || fd.File != "f.toml" {
				t.Fatalf("incomplete finding %#v", fd)
			}
			if strings.Contains(fd.Message+fd.Key+fd.Hint, recoveredTable) {
				t.Fatalf("syntax recovery leaked its placeholder: %v", fd)
			}
			if strings.Contains(fd.Message, "internal error") {
				t.Fatalf("Parse panicked: %v", fd)
			}
		}
		if m == nil && !HasErrors(fs) {
			t.Fatal("no manifest and no error")
		}
		if m == nil || HasErrors(fs) {
			return
		}
		m2, fs2 := Parse("f.toml", data)
		if !reflect.DeepEqual(m, m2) || !reflect.DeepEqual(fs, fs2) {
			t.Fatal("Parse is not deterministic")
		}
		var buf bytes.Buffer
		if err := toml.NewEncoder(&buf).Encode(m); err != nil {
			t.Fatalf("encode a valid manifest: %v", err)
		}
		m3, fs3 := Parse("f.toml", buf.Bytes())
		if HasErrors(fs3) {
			t.Fatalf("re-encoded manifest has errors %v:\n%s", fs3, buf.String())
		}
		a, b := *m, *m3
		a.pos, b.pos = nil, nil
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("round trip differs:\n%#v\n%#v\n%s", a, b, buf.String())
		}
	})
}
