package sample

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/events"
)

const evSecret = "sample-events-secret"

var evNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func evServer(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(Options{Secret: evSecret}))
	t.Cleanup(srv.Close)
	return srv
}

// evBody generates event's body at a fixed seed, applies edits, encodes it.
func evBody(t *testing.T, event string, v events.Variant, o sim.InstallOptions, edits ...string) []byte {
	t.Helper()
	g := events.NewGenerator(4, evNow)
	body, err := g.Event(event, g.Install(o), v)
	if err != nil {
		t.Fatal(err)
	}
	var sets []events.Set
	for _, e := range edits {
		s, err := events.ParseSet(e)
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, s)
	}
	if err := events.ApplySets(body, sets); err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

type evAnswer struct {
	status int
	body   map[string]any
	raw    string
}

// evPost posts body to path, signed with secret unless sig says otherwise
// ("" = sign with evSecret, "-" = no header, anything else = that header).
func evPost(t *testing.T, srv *httptest.Server, path string, body []byte, sig, contentType string) evAnswer {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, srv.URL+path, bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if contentType == "" {
		contentType = "application/json"
	}
	req.Header.Set("Content-Type", contentType)
	switch sig {
	case "":
		req.Header.Set(creds.SignatureHeader, creds.Sign(evSecret, body))
	case "-":
	default:
		req.Header.Set(creds.SignatureHeader, sig)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	a := evAnswer{status: resp.StatusCode, raw: string(raw)}
	if err := json.Unmarshal(raw, &a.body); err != nil {
		t.Fatalf("POST %s: answer %d is not a JSON object: %q", path, resp.StatusCode, raw)
	}
	if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("POST %s: Content-Type %q", path, ct)
	}
	return a
}

func TestWorkerOutcomes(t *testing.T) {
	srv := evServer(t)
	name := func(event string, v events.Variant) string {
		var b map[string]any
		_ = json.Unmarshal(evBody(t, event, v, sim.InstallOptions{}), &b)
		return b["payload"].(map[string]any)["attributes"].(map[string]any)["full-name"].(string)
	}
	visitor := name("entry_sign_in", events.Variant{})
	tests := []struct {
		route   string
		event   string
		install sim.InstallOptions
		edits   []string
		status  int
		message string // exact, when set
		keys    []string
	}{
		{RouteEntrySignIn, "entry_sign_in", sim.InstallOptions{}, nil, 200, "Hello " + visitor, nil},
		{RouteEntrySignIn, "entry_sign_in", sim.InstallOptions{Config: map[string]any{"GREETING": "Hola"}}, nil, 200, "Hola " + visitor, nil},
		{RouteEntrySignIn, "entry_sign_in", sim.InstallOptions{}, []string{"meta.config.GREETING=Bonjour"}, 200, "Bonjour " + visitor, nil},
		{RouteEntrySignIn, "entry_sign_in", sim.InstallOptions{}, []string{"meta.config.GREETING:=7", "payload.attributes.full-name=Ada"}, 200, "Hello Ada", nil},
		{RouteEntrySignOut, "entry_sign_out", sim.InstallOptions{}, nil, 200, "Goodbye " + visitor, nil},
		{RouteInviteCreated, "invite_created", sim.InstallOptions{}, nil, 202, "", []string{"message", "debugInfo"}},
		{RouteInviteUpdated, "invite_updated", sim.InstallOptions{}, nil, 400, "", []string{"message", "debugInfo", "attachments"}},
		{RouteEntryBlacklistReview, "entry_blacklist_review", sim.InstallOptions{}, nil, 412, visitor + " is on the block list", []string{"debugInfo", "attachments"}},
		{RouteLocationCapacity, "location_capacity_updated", sim.InstallOptions{}, nil, 200, "", []string{"message"}},
		{RoutePluginUninstalled, "plugin_uninstalled", sim.InstallOptions{InstallID: "inst-1"}, nil, 200, "Forgot install inst-1", nil},
		{RouteCrash, "entry_sign_in", sim.InstallOptions{}, nil, 500, CrashMessage, nil},
		{RouteDone, "invite_removed", sim.InstallOptions{}, nil, 200, "done: invite_removed", nil},
		{RouteOngoing, "entry_sign_in", sim.InstallOptions{}, nil, 202, "", []string{"message", "debugInfo"}},
		{RouteIgnored, "plugin_uninstalled", sim.InstallOptions{}, nil, 400, "", []string{"message", "debugInfo", "attachments"}},
		{RouteFailed, "my_custom_event", sim.InstallOptions{}, nil, 412, "failed my_custom_event", []string{"debugInfo", "attachments"}},
	}
	for _, tt := range tests {
		t.Run(tt.route+"/"+tt.event, func(t *testing.T) {
			a := evPost(t, srv, tt.route, evBody(t, tt.event, events.Variant{}, tt.install, tt.edits...), "", "")
			if a.status != tt.status {
				t.Fatalf("status %d, want %d: %s", a.status, tt.status, a.raw)
			}
			if tt.message != "" && a.body["message"] != tt.message {
				t.Errorf("message = %q, want %q", a.body["message"], tt.message)
			}
			if m, _ := a.body["message"].(string); m == "" {
				t.Errorf("no message in %s", a.raw)
			}
			for _, k := range tt.keys {
				if _, ok := a.body[k]; !ok {
					t.Errorf("answer lacks %q: %s", k, a.raw)
				}
			}
			if atts, ok := a.body["attachments"]; ok {
				if _, isList := atts.([]any); !isList {
					t.Errorf("attachments = %#v, want an array", atts)
				}
			}
		})
	}
}

// routeFor is the sample route that handles event's body as the manifest
// would subscribe it, and the status it answers.
func routeFor(event string, v events.Variant) (string, int) {
	info, _ := events.Find(event)
	switch info.PayloadType {
	case events.TypeEntries:
		switch {
		case strings.HasPrefix(event, "entry_blacklist_"):
			return RouteEntryBlacklistReview, 412
		case v.SignedOut || strings.HasSuffix(event, "_sign_out"):
			return RouteEntrySignOut, 200
		}
		return RouteEntrySignIn, 200
	case events.TypeInvites:
		if strings.HasSuffix(event, "invite_updated") {
			return RouteInviteUpdated, 400
		}
		return RouteInviteCreated, 202
	case events.TypeLocations:
		return RouteLocationCapacity, 200
	}
	if event == "plugin_uninstalled" {
		return RoutePluginUninstalled, 200
	}
	return RouteDone, 200
}

// Every event the generator makes, in every variant, passes the sample
// plugin's SDK-like checks on its route and on the generic routes.
func TestEveryGeneratedEventAccepted(t *testing.T) {
	srv := evServer(t)
	variants := []events.Variant{
		{},
		{With: events.WithNames()},
		{Protect: true, With: []string{"email", "phone"}},
		{SignedOut: true, With: []string{"host", "photo"}},
	}
	names := []string{"my_custom_event"}
	for _, e := range events.All() {
		names = append(names, e.Name)
	}
	for _, event := range names {
		for _, v := range variants {
			body := evBody(t, event, v, sim.InstallOptions{Scopes: true, Config: map[string]any{"GREETING": "Hi"}})
			route, want := routeFor(event, v)
			if a := evPost(t, srv, route, body, "", ""); a.status != want {
				t.Errorf("%s %+v on %s: %d, want %d: %s", event, v, route, a.status, want, a.raw)
			}
			for route, want := range map[string]int{RouteDone: 200, RouteOngoing: 202, RouteIgnored: 400, RouteFailed: 412} {
				if a := evPost(t, srv, route, body, "", ""); a.status != want {
					t.Errorf("%s %+v on %s: %d, want %d: %s", event, v, route, a.status, want, a.raw)
				}
			}
		}
	}
}

func TestWorkerSignatureFailures(t *testing.T) {
	srv := evServer(t)
	body := evBody(t, "entry_sign_in", events.Variant{}, sim.InstallOptions{})
	good := creds.Sign(evSecret, body)
	raw := make([]byte, 32)
	for i := range raw {
		raw[i] = byte(i)
	}
	tampered := bytes.Replace(body, []byte(`"entry_sign_in"`), []byte(`"entry_sign_ix"`), 1)
	tests := []struct {
		name        string
		body        []byte
		sig         string
		contentType string
		message     string
	}{
		{"unsigned", body, "-", "", "Could not verify meta."},
		{"wrong secret", body, creds.Sign("not-the-secret", body), "", "Could not verify meta."},
		{"hex signature", body, hex.EncodeToString(raw), "", "Input buffers must have the same byte length"},
		{"base64url unpadded", body, strings.TrimRight(strings.NewReplacer("+", "-", "/", "_").Replace(good), "="), "", "Input buffers must have the same byte length"},
		{"tampered body", tampered, good, "", "Could not verify meta."},
		{"json:api content type", body, good, "application/vnd.api+json", "Could not verify meta."},
	}
	// Every worker, including the ones that never fail, refuses them.
	routes := []string{RouteEntrySignIn, RouteEntrySignOut, RouteInviteCreated, RouteInviteUpdated, RouteEntryBlacklistReview,
		RouteLocationCapacity, RoutePluginUninstalled, RouteCrash, RouteDone, RouteOngoing, RouteIgnored, RouteFailed}
	for _, tt := range tests {
		for _, route := range routes {
			a := evPost(t, srv, route, tt.body, tt.sig, tt.contentType)
			if a.status != 500 || a.body["message"] != tt.message {
				t.Errorf("%s on %s: %d %s, want 500 %q", tt.name, route, a.status, a.raw, tt.message)
			}
		}
	}
	// A correctly signed body that is not a JSON object: the SDK's error
	// middleware answers 500 (never 400, which would read as "ignored").
	for _, bad := range [][]byte{[]byte(`{"meta":`), []byte(`"a string"`)} {
		if a := evPost(t, srv, RouteEntrySignIn, bad, creds.Sign(evSecret, bad), ""); a.status != 500 {
			t.Errorf("malformed body %s: %d %s, want 500", bad, a.status, a.raw)
		}
	}
	// The same body, correctly signed, is fine.
	if a := evPost(t, srv, RouteEntrySignIn, body, good, ""); a.status != 200 {
		t.Errorf("good signature: %d %s", a.status, a.raw)
	}
}

// The sample plugin answers 500 where a generator regression would break
// an SDK-based plugin.
func TestWorkerCatchesRegressions(t *testing.T) {
	srv := evServer(t)
	tests := []struct {
		name    string
		route   string
		event   string
		v       events.Variant
		edits   []string
		message string
	}{
		{"iso signed-in-at", RouteEntrySignIn, "entry_sign_in", events.Variant{}, []string{"payload.attributes.signed-in-at=2026-11-27T10:00:00Z"},
			`signed-in-at "2026-11-27T10:00:00Z" is not in the SQL form`},
		{"missing signed-in-at", RouteEntrySignIn, "entry_sign_in", events.Variant{}, []string{"payload.attributes.signed-in-at:=null"},
			"signed-in-at (missing) is not in the SQL form"},
		{"iso signed-out-at", RouteEntrySignOut, "entry_sign_out", events.Variant{}, []string{"payload.attributes.signed-out-at=2026-11-27T10:00:00.000Z"},
			"signed-out-at"},
		{"iso legal doc", RouteEntrySignIn, "entry_sign_in", events.Variant{}, []string{"payload.attributes.legal-docs.0.signed-at=2026-11-27T10:00:00Z"},
			"legal-docs[0].signed-at"},
		{"not signed out", RouteEntrySignOut, "entry_sign_in", events.Variant{}, nil, "signed-out-at is missing"},
		{"no job id", RouteDone, "entry_sign_in", events.Variant{}, []string{"meta.job:=null"}, "meta.job.id is missing"},
		{"route meta on a worker", RouteEntrySignIn, "entry_sign_in", events.Variant{}, []string{`meta.job:={"name":"x"}`}, "meta.job.id is missing"},
		{"payload array", RouteDone, "entry_sign_in", events.Variant{}, []string{"payload:=[]"}, "payload is not a JSON object"},
		{"payload null", RouteDone, "entry_sign_in", events.Variant{}, []string{"payload:=null"}, "payload is not a JSON object"},
		{"wrong payload type", RouteEntrySignIn, "invite_created", events.Variant{}, nil, `payload.type is "invites", want "entries"`},
		{"location mismatch", RouteInviteCreated, "invite_created", events.Variant{}, []string{"payload.relationships.location.data.id=1"}, "is not meta.location.id"},
		{"no location relationship", RouteEntrySignIn, "entry_sign_in", events.Variant{}, []string{"payload.relationships:={}"}, "reading 'data'"},
		{"location payload mismatch", RouteLocationCapacity, "location_capacity_updated", events.Variant{}, []string{"payload.id=0"}, "is not meta.location.id"},
		{"no capacity", RouteLocationCapacity, "location_capacity_updated", events.Variant{}, []string{"payload.attributes.capacity-limit=12"}, `capacity-limit is "12", not a number`},
		{"no full name", RouteEntrySignIn, "entry_sign_in", events.Variant{}, []string{"payload.attributes.full-name:=null"}, "full-name is missing"},
		{"no approval status", RouteEntryBlacklistReview, "entry_sign_in", events.Variant{}, nil, "approval-status is missing"},
		{"no install id", RoutePluginUninstalled, "plugin_uninstalled", events.Variant{}, []string{"meta.install_id="}, "No install ID found in meta."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := evPost(t, srv, tt.route, evBody(t, tt.event, tt.v, sim.InstallOptions{}, tt.edits...), "", "")
			msg, _ := a.body["message"].(string)
			if a.status != 500 || !strings.Contains(msg, tt.message) {
				t.Errorf("%d %s, want 500 with %q", a.status, a.raw, tt.message)
			}
		})
	}

	// A body without payload: the SDK's payload getter fails.
	b := evBody(t, "entry_sign_in", events.Variant{}, sim.InstallOptions{})
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	delete(m, "payload")
	b, _ = json.Marshal(m)
	if a := evPost(t, srv, RouteEntrySignIn, b, "", ""); a.status != 500 || a.body["message"] != "Could not verify payload." {
		t.Errorf("no payload: %d %s", a.status, a.raw)
	}
}
