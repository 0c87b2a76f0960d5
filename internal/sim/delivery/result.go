package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// PreviewLimit is how much of a response body the text report shows
// without -v.
const PreviewLimit = 2 << 10

// Result is one delivery and how the plugin answered it.
type Result struct {
	Event string `json:"event"`
	URL   string `json:"url"`
	JobID string `json:"job_id,omitempty"`
	Outcome
	LatencyMS float64             `json:"latency_ms"`
	Headers   map[string][]string `json:"response_headers,omitempty"`
	// Body is the response body: a JSON value when it parses, else a string.
	Body      any      `json:"response_body,omitempty"`
	Truncated bool     `json:"response_truncated,omitempty"`
	Notes     []string `json:"notes,omitempty"`
	// Job is the job as the API simulator saw it, when one runs.
	Job *JobReport `json:"job,omitempty"`
	// Final is the job status the dashboard ends with: the simulator's
	// final status when there is one, else the HTTP outcome.
	Final    Kind `json:"final"`
	Expected Kind `json:"expected,omitempty"`
	// OK: Final equals Expected, or, with nothing expected, no unexpected
	// failure.
	OK bool `json:"ok"`

	Latency time.Duration `json:"-"`
	// Verbose shows response headers and the whole body in text.
	Verbose bool   `json:"-"`
	raw     []byte // the response body as read
}

// Send delivers d with c and reads the answer as Envoy would.
func Send(ctx context.Context, c *sim.Client, d Delivery) Result {
	start := time.Now()
	resp, err := c.Do(ctx, d.Request())
	r := Result{Event: d.Event, URL: d.URL, JobID: d.JobID}
	if err != nil {
		r.Outcome = ClassifyError(resp, err, d.URL)
		r.Latency = time.Since(start)
	} else {
		r.Outcome = ClassifyResponse(resp)
		r.Latency = resp.Latency
	}
	if resp != nil {
		r.setBody(resp)
	}
	r.LatencyMS = float64(r.Latency.Microseconds()) / 1000
	r.Judge("")
	return r
}

func (r *Result) setBody(resp *sim.Response) {
	if len(resp.Header) > 0 {
		r.Headers = map[string][]string(resp.Header.Clone())
	}
	r.raw = resp.Body
	r.Truncated = resp.Truncated
	if resp.Truncated {
		r.Notes = append(r.Notes, fmt.Sprintf("the response body was cut at %s (the bound on what is read)", byteSize(len(resp.Body))))
	}
	if len(bytes.TrimSpace(resp.Body)) == 0 {
		return
	}
	if _, isJSON := bodyMessage(resp.Body); isJSON && !resp.Truncated {
		var buf bytes.Buffer
		if json.Compact(&buf, resp.Body) == nil {
			r.Body = json.RawMessage(buf.Bytes())
			return
		}
	}
	r.Body = strings.ToValidUTF8(string(resp.Body), "\uFFFD")
	if r.Kind == Ignored || (r.Kind == Failed && !r.Unexpected) {
		r.Notes = append(r.Notes, "the body is not JSON: Envoy shows no message for this job")
	}
}

// Judge sets Final from the job (when the simulator reported one) or the
// outcome, and OK against expect ("" = only unexpected failures fail).
func (r *Result) Judge(expect Kind) {
	r.Final = r.Kind
	if r.Job != nil && r.Job.Status != "" {
		r.Final = Kind(r.Job.Status)
	}
	r.Expected = expect
	if expect != "" {
		r.OK = r.Final == expect
	} else {
		r.OK = !r.Unexpected
	}
}

// RawBody is the response body as read.
func (r *Result) RawBody() []byte { return r.raw }

// Icon marks a status in reports.
func Icon(cs *iostreams.ColorScheme, k Kind) string {
	switch k {
	case Done:
		return cs.SuccessIcon()
	case Ongoing:
		return cs.Cyan("…")
	case Ignored:
		return cs.Yellow("○")
	default:
		return cs.FailureIcon()
	}
}

// FormatLatency prints a duration the way reports show latencies.
func FormatLatency(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < 10*time.Millisecond:
		return fmt.Sprintf("%.1fms", float64(d.Microseconds())/1000)
	case d < time.Second:
		return fmt.Sprintf("%dms", d.Milliseconds())
	default:
		return fmt.Sprintf("%.2fs", d.Seconds())
	}
}

// WriteText prints the delivery for people.
func (r Result) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	var b strings.Builder
	// "202 ongoing → job done": the HTTP answer, then the job's final
	// status when the simulator saw it change.
	answer := r.Label()
	if r.Status != 0 {
		answer = fmt.Sprintf("%d %s", r.Status, answer)
	}
	if r.Job != nil && r.Job.Status != "" && Kind(r.Job.Status) != r.Kind {
		job := "job " + r.Job.Status
		if !r.Job.Final {
			job += " (not final)"
		}
		answer += " → " + job
	}
	icon := Icon(cs, r.Final)
	if r.Expected != "" && !r.OK {
		icon = cs.FailureIcon()
	}
	fmt.Fprintf(&b, "%s %s: %s (%s)\n", icon, cs.Bold(r.Event), answer, FormatLatency(r.Latency))
	fmt.Fprintf(&b, "  %s\n", r.Diagnosis)
	if r.Hint != "" {
		fmt.Fprintf(&b, "  %s %s\n", cs.Yellow("hint:"), r.Hint)
	}
	line := "  POST " + r.URL
	if r.JobID != "" {
		line += cs.Gray("  job " + r.JobID)
	}
	b.WriteString(line + "\n")
	if r.Job != nil {
		r.Job.writeText(&b, cs)
	}
	if r.Expected != "" && !r.OK {
		fmt.Fprintf(&b, "  %s expected %s, got %s\n", cs.FailureIcon(), r.Expected, r.Final)
	}
	for _, n := range r.Notes {
		fmt.Fprintf(&b, "  %s %s\n", cs.Gray("note:"), n)
	}
	if r.Verbose {
		for _, l := range headerLines(http.Header(r.Headers)) {
			fmt.Fprintf(&b, "  %s %s\n", cs.Gray("<"), l)
		}
	}
	if len(bytes.TrimSpace(r.raw)) > 0 {
		limit := PreviewLimit
		if r.Verbose {
			limit = 0
		}
		text, cut := Preview(r.raw, limit)
		b.WriteString("  response body:\n")
		for _, l := range strings.Split(text, "\n") {
			b.WriteString("    " + l + "\n")
		}
		if cut > 0 {
			fmt.Fprintf(&b, "    %s\n", cs.Gray(fmt.Sprintf("… %s more (-v shows all)", byteSize(cut))))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Preview renders a body for people: indented when it is JSON, with
// control characters made visible otherwise, cut after limit bytes (0 = no
// limit). cut is how many bytes were left out.
func Preview(body []byte, limit int) (text string, cut int) {
	var buf bytes.Buffer
	if json.Valid(body) && json.Indent(&buf, bytes.TrimSpace(body), "", "  ") == nil {
		text = buf.String()
	} else {
		text = sanitize(string(bytes.TrimRight(body, "\r\n")))
	}
	if limit <= 0 || len(text) <= limit {
		return text, 0
	}
	end := limit
	for end > 0 && !utf8.RuneStart(text[end]) {
		end--
	}
	if nl := strings.LastIndexByte(text[:end], '\n'); nl > end/2 {
		end = nl
	}
	return text[:end], len(text) - end
}

// sanitize makes s safe for a terminal: invalid UTF-8 becomes U+FFFD and
// control characters other than newline and tab are escaped.
func sanitize(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	if strings.IndexFunc(s, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' }) < 0 {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		if unicode.IsControl(r) && r != '\n' && r != '\t' {
			fmt.Fprintf(&b, "\\x%02x", r)
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/1024)
	default:
		return fmt.Sprintf("%d bytes", n)
	}
}
