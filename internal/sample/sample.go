// Package sample is the built-in reference plugin: a small Envoy plugin in Go
// that verifies the signature exactly as Envoy's Node.js SDK does and answers
// the documented statuses. Tests and `envoy-plugin demo` run it.
package sample

import (
	"encoding/json"
	"io"
	"mime"
	"net/http"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
)

// Options configure the sample plugin.
type Options struct {
	// Secret is the client secret requests must be signed with.
	Secret string
	// APIBaseURL, ClientID: when set (ENVOY_BASE_URL, e.g. under
	// `envoy-plugin dev`), the plugin finishes its 202 jobs through the
	// plugin API as an SDK-based plugin does; without them it only answers.
	APIBaseURL string
	ClientID   string
	// Logf reports background API failures (nil: silent).
	Logf func(format string, a ...any)
}

// Plugin is the sample plugin's HTTP handler.
type Plugin struct {
	secret string
	mux    *http.ServeMux
	api    *apiClient // nil without APIBaseURL
	logf   func(format string, a ...any)
}

// New returns the sample plugin. Routes are grouped by concern: events.go
// (workers), options.go (select options and selected values), setup.go
// (validation, OAuth2 and popup routes).
func New(o Options) *Plugin {
	p := &Plugin{secret: o.Secret, mux: http.NewServeMux(), logf: o.Logf}
	if o.APIBaseURL != "" && o.ClientID != "" {
		p.api = newAPIClient(o.APIBaseURL, o.ClientID, o.Secret)
	}
	p.registerEvents()
	p.registerOptions()
	p.registerSetup()
	return p
}

func (p *Plugin) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.mux.ServeHTTP(w, r) }

// maxBody is the SDK's JSON body limit: body-parser's default "100kb", which
// the bytes package reads as 100 * 1024 bytes.
const maxBody = 100 * 1024

// Request is a verified Envoy request.
type Request struct {
	Meta    map[string]any
	Payload json.RawMessage
	Raw     []byte
}

// verify reads and checks a request the way the SDK's middleware does:
// only application/json bodies are parsed, bodies over 100 kB are refused,
// and a bad signature makes meta unreadable, which the SDK's error
// middleware turns into a 500. It writes the error answer itself and
// returns nil in that case.
func (p *Plugin) verify(w http.ResponseWriter, r *http.Request) *Request {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"message": "Envoy only POSTs"})
		return nil
	}
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err != nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
		return nil
	}
	if len(raw) > maxBody {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": "request entity too large"})
		return nil
	}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	sig := r.Header.Get(creds.SignatureHeader)
	if mt != "application/json" || sig == "" {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": "Could not verify meta."})
		return nil
	}
	want := creds.Sign(p.secret, raw)
	if len(sig) != len(want) {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": "Input buffers must have the same byte length"})
		return nil
	}
	if !creds.Verify(p.secret, raw, sig) {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": "Could not verify meta."})
		return nil
	}
	var body struct {
		Meta    map[string]any  `json:"meta"`
		Payload json.RawMessage `json:"payload"`
	}
	if err := json.Unmarshal(raw, &body); err != nil {
		// body-parser's parse error goes to the SDK's error middleware,
		// which answers every error with 500 (a 400 would read as
		// "ignored").
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": "invalid JSON: " + err.Error()})
		return nil
	}
	if body.Meta == nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": "Could not verify meta."})
		return nil
	}
	if body.Payload == nil {
		writeJSON(w, http.StatusInternalServerError, map[string]any{"message": "Could not verify payload."})
		return nil
	}
	return &Request{Meta: body.Meta, Payload: body.Payload, Raw: raw}
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
