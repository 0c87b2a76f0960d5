package sample

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
)

const testSecret = "test-secret"

func newTestServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(Options{Secret: testSecret}))
	t.Cleanup(srv.Close)
	return srv
}

// postRoute posts a signed route body with payload and decodes the answer.
func postRoute(t *testing.T, srv *httptest.Server, path string, payload any, sign bool) (int, map[string]any) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"meta": map[string]any{"route": path, "config": map[string]any{}}, "payload": payload})
	req, _ := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	if sign {
		req.Header.Set(creds.SignatureHeader, creds.Sign(testSecret, body))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestValidateGreetings(t *testing.T) {
	srv := newTestServer(t)
	tests := []struct {
		name    string
		payload map[string]any
		sign    bool
		status  int
		check   func(t *testing.T, out map[string]any)
	}{
		{"accepts and adds keys", map[string]any{"GREETING": "Hi", "NOTIFY_HOST": true, "EXTRA": 1}, true, 200, func(t *testing.T, out map[string]any) {
			if out["GREETING"] != "Hi" || out["NOTIFY_HOST"] != true || out["GREETING_SHOUT"] != "HI!" {
				t.Errorf("answer %v", out)
			}
			if v, ok := out["LEGACY_GREETING"]; !ok || v != nil {
				t.Errorf("want LEGACY_GREETING: null, got %v (present %v)", v, ok)
			}
			if _, ok := out["EXTRA"]; ok {
				t.Errorf("unknown keys must not be echoed: %v", out)
			}
		}},
		{"blocks empty", map[string]any{"GREETING": "  "}, true, 400, func(t *testing.T, out map[string]any) {
			if !strings.Contains(out["message"].(string), "empty") {
				t.Errorf("message %v", out)
			}
		}},
		{"blocks block", map[string]any{"GREETING": "Please BLOCK me"}, true, 400, func(t *testing.T, out map[string]any) {
			if !strings.Contains(out["message"].(string), "block") {
				t.Errorf("message %v", out)
			}
		}},
		{"unsigned", map[string]any{"GREETING": "Hi"}, false, 500, func(t *testing.T, out map[string]any) {
			if out["message"] != "Could not verify meta." {
				t.Errorf("message %v", out)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, out := postRoute(t, srv, "/validate-greetings", tt.payload, tt.sign)
			if status != tt.status {
				t.Fatalf("status %d, want %d (%v)", status, tt.status, out)
			}
			tt.check(t, out)
		})
	}
}

// noRedirect is a client that shows redirects instead of following them.
var noRedirect = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

func authorize(t *testing.T, srv *httptest.Server, params url.Values) *url.URL {
	t.Helper()
	resp, err := noRedirect.Get(srv.URL + "/oauth/authorize?" + params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize answered %d, want 302", resp.StatusCode)
	}
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func token(t *testing.T, srv *httptest.Server, form url.Values) (int, map[string]any) {
	t.Helper()
	resp, err := http.PostForm(srv.URL+"/oauth/token", form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestOAuthFlow(t *testing.T) {
	srv := newTestServer(t)
	redirect := "http://127.0.0.1:9/callback"
	loc := authorize(t, srv, url.Values{"response_type": {"code"}, "client_id": {OAuthClientID}, "redirect_uri": {redirect}, "state": {"s-123"}, "scope": {"read"}})
	if got := loc.Scheme + "://" + loc.Host + loc.Path; got != redirect {
		t.Fatalf("redirected to %s", got)
	}
	if loc.Query().Get("state") != "s-123" {
		t.Fatalf("state not echoed: %s", loc)
	}
	code := loc.Query().Get("code")
	if code == "" {
		t.Fatalf("no code: %s", loc)
	}
	good := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "redirect_uri": {redirect}, "client_id": {OAuthClientID}, "client_secret": {OAuthClientSecret}}

	bad := url.Values{}
	for k, v := range good {
		bad[k] = v
	}
	bad.Set("client_secret", "wrong")
	if status, out := token(t, srv, bad); status != 401 || out["error"] != "invalid_client" {
		t.Fatalf("wrong secret: %d %v", status, out)
	}

	status, out := token(t, srv, good)
	if status != 200 {
		t.Fatalf("token: %d %v", status, out)
	}
	for _, k := range []string{"access_token", "token_type", "expires_in", "refresh_token"} {
		if _, ok := out[k]; !ok {
			t.Errorf("token response lacks %s: %v", k, out)
		}
	}
	if status, out := token(t, srv, good); status != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("a code is single use: %d %v", status, out)
	}
}

func TestOAuthRefusals(t *testing.T) {
	srv := newTestServer(t)
	loc := authorize(t, srv, url.Values{"response_type": {"code"}, "client_id": {"other"}, "redirect_uri": {"http://localhost:1/cb"}, "state": {"x"}})
	if loc.Query().Get("error") != "unauthorized_client" || loc.Query().Get("state") != "x" {
		t.Fatalf("unknown client: %s", loc)
	}
	resp, err := noRedirect.Get(srv.URL + "/oauth/authorize?client_id=sample-client&response_type=code&redirect_uri=" + url.QueryEscape("https://evil.example.com/cb"))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 {
		t.Fatalf("non-loopback redirect_uri: %d", resp.StatusCode)
	}
	loc = authorize(t, srv, url.Values{"response_type": {"code"}, "client_id": {OAuthClientID}, "redirect_uri": {"http://127.0.0.1:1/a"}})
	status, out := token(t, srv, url.Values{"grant_type": {"authorization_code"}, "code": {loc.Query().Get("code")}, "redirect_uri": {"http://127.0.0.1:1/b"}, "client_id": {OAuthClientID}, "client_secret": {OAuthClientSecret}})
	if status != 400 || out["error"] != "invalid_grant" {
		t.Fatalf("redirect_uri mismatch: %d %v", status, out)
	}
}

func TestAcmeValidate(t *testing.T) {
	srv := newTestServer(t)
	status, out := postRoute(t, srv, "/acme-oauth-validate", map[string]any{"access_token": "sample-at-1", "token_type": "Bearer", "expires_in": 3600}, true)
	if status != 200 || out["ACME_CONNECTED"] != true {
		t.Fatalf("%d %v", status, out)
	}
	for k, v := range out {
		if s, ok := v.(string); ok && strings.Contains(s, "sample-at-1") {
			t.Fatalf("the raw token must not be saved (%s)", k)
		}
	}
	status, out = postRoute(t, srv, "/acme-oauth-validate", map[string]any{"error": "x"}, true)
	if status != 400 || out["message"] == nil {
		t.Fatalf("no token: %d %v", status, out)
	}
}

func TestPopup(t *testing.T) {
	srv := newTestServer(t)
	cb := "http://127.0.0.1:9/callback"
	resp, err := noRedirect.Get(srv.URL + "/popup?state=st-1&room=42&callback=" + url.QueryEscape(cb))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != 302 || loc.Query().Get("state") != "st-1" || loc.Query().Get("ROOM") != "42" || loc.Host != "127.0.0.1:9" {
		t.Fatalf("%d %s", resp.StatusCode, loc)
	}
	resp, err = noRedirect.Get(srv.URL + "/popup?state=st-1&callback=" + url.QueryEscape(cb))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, _ = url.Parse(resp.Header.Get("Location"))
	if loc.Query().Get("ROOM") != DefaultRoom {
		t.Fatalf("default room: %s", loc)
	}
	for _, q := range []string{"callback=" + url.QueryEscape(cb), "state=x&callback=" + url.QueryEscape("http://example.com/cb"), "state=x"} {
		resp, err := noRedirect.Get(srv.URL + "/popup?" + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 400 {
			t.Errorf("%s: %d, want 400", q, resp.StatusCode)
		}
	}
}

func TestPopupValidate(t *testing.T) {
	srv := newTestServer(t)
	status, out := postRoute(t, srv, "/popup-validate", map[string]any{"ROOM": "42"}, true)
	if status != 200 || out["ROOM"] != "42" || out["ROOM_CONFIRMED"] != true {
		t.Fatalf("%d %v", status, out)
	}
	if status, _ := postRoute(t, srv, "/popup-validate", map[string]any{"ROOM": "42", "state": "s"}, true); status != 400 {
		t.Fatalf("forwarded state: %d", status)
	}
	if status, _ := postRoute(t, srv, "/popup-validate", map[string]any{}, true); status != 400 {
		t.Fatalf("no room: %d", status)
	}
}
