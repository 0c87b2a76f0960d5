package selectcheck

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/output"
)

// Status is the outcome of one check.
type Status string

const (
	Pass Status = "pass"
	Fail Status = "fail"
	Warn Status = "warn"
	Skip Status = "skip"
)

// Check is one line of a field's report (one JUnit testcase).
type Check struct {
	Name    string   `json:"name"`
	Status  Status   `json:"status"`
	Message string   `json:"message"`
	Details []string `json:"details,omitempty"` // e.g. the offending options
	Hint    string   `json:"hint,omitempty"`
	// DurationMs is the time spent in this check's own calls.
	DurationMs float64 `json:"duration_ms"`
}

// Latency summarises the calls made for a field, in milliseconds.
type Latency struct {
	Calls int     `json:"calls"`
	P50   float64 `json:"p50_ms"`
	P95   float64 `json:"p95_ms"`
	Max   float64 `json:"max_ms"`
}

// FieldReport is the result for one target.
type FieldReport struct {
	Name              string  `json:"name"`
	Key               string  `json:"key"`
	Side              string  `json:"side,omitempty"`
	URL               string  `json:"url"`
	Pagination        string  `json:"pagination"`
	Searchable        bool    `json:"searchable"`
	SelectedValuesURL string  `json:"selected_values_url,omitempty"`
	Pages             int     `json:"pages"`   // non-empty pages of the main walk
	Options           int     `json:"options"` // options of the main walk
	Values            int     `json:"values"`  // distinct values of the main walk
	Latency           Latency `json:"latency"`
	Checks            []Check `json:"checks"`
	Passed            int     `json:"passed"`
	Failed            int     `json:"failed"`
	Warnings          int     `json:"warnings"`
	Skipped           int     `json:"skipped"`

	latencies []time.Duration
}

func newFieldReport(t *Target) *FieldReport {
	return &FieldReport{Name: t.Name(), Key: t.Key, Side: string(t.Side), URL: t.URL, Pagination: string(t.Pagination), Searchable: t.Searchable, SelectedValuesURL: t.SelectedValuesURL}
}

func (f *FieldReport) add(c Check) { f.Checks = append(f.Checks, c) }

// finish computes the latency summary and counts; with strict, warnings
// become failures.
func (f *FieldReport) finish(strict bool) {
	f.Latency = latencyOf(f.latencies)
	f.Passed, f.Failed, f.Warnings, f.Skipped = 0, 0, 0, 0
	for i := range f.Checks {
		c := &f.Checks[i]
		if strict && c.Status == Warn {
			c.Status = Fail
			c.Message += " (an error with --strict)"
		}
		switch c.Status {
		case Pass:
			f.Passed++
		case Fail:
			f.Failed++
		case Warn:
			f.Warnings++
		case Skip:
			f.Skipped++
		}
	}
}

// Summary counts checks over every field.
type Summary struct {
	Fields   int  `json:"fields"`
	Checks   int  `json:"checks"`
	Passed   int  `json:"passed"`
	Failed   int  `json:"failed"`
	Warnings int  `json:"warnings"`
	Skipped  int  `json:"skipped"`
	OK       bool `json:"ok"`
}

// Report is the result of a run.
type Report struct {
	Fields  []*FieldReport `json:"fields"`
	Summary Summary        `json:"summary"`
	Strict  bool           `json:"strict"`
}

func (r *Report) summarize() {
	s := Summary{Fields: len(r.Fields)}
	for _, f := range r.Fields {
		s.Checks += len(f.Checks)
		s.Passed += f.Passed
		s.Failed += f.Failed
		s.Warnings += f.Warnings
		s.Skipped += f.Skipped
	}
	s.OK = s.Failed == 0 && (!r.Strict || s.Warnings == 0)
	r.Summary = s
}

// OK reports whether the run passed: no failure (and no warning with
// strict).
func (r *Report) OK() bool { return r.Summary.OK }

// WriteText renders the report for people: per field a header, one line
// per check (✓ pass, ✗ fail, ! warning, - skipped) with details and hints
// indented below, the latency, then a summary line. Every string that may
// quote the plugin is escaped here (safeText): no escape sequence of a
// plugin reaches the terminal.
func (r *Report) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	var b strings.Builder
	for i, f := range r.Fields {
		if i > 0 {
			b.WriteString("\n")
		}
		desc := []string{string(f.Pagination) + " pagination"}
		if f.Pagination == "none" || f.Pagination == "" {
			desc = []string{"no pagination"}
		}
		if f.Searchable {
			desc = append(desc, "searchable")
		}
		fmt.Fprintf(&b, "%s  %s  %s\n", cs.Bold(safeText(f.Name, maxLine)), cs.Gray(strings.Join(desc, ", ")), safeText(f.URL, maxLine))
		checks := make([]Check, len(f.Checks))
		for i, c := range f.Checks {
			checks[i] = safeCheck(c)
		}
		width := 0
		for _, c := range checks {
			if n := len([]rune(c.Name)); n > width {
				width = n
			}
		}
		for _, c := range checks {
			icon := cs.SuccessIcon()
			switch c.Status {
			case Fail:
				icon = cs.FailureIcon()
			case Warn:
				icon = cs.WarningIcon()
			case Skip:
				icon = cs.Gray("-")
			}
			pad := strings.Repeat(" ", width-len([]rune(c.Name)))
			fmt.Fprintf(&b, "  %s %s%s  %s\n", icon, c.Name, pad, c.Message)
			for _, d := range c.Details {
				fmt.Fprintf(&b, "      %s\n", d)
			}
			if c.Hint != "" && c.Status != Pass {
				fmt.Fprintf(&b, "      %s %s\n", cs.Cyan("hint:"), c.Hint)
			}
		}
	}
	s := r.Summary
	line := fmt.Sprintf("%d %s, %d checks: %d passed, %d failed, %d %s", s.Fields, plural(s.Fields, "field", "fields"), s.Checks, s.Passed, s.Failed, s.Warnings, plural(s.Warnings, "warning", "warnings"))
	if s.Skipped > 0 {
		line += fmt.Sprintf(", %d skipped", s.Skipped)
	}
	b.WriteString("\n")
	switch {
	case !s.OK:
		b.WriteString(cs.Red(line) + "\n")
	case s.Warnings > 0:
		b.WriteString(cs.Yellow(line) + "\n")
	default:
		b.WriteString(cs.Green(line) + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// fmtMs renders milliseconds: 0.4ms, 12ms, 2.3s.
func fmtMs(v float64) string {
	switch {
	case v < 10:
		return fmt.Sprintf("%.1fms", v)
	case v < 1000:
		return fmt.Sprintf("%.0fms", v)
	default:
		return fmt.Sprintf("%.1fs", v/1000)
	}
}

func fmtDur(d time.Duration) string { return fmtMs(ms(d)) }

// JUnit converts the report: one testsuite per field, one testcase per
// check; failures carry the message, details and hint; warnings are
// passing testcases with the warning in system-out (failures with strict).
// Strings are escaped as in WriteText: a CI log shows them too.
func (r *Report) JUnit() *output.JUnitSuites {
	out := &output.JUnitSuites{Name: "envoy-plugin test-select"}
	for _, f := range r.Fields {
		name := safeText(f.Name, maxLine)
		s := output.JUnitSuite{Name: "test-select " + name}
		for _, c := range f.Checks {
			c = safeCheck(c)
			tc := output.JUnitCase{Name: c.Name, Classname: "test-select." + strings.ReplaceAll(name, " ", ""), Time: c.DurationMs / 1000}
			text := strings.Join(append(append([]string{}, c.Details...), hintLine(c.Hint)...), "\n")
			switch c.Status {
			case Fail:
				tc.Failure = &output.JUnitFailure{Message: c.Message, Type: "contract", Text: text}
			case Warn:
				tc.SystemOut = "warning: " + c.Message
				if text != "" {
					tc.SystemOut += "\n" + text
				}
			case Skip:
				tc.Skipped = &output.JUnitSkipped{Message: c.Message}
			default:
				tc.SystemOut = c.Message
			}
			s.Cases = append(s.Cases, tc)
		}
		out.Suites = append(out.Suites, s)
	}
	return out
}

func hintLine(h string) []string {
	if h == "" {
		return nil
	}
	return []string{"hint: " + h}
}
