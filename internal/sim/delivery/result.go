package delivery

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"github.com/envoy-plugin/envoy-plugin/internal/jsonscan"
	"github.com/envoy-plugin/envoy-plugin/internal/termtext"
	"io"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
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
	resp, err := c.DoToEnd(ctx, d.Request())
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
		r.Notes = append(r.Notes, fmt.Sprintf("body longer than %s: not read whole (only its first %s is kept)", byteSize(len(resp.Body)), byteSize(len(resp.Body))))
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
	if !resp.Truncated && (r.Kind == Ignored || (r.Kind == Failed && !r.Unexpected)) {
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

// Answer is the answer the simulator records on the job: the status, and
// the message and attachments of a 202/400/412 body read whole.
func (r *Result) Answer() simstate.JobAnswer {
	if r.Truncated {
		return simstate.JobAnswer{Status: string(r.Kind)}
	}
	return answerOf(r.Kind, r.Unexpected, r.raw)
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
		limit, more := PreviewLimit, "-v shows up to "+byteSize(VerboseLimit)
		if r.Verbose {
			limit, more = VerboseLimit, "not shown even with -v"
		}
		text, cut := Preview(r.raw, limit)
		b.WriteString("  response body:\n")
		for _, l := range strings.Split(text, "\n") {
			b.WriteString("    " + l + "\n")
		}
		if cut > 0 {
			fmt.Fprintf(&b, "    %s\n", cs.Gray(fmt.Sprintf("… %s more (%s)", byteSize(cut), more)))
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// Preview renders a body for people: indented when it is JSON, with
// control characters made visible otherwise, cut after limit bytes (0 means
// VerboseLimit: no body is ever rendered whole past that). cut is how many
// bytes of the rendering were left out. Rendering is linear in the body's
// size and allocates at most about limit bytes for JSON: containers nested
// deeper than PreviewDepth print as […] or {…}.
func Preview(body []byte, limit int) (text string, cut int) {
	if limit <= 0 || limit > VerboseLimit {
		limit = VerboseLimit
	}
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) > 0 && json.Valid(trimmed) {
		w := cappedWriter{max: limit + utf8.UTFMax}
		indentJSON(&w, trimmed)
		text = strings.ToValidUTF8(string(w.buf), "\uFFFD")
		if len(text) <= limit && !w.over() {
			return text, 0
		}
		return cutText(text, limit, w.total+len(text)-len(w.buf))
	}
	// Escaping at most quadruples a byte: reading 4×limit bytes is enough.
	src := bytes.TrimRight(body, "\r\n")
	rest := 0
	if len(src) > 4*limit+utf8.UTFMax {
		rest = len(src) - (4*limit + utf8.UTFMax)
		src = src[:4*limit+utf8.UTFMax]
	}
	text = sanitize(string(src))
	if len(text) <= limit && rest == 0 {
		return text, 0
	}
	return cutText(text, limit, len(text)+rest)
}

// cutText cuts text (the first bytes of a rendering total bytes long) at
// limit, on a rune boundary and preferably at a line end.
func cutText(text string, limit, total int) (string, int) {
	end := limit
	if end > len(text) {
		end = len(text)
	}
	for end > 0 && end < len(text) && !utf8.RuneStart(text[end]) {
		end--
	}
	if nl := strings.LastIndexByte(text[:end], '\n'); nl > end/2 {
		end = nl
	}
	return text[:end], total - end
}

// VerboseLimit bounds the body rendering even with -v; PreviewDepth is
// how deep nested JSON containers are shown.
const (
	VerboseLimit = 64 << 10
	PreviewDepth = 64
)

// cappedWriter keeps the first max bytes written and counts the rest.
type cappedWriter struct {
	buf   []byte
	max   int
	total int
}

func (w *cappedWriter) over() bool { return w.total > len(w.buf) }

func (w *cappedWriter) write(p []byte) {
	w.total += len(p)
	if room := w.max - len(w.buf); room > 0 {
		if len(p) > room {
			p = p[:room]
		}
		w.buf = append(w.buf, p...)
	}
}

func (w *cappedWriter) byte1(c byte) { w.write([]byte{c}) }

func (w *cappedWriter) newline(depth int) {
	w.byte1('\n')
	for i := 0; i < depth; i++ {
		w.write([]byte("  "))
	}
}

// indentJSON writes valid JSON src indented by two spaces per level, as
// json.Indent does, with containers deeper than PreviewDepth elided. It
// walks the bytes once; the indentation it writes is bounded by the depth
// cap, so the work is linear in len(src).
func indentJSON(w *cappedWriter, src []byte) {
	depth := 0
	for i := 0; i < len(src); i++ {
		c := src[i]
		switch c {
		case ' ', '\t', '\n', '\r':
		case '"':
			j := jsonscan.StringEnd(src, i)
			w.write(src[i:j])
			i = j - 1
		case '{', '[':
			closer := byte('}')
			if c == '[' {
				closer = ']'
			}
			next := jsonscan.SkipSpace(src, i+1)
			if next < len(src) && src[next] == closer {
				w.write([]byte{c, closer})
				i = next
				continue
			}
			if depth >= PreviewDepth {
				w.write([]byte{c})
				w.write([]byte("…"))
				w.byte1(closer)
				i = jsonscan.ValueEnd(src, i) - 1
				continue
			}
			depth++
			w.byte1(c)
			w.newline(depth)
		case '}', ']':
			depth--
			w.newline(depth)
			w.byte1(c)
		case ',':
			w.byte1(',')
			w.newline(depth)
		case ':':
			w.write([]byte(": "))
		default:
			j := i
			for j < len(src) && !strings.ContainsRune(" \t\r\n,:]}", rune(src[j])) {
				j++
			}
			w.write(src[i:j])
			i = j - 1
		}
	}
}

// sanitize makes s safe for a terminal, keeping its lines (a body is
// pretty-printed over several).
func sanitize(s string) string { return termtext.EscapeKeepLines(s) }

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
