package output

import (
	"bytes"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func sampleSuites() *JUnitSuites {
	return &JUnitSuites{Name: "tool", Suites: []JUnitSuite{
		{Name: "field A", Cases: []JUnitCase{
			{Name: "ok", Classname: "a", Time: 0.25, SystemOut: "fine"},
			{Name: "broken <1>", Classname: "a", Time: 0.5, Failure: &JUnitFailure{Message: `label "x" & <y>`, Type: "contract", Text: "page 1, index 3\nhint: fix it"}},
			{Name: "skipped", Classname: "a", Skipped: &JUnitSkipped{Message: "no values"}},
		}},
		{Name: "field B", Cases: []JUnitCase{
			{Name: "crashed", Classname: "b", Error: &JUnitFailure{Message: "timeout"}},
			{Name: "both", Classname: "b", Failure: &JUnitFailure{Message: "f"}, Skipped: &JUnitSkipped{}},
		}},
	}}
}

func TestWriteJUnitCountsAndParses(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, sampleSuites()); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Fatalf("no XML declaration: %s", out)
	}
	var back JUnitSuites
	if err := xml.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("does not parse: %v\n%s", err, out)
	}
	if back.Tests != 5 || back.Failures != 2 || back.Errors != 1 || back.Skipped != 1 {
		t.Fatalf("totals %+v", back)
	}
	a, b := back.Suites[0], back.Suites[1]
	if a.Tests != 3 || a.Failures != 1 || a.Skipped != 1 || a.Time != 0.75 {
		t.Fatalf("suite A %+v", a)
	}
	if b.Errors != 1 || b.Failures != 1 || b.Cases[1].Skipped != nil {
		t.Fatalf("suite B %+v (a failure must win over a skip)", b)
	}
	if f := a.Cases[1].Failure; f == nil || f.Message != `label "x" & <y>` || f.Text != "page 1, index 3\nhint: fix it" {
		t.Fatalf("failure %+v", f)
	}
	if a.Cases[0].SystemOut != "fine" {
		t.Fatalf("system-out %q", a.Cases[0].SystemOut)
	}
	// The input is not modified.
	if sampleSuites().Tests != 0 {
		t.Fatal("counts leaked")
	}
}

func TestWriteJUnitControlCharacters(t *testing.T) {
	s := &JUnitSuites{Suites: []JUnitSuite{{Name: "s\x00", Cases: []JUnitCase{
		{Name: "bell\x07", Failure: &JUnitFailure{Message: "bad \xff bytes", Text: "esc \x1b[31m"}},
	}}}}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, s); err != nil {
		t.Fatal(err)
	}
	var back JUnitSuites
	if err := xml.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("does not parse: %v\n%s", err, buf.String())
	}
	if back.Suites[0].Cases[0].Name != "bell\uFFFD" {
		t.Fatalf("%q", back.Suites[0].Cases[0].Name)
	}
}

func TestWriteJUnitFile(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "report.xml")
	if err := os.WriteFile(p, []byte("old"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := WriteJUnitFile(p, sampleSuites()); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(p)
	if err != nil || !bytes.Contains(b, []byte("<testsuites")) {
		t.Fatalf("%v %s", err, b)
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Fatalf("temporary files left: %v", entries)
	}
	if err := WriteJUnitFile(filepath.Join(dir, "missing", "r.xml"), sampleSuites()); err == nil {
		t.Fatal("no error for a missing folder")
	}
}

func FuzzWriteJUnit(f *testing.F) {
	f.Add("name", "message", "text\n<>&\"'")
	f.Add("\x00\x01", "\xff\xfe", "\ufffe\uffff")
	f.Fuzz(func(t *testing.T, name, msg, text string) {
		s := &JUnitSuites{Name: name, Suites: []JUnitSuite{{Name: name, Cases: []JUnitCase{
			{Name: name, Classname: msg, Failure: &JUnitFailure{Message: msg, Text: text}, SystemOut: text},
		}}}}
		var buf bytes.Buffer
		if err := WriteJUnit(&buf, s); err != nil {
			t.Fatal(err)
		}
		var back JUnitSuites
		if err := xml.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatalf("does not parse: %v\n%q", err, buf.String())
		}
		if back.Failures != 1 || len(back.Suites) != 1 || len(back.Suites[0].Cases) != 1 {
			t.Fatalf("%+v", back)
		}
	})
}
