package api

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Paths of the plugin API, as Envoy's SDK calls them.
const (
	PathToken        = "/a/auth/v0/token"
	pathPluginPrefix = "/api/v2/plugin-services/"
	PathStorage      = "/api/v2/plugin-services/storage"
)

// AdminPrefix is the reserved prefix of the simulator's own routes (health,
// install, jobs, tokens, config, storage) that other envoy-plugin commands
// use. It is not part of Envoy's API.
const AdminPrefix = "/__envoy-plugin/"

// AdminKeyHeader carries the admin key from .envoy-plugin/dev.json.
const AdminKeyHeader = "X-Envoy-Plugin-Admin"

// maxRequestBody bounds request bodies.
const maxRequestBody = 1 << 20

// Options configure the simulated API.
type Options struct {
	DB *DB
	// The plugin's credentials the token endpoint accepts, and where each
	// was read from (for 401 messages; the secret itself is never shown).
	ClientID           string
	ClientSecret       string
	ClientIDSource     string
	ClientSecretSource string
	// AdminKey guards the admin routes (except health); empty: unguarded.
	AdminKey string
	PID      int
	Version  string
	PageSize int         // storage list page size (default DefaultPageSize)
	Log      func(Event) // the live log; nil: silent
	Now      func() time.Time
}

// Server is the simulated Envoy plugin API.
type Server struct {
	o   Options
	mux *http.ServeMux
}

// New returns the simulator's HTTP handler.
func New(o Options) *Server {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.PageSize <= 0 {
		o.PageSize = DefaultPageSize
	}
	s := &Server{o: o, mux: http.NewServeMux()}
	s.mux.HandleFunc("POST "+PathToken, s.token)
	s.mux.HandleFunc("PATCH /api/v2/plugin-services/jobs/{id}", s.bearer(s.patchJob))
	s.mux.HandleFunc("POST "+PathStorage, s.bearer(s.storage))
	s.mux.HandleFunc("GET /api/v2/plugin-services/installs/{id}/config", s.bearer(s.getConfig))
	s.mux.HandleFunc("PUT /api/v2/plugin-services/installs/{id}/config", s.bearer(s.putConfig))
	s.mux.HandleFunc("POST /api/v2/plugin-services/installs/{id}/notifications", s.bearer(s.notify))

	s.mux.HandleFunc("GET "+AdminPrefix+"health", s.health)
	s.mux.HandleFunc("GET "+AdminPrefix+"install", s.admin(s.adminInstall))
	s.mux.HandleFunc("PATCH "+AdminPrefix+"install/config", s.admin(s.adminConfig))
	s.mux.HandleFunc("GET "+AdminPrefix+"jobs", s.admin(s.adminJobs))
	s.mux.HandleFunc("POST "+AdminPrefix+"jobs", s.admin(s.adminRegisterJob))
	s.mux.HandleFunc("GET "+AdminPrefix+"jobs/{id}", s.admin(s.adminJob))
	s.mux.HandleFunc("POST "+AdminPrefix+"jobs/{id}/status", s.admin(s.adminJobStatus))
	s.mux.HandleFunc("POST "+AdminPrefix+"tokens", s.admin(s.adminToken))
	s.mux.HandleFunc("POST "+AdminPrefix+"storage", s.admin(s.adminStorage))
	s.mux.HandleFunc("/", s.notFound)
	return s
}

func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

func (s *Server) log(e Event) {
	if s.o.Log == nil {
		return
	}
	if e.Time.IsZero() {
		e.Time = s.o.Now()
	}
	s.o.Log(e)
}

// ---- answers ----

func writeJSON(w http.ResponseWriter, status int, contentType string, v any) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = w.Write(b.Bytes())
}

// writeData answers {"data": v}, as every plugin-API endpoint does.
func writeData(w http.ResponseWriter, v any) {
	writeJSON(w, http.StatusOK, "application/vnd.api+json", map[string]any{"data": v})
}

// writeError answers {"message": msg} (plus "errors" in JSON:API form).
func writeError(w http.ResponseWriter, status int, msg string) {
	writeJSON(w, status, "application/vnd.api+json", map[string]any{
		"message": msg,
		"errors":  []map[string]any{{"status": fmt.Sprint(status), "title": http.StatusText(status), "detail": msg}},
	})
}

func (s *Server) reject(w http.ResponseWriter, r *http.Request, kind string, status int, msg, hint string) {
	writeError(w, status, msg)
	s.log(Event{Kind: kind, Method: r.Method, Path: r.URL.Path, Status: status, Message: msg, Hint: hint, Source: "plugin"})
	s.recordJobRejection(r, status, msg)
}

// recordJobRejection keeps a refused PATCH of a job on the job itself, so
// that send-event and the jobs command can say why the job never ended.
func (s *Server) recordJobRejection(r *http.Request, status int, msg string) {
	if r.Method != http.MethodPatch || !strings.HasPrefix(r.URL.Path, pathPluginPrefix+"jobs/") {
		return
	}
	id := strings.TrimPrefix(r.URL.Path, pathPluginPrefix+"jobs/")
	if id == "" || strings.Contains(id, "/") {
		return
	}
	_ = s.o.DB.RejectJobUpdate(id, msg, status) // an unknown job has nowhere to keep it
}

// statusOf maps state errors to HTTP statuses.
func statusOf(err error) int {
	var nf *NotFoundError
	var inv *InvalidError
	switch {
	case errors.As(err, &nf):
		return http.StatusNotFound
	case errors.As(err, &inv):
		return http.StatusUnprocessableEntity
	}
	return http.StatusInternalServerError
}

func readBody(r *http.Request) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r.Body, maxRequestBody+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxRequestBody {
		return nil, fmt.Errorf("the body is larger than %d bytes", maxRequestBody)
	}
	return b, nil
}

// decodeObject reads a JSON object body, numbers kept exact.
func decodeObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var m map[string]any
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("the body is not a JSON object: %v", err)
	}
	if m == nil {
		return nil, errors.New("the body is not a JSON object: null")
	}
	if dec.More() {
		return nil, errors.New("the body holds more than one JSON value")
	}
	return m, nil
}

// ---- token endpoint ----

// TokenResponse is the token endpoint's answer.
type TokenResponse struct {
	TokenType             string `json:"token_type"`
	AccessToken           string `json:"access_token"`
	ExpiresIn             int    `json:"expires_in"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn int    `json:"refresh_token_expires_in"`
	Scope                 string `json:"scope,omitempty"`
}

func eq(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func (s *Server) token(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		s.reject(w, r, KindLoginFailed, http.StatusBadRequest, err.Error(), "")
		return
	}
	fields := map[string]string{}
	ct := strings.ToLower(r.Header.Get("Content-Type"))
	if strings.Contains(ct, "x-www-form-urlencoded") {
		if q, err := url.ParseQuery(string(body)); err == nil {
			for k := range q {
				fields[k] = q.Get(k)
			}
		}
	} else if len(bytes.TrimSpace(body)) > 0 {
		var m map[string]any
		if err := json.Unmarshal(body, &m); err != nil {
			s.reject(w, r, KindLoginFailed, http.StatusBadRequest, "the token request body is not JSON: "+err.Error(),
				`Envoy's SDK posts {"grant_type":"client_credentials","client_id":...,"client_secret":...,"scope":"plugin,token.refresh"}`)
			return
		}
		for k, v := range m {
			if str, ok := v.(string); ok {
				fields[k] = str
			}
		}
	}
	if gt := fields["grant_type"]; gt != "client_credentials" {
		msg := fmt.Sprintf("unsupported grant_type %q: the plugin token endpoint takes grant_type \"client_credentials\"", gt)
		writeJSON(w, http.StatusBadRequest, "application/json", map[string]any{"error": "unsupported_grant_type", "error_description": msg, "message": msg})
		s.log(Event{Kind: KindLoginFailed, Method: r.Method, Path: r.URL.Path, Status: http.StatusBadRequest, Message: msg, Source: "plugin"})
		return
	}
	// The SDK sends the credentials twice, as Basic auth and in the body.
	// Like an OAuth2 server (client_secret_basic or client_secret_post),
	// either one is enough, but every credential that is given must be right.
	var problems []string
	id, secret, hasBasic := r.BasicAuth()
	bodyID, hasBodyID := fields["client_id"]
	bodySecret, hasBodySecret := fields["client_secret"]
	if hasBasic {
		if !eq(id, s.o.ClientID) {
			problems = append(problems, fmt.Sprintf("the Basic auth user is %q", id))
		}
		if !eq(secret, s.o.ClientSecret) {
			problems = append(problems, "the Basic auth password is not the client secret")
		}
	}
	if hasBodyID && !eq(bodyID, s.o.ClientID) {
		problems = append(problems, fmt.Sprintf("the body's client_id is %q", bodyID))
	}
	if hasBodySecret && !eq(bodySecret, s.o.ClientSecret) {
		problems = append(problems, "the body's client_secret is not the client secret")
	}
	if !hasBasic && !(hasBodyID && hasBodySecret) {
		problems = append(problems, "no credentials: neither a Basic auth header (Authorization: Basic base64(client_id:client_secret)) nor client_id and client_secret in the body")
	}
	if !hasBasic {
		id = bodyID
	}
	if len(problems) > 0 {
		msg := fmt.Sprintf("invalid client credentials: %s; expected client id %q (ENVOY_CLIENT_ID, from %s) and the client secret from ENVOY_CLIENT_SECRET (from %s)",
			strings.Join(problems, "; "), s.o.ClientID, orDefault(s.o.ClientIDSource, "unknown"), orDefault(s.o.ClientSecretSource, "unknown"))
		writeJSON(w, http.StatusUnauthorized, "application/json", map[string]any{"error": "invalid_client", "error_description": msg, "message": msg})
		s.log(Event{Kind: KindLoginFailed, Method: r.Method, Path: r.URL.Path, Status: http.StatusUnauthorized, Message: msg, Source: "plugin",
			Hint: "start the plugin with the same ENVOY_CLIENT_ID and ENVOY_CLIENT_SECRET as envoy-plugin dev (envoy-plugin dev -- <start command> passes them)"})
		return
	}
	tok, expiresIn, err := s.o.DB.IssueToken("login")
	if err != nil {
		writeError(w, http.StatusInternalServerError, "saving the token: "+err.Error())
		return
	}
	// The SDK never refreshes (it logs in again), so the refresh token is
	// opaque and not accepted anywhere.
	refresh := newToken()
	writeJSON(w, http.StatusOK, "application/json", TokenResponse{
		TokenType: "Bearer", AccessToken: tok, ExpiresIn: expiresIn,
		RefreshToken: refresh, RefreshTokenExpiresIn: expiresIn * 2, Scope: fields["scope"],
	})
	s.log(Event{Kind: KindLogin, Method: r.Method, Path: r.URL.Path, Status: http.StatusOK, ClientID: id, ExpiresIn: expiresIn, Source: "plugin"})
}

// bearer guards a plugin-API endpoint: it needs a token this simulator
// issued that has not expired.
func (s *Server) bearer(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		scheme, tok, _ := strings.Cut(auth, " ")
		tok = strings.TrimSpace(tok)
		const loginHint = "Envoy's SDK logs in at POST " + PathToken + " (Basic auth) and sends Authorization: Bearer <access_token>"
		if auth == "" || !strings.EqualFold(scheme, "Bearer") || tok == "" {
			s.reject(w, r, KindDenied, http.StatusUnauthorized, "missing bearer token", loginHint)
			return
		}
		switch st, exp := s.o.DB.CheckToken(tok); st {
		case TokenUnknown:
			s.reject(w, r, KindDenied, http.StatusUnauthorized, "unknown bearer token: this simulator did not issue it (was the state reset?)", loginHint)
			return
		case TokenExpired:
			s.reject(w, r, KindDenied, http.StatusUnauthorized, fmt.Sprintf("the bearer token expired at %s", exp.Format(time.RFC3339)),
				"Envoy's SDK logs in again when its token is within 10 minutes of expiry; a plugin that caches tokens itself must do the same")
			return
		}
		next(w, r)
	}
}

// ---- jobs ----

var jobStatuses = map[string]bool{StatusDone: true, StatusIgnored: true, StatusFailed: true}

var attachmentTypes = map[string]bool{"text": true, "password": true, "json": true, "link": true, "credential_image": true}

// ParseJobUpdate reads a job PATCH body as the platform does. warnings are
// legal but suspicious things (an unknown attachment type).
func ParseJobUpdate(body []byte) (u JobUpdate, warnings []string, err error) {
	m, err := decodeObject(body)
	if err != nil {
		return u, nil, &InvalidError{Msg: err.Error()}
	}
	str := func(k string) (string, error) {
		switch v := m[k].(type) {
		case nil:
			return "", nil
		case string:
			return v, nil
		default:
			return "", &InvalidError{Msg: fmt.Sprintf("%q must be a string", k)}
		}
	}
	if u.Status, err = str("status"); err != nil {
		return u, nil, err
	}
	if u.Status != "" && !jobStatuses[u.Status] {
		return u, nil, &InvalidError{Msg: fmt.Sprintf("status %q is not one of done, ignored, failed", u.Status)}
	}
	if u.StatusMessage, err = str("status_message"); err != nil {
		return u, nil, err
	}
	if u.FailureReason, err = str("failure_reason"); err != nil {
		return u, nil, err
	}
	raw, ok := m["attachments"]
	u.Attachments = []map[string]any{}
	switch list := raw.(type) {
	case nil:
		if !ok {
			warnings = append(warnings, `the body has no "attachments": Envoy's SDK always sends it (often empty)`)
		}
	case []any:
		for i, a := range list {
			obj, ok := a.(map[string]any)
			if !ok {
				return u, nil, &InvalidError{Msg: fmt.Sprintf("attachments[%d] must be an object {type, label, value}", i)}
			}
			if t, _ := obj["type"].(string); t != "" && !attachmentTypes[t] {
				warnings = append(warnings, fmt.Sprintf("attachments[%d] has type %q: Envoy's dashboard knows text, password, json, link and credential_image", i, t))
			}
			u.Attachments = append(u.Attachments, obj)
		}
	default:
		return u, nil, &InvalidError{Msg: `"attachments" must be an array`}
	}
	return u, warnings, nil
}

func (s *Server) patchJob(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, err := readBody(r)
	if err != nil {
		s.reject(w, r, KindRejected, http.StatusRequestEntityTooLarge, err.Error(), "")
		return
	}
	u, warnings, err := ParseJobUpdate(body)
	if err != nil {
		s.reject(w, r, KindRejected, statusOf(err), err.Error(), "")
		return
	}
	job, err := s.o.DB.UpdateJob(id, u)
	if err != nil {
		s.reject(w, r, KindRejected, statusOf(err), err.Error(), "")
		return
	}
	// Logged before answering, so that the live log shows the update before
	// anything the plugin does once it has the answer.
	last := job.History[len(job.History)-1]
	s.log(Event{Kind: KindJobUpdate, Method: r.Method, Path: r.URL.Path, Status: http.StatusOK, Source: "plugin",
		JobID: job.ID, JobEvent: job.Event, JobStatus: job.Status, Update: &last, Hint: strings.Join(warnings, "; ")})
	writeData(w, jobResource(job))
}

// jobResource is the job as the PATCH answers it: JSON:API-shaped, never
// null (Envoy's SDK throws on a null data).
func jobResource(j Job) map[string]any {
	return map[string]any{
		"id":   j.ID,
		"type": "plugin-jobs",
		"attributes": map[string]any{
			"event":          j.Event,
			"install-id":     j.InstallID,
			"status":         j.Status,
			"status-message": j.StatusMessage,
			"failure-reason": j.FailureReason,
			"attachments":    j.Attachments,
		},
	}
}

// ---- storage ----

// StorageRequest is the body of POST /api/v2/plugin-services/storage.
type StorageRequest struct {
	InstallID string          `json:"install_id,omitempty"`
	Commands  json.RawMessage `json:"commands"`
}

func (s *Server) storage(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		s.reject(w, r, KindRejected, http.StatusRequestEntityTooLarge, err.Error(), "")
		return
	}
	m, err := decodeObject(body)
	if err != nil {
		s.reject(w, r, KindRejected, http.StatusBadRequest, err.Error(), `Envoy's SDK posts {"install_id"?: ..., "commands": [...]}`)
		return
	}
	installID := ""
	switch v := m["install_id"].(type) {
	case nil:
	case string:
		installID = v
	case json.Number:
		installID = v.String()
	default:
		s.reject(w, r, KindRejected, http.StatusBadRequest, `"install_id" must be a string`, "")
		return
	}
	var req struct {
		Commands json.RawMessage `json:"commands"`
	}
	_ = json.Unmarshal(body, &req)
	cmds, err := ParseCommands(req.Commands)
	if err != nil {
		s.reject(w, r, KindRejected, http.StatusBadRequest, err.Error(), "")
		return
	}
	global := installID == ""
	results, ops, err := s.o.DB.ExecStorage(installID, global, cmds, s.o.PageSize)
	if err != nil {
		s.reject(w, r, KindRejected, statusOf(err), err.Error(), "")
		return
	}
	s.log(Event{Kind: KindStorage, Method: r.Method, Path: r.URL.Path, Status: http.StatusOK, Source: "plugin",
		InstallID: installID, Global: global, Storage: ops})
	writeData(w, results)
}

// ---- install config ----

func (s *Server) getConfig(w http.ResponseWriter, r *http.Request) {
	cfg, err := s.o.DB.Config(r.PathValue("id"))
	if err != nil {
		s.reject(w, r, KindRejected, statusOf(err), err.Error(), "")
		return
	}
	s.log(Event{Kind: KindConfigRead, Method: r.Method, Path: r.URL.Path, Status: http.StatusOK, Source: "plugin", InstallID: r.PathValue("id"), Config: cfg})
	writeData(w, cfg)
}

func (s *Server) putConfig(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if err := s.o.DB.CheckInstall(id); err != nil {
		s.reject(w, r, KindRejected, statusOf(err), err.Error(), "")
		return
	}
	body, err := readBody(r)
	if err != nil {
		s.reject(w, r, KindRejected, http.StatusRequestEntityTooLarge, err.Error(), "")
		return
	}
	patch, err := decodeObject(body)
	if err != nil {
		s.reject(w, r, KindRejected, http.StatusBadRequest, err.Error(), "setPluginInstallConfig sends the config object itself; a null value removes a key")
		return
	}
	cfg, err := s.o.DB.MergeConfig(id, patch)
	if err != nil {
		s.reject(w, r, KindRejected, statusOf(err), err.Error(), "")
		return
	}
	s.log(Event{Kind: KindConfigWrite, Method: r.Method, Path: r.URL.Path, Status: http.StatusOK, Source: "plugin", InstallID: id, Patch: patch, Config: cfg})
	writeData(w, cfg)
}

// ---- notifications ----

func (s *Server) notify(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	body, err := readBody(r)
	if err != nil {
		s.reject(w, r, KindRejected, http.StatusRequestEntityTooLarge, err.Error(), "")
		return
	}
	if len(bytes.TrimSpace(body)) == 0 {
		body = []byte("{}")
	}
	if !json.Valid(body) {
		s.reject(w, r, KindRejected, http.StatusBadRequest, "the body is not JSON", "")
		return
	}
	n, err := s.o.DB.AddNotification(id, compact(body))
	if err != nil {
		s.reject(w, r, KindRejected, statusOf(err), err.Error(), "")
		return
	}
	writeData(w, map[string]any{"id": NewID(), "type": "notifications", "attributes": map[string]any{"install-id": id, "body": n.Body, "created-at": n.At}})
	s.log(Event{Kind: KindNotification, Method: r.Method, Path: r.URL.Path, Status: http.StatusOK, Source: "plugin", InstallID: id, Body: n.Body})
}

// ---- everything else ----

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	p := r.URL.Path
	known := map[string]string{
		PathToken:   "POST",
		PathStorage: "POST",
	}
	if m, ok := known[p]; ok {
		s.reject(w, r, KindRejected, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s is not allowed: use %s", r.Method, p, m), "")
		return
	}
	switch {
	case strings.HasPrefix(p, pathPluginPrefix+"jobs/"):
		s.reject(w, r, KindRejected, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s is not allowed: jobs take PATCH", r.Method, p), "")
		return
	case strings.HasPrefix(p, pathPluginPrefix+"installs/") && strings.HasSuffix(p, "/config"):
		s.reject(w, r, KindRejected, http.StatusMethodNotAllowed, fmt.Sprintf("%s %s is not allowed: install config takes GET and PUT", r.Method, p), "")
		return
	case strings.HasPrefix(p, AdminPrefix):
		writeError(w, http.StatusNotFound, fmt.Sprintf("no admin route %s %s", r.Method, p))
		return
	}
	s.reject(w, r, KindRejected, http.StatusNotFound, fmt.Sprintf("%s %s is not part of the simulated plugin API", r.Method, p),
		"the simulator plays "+PathToken+", /api/v2/plugin-services/jobs/:id, /storage, /installs/:id/config and /installs/:id/notifications")
}
