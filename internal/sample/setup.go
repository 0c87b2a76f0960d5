package sample

import (
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
)

// The sample's OAuth2 client, as its manifest names it.
const (
	OAuthClientID = "sample-client"
	// DefaultRoom is what the sample popup picks when no room is given.
	DefaultRoom = "Room 101"
)

// registerSetup adds this file's routes to the sample plugin:
//
//   - POST /validate-greetings: the Greetings form's validation URL. It
//     blocks (400 {message}) an empty GREETING or one containing "block",
//     and otherwise saves the answers plus GREETING_SHOUT, and removes
//     LEGACY_GREETING (a null in the answer).
//   - GET /oauth/authorize, POST /oauth/token: a small mock OAuth2
//     authorization server for the "Connect Acme" step (client
//     "sample-client", secret OAuthClientSecret; codes are single use and
//     bound to their redirect_uri).
//   - POST /acme-oauth-validate: the OAuth2 step's validation URL: it gets
//     the token response and saves ACME_CONNECTED=true, never the token.
//   - GET /popup: the popup's content URL. Envoy appends state; the real
//     builder's callback URL is fixed and known to a plugin in advance, so
//     this sample reads where to return from a `callback` query param that
//     envoy-plugin install adds next to state (loopback URLs only). It
//     redirects at once to callback?state=<same>&ROOM=<room> (room from the
//     `room` param, default DefaultRoom).
//   - POST /popup-validate: the popup's validation URL: saves ROOM and
//     ROOM_CONFIRMED=true; blocks when ROOM is empty or when state was
//     forwarded (the builder strips it).
func (p *Plugin) registerSetup() {
	as := &authServer{codes: map[string]authCode{}}
	p.mux.HandleFunc("/validate-greetings", p.validateGreetings)
	p.mux.HandleFunc("/oauth/authorize", as.authorize)
	p.mux.HandleFunc("/oauth/token", as.token)
	p.mux.HandleFunc("/acme-oauth-validate", p.acmeValidate)
	p.mux.HandleFunc("/popup", popup)
	p.mux.HandleFunc("/popup-validate", p.popupValidate)
}

func (p *Plugin) validateGreetings(w http.ResponseWriter, r *http.Request) {
	req := p.verify(w, r)
	if req == nil {
		return
	}
	var payload map[string]any
	if err := json.Unmarshal(req.Payload, &payload); err != nil || payload == nil {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "The answers must be an object."})
		return
	}
	g, _ := payload["GREETING"].(string)
	switch {
	case strings.TrimSpace(g) == "":
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "The greeting must not be empty."})
		return
	case strings.Contains(strings.ToLower(g), "block"):
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": fmt.Sprintf("The greeting %q is not allowed: it contains \"block\".", g)})
		return
	}
	out := map[string]any{}
	for _, k := range []string{"GREETING", "NOTIFY_HOST", "HELLO", "COLOR", "LOCATIONS", "VISITOR_TYPE_MAP"} {
		if v, ok := payload[k]; ok {
			out[k] = v
		}
	}
	out["GREETING_SHOUT"] = strings.ToUpper(g) + "!"
	out["LEGACY_GREETING"] = nil // an older version's key: removed from the config
	writeJSON(w, http.StatusOK, out)
}

func (p *Plugin) acmeValidate(w http.ResponseWriter, r *http.Request) {
	req := p.verify(w, r)
	if req == nil {
		return
	}
	var tok map[string]any
	_ = json.Unmarshal(req.Payload, &tok)
	at, _ := tok["access_token"].(string)
	if at == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "Acme sent no access token; connect again."})
		return
	}
	if tt, ok := tok["token_type"].(string); ok && !strings.EqualFold(tt, "bearer") {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": fmt.Sprintf("Unexpected token type %q.", tt)})
		return
	}
	// A real plugin would keep the token in install storage; the config is
	// visible in the dashboard, so only the fact of the connection goes there.
	writeJSON(w, http.StatusOK, map[string]any{"ACME_CONNECTED": true})
}

func (p *Plugin) popupValidate(w http.ResponseWriter, r *http.Request) {
	req := p.verify(w, r)
	if req == nil {
		return
	}
	var vals map[string]any
	_ = json.Unmarshal(req.Payload, &vals)
	if _, ok := vals["state"]; ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "The popup's state was forwarded; Envoy strips it from the values."})
		return
	}
	room, _ := vals["ROOM"].(string)
	if strings.TrimSpace(room) == "" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"message": "No room was picked."})
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"ROOM": room, "ROOM_CONFIRMED": true})
}

// popup is the popup step's content: it completes at once by redirecting
// to the callback with the same state and the room.
func popup(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "the popup is opened with GET", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	state := q.Get("state")
	if state == "" {
		http.Error(w, "missing state: Envoy appends one to the content URL", http.StatusBadRequest)
		return
	}
	cb, err := loopbackURL(q.Get("callback"))
	if err != nil {
		http.Error(w, "this sample popup needs a callback query param with a loopback URL (envoy-plugin install adds it): "+err.Error(), http.StatusBadRequest)
		return
	}
	room := q.Get("room")
	if room == "" {
		room = DefaultRoom
	}
	v := cb.Query()
	v.Set("state", state)
	v.Set("ROOM", room)
	cb.RawQuery = v.Encode()
	http.Redirect(w, r, cb.String(), http.StatusFound)
}

// loopbackURL accepts only http URLs on a loopback host, so that the sample
// is no open redirector.
func loopbackURL(raw string) (*url.URL, error) {
	if raw == "" {
		return nil, fmt.Errorf("empty")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return nil, fmt.Errorf("not an http URL")
	}
	host := u.Hostname()
	if host == "localhost" {
		return u, nil
	}
	ip := net.ParseIP(host)
	if ip == nil || !ip.IsLoopback() {
		return nil, fmt.Errorf("%s is not a loopback host", host)
	}
	return u, nil
}

// authServer is the mock OAuth2 authorization server.
type authServer struct {
	mu    sync.Mutex
	codes map[string]authCode
}

type authCode struct {
	redirectURI string
	scope       string
}

func (a *authServer) authorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		http.Error(w, "authorize with GET", http.StatusMethodNotAllowed)
		return
	}
	q := r.URL.Query()
	redirect, err := loopbackURL(q.Get("redirect_uri"))
	if err != nil {
		http.Error(w, "invalid redirect_uri: "+err.Error(), http.StatusBadRequest)
		return
	}
	back := func(params map[string]string) {
		v := redirect.Query()
		for k, val := range params {
			v.Set(k, val)
		}
		if s := q.Get("state"); s != "" {
			v.Set("state", s)
		}
		u := *redirect
		u.RawQuery = v.Encode()
		http.Redirect(w, r, u.String(), http.StatusFound)
	}
	switch {
	case q.Get("client_id") != OAuthClientID:
		back(map[string]string{"error": "unauthorized_client", "error_description": "unknown client_id " + q.Get("client_id")})
		return
	case q.Get("response_type") != "code":
		back(map[string]string{"error": "unsupported_response_type"})
		return
	}
	code := randomHex(12)
	a.mu.Lock()
	a.codes[code] = authCode{redirectURI: q.Get("redirect_uri"), scope: q.Get("scope")}
	a.mu.Unlock()
	back(map[string]string{"code": code})
}

func (a *authServer) token(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"error": "invalid_request", "error_description": "POST only"})
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, 64<<10)
	form := url.Values{}
	mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "application/json" {
		var m map[string]string
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": "invalid JSON"})
			return
		}
		for k, v := range m {
			form.Set(k, v)
		}
	} else {
		if err := r.ParseForm(); err != nil {
			writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_request", "error_description": err.Error()})
			return
		}
		form = r.PostForm
	}
	id, secret := form.Get("client_id"), form.Get("client_secret")
	if u, pw, ok := r.BasicAuth(); ok {
		if uu, err := url.QueryUnescape(u); err == nil {
			u = uu
		}
		if pp, err := url.QueryUnescape(pw); err == nil {
			pw = pp
		}
		id, secret = u, pw
	}
	if id != OAuthClientID || subtle.ConstantTimeCompare([]byte(secret), []byte(OAuthClientSecret)) != 1 {
		writeJSON(w, http.StatusUnauthorized, map[string]any{"error": "invalid_client", "error_description": "client authentication failed"})
		return
	}
	if form.Get("grant_type") != "authorization_code" {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "unsupported_grant_type"})
		return
	}
	code := form.Get("code")
	a.mu.Lock()
	c, ok := a.codes[code]
	delete(a.codes, code) // single use
	a.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "unknown or used code"})
		return
	}
	if c.redirectURI != form.Get("redirect_uri") {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": "invalid_grant", "error_description": "redirect_uri does not match the authorization request"})
		return
	}
	out := map[string]any{
		"access_token":  "sample-at-" + randomHex(16),
		"token_type":    "Bearer",
		"expires_in":    3600,
		"refresh_token": "sample-rt-" + randomHex(16),
	}
	if c.scope != "" {
		out["scope"] = c.scope
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, out)
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
