package delivery

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strconv"
	"strings"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// Delivery is one request ready to go: the exact bytes and headers Envoy
// would send to a worker.
type Delivery struct {
	Event  string
	URL    string
	JobID  string
	Body   []byte
	Header http.Header
}

// NewDelivery signs body with secret (X-Envoy-Signature over the exact
// bytes) and sets Content-Type and User-Agent as Envoy does.
func NewDelivery(event, url, jobID string, body []byte, secret, userAgent string) Delivery {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	if userAgent != "" {
		h.Set("User-Agent", userAgent)
	}
	h.Set(creds.SignatureHeader, creds.Sign(secret, body))
	return Delivery{Event: event, URL: url, JobID: jobID, Body: body, Header: h}
}

// Request is the delivery as sim.Client sends it.
//
// The nil Idempotency-Key entry is never sent (net/http skips nil header
// values) but lets the transport retry once on a fresh connection when a
// reused keep-alive connection turns out to be closed by the plugin (it
// served one request per connection, or its idle timeout struck just as
// the next delivery went out). Without it a sequence of deliveries (--all,
// --check-signing, --count) reports spurious "connection reset" failures
// for requests the plugin never saw. A fresh connection is never retried.
func (d Delivery) Request() sim.Request {
	h := d.Header.Clone()
	if h == nil {
		h = http.Header{}
	}
	h["Idempotency-Key"] = nil
	return sim.Request{URL: d.URL, Body: d.Body, Header: h}
}

// headerLines returns the headers sorted by name, one "Name: value" each.
func headerLines(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		for _, v := range h[k] {
			out = append(out, k+": "+v)
		}
	}
	return out
}

// RequestView is a delivery printed instead of sent (--dry-run).
type RequestView struct {
	Event   string            `json:"event"`
	Method  string            `json:"method"`
	URL     string            `json:"url"`
	JobID   string            `json:"job_id,omitempty"`
	Headers map[string]string `json:"headers"`
	// Body is the JSON body with meta.auth tokens masked (a string when the
	// body is not JSON). The text form prints the exact bytes instead.
	Body any `json:"body"`
	raw  []byte
}

// View returns the dry-run form of d.
func (d Delivery) View() RequestView {
	v := RequestView{Event: d.Event, Method: http.MethodPost, URL: d.URL, JobID: d.JobID, Headers: map[string]string{}, raw: d.Body}
	for k := range d.Header {
		v.Headers[k] = d.Header.Get(k)
	}
	v.Headers["Content-Length"] = strconv.Itoa(len(d.Body))
	v.Body = MaskedBody(d.Body)
	return v
}

// WriteText prints the exact request: method and URL, headers, a blank
// line and the body bytes as they are sent.
func (v RequestView) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s\n", cs.Bold(v.Method), v.URL)
	h := http.Header{}
	for k, val := range v.Headers {
		h.Set(k, val)
	}
	for _, l := range headerLines(h) {
		b.WriteString(l + "\n")
	}
	b.WriteString("\n")
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	if _, err := w.Write(v.raw); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}

// MaskedBody decodes a JSON body for --json output with the secrets in
// meta.auth masked; a body that is not JSON comes back as a string.
func MaskedBody(body []byte) any {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil || dec.More() {
		return string(body)
	}
	if obj, ok := v.(map[string]any); ok {
		if meta, ok := obj["meta"].(map[string]any); ok {
			if auth, ok := meta["auth"].(map[string]any); ok {
				for _, k := range []string{"access_token", "refresh_token"} {
					if s, ok := auth[k].(string); ok {
						auth[k] = creds.Mask(s)
					}
				}
			}
		}
	}
	return v
}

// CurlView is a delivery printed as a curl command (--curl).
type CurlView struct {
	Event   string `json:"event"`
	Command string `json:"command"`
}

// curlArgMax is the largest body passed to curl as an argument. Linux
// refuses a single exec argument over 128 KiB (MAX_ARG_STRLEN), so larger
// bodies go through the shell's printf builtin (no exec, no limit) and
// curl's stdin.
const curlArgMax = 64 << 10

// Curl returns a shell command that sends d byte for byte: the body goes
// through --data-binary in single quotes, or, when it is large, through
// `printf '%s' ... | curl --data-binary @-`. It fails for bodies with NUL
// bytes, which no shell argument can carry.
func (d Delivery) Curl() (CurlView, error) {
	if bytes.IndexByte(d.Body, 0) >= 0 {
		return CurlView{}, fmt.Errorf("the body holds NUL bytes, which a shell argument cannot carry; use --dry-run and send the file with curl --data-binary @file")
	}
	var b strings.Builder
	large := len(d.Body) > curlArgMax
	if large {
		b.WriteString("printf '%s' " + ShellQuote(string(d.Body)) + " | \\\n")
	}
	b.WriteString("curl -sS -i " + ShellQuote(d.URL))
	for _, l := range headerLines(d.Header) {
		b.WriteString(" \\\n  -H " + ShellQuote(l))
	}
	if large {
		b.WriteString(" \\\n  --data-binary @-")
	} else {
		b.WriteString(" \\\n  --data-binary " + ShellQuote(string(d.Body)))
	}
	return CurlView{Event: d.Event, Command: b.String()}, nil
}

// WriteText prints the command.
func (c CurlView) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	_, err := fmt.Fprintln(w, c.Command)
	return err
}

// ShellQuote quotes s for a POSIX shell: inside single quotes every byte is
// literal, and each single quote in s ends the quoting, is escaped with a
// backslash, and starts it again.
func ShellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || strings.ContainsRune("-_./:=@%+,", r))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
