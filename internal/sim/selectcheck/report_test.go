package selectcheck

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/output"
)

func fakeReport(strict bool) *Report {
	f := &FieldReport{Name: "HELLO", Key: "HELLO", URL: "http://x/hello", Pagination: "page", Searchable: true,
		latencies: []time.Duration{time.Millisecond, 3 * time.Millisecond, 2 * time.Second}}
	f.add(Check{Name: "walk", Status: Pass, Message: "5 pages, 45 options, 45 distinct values", DurationMs: 12})
	f.add(Check{Name: "options", Status: Fail, Message: "1 option breaks the contract", Details: []string{`page 1, index 3: label is missing: {"value":"x"}`}, Hint: "each option is ..."})
	f.add(Check{Name: "pagination", Status: Warn, Message: "stopped after 100 pages", Hint: "raise --max-pages"})
	f.add(Check{Name: "selected values", Status: Skip, Message: "skipped"})
	f.finish(strict)
	r := &Report{Fields: []*FieldReport{f}, Strict: strict}
	r.summarize()
	return r
}

func TestWriteText(t *testing.T) {
	var buf bytes.Buffer
	if err := fakeReport(false).WriteText(&buf, (&iostreams.IOStreams{}).ColorScheme()); err != nil {
		t.Fatal(err)
	}
	want := `HELLO  page pagination, searchable  http://x/hello
  ✓ walk             5 pages, 45 options, 45 distinct values
  ✗ options          1 option breaks the contract
      page 1, index 3: label is missing: {"value":"x"}
      hint: each option is ...
  ! pagination       stopped after 100 pages
      hint: raise --max-pages
  - selected values  skipped

1 field, 4 checks: 1 passed, 1 failed, 1 warning, 1 skipped
`
	if buf.String() != want {
		t.Fatalf("got:\n%s\nwant:\n%s", buf.String(), want)
	}
}

func TestStrictTurnsWarningsIntoFailures(t *testing.T) {
	r := fakeReport(false)
	if r.OK() || r.Summary.Warnings != 1 {
		t.Fatalf("%+v", r.Summary)
	}
	// Only a warning: OK without strict, not with it.
	for _, strict := range []bool{false, true} {
		f := &FieldReport{Name: "K"}
		f.add(Check{Name: "pagination", Status: Warn, Message: "stopped after 100 pages"})
		f.finish(strict)
		r := &Report{Fields: []*FieldReport{f}, Strict: strict}
		r.summarize()
		if r.OK() == strict {
			t.Fatalf("strict=%v: OK=%v", strict, r.OK())
		}
		if strict && (f.Checks[0].Status != Fail || !strings.Contains(f.Checks[0].Message, "--strict")) {
			t.Fatalf("%+v", f.Checks[0])
		}
	}
}

func TestLatencySummary(t *testing.T) {
	r := fakeReport(false)
	l := r.Fields[0].Latency
	if l.Calls != 3 || l.P50 != 3 || l.Max != 2000 || l.P95 != 2000 {
		t.Fatalf("%+v", l)
	}
}

// One testcase per check; failures carry details and hint; warnings pass
// with a note (fail with --strict); skipped checks are skipped.
func TestJUnit(t *testing.T) {
	for _, strict := range []bool{false, true} {
		var buf bytes.Buffer
		if err := output.WriteJUnit(&buf, fakeReport(strict).JUnit()); err != nil {
			t.Fatal(err)
		}
		var back output.JUnitSuites
		if err := xml.Unmarshal(buf.Bytes(), &back); err != nil {
			t.Fatal(err)
		}
		wantFail := 1
		if strict {
			wantFail = 2
		}
		if back.Tests != 4 || back.Failures != wantFail || back.Skipped != 1 {
			t.Fatalf("strict=%v: %+v", strict, back)
		}
		c := back.Suites[0].Cases[1]
		if c.Name != "options" || c.Classname != "test-select.HELLO" || !strings.Contains(c.Failure.Text, "label is missing") || !strings.Contains(c.Failure.Text, "hint: each option") {
			t.Fatalf("%+v", c)
		}
		if back.Suites[0].Cases[0].Time != 0.012 {
			t.Fatalf("time %v", back.Suites[0].Cases[0].Time)
		}
		if !strict && !strings.HasPrefix(back.Suites[0].Cases[2].SystemOut, "warning: stopped") {
			t.Fatalf("%+v", back.Suites[0].Cases[2])
		}
	}
}
