package output

import (
	"encoding/xml"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"
)

// JUnit XML, as CI systems read it (Jenkins, GitLab, GitHub Actions
// reporters): <testsuites> holding <testsuite>s holding <testcase>s, a
// testcase failing with <failure>, erroring with <error> or skipped with
// <skipped>. Counts are computed by WriteJUnit; callers fill only names,
// times and outcomes.

// JUnitSuites is the document root.
type JUnitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr,omitempty"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     float64      `xml:"time,attr"`
	Suites   []JUnitSuite `xml:"testsuite"`
}

// JUnitSuite is one <testsuite>.
type JUnitSuite struct {
	Name      string      `xml:"name,attr"`
	Tests     int         `xml:"tests,attr"`
	Failures  int         `xml:"failures,attr"`
	Errors    int         `xml:"errors,attr"`
	Skipped   int         `xml:"skipped,attr"`
	Time      float64     `xml:"time,attr"`
	Timestamp string      `xml:"timestamp,attr,omitempty"` // ISO 8601, optional
	Cases     []JUnitCase `xml:"testcase"`
}

// JUnitCase is one <testcase>; at most one of Failure, Error, Skipped.
type JUnitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      float64       `xml:"time,attr"` // seconds
	Failure   *JUnitFailure `xml:"failure,omitempty"`
	Error     *JUnitFailure `xml:"error,omitempty"`
	Skipped   *JUnitSkipped `xml:"skipped,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
	SystemErr string        `xml:"system-err,omitempty"`
}

// JUnitFailure is a <failure> or <error>: a one-line message and a longer
// text body.
type JUnitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

// JUnitSkipped is <skipped message="..."/>.
type JUnitSkipped struct {
	Message string `xml:"message,attr,omitempty"`
}

// WriteJUnit fills in the counts and writes the document with an XML
// declaration. Text that XML 1.0 cannot carry (control characters, invalid
// UTF-8) is replaced so that the file always parses.
func WriteJUnit(w io.Writer, s *JUnitSuites) error {
	doc := prepareJUnit(s)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	if err := enc.Close(); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// WriteJUnitFile writes the document to path through a temporary file in
// the same folder, so that a reader never sees half a report.
func WriteJUnitFile(path string, s *JUnitSuites) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".junit-*.xml")
	if err != nil {
		return fmt.Errorf("writing the JUnit report: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := WriteJUnit(tmp, s); err != nil {
		tmp.Close()
		return fmt.Errorf("writing the JUnit report: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing the JUnit report: %w", err)
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return fmt.Errorf("writing the JUnit report: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing the JUnit report: %w", err)
	}
	return nil
}

func prepareJUnit(in *JUnitSuites) *JUnitSuites {
	out := *in
	out.Name = xmlSafe(in.Name)
	out.Tests, out.Failures, out.Errors, out.Skipped, out.Time = 0, 0, 0, 0, 0
	out.Suites = make([]JUnitSuite, len(in.Suites))
	for i, s := range in.Suites {
		s.Name = xmlSafe(s.Name)
		s.Tests, s.Failures, s.Errors, s.Skipped = len(s.Cases), 0, 0, 0
		sum := 0.0
		cases := make([]JUnitCase, len(s.Cases))
		for j, c := range s.Cases {
			c.Name, c.Classname = xmlSafe(c.Name), xmlSafe(c.Classname)
			c.SystemOut, c.SystemErr = xmlSafe(c.SystemOut), xmlSafe(c.SystemErr)
			switch {
			case c.Failure != nil:
				s.Failures++
				c.Failure = safeFailure(c.Failure)
			case c.Error != nil:
				s.Errors++
				c.Error = safeFailure(c.Error)
			case c.Skipped != nil:
				s.Skipped++
				sk := JUnitSkipped{Message: xmlSafe(c.Skipped.Message)}
				c.Skipped = &sk
			}
			// Only one outcome element: a failure wins over an error or a skip.
			if c.Failure != nil {
				c.Error, c.Skipped = nil, nil
			} else if c.Error != nil {
				c.Skipped = nil
			}
			c.Time = roundMs(c.Time)
			sum += c.Time
			cases[j] = c
		}
		s.Cases = cases
		if s.Time == 0 {
			s.Time = sum
		}
		s.Time = roundMs(s.Time)
		out.Tests += s.Tests
		out.Failures += s.Failures
		out.Errors += s.Errors
		out.Skipped += s.Skipped
		out.Time += s.Time
		out.Suites[i] = s
	}
	out.Time = roundMs(out.Time)
	return &out
}

// roundMs keeps times to the millisecond, as JUnit reports usually do.
func roundMs(sec float64) float64 { return math.Round(sec*1000) / 1000 }

func safeFailure(f *JUnitFailure) *JUnitFailure {
	return &JUnitFailure{Message: xmlSafe(f.Message), Type: xmlSafe(f.Type), Text: xmlSafe(f.Text)}
}

// xmlSafe replaces what XML 1.0 cannot hold (invalid UTF-8, control
// characters other than tab, newline and carriage return, U+FFFE/U+FFFF).
func xmlSafe(s string) string {
	ok := true
	for _, r := range s {
		if !xmlChar(r) {
			ok = false
			break
		}
	}
	if ok && utf8.ValidString(s) {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if xmlChar(r) {
			b.WriteRune(r)
		} else {
			b.WriteRune('\uFFFD')
		}
	}
	return b.String()
}

func xmlChar(r rune) bool {
	switch {
	case r == utf8.RuneError:
		return true // kept as U+FFFD; invalid bytes decode to it too
	case r == 0x9 || r == 0xA || r == 0xD:
		return true
	case r >= 0x20 && r <= 0xD7FF:
		return true
	case r >= 0xE000 && r <= 0xFFFD:
		return true
	case r >= 0x10000 && r <= 0x10FFFF:
		return true
	}
	return false
}
