package install

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// Results of a validation call.
const (
	Saved   = "saved"   // 2xx with a JSON object: merged into the config
	Blocked = "blocked" // 4xx: the step is blocked, the message shown
	Failed  = "failed"  // anything else: the plugin failed
)

// Outcome is how Envoy reads a validation URL's answer.
type Outcome struct {
	Result  string         `json:"result"` // saved, blocked or failed
	URL     string         `json:"url"`
	Status  int            `json:"status,omitempty"`
	Message string         `json:"message,omitempty"` // blocked: the plugin's message; failed: the diagnosis
	Hint    string         `json:"hint,omitempty"`
	Patch   map[string]any `json:"patch,omitempty"` // saved: what is merged (null removes a key)
	Body    string         `json:"body,omitempty"`  // an excerpt of the answer, for failures
}

// Route sends signed route requests for one install.
type Route struct {
	Client  *sim.Client
	Secret  string
	Install *sim.Install
}

// Post sends one signed route request: meta.params holds params, which are
// also put in the URL's query string (what the docs call a "param").
func (r *Route) Post(ctx context.Context, rawURL, route string, params map[string]any, payload any) (*sim.Response, error) {
	body, err := r.Install.RouteBody(route, params, payload)
	if err != nil {
		return nil, err
	}
	u := rawURL
	if len(params) > 0 {
		if u, err = sim.WithQuery(rawURL, params); err != nil {
			return nil, err
		}
	}
	return r.Client.Do(ctx, sim.SignedRequest(u, body, r.Secret))
}

// Validate calls a step's validation URL with payload (the step's result)
// and reads the answer as Envoy does.
func (r *Route) Validate(ctx context.Context, rawURL, route string, payload any) Outcome {
	resp, err := r.Post(ctx, rawURL, route, nil, payload)
	if err != nil {
		if resp == nil {
			diag, hint := sim.Diagnose(err, rawURL)
			return Outcome{Result: Failed, URL: rawURL, Message: "could not be reached: " + diag, Hint: hint}
		}
		// The headers came, the body did not (in time, or whole).
		diag, hint := sim.Diagnose(err, rawURL)
		return Outcome{Result: Failed, URL: rawURL, Status: resp.Status, Message: fmt.Sprintf("answered %d, then %s while reading the answer", resp.Status, diag), Hint: hint}
	}
	return ReadValidation(rawURL, resp)
}

// ReadValidation interprets a validation URL's answer: 2xx with a JSON
// object is saved; 4xx blocks the step with the body's message; anything
// else (3xx, 5xx, a 2xx that is not a JSON object) is the plugin's failure.
func ReadValidation(rawURL string, resp *sim.Response) Outcome {
	o := Outcome{URL: rawURL, Status: resp.Status}
	switch {
	case resp.Status >= 200 && resp.Status < 300:
		if resp.Truncated {
			o.Result, o.Message = Failed, fmt.Sprintf("answered %d with %s", resp.Status, tooLarge(resp))
			o.Hint = "a validation URL answers a small JSON object of config values"
			return o
		}
		if len(bytes.TrimSpace(resp.Body)) == 0 {
			o.Result, o.Message = Failed, fmt.Sprintf("answered %d with an empty body", resp.Status)
			o.Hint = "answer a JSON object of the config values to save ({} to save nothing)"
			return o
		}
		v, err := decodeJSON(resp.Body)
		if err != nil {
			o.Result, o.Message, o.Body = Failed, fmt.Sprintf("answered %d with invalid JSON (%v)", resp.Status, err), excerpt(resp.Body)
			o.Hint = "a validation URL answers a JSON object of the config values to save"
			return o
		}
		obj, ok := v.(map[string]any)
		if !ok {
			o.Result, o.Message, o.Body = Failed, fmt.Sprintf("answered %d with a JSON %s, not an object", resp.Status, jsonKind(v)), excerpt(resp.Body)
			o.Hint = "Envoy merges only a JSON object into the install config; answer {} to save nothing"
			return o
		}
		o.Result, o.Patch = Saved, obj
		return o
	case resp.Status >= 400 && resp.Status < 500:
		o.Result = Blocked
		if resp.Truncated {
			o.Hint = tooLarge(resp) + `: its {"message": "..."} could not be read; answer a small JSON object`
			return o
		}
		if v, err := decodeJSON(resp.Body); err == nil {
			if obj, ok := v.(map[string]any); ok {
				if m, ok := obj["message"].(string); ok && m != "" {
					o.Message = m
					return o
				}
			}
		}
		o.Body = excerpt(resp.Body)
		o.Hint = `the answer had no {"message": "..."}: Envoy shows a generic error; say why the step is blocked`
		if resp.Status == 404 {
			o.Hint = "a 404 without a message: is validation_url right? (Envoy reads any 4xx as a block)"
		}
		return o
	case resp.Status >= 300 && resp.Status < 400:
		o.Result = Failed
		o.Message = fmt.Sprintf("answered %d (a redirect to %q), which Envoy does not follow", resp.Status, resp.Location)
		o.Hint = "a validation URL answers 2xx with a JSON object, or 4xx with {message}"
		return o
	default:
		o.Result = Failed
		o.Message = fmt.Sprintf("answered %d", resp.Status)
		if resp.Truncated {
			o.Message += " with " + tooLarge(resp)
		} else if v, err := decodeJSON(resp.Body); err == nil {
			if obj, ok := v.(map[string]any); ok {
				if m, ok := obj["message"].(string); ok && m != "" {
					o.Message += ": " + m
				}
			}
		}
		o.Body = excerpt(resp.Body)
		o.Hint = "the plugin failed; check its logs"
		return o
	}
}

// tooLarge says that a body was cut at the read bound.
func tooLarge(resp *sim.Response) string {
	return fmt.Sprintf("a body larger than %s, not read whole", byteSize(len(resp.Body)))
}

// byteSize renders a read bound: "1 MiB", "64 KiB", "100 bytes".
func byteSize(n int) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

// decodeJSON decodes exactly one JSON value, keeping numbers exact.
func decodeJSON(b []byte) (any, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("unexpected data after the JSON value")
	}
	return v, nil
}

func jsonKind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case []any:
		return "array"
	case string:
		return "string"
	case bool:
		return "boolean"
	case json.Number:
		return "number"
	default:
		return "object"
	}
}

// excerpt returns the first bytes of a body as printable text.
func excerpt(b []byte) string {
	const n = 200
	cut := len(b) > n
	if cut {
		b = b[:n]
	}
	s := strings.ToValidUTF8(string(b), "\uFFFD")
	s = strings.Map(func(r rune) rune {
		if r == '\n' || r == '\r' || r == '\t' {
			return ' '
		}
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if cut {
		for !utf8.ValidString(s) {
			s = s[:len(s)-1]
		}
		s += "…"
	}
	return strings.TrimSpace(s)
}

// ApplyPatch merges patch into cfg in place: a nil value removes the key.
func ApplyPatch(cfg, patch map[string]any) {
	for k, v := range patch {
		if v == nil {
			delete(cfg, k)
			continue
		}
		cfg[k] = v
	}
}

// Describe renders an outcome as one line.
func (o Outcome) Describe() string {
	switch o.Result {
	case Saved:
		return fmt.Sprintf("saved (%d)", o.Status)
	case Blocked:
		if o.Message != "" {
			return fmt.Sprintf("blocked (%d): %s", o.Status, Printable(o.Message))
		}
		return fmt.Sprintf("blocked (%d) without a message", o.Status)
	default:
		s := fmt.Sprintf("the validation URL %s %s", o.URL, Printable(o.Message))
		if o.Body != "" {
			s += " (body: " + o.Body + ")"
		}
		return s
	}
}
