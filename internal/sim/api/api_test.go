package api

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

const (
	testID     = "test-client-id"
	testSecret = "test-client-secret-0123456789"
)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

type fixture struct {
	srv    *httptest.Server
	db     *DB
	clock  *clock
	mu     sync.Mutex
	events []Event
}

func (f *fixture) Events() []Event {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]Event(nil), f.events...)
}

func newFixture(t *testing.T, db *DB, pageSize int) *fixture {
	t.Helper()
	f := &fixture{clock: &clock{t: time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)}}
	if db == nil {
		db = NewMemory(f.clock.Now)
	} else {
		db.now = f.clock.Now
	}
	f.db = db
	h := New(Options{
		DB: db, ClientID: testID, ClientSecret: testSecret,
		ClientIDSource: ".env", ClientSecretSource: "environment",
		PageSize: pageSize, Now: f.clock.Now,
		Log: func(e Event) { f.mu.Lock(); f.events = append(f.events, e); f.mu.Unlock() },
	})
	f.srv = httptest.NewServer(h)
	t.Cleanup(f.srv.Close)
	return f
}

// login does what EnvoyPluginAPI.loginAsPlugin does: POST the token
// endpoint with Basic auth and a JSON body.
func (f *fixture) login(t *testing.T) string {
	t.Helper()
	status, body := f.rawLogin(t, testID, testSecret, map[string]any{
		"grant_type": "client_credentials", "client_id": testID, "client_secret": testSecret, "scope": "plugin,token.refresh",
	})
	if status != 200 {
		t.Fatalf("login: %d %s", status, body)
	}
	var tok TokenResponse
	if err := json.Unmarshal(body, &tok); err != nil {
		t.Fatal(err)
	}
	if tok.TokenType != "Bearer" || tok.AccessToken == "" || tok.ExpiresIn <= 600 || tok.RefreshToken == "" || tok.RefreshTokenExpiresIn <= 0 {
		t.Fatalf("token answer = %+v", tok)
	}
	return tok.AccessToken
}

func (f *fixture) rawLogin(t *testing.T, user, pass string, body map[string]any) (int, []byte) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, f.srv.URL+PathToken, bytes.NewReader(b))
	req.Header.Set("Content-Type", "application/json")
	if user != "" || pass != "" {
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(user+":"+pass)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// do makes a call the way EnvoyAPI's axios client does and returns status
// and body.
func (f *fixture) do(t *testing.T, token, method, path string, body any) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, f.srv.URL+path, rd)
	req.Header.Set("Content-Type", "application/vnd.api+json")
	req.Header.Set("Accept", "application/vnd.api+json")
	req.Header.Set("User-Agent", "envoy-integrations-sdk/2.5.0")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, out
}

// sdkData applies the SDK's response interceptor: a 2xx answer whose data
// is non-null and, when an array, holds no null element. It returns the
// error the SDK would throw otherwise.
func sdkData(status int, body []byte) (json.RawMessage, error) {
	if status < 200 || status > 299 {
		return nil, fmt.Errorf("Request failed with status code %d", status)
	}
	var env map[string]json.RawMessage
	if err := json.Unmarshal(body, &env); err != nil {
		return nil, fmt.Errorf("not JSON: %s", body)
	}
	data, ok := env["data"]
	if !ok || string(data) == "null" {
		return nil, fmt.Errorf("%s", EmptyDataMessage)
	}
	var arr []json.RawMessage
	if json.Unmarshal(data, &arr) == nil {
		for _, e := range arr {
			if string(e) == "null" {
				return nil, fmt.Errorf("%s", EmptyDataMessage)
			}
		}
	}
	return data, nil
}

// checker returns mustData: sdkData that fails the test when the SDK
// would throw.
func checker(t *testing.T) func(status int, body []byte) json.RawMessage {
	return func(status int, body []byte) json.RawMessage {
		t.Helper()
		d, err := sdkData(status, body)
		if err != nil {
			t.Fatalf("the SDK would throw %q on %d %s", err, status, body)
		}
		return d
	}
}

func TestLogin(t *testing.T) {
	good := map[string]any{"grant_type": "client_credentials", "client_id": testID, "client_secret": testSecret, "scope": "plugin,token.refresh"}
	// with copies good with key/value pairs changed; a nil value deletes.
	with := func(kv ...any) map[string]any {
		m := map[string]any{}
		for kk, vv := range good {
			m[kk] = vv
		}
		for i := 0; i+1 < len(kv); i += 2 {
			k := kv[i].(string)
			if kv[i+1] == nil {
				delete(m, k)
			} else {
				m[k] = kv[i+1]
			}
		}
		return m
	}
	tests := []struct {
		name       string
		user, pass string
		body       map[string]any
		status     int
		want       []string
	}{
		{"sdk login", testID, testSecret, good, 200, nil},
		{"wrong secret", testID, "nope", good, 401, []string{"Basic auth password is not the client secret", `expected client id "test-client-id" (ENVOY_CLIENT_ID, from .env)`, "ENVOY_CLIENT_SECRET (from environment)"}},
		{"body credentials only (client_secret_post)", "", "", good, 200, nil},
		{"no credentials at all", "", "", with("client_id", nil, "client_secret", nil), 401, []string{"no credentials: neither a Basic auth header"}},
		{"wrong id", "other", testSecret, with("client_id", "other"), 401, []string{`Basic auth user is "other"`, `body's client_id is "other"`}},
		{"basic auth only (client_secret_basic)", testID, testSecret, with("client_id", nil, "client_secret", nil), 200, nil},
		{"body with wrong secret", testID, testSecret, with("client_secret", "x"), 401, []string{"body's client_secret is not the client secret"}},
		{"wrong grant", testID, testSecret, with("grant_type", "password"), 400, []string{"unsupported grant_type"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t, nil, 0)
			status, body := f.rawLogin(t, tt.user, tt.pass, tt.body)
			if status != tt.status {
				t.Fatalf("status = %d, want %d: %s", status, tt.status, body)
			}
			var answer struct {
				Message string `json:"message"`
			}
			_ = json.Unmarshal(body, &answer)
			for _, w := range tt.want {
				if !strings.Contains(answer.Message, w) {
					t.Errorf("message %q lacks %q", answer.Message, w)
				}
			}
			if strings.Contains(string(body), testSecret) {
				t.Errorf("the answer reveals the secret: %s", body)
			}
			ev := f.Events()
			if len(ev) != 1 {
				t.Fatalf("events = %+v", ev)
			}
			wantKind := KindLogin
			if tt.status != 200 {
				wantKind = KindLoginFailed
			}
			if ev[0].Kind != wantKind {
				t.Errorf("event kind = %s, want %s", ev[0].Kind, wantKind)
			}
		})
	}
}

func TestBearerRequired(t *testing.T) {
	f := newFixture(t, nil, 0)
	in := f.db.Install()
	if _, err := f.db.RegisterJob(Job{ID: "job-1", Event: "entry_sign_in"}); err != nil {
		t.Fatal(err)
	}
	good := f.login(t)
	endpoints := []struct{ method, path string }{
		{"PATCH", "/api/v2/plugin-services/jobs/job-1"},
		{"POST", PathStorage},
		{"GET", "/api/v2/plugin-services/installs/" + in.InstallID + "/config"},
		{"PUT", "/api/v2/plugin-services/installs/" + in.InstallID + "/config"},
		{"POST", "/api/v2/plugin-services/installs/" + in.InstallID + "/notifications"},
	}
	body := map[string]any{"attachments": []any{}, "commands": []any{}}
	for _, ep := range endpoints {
		for _, tok := range []string{"", "not-issued-here"} {
			status, out := f.do(t, tok, ep.method, ep.path, body)
			if status != 401 {
				t.Errorf("%s %s with token %q = %d %s, want 401", ep.method, ep.path, tok, status, out)
			}
		}
		if status, out := f.do(t, good, ep.method, ep.path, body); status != 200 {
			t.Errorf("%s %s with a good token = %d %s", ep.method, ep.path, status, out)
		}
	}
	// Tokens expire after the TTL.
	f.clock.Add(DefaultTokenTTL + time.Second)
	status, out := f.do(t, good, "POST", PathStorage, body)
	if status != 401 || !strings.Contains(string(out), "expired") {
		t.Errorf("expired token: %d %s", status, out)
	}
}

func TestTokenTTL(t *testing.T) {
	f := newFixture(t, nil, 0)
	if err := f.db.SetTokenTTL(90 * time.Second); err != nil {
		t.Fatal(err)
	}
	_, body := f.rawLogin(t, testID, testSecret, map[string]any{"grant_type": "client_credentials", "client_id": testID, "client_secret": testSecret})
	var tok TokenResponse
	_ = json.Unmarshal(body, &tok)
	if tok.ExpiresIn != 90 {
		t.Fatalf("expires_in = %d, want 90", tok.ExpiresIn)
	}
	f.clock.Add(89 * time.Second)
	if st, _ := f.db.CheckToken(tok.AccessToken); st != TokenValid {
		t.Fatalf("token invalid before expiry: %v", st)
	}
	f.clock.Add(time.Second)
	if st, _ := f.db.CheckToken(tok.AccessToken); st != TokenExpired {
		t.Fatalf("token valid after expiry: %v", st)
	}
}

func TestJobPatch(t *testing.T) {
	f := newFixture(t, nil, 0)
	tok := f.login(t)
	mustData := checker(t)
	if _, err := f.db.RegisterJob(Job{ID: "7c1e6f3a-0000-4000-8000-000000000001", Event: "invite_created"}); err != nil {
		t.Fatal(err)
	}
	path := "/api/v2/plugin-services/jobs/7c1e6f3a-0000-4000-8000-000000000001"
	attachments := []map[string]any{
		{"type": "text", "label": "Greeting", "value": "Hello Ada"},
		{"type": "password", "label": "Door code", "value": "4242"},
		{"type": "json", "label": "Raw", "value": map[string]any{"a": 1}},
		{"type": "link", "label": "Docs", "value": "Read", "url": "https://example.com/docs"},
		{"type": "credential_image", "label": "Badge", "value": "Ada", "title": "Ada's badge", "image": map[string]any{"type": "s3", "link": "https://example.com/badge.png"}},
	}
	// job.attach(...): attachments only.
	d := mustData(f.do(t, tok, "PATCH", path, map[string]any{"attachments": attachments}))
	var res struct {
		ID         string         `json:"id"`
		Type       string         `json:"type"`
		Attributes map[string]any `json:"attributes"`
	}
	if err := json.Unmarshal(d, &res); err != nil || res.ID == "" || res.Type == "" {
		t.Fatalf("PATCH data = %s", d)
	}
	// job.update(msg): status_message.
	mustData(f.do(t, tok, "PATCH", path, map[string]any{"status_message": "halfway", "attachments": []any{}}))
	// job.complete(msg, a): status done.
	mustData(f.do(t, tok, "PATCH", path, map[string]any{"status": "done", "status_message": "Greeted Ada", "attachments": []any{map[string]any{"type": "text", "label": "Sent", "value": "yes"}}}))

	j, err := f.db.Job("7c1e6f3a-0000-4000-8000-000000000001")
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != StatusDone || j.StatusMessage != "Greeted Ada" || len(j.History) != 3 || len(j.Attachments) != 6 {
		t.Fatalf("job = %+v", j)
	}
	if j.History[0].Status != "" || len(j.History[0].Attachments) != 5 || j.History[1].StatusMessage != "halfway" {
		t.Fatalf("history = %+v", j.History)
	}

	tests := []struct {
		name   string
		path   string
		body   any
		status int
		want   string
	}{
		{"unknown job", "/api/v2/plugin-services/jobs/nope", map[string]any{"status": "done", "attachments": []any{}}, 404, "unknown job"},
		{"bad status", path, map[string]any{"status": "finished", "attachments": []any{}}, 422, "not one of done, ignored, failed"},
		{"attachments not an array", path, map[string]any{"attachments": "x"}, 422, "must be an array"},
		{"attachment not an object", path, map[string]any{"attachments": []any{"x"}}, 422, "attachments[0]"},
		{"not JSON", path, "just a string", 422, "not a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.do(t, tok, "PATCH", tt.path, tt.body)
			if status != tt.status || !strings.Contains(string(body), tt.want) {
				t.Fatalf("= %d %s, want %d with %q", status, body, tt.status, tt.want)
			}
		})
	}
	// ignore and fail carry failure_reason.
	mustData(f.do(t, tok, "PATCH", path, map[string]any{"status": "failed", "status_message": "no", "failure_reason": "badge printer offline", "attachments": []any{}}))
	j, _ = f.db.Job("7c1e6f3a-0000-4000-8000-000000000001")
	if j.Status != StatusFailed || j.FailureReason != "badge printer offline" {
		t.Fatalf("job = %+v", j)
	}
}

func TestStoragePipeline(t *testing.T) {
	f := newFixture(t, nil, 0)
	tok := f.login(t)
	mustData := checker(t)
	in := f.db.Install()
	pipeline := func(installID string, cmds ...map[string]any) (int, []byte) {
		body := map[string]any{"commands": cmds}
		if installID != "" {
			body["install_id"] = installID
		}
		return f.do(t, tok, "POST", PathStorage, body)
	}
	// Every command in one pipeline, as EnvoyPluginStoragePipeline sends them.
	d := mustData(pipeline(in.InstallID,
		map[string]any{"action": "set", "key": "greeting", "value": map[string]any{"text": "hi", "n": 12345678901234567}},
		map[string]any{"action": "get", "key": "greeting"},
		map[string]any{"action": "set_unique", "key": "badge"},
		map[string]any{"action": "set_unique", "key": "code", "chars": "ABC", "size": 4},
		map[string]any{"action": "set_unique_num", "key": "num"},
		map[string]any{"action": "set_unique_num", "key": "small", "min": 10, "max": 20},
		map[string]any{"action": "set", "key": "gone", "value": true},
		map[string]any{"action": "unset", "key": "gone"},
		map[string]any{"action": "list", "page": 1},
	))
	var results []json.RawMessage
	if err := json.Unmarshal(d, &results); err != nil || len(results) != 9 {
		t.Fatalf("data = %s", d)
	}
	item := func(i int) Item {
		var it Item
		if err := json.Unmarshal(results[i], &it); err != nil || it.Key == "" {
			t.Fatalf("result %d = %s, want an item", i, results[i])
		}
		return it
	}
	if got := string(item(0).Value); got != `{"n":12345678901234567,"text":"hi"}` {
		t.Errorf("set = %s", got)
	}
	if got := string(item(1).Value); got != `{"n":12345678901234567,"text":"hi"}` {
		t.Errorf("get = %s", got)
	}
	var badge string
	_ = json.Unmarshal(item(2).Value, &badge)
	if len(badge) != DefaultUniqueSize || strings.Trim(badge, "0123456789") != "" {
		t.Errorf("set_unique = %q", badge)
	}
	var code string
	_ = json.Unmarshal(item(3).Value, &code)
	if len(code) != 4 || strings.Trim(code, "ABC") != "" {
		t.Errorf("set_unique chars/size = %q", code)
	}
	var num, small json.Number
	_ = json.Unmarshal(item(4).Value, &num)
	_ = json.Unmarshal(item(5).Value, &small)
	if n, err := num.Int64(); err != nil || n < 0 || n > DefaultUniqueMax {
		t.Errorf("set_unique_num = %s", num)
	}
	if n, err := small.Int64(); err != nil || n < 10 || n > 20 {
		t.Errorf("set_unique_num min/max = %s", small)
	}
	if it := item(7); it.Key != "gone" || string(it.Value) != "true" {
		t.Errorf("unset = %+v", it)
	}
	var list []Item
	if err := json.Unmarshal(results[8], &list); err != nil || len(list) != 5 || list[0].Key != "badge" {
		t.Errorf("list = %s", results[8])
	}

	// A missing key answers null, as on Envoy: the SDK then throws.
	status, body := pipeline(in.InstallID, map[string]any{"action": "get", "key": "missing"})
	if status != 200 || string(bytes.TrimSpace(body)) != `{"data":[null]}` {
		t.Fatalf("get missing = %d %s", status, body)
	}
	if _, err := sdkData(status, body); err == nil || err.Error() != EmptyDataMessage {
		t.Fatalf("the SDK would not throw: %v", err)
	}
	status, body = pipeline(in.InstallID, map[string]any{"action": "unset", "key": "missing"})
	if status != 200 || string(bytes.TrimSpace(body)) != `{"data":[null]}` {
		t.Fatalf("unset missing = %d %s", status, body)
	}
	ev := f.Events()
	last := ev[len(ev)-1]
	if last.Kind != KindStorage || !last.Storage[0].Null {
		t.Fatalf("last event = %+v", last)
	}

	// Global storage (no install_id) is separate from the install's.
	mustData(pipeline("", map[string]any{"action": "set", "key": "greeting", "value": "global"}))
	d = mustData(pipeline("", map[string]any{"action": "get", "key": "greeting"}))
	if string(d) != `[{"key":"greeting","value":"global"}]` {
		t.Errorf("global get = %s", d)
	}
	d = mustData(pipeline(in.InstallID, map[string]any{"action": "get", "key": "greeting"}))
	if strings.Contains(string(d), "global") {
		t.Errorf("install storage sees the global value: %s", d)
	}

	bad := []struct {
		name   string
		body   any
		status int
		want   string
	}{
		{"unknown install", map[string]any{"install_id": "other", "commands": []any{map[string]any{"action": "get", "key": "k"}}}, 404, in.InstallID},
		{"no commands", map[string]any{"install_id": in.InstallID}, 400, "commands"},
		{"unknown action", map[string]any{"commands": []any{map[string]any{"action": "incr", "key": "k"}}}, 400, "unknown action"},
		{"no key", map[string]any{"commands": []any{map[string]any{"action": "get"}}}, 400, "needs a non-empty string"},
		{"bad size", map[string]any{"commands": []any{map[string]any{"action": "set_unique", "key": "k", "size": 0}}}, 400, "size"},
		{"min above max", map[string]any{"commands": []any{map[string]any{"action": "set_unique_num", "key": "k", "min": 5, "max": 1}}}, 400, "above max"},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			status, body := f.do(t, tok, "POST", PathStorage, tt.body)
			if status != tt.status || !strings.Contains(string(body), tt.want) {
				t.Fatalf("= %d %s, want %d with %q", status, body, tt.status, tt.want)
			}
		})
	}
}

func TestSetUniqueNeverRepeats(t *testing.T) {
	f := newFixture(t, nil, 0)
	tok := f.login(t)
	mustData := checker(t)
	seen := map[string]bool{}
	for i := 0; i < 4; i++ {
		d := mustData(f.do(t, tok, "POST", PathStorage, map[string]any{"commands": []any{map[string]any{"action": "set_unique", "key": "k", "chars": "ab", "size": 2}}}))
		if seen[string(d)] {
			t.Fatalf("value handed out twice: %s", d)
		}
		seen[string(d)] = true
	}
	status, body := f.do(t, tok, "POST", PathStorage, map[string]any{"commands": []any{map[string]any{"action": "set_unique", "key": "k", "chars": "ab", "size": 2}}})
	if status != 422 || !strings.Contains(string(body), "already handed out") {
		t.Fatalf("exhausted set_unique = %d %s", status, body)
	}
	// Unsetting the key does not make its values available again.
	mustData(f.do(t, tok, "POST", PathStorage, map[string]any{"commands": []any{map[string]any{"action": "unset", "key": "k"}}}))
	if status, _ := f.do(t, tok, "POST", PathStorage, map[string]any{"commands": []any{map[string]any{"action": "set_unique", "key": "k", "chars": "ab", "size": 2}}}); status != 422 {
		t.Fatalf("set_unique after unset = %d", status)
	}
	nums := map[string]bool{}
	for i := 0; i < 3; i++ {
		d := mustData(f.do(t, tok, "POST", PathStorage, map[string]any{"commands": []any{map[string]any{"action": "set_unique_num", "key": "n", "min": 1, "max": 3}}}))
		if nums[string(d)] {
			t.Fatalf("number handed out twice: %s", d)
		}
		nums[string(d)] = true
	}
	if status, _ := f.do(t, tok, "POST", PathStorage, map[string]any{"commands": []any{map[string]any{"action": "set_unique_num", "key": "n", "min": 1, "max": 3}}}); status != 422 {
		t.Fatalf("exhausted set_unique_num = %d", status)
	}
	// A failing pipeline changes nothing (all or none).
	f.do(t, tok, "POST", PathStorage, map[string]any{"commands": []any{
		map[string]any{"action": "set", "key": "partial", "value": 1},
		map[string]any{"action": "set_unique_num", "key": "n", "min": 1, "max": 3},
	}})
	status, body = f.do(t, tok, "POST", PathStorage, map[string]any{"commands": []any{map[string]any{"action": "get", "key": "partial"}}})
	if string(bytes.TrimSpace(body)) != `{"data":[null]}` {
		t.Fatalf("a failed pipeline left a write behind: %d %s", status, body)
	}
}

func TestStorageListPages(t *testing.T) {
	f := newFixture(t, nil, 2)
	tok := f.login(t)
	mustData := checker(t)
	var cmds []any
	for _, k := range []string{"e", "d", "c", "b", "a"} {
		cmds = append(cmds, map[string]any{"action": "set", "key": k, "value": k})
	}
	mustData(f.do(t, tok, "POST", PathStorage, map[string]any{"commands": cmds}))
	tests := []struct {
		page any
		want string
	}{
		{1, `[[{"key":"a","value":"a"},{"key":"b","value":"b"}]]`},
		{2, `[[{"key":"c","value":"c"},{"key":"d","value":"d"}]]`},
		{3, `[[{"key":"e","value":"e"}]]`},
		{4, `[[]]`},
		{nil, `[[{"key":"a","value":"a"},{"key":"b","value":"b"}]]`},
	}
	for _, tt := range tests {
		cmd := map[string]any{"action": "list"}
		if tt.page != nil {
			cmd["page"] = tt.page
		}
		d := mustData(f.do(t, tok, "POST", PathStorage, map[string]any{"commands": []any{cmd}}))
		if string(d) != tt.want {
			t.Errorf("page %v = %s, want %s", tt.page, d, tt.want)
		}
	}
}

func TestInstallConfig(t *testing.T) {
	f := newFixture(t, nil, 0)
	tok := f.login(t)
	mustData := checker(t)
	in := f.db.Install()
	path := "/api/v2/plugin-services/installs/" + in.InstallID + "/config"
	if d := mustData(f.do(t, tok, "GET", path, nil)); string(d) != `{}` {
		t.Fatalf("empty config = %s", d)
	}
	if d := mustData(f.do(t, tok, "PUT", path, map[string]any{"HELLO": "hi", "N": 3, "GONE": "x"})); string(d) != `{"GONE":"x","HELLO":"hi","N":3}` {
		t.Fatalf("put = %s", d)
	}
	if d := mustData(f.do(t, tok, "PUT", path, map[string]any{"GONE": nil, "N": 4})); string(d) != `{"HELLO":"hi","N":4}` {
		t.Fatalf("merge with null = %s", d)
	}
	if d := mustData(f.do(t, tok, "GET", path, nil)); string(d) != `{"HELLO":"hi","N":4}` {
		t.Fatalf("get = %s", d)
	}
	status, body := f.do(t, tok, "GET", "/api/v2/plugin-services/installs/other/config", nil)
	if status != 404 || !strings.Contains(string(body), in.InstallID) {
		t.Fatalf("unknown install = %d %s", status, body)
	}
	if status, body := f.do(t, tok, "PUT", path, []any{1}); status != 400 {
		t.Fatalf("put array = %d %s", status, body)
	}
	if status, _ := f.do(t, tok, "DELETE", path, nil); status != 405 {
		t.Fatalf("DELETE config = %d", status)
	}
}

func TestNotifications(t *testing.T) {
	f := newFixture(t, nil, 0)
	tok := f.login(t)
	mustData := checker(t)
	in := f.db.Install()
	mustData(f.do(t, tok, "POST", "/api/v2/plugin-services/installs/"+in.InstallID+"/notifications", map[string]any{"title": "Printer offline"}))
	ns := f.db.Notifications()
	if len(ns) != 1 || string(ns[0].Body) != `{"title":"Printer offline"}` {
		t.Fatalf("notifications = %+v", ns)
	}
	if status, _ := f.do(t, tok, "POST", "/api/v2/plugin-services/installs/x/notifications", map[string]any{}); status != 404 {
		t.Fatalf("unknown install = %d", status)
	}
}

func TestUnknownEndpoint(t *testing.T) {
	f := newFixture(t, nil, 0)
	status, body := f.do(t, "", "GET", "/api/v3/locations/1", nil)
	if status != 404 || !strings.Contains(string(body), "not part of the simulated plugin API") {
		t.Fatalf("= %d %s", status, body)
	}
	if status, _ := f.do(t, "", "GET", PathToken, nil); status != 405 {
		t.Fatalf("GET token = %d", status)
	}
}

func TestAdminRoutesNeedKey(t *testing.T) {
	db := NewMemory(nil)
	srv := httptest.NewServer(New(Options{DB: db, ClientID: testID, ClientSecret: testSecret, AdminKey: "k3y", PID: 42}))
	defer srv.Close()
	get := func(path, key string) int {
		req, _ := http.NewRequest("GET", srv.URL+path, nil)
		if key != "" {
			req.Header.Set(AdminKeyHeader, key)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := get(AdminPrefix+"health", ""); s != 200 {
		t.Errorf("health = %d", s)
	}
	if s := get(AdminPrefix+"jobs", ""); s != 401 {
		t.Errorf("jobs without key = %d", s)
	}
	if s := get(AdminPrefix+"jobs", "wrong"); s != 401 {
		t.Errorf("jobs with a wrong key = %d", s)
	}
	if s := get(AdminPrefix+"jobs", "k3y"); s != 200 {
		t.Errorf("jobs with the key = %d", s)
	}
}

// TestConcurrentRequests hammers one simulator from many goroutines and
// checks that no update is lost, in memory and in the state file.
func TestConcurrentRequests(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.json")
	db, err := Open(path, OpenOptions{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	f := newFixture(t, db, 0)
	tok := f.login(t)
	in := db.Install()
	const workers, each = 12, 5
	for w := 0; w < workers; w++ {
		if _, err := db.RegisterJob(Job{ID: fmt.Sprintf("job-%d", w), Event: "entry_sign_in"}); err != nil {
			t.Fatal(err)
		}
	}
	var wg sync.WaitGroup
	errs := make(chan error, workers*each*4)
	uniques := make(chan string, workers*each)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			for i := 0; i < each; i++ {
				check := func(status int, body []byte) json.RawMessage {
					d, err := sdkData(status, body)
					if err != nil {
						errs <- fmt.Errorf("%v: %s", err, body)
					}
					return d
				}
				check(f.do(t, tok, "POST", PathStorage, map[string]any{"install_id": in.InstallID, "commands": []any{
					map[string]any{"action": "set", "key": fmt.Sprintf("k-%d-%d", w, i), "value": i},
				}}))
				d := check(f.do(t, tok, "POST", PathStorage, map[string]any{"commands": []any{
					map[string]any{"action": "set_unique", "key": "shared", "chars": "0123456789", "size": 3},
				}}))
				uniques <- string(d)
				check(f.do(t, tok, "PATCH", fmt.Sprintf("/api/v2/plugin-services/jobs/job-%d", w), map[string]any{
					"status_message": fmt.Sprint(i), "attachments": []any{map[string]any{"type": "text", "label": "i", "value": i}},
				}))
				check(f.do(t, tok, "PUT", "/api/v2/plugin-services/installs/"+in.InstallID+"/config", map[string]any{fmt.Sprintf("K%d_%d", w, i): i}))
			}
		}(w)
	}
	wg.Wait()
	close(errs)
	close(uniques)
	for err := range errs {
		t.Error(err)
	}
	seen := map[string]bool{}
	for u := range uniques {
		if seen[u] {
			t.Errorf("set_unique handed out %s twice", u)
		}
		seen[u] = true
	}
	verify := func(db *DB, where string) {
		if n := len(db.StorageItems(false)); n != workers*each {
			t.Errorf("%s: %d install items, want %d", where, n, workers*each)
		}
		if n := len(db.Install().Config); n != workers*each {
			t.Errorf("%s: %d config keys, want %d", where, n, workers*each)
		}
		for _, j := range db.Jobs() {
			if len(j.History) != each || len(j.Attachments) != each {
				t.Errorf("%s: job %s has %d updates, %d attachments; want %d", where, j.ID, len(j.History), len(j.Attachments), each)
			}
		}
	}
	verify(db, "memory")
	reopened, err := Open(path, OpenOptions{})
	if err != nil {
		t.Fatal(err)
	}
	verify(reopened, "state file")
	if st, _ := reopened.CheckToken(tok); st != TokenValid {
		t.Errorf("the token did not survive a restart")
	}
}

func TestOpenReset(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".envoy-plugin", "state.json")
	if _, err := Open(path, OpenOptions{}); err != ErrNoState {
		t.Fatalf("Open without create = %v", err)
	}
	db, err := Open(path, OpenOptions{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	first := db.Install()
	if _, err := db.MergeConfig("", map[string]any{"A": "1"}); err != nil {
		t.Fatal(err)
	}
	again, _ := Open(path, OpenOptions{})
	if got := again.Install(); got.InstallID != first.InstallID || got.PluginID != first.PluginID || got.Config["A"] != "1" {
		t.Fatalf("reopened install = %+v, want ids of %+v and config A", got, first)
	}
	reset, _ := Open(path, OpenOptions{Reset: true})
	if got := reset.Install(); got.InstallID == first.InstallID || len(got.Config) != 0 {
		t.Fatalf("reset install = %+v", got)
	}
}

func TestStorageCommandJSONRoundTrip(t *testing.T) {
	cmds := []StorageCommand{
		{Action: ActionSetUniqueNum, Key: "n", Min: 0, Max: 0},
		{Action: ActionSet, Key: "k"},
		{Action: ActionList},
		{Action: ActionSetUnique, Key: "u"},
	}
	raw, err := json.Marshal(cmds)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseCommands(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got[0].Max != 0 || got[1].Action != ActionSet || string(got[1].Value) != "null" || got[2].Page != 1 || got[3].Size != DefaultUniqueSize {
		t.Fatalf("round trip = %+v from %s", got, raw)
	}
}

// TestSetJobStatusYieldsToThePlugin: the worker's HTTP answer (recorded by
// send-event) never overrides a status the plugin already set.
func TestSetJobStatusYieldsToThePlugin(t *testing.T) {
	db := NewMemory(nil)
	for _, id := range []string{"a", "b"} {
		if _, err := db.RegisterJob(Job{ID: id, Event: "entry_sign_in"}); err != nil {
			t.Fatal(err)
		}
	}
	if j, err := db.SetJobStatus("a", StatusOngoing); err != nil || j.Status != StatusOngoing {
		t.Fatalf("SetJobStatus = %+v, %v", j, err)
	}
	if _, err := db.UpdateJob("b", JobUpdate{Status: StatusDone}); err != nil {
		t.Fatal(err)
	}
	if j, _ := db.SetJobStatus("b", StatusOngoing); j.Status != StatusDone {
		t.Fatalf("the answer overrode the plugin's done: %+v", j)
	}
	if _, err := db.SetJobStatus("nope", StatusOngoing); err == nil {
		t.Fatal("unknown job accepted")
	}
	// Registering an open job again keeps it (TestRegisterJobAgain covers
	// a finished one, which starts anew).
	if j, _ := db.RegisterJob(Job{ID: "a"}); j.Status != StatusOngoing {
		t.Fatalf("re-register = %+v", j)
	}
}

func TestJobRejectionsAreRecorded(t *testing.T) {
	f := newFixture(t, nil, 0)
	tok := f.login(t)
	id := "7c1e6f3a-0000-4000-8000-0000000000aa"
	if _, err := f.db.RegisterJob(Job{ID: id, Event: "entry_sign_in"}); err != nil {
		t.Fatal(err)
	}
	path := "/api/v2/plugin-services/jobs/" + id
	if status, body := f.do(t, tok, "PATCH", path, map[string]any{"status": "complete", "attachments": []any{}}); status != 422 {
		t.Fatalf("= %d %s, want 422", status, body)
	}
	if status, _ := f.do(t, "not-a-token", "PATCH", path, map[string]any{"status": "done", "attachments": []any{}}); status != 401 {
		t.Fatalf("bad token = %d, want 401", status)
	}
	// An unknown attachment type is accepted, not a rejection.
	if status, body := f.do(t, tok, "PATCH", path, map[string]any{"attachments": []any{map[string]any{"type": "image", "label": "x", "value": "y"}}}); status != 200 {
		t.Fatalf("unknown attachment type = %d %s, want 200", status, body)
	}
	// A refusal of an unknown job is only logged.
	f.do(t, tok, "PATCH", "/api/v2/plugin-services/jobs/nope", map[string]any{"status": "complete"})
	j, err := f.db.Job(id)
	if err != nil {
		t.Fatal(err)
	}
	if len(j.Rejected) != 2 || j.Rejected[0].HTTPStatus != 422 || !strings.Contains(j.Rejected[0].Reason, `status "complete" is not one of done, ignored, failed`) ||
		j.Rejected[1].HTTPStatus != 401 || j.Rejected[0].At == "" || j.Status != StatusQueued || len(j.History) != 1 {
		t.Fatalf("job = %+v", j)
	}
	for i := 0; i < maxJobRejections+5; i++ {
		f.do(t, tok, "PATCH", path, map[string]any{"status": "complete"})
	}
	if j, _ = f.db.Job(id); len(j.Rejected) != maxJobRejections {
		t.Fatalf("kept %d rejections, want %d", len(j.Rejected), maxJobRejections)
	}
}

// TestRegisterJobAgain: the same id registered while the job is open is one
// job (a replayed delivery); registered after it finished (a rerun with the
// same --seed) it starts a new history.
func TestRegisterJobAgain(t *testing.T) {
	db := NewMemory(time.Now)
	if _, err := db.RegisterJob(Job{ID: "job-1", Event: "entry_sign_in"}); err != nil {
		t.Fatal(err)
	}
	if _, err := db.UpdateJob("job-1", JobUpdate{Status: StatusDone, StatusMessage: "first", Attachments: []map[string]any{}}); err != nil {
		t.Fatal(err)
	}
	j, err := db.RegisterJob(Job{ID: "job-1", Event: "entry_sign_in"})
	if err != nil {
		t.Fatal(err)
	}
	if j.Status != StatusQueued || len(j.History) != 0 {
		t.Fatalf("a finished job registered again keeps its past: %+v", j)
	}
	if _, err := db.RegisterJob(Job{ID: "job-1", Event: "entry_sign_in"}); err != nil {
		t.Fatal(err)
	}
	jobs := db.Jobs()
	if len(jobs) != 1 {
		t.Fatalf("%d jobs, want 1", len(jobs))
	}
}

// TestDeepAttachmentSavesInLinearSpace: a json attachment nested thousands
// of levels deep (a hostile plugin) must not make every state save cost
// O(depth²) (indentation did: ~370 ms and megabytes per save at depth 5000).
func TestDeepAttachmentSavesInLinearSpace(t *testing.T) {
	db := NewMemory(time.Now)
	if _, err := db.RegisterJob(Job{ID: "deep", Event: "entry_sign_in"}); err != nil {
		t.Fatal(err)
	}
	const depth = 5000
	var v any = "x"
	for i := 0; i < depth; i++ {
		v = []any{v}
	}
	if _, err := db.UpdateJob("deep", JobUpdate{Attachments: []map[string]any{{"type": "json", "label": "deep", "value": v}}}); err != nil {
		t.Fatal(err)
	}
	db.mu.Lock()
	data, _, err := db.snapshotLocked()
	db.mu.Unlock()
	if err != nil {
		t.Fatal(err)
	}
	if len(data) > 4*depth+4096 {
		t.Fatalf("state is %d bytes for a %d-deep value: not linear in depth", len(data), depth)
	}
}
