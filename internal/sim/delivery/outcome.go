// Package delivery sends what Envoy sends to a plugin's workers and reads the
// answers the way Envoy's dashboard does: one delivery, the security probes
// (--check-signing, --replay), the load runner, and the join-up with the
// API simulator's job history. Every request goes through sim.Client.
package delivery

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// Kind is a job's status as Envoy's dashboard shows it.
type Kind string

const (
	Done    Kind = "done"
	Ongoing Kind = "ongoing"
	Ignored Kind = "ignored"
	Failed  Kind = "failed"
)

// Kinds returns every outcome kind in report order.
func Kinds() []Kind { return []Kind{Done, Ongoing, Ignored, Failed} }

// ParseKind reads an --expect value.
func ParseKind(s string) (Kind, error) {
	for _, k := range Kinds() {
		if strings.EqualFold(strings.TrimSpace(s), string(k)) {
			return k, nil
		}
	}
	return "", fmt.Errorf("unknown outcome %q: use done, ongoing, ignored or failed", s)
}

// Outcome is how Envoy reads a worker's answer.
type Outcome struct {
	Kind Kind `json:"outcome"`
	// Unexpected marks a failure that is not the plugin's own 412: any other
	// status, a timeout, a refused connection, a TLS failure.
	Unexpected bool `json:"unexpected"`
	// Status is the HTTP status; 0 when no answer came.
	Status int `json:"status"`
	// Message is the answer body's "message", when it is a JSON object.
	Message string `json:"message,omitempty"`
	// Diagnosis explains the outcome in one line; Hint says what to try.
	Diagnosis string `json:"diagnosis"`
	Hint      string `json:"hint,omitempty"`
	// Location is a 3xx answer's Location header (never followed).
	Location string `json:"location,omitempty"`
}

// Accepted reports whether the plugin took the delivery as a success (2xx).
func (o Outcome) Accepted() bool { return o.Status >= 200 && o.Status < 300 }

// Label is the outcome as reports print it: "failed (unexpected)" etc.
func (o Outcome) Label() string {
	if o.Unexpected {
		return string(o.Kind) + " (unexpected)"
	}
	return string(o.Kind)
}

// bodyMessage returns the "message" of a JSON object body, and whether the
// body parsed as JSON at all.
func bodyMessage(body []byte) (msg string, isJSON bool) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 {
		return "", false
	}
	var v any
	if err := json.Unmarshal(trimmed, &v); err != nil {
		return "", false
	}
	if obj, ok := v.(map[string]any); ok {
		switch m := obj["message"].(type) {
		case string:
			return oneLine(m, 300), true
		case nil:
		default:
			b, _ := json.Marshal(m)
			return oneLine(string(b), 300), true
		}
	}
	return "", true
}

// oneLine squeezes s onto one line of at most max runes.
func oneLine(s string, max int) string {
	s = strings.Join(strings.Fields(sanitize(s)), " ")
	r := []rune(s)
	if len(r) > max {
		return string(r[:max-1]) + "…"
	}
	return s
}

// ClassifyResponse reads an HTTP answer as Envoy does: 200/201 done,
// 202 ongoing, 400 ignored, 412 failed; anything else failed (unexpected).
func ClassifyResponse(resp *sim.Response) Outcome {
	var msg string
	if !resp.Truncated {
		msg, _ = bodyMessage(resp.Body)
	}
	o := Outcome{Status: resp.Status, Message: msg, Location: resp.Location}
	code := resp.Status
	text := http.StatusText(code)
	if text == "" {
		text = "unknown status"
	}
	withMsg := func(s string) string {
		switch {
		case msg != "":
			return s + ": " + msg
		case resp.Truncated:
			return s + ": " + truncatedMessage(len(resp.Body))
		}
		return s + " (no message in the body)"
	}
	switch {
	case code == 200 || code == 201:
		o.Kind = Done
		o.Diagnosis = fmt.Sprintf("the job is done (%d %s)", code, text)
	case code == 202:
		o.Kind = Ongoing
		o.Diagnosis = "the job stays ongoing until the plugin finishes it through the API (202)"
	case code == 400:
		o.Kind = Ignored
		o.Diagnosis = withMsg("the plugin ignored the event (400)")
	case code == 412:
		o.Kind = Failed
		o.Diagnosis = withMsg("the plugin failed the job (412)")
	default:
		o.Kind = Failed
		o.Unexpected = true
		o.Diagnosis, o.Hint = unexpectedStatus(code, text, msg, resp.Location)
	}
	return o
}

func unexpectedStatus(code int, text, msg, location string) (diagnosis, hint string) {
	lower := strings.ToLower(msg)
	with := func(s string) string {
		if msg != "" {
			return s + ": " + msg
		}
		return s
	}
	switch {
	case code < 200:
		return with(fmt.Sprintf("informational status %d %s: not a final answer", code, text)),
			"answer 200 (done), 202 (ongoing), 400 (ignored) or 412 (failed)"
	case code == 204:
		return with("204 No Content: Envoy reads only 200 and 201 as done"),
			"answer 200 with a JSON body (e.g. {\"message\":\"…\"}) to mark the job done"
	case code == 304:
		return with("304 not modified: not an answer Envoy expects"),
			"Envoy sends no conditional headers; answer 200 (done), 202 (ongoing), 400 (ignored) or 412 (failed)"
	case code >= 300 && code < 400:
		loc := location
		if loc == "" {
			loc = "(no Location header)"
		}
		return fmt.Sprintf("redirect %d to %s: Envoy does not follow redirects", code, loc),
			"point the event's url at the final address (a missing or extra trailing slash, or http instead of https, are common causes)"
	case code == 404:
		return with("no handler at this URL (404 Not Found)"),
			"check the event's url in envoy-plugin.toml against the plugin's routes"
	case code == 405:
		return with("method not allowed (405)"),
			"Envoy always POSTs to workers: the route must accept POST"
	case code == 401 || code == 403:
		return with(fmt.Sprintf("the plugin refused the request (%d %s)", code, text)),
			"Envoy authenticates only with X-Envoy-Signature; an SDK plugin answers 500, not 401/403, when the signature is wrong"
	case code == 413 || strings.Contains(lower, "request entity too large"):
		return with(fmt.Sprintf("the body is too large for the plugin (%d)", code)),
			"Envoy's SDK refuses JSON bodies over 100 kB"
	case code == 500 && (strings.Contains(lower, "could not verify") || strings.Contains(lower, "same byte length")):
		return with("the plugin could not verify the signature (500)"),
			"the plugin's ENVOY_CLIENT_SECRET must be the secret send-event signs with (see `envoy-plugin creds show`)"
	case code == 500 && loginFailed(lower):
		return with("the plugin could not log in to Envoy's API (500)"),
			"the plugin's ENVOY_CLIENT_ID and ENVOY_CLIENT_SECRET must be the ones `envoy-plugin dev` gives it (and ENVOY_BASE_URL its simulator's URL): run the plugin under `envoy-plugin dev`, or check them with `envoy-plugin creds show`"
	case code == 500:
		return with("the plugin crashed (500 Internal Server Error)"),
			"check the plugin's logs; a plugin built on Envoy's SDK answers 500 to every request when it cannot log in at ENVOY_BASE_URL (run it under `envoy-plugin dev`)"
	case code == 502 || code == 503 || code == 504:
		return with(fmt.Sprintf("a proxy in front of the plugin answered %d %s", code, text)),
			"is the plugin running behind that proxy or tunnel?"
	default:
		return with(fmt.Sprintf("unexpected status %d %s", code, text)),
			"Envoy reads only 200, 201, 202, 400 and 412; any other status fails the job"
	}
}

// loginFailed reports whether a 500 answer's message (lower case) says the
// plugin's own login at Envoy's API failed, as Envoy's SDK reports it
// ("Request failed with status code 401", "Unauthorized", invalid_client).
func loginFailed(lower string) bool {
	for _, s := range []string{"unauthorized", "invalid_client", "login", "log in", "logging in", "credentials"} {
		if strings.Contains(lower, s) {
			return true
		}
	}
	for i := strings.Index(lower, "401"); i >= 0; {
		before := i == 0 || !isDigit(lower[i-1])
		after := i+3 >= len(lower) || !isDigit(lower[i+3])
		if before && after {
			return true
		}
		next := strings.Index(lower[i+3:], "401")
		if next < 0 {
			break
		}
		i += 3 + next
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// ClassifyError reads a failed exchange: no answer at all (resp nil), or an
// answer whose body could not be read in time. Both fail the job.
func ClassifyError(resp *sim.Response, err error, target string) Outcome {
	diag, hint := sim.Diagnose(err, target)
	if hint == "" {
		diag, hint = diagnoseMore(err, diag, target)
	}
	o := Outcome{Kind: Failed, Unexpected: true, Diagnosis: diag, Hint: hint}
	if resp != nil && resp.Status != 0 {
		o.Status = resp.Status
		o.Diagnosis = fmt.Sprintf("%s while reading the body (after status %d)", diag, resp.Status)
		if diag == "timed out" {
			// Envoy never sees such an answer complete.
			o.Diagnosis = "the body did not end: " + o.Diagnosis
			o.Hint = "the plugin sent its status but never finished the body; make the handler end the response"
		}
	}
	return o
}

// diagnoseMore explains the transport errors sim.Diagnose leaves raw: an
// answer that is not HTTP, oversized headers, plain HTTP on an HTTPS URL,
// a kept-alive connection the plugin closed, a URL the client cannot use.
func diagnoseMore(err error, diag, target string) (string, string) {
	msg := err.Error()
	host := target
	if u, perr := url.Parse(target); perr == nil && u.Host != "" {
		host = u.Host
	}
	switch {
	case strings.Contains(msg, "malformed HTTP") || strings.Contains(msg, "malformed MIME header"):
		return "the answer is not valid HTTP", fmt.Sprintf("is an HTTP server listening on %s? (%s)", host, lastPart(msg))
	case strings.Contains(msg, "bad Content-Length") || strings.Contains(msg, "invalid Content-Length"):
		return "invalid Content-Length header in the answer", "the plugin sent a Content-Length that is not a byte count (" + lastPart(msg) + "); let the HTTP framework set it"
	case strings.Contains(msg, "server response headers exceeded"):
		return "the response headers are too large", "the plugin sent megabytes of headers; check what it sets on its responses"
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return "the plugin answered plain HTTP to an https:// URL", "use http:// in the URL, or serve TLS"
	case strings.Contains(msg, "server closed idle connection") || strings.Contains(msg, "connection reset"):
		return "connection reset", "the plugin closed the connection without a complete answer; check its logs for a crash"
	case strings.Contains(msg, "unsupported protocol scheme") || strings.Contains(msg, "no Host in request URL"):
		return "not an http:// or https:// URL", "give the full URL, e.g. http://localhost:3000/entry-sign-in"
	case strings.Contains(msg, "tls:") || strings.Contains(msg, "x509:"):
		return "TLS handshake failed: " + lastPart(msg), "use --insecure for a self-signed certificate, or http:// if the plugin does not serve TLS"
	}
	return diag, ""
}

// truncatedMessage says why a body cut at the read bound shows no message.
func truncatedMessage(n int) string {
	return fmt.Sprintf("the body is larger than %s and was not read whole; its message cannot be shown", byteSize(n))
}

// lastPart is the innermost message of a wrapped net/http error.
func lastPart(msg string) string {
	if i := strings.LastIndex(msg, ": "); i >= 0 {
		return msg[i+2:]
	}
	return msg
}
