package events

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/golden/events")

var goldenNow = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func goldenDir() string { return filepath.Join("..", "..", "..", "testdata", "golden", "events") }

// pretty encodes like the goldens: indented, no HTML escaping, a final newline.
func pretty(t testing.TB, v any) []byte {
	t.Helper()
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// generate builds one event on a fresh generator at seed, as the goldens do.
func generate(t testing.TB, seed uint64, event string, v Variant, o sim.InstallOptions) map[string]any {
	t.Helper()
	g := NewGenerator(seed, goldenNow)
	body, err := g.Event(event, g.Install(o), v)
	if err != nil {
		t.Fatalf("Event(%s): %v", event, err)
	}
	return body
}

type goldenCase struct {
	file    string
	event   string
	variant Variant
	install sim.InstallOptions
}

func goldenCases() []goldenCase {
	var cs []goldenCase
	for _, e := range All() {
		cs = append(cs, goldenCase{file: e.Name, event: e.Name})
	}
	all := WithNames()
	return append(cs,
		goldenCase{file: "custom_event", event: "my_custom_event"},
		goldenCase{file: "entry_sign_in--with-all", event: "entry_sign_in", variant: Variant{With: all}},
		goldenCase{file: "entry_sign_in--protect", event: "entry_sign_in", variant: Variant{Protect: true}},
		goldenCase{file: "entry_sign_in--signed-out", event: "entry_sign_in", variant: Variant{SignedOut: true}},
		goldenCase{file: "invite_created--with-all", event: "invite_created", variant: Variant{With: all}},
		goldenCase{file: "entry_sign_in--scopes-config", event: "entry_sign_in",
			install: sim.InstallOptions{Scopes: true, Config: map[string]any{"GREETING": "Hola", "NOTIFY_HOST": true}}},
	)
}

func TestGolden(t *testing.T) {
	if *update {
		if err := os.MkdirAll(goldenDir(), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range goldenCases() {
		t.Run(c.file, func(t *testing.T) {
			got := pretty(t, generate(t, 1, c.event, c.variant, c.install))
			path := filepath.Join(goldenDir(), c.file+".json")
			if *update {
				if err := os.WriteFile(path, got, 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test ./internal/sim/events -update)", err)
			}
			if !bytes.Equal(got, want) {
				t.Errorf("%s differs from the golden file; if the change is meant, rerun with -update\ngot:\n%s", path, got)
			}
		})
	}
}

// path walks a generic JSON value; ok is false when a step is missing.
func path(v any, keys ...string) (any, bool) {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		v, ok = m[k]
		if !ok {
			return nil, false
		}
	}
	return v, true
}

func str(t *testing.T, v any, keys ...string) string {
	t.Helper()
	x, ok := path(v, keys...)
	if !ok {
		t.Fatalf("%s missing", strings.Join(keys, "."))
	}
	s, ok := x.(string)
	if !ok {
		t.Fatalf("%s = %#v, want a string", strings.Join(keys, "."), x)
	}
	return s
}

// The attributes platform.md lists for each payload type.
var (
	entryAttrs = []string{"full-name", "email", "phone-number", "employee-screening-flow", "host", "host-email",
		"private-notes", "signed-in-at", "thumbnails", "flow-name", "user-data", "nda", "legal-docs"}
	inviteAttrs = []string{"full-name", "email", "inviter-name", "inviter-email", "expected-arrival-time",
		"private-notes", "arrived", "been-here-before", "flow-name", "flow-id", "user-data", "secret-token",
		"edit-token", "photo-url", "qr-code", "qr-code-sent-at", "preregistration-complete", "reminder-sent-at",
		"legal-docs"}
	locationAttrs = []string{"name", "timezone", "address", "city", "created-at", "capacity-limit"}
	metaKeys      = []string{"event", "plugin_id", "install_id", "config", "job", "location", "company", "zone", "auth"}
)

var uuidRe = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestEveryEventFollowsPlatform(t *testing.T) {
	variants := map[string]Variant{
		"default":    {},
		"with-all":   {With: WithNames()},
		"protect":    {Protect: true},
		"signed-out": {SignedOut: true, With: []string{"host"}},
	}
	names := []string{"my_custom_event"}
	for _, e := range All() {
		names = append(names, e.Name)
	}
	for _, event := range names {
		for vname, v := range variants {
			t.Run(event+"/"+vname, func(t *testing.T) {
				body := generate(t, 7, event, v, sim.InstallOptions{})
				checkBody(t, event, v, body)
			})
		}
	}
}

func checkBody(t *testing.T, event string, v Variant, body map[string]any) {
	t.Helper()
	if len(body) != 2 {
		t.Errorf("body keys = %v, want meta and payload only", keys(body))
	}
	meta, _ := body["meta"].(map[string]any)
	for _, k := range metaKeys {
		if _, ok := meta[k]; !ok {
			t.Errorf("meta.%s missing", k)
		}
	}
	if got := str(t, meta, "event"); got != event {
		t.Errorf("meta.event = %q, want %q", got, event)
	}
	if got := str(t, meta, "job", "name"); got != event {
		t.Errorf("meta.job.name = %q, want %q", got, event)
	}
	if id := str(t, meta, "job", "id"); !uuidRe.MatchString(id) {
		t.Errorf("meta.job.id = %q, want a uuid", id)
	}
	if str(t, meta, "job", "identifier") == "" {
		t.Error("meta.job.identifier is empty")
	}
	for k, typ := range map[string]string{"location": "locations", "company": "companies", "zone": "zones"} {
		if got := str(t, meta, k, "type"); got != typ {
			t.Errorf("meta.%s.type = %q, want %q", k, got, typ)
		}
		str(t, meta, k, "id")
		if _, ok := path(meta, k, "attributes"); !ok {
			t.Errorf("meta.%s.attributes missing", k)
		}
	}
	if _, err := time.Parse(ISOLayout, str(t, meta, "location", "attributes", "created-at")); err != nil {
		t.Errorf("meta.location created-at: %v", err)
	}
	if meta["auth"] != nil {
		t.Errorf("meta.auth = %v, want null for an install without scopes", meta["auth"])
	}

	payload, ok := body["payload"].(map[string]any)
	if !ok {
		t.Fatalf("payload = %#v, want an object", body["payload"])
	}
	info, _ := Find(event)
	locID := str(t, meta, "location", "id")
	switch info.PayloadType {
	case TypeEntries:
		checkEntry(t, event, v, payload, locID)
	case TypeInvites:
		checkInvite(t, event, v, payload, locID)
	case TypeLocations:
		if got := str(t, payload, "type"); got != "locations" {
			t.Errorf("payload.type = %q", got)
		}
		if got := str(t, payload, "id"); got != locID {
			t.Errorf("payload.id = %q, want meta.location.id %q", got, locID)
		}
		if got, want := str(t, payload, "relationships", "company", "data", "id"), str(t, meta, "company", "id"); got != want {
			t.Errorf("company relationship %q, want meta.company.id %q", got, want)
		}
		hasAll(t, payload, locationAttrs)
	default:
		if len(payload) != 0 {
			t.Errorf("payload = %v, want {}", payload)
		}
	}
}

func hasAll(t *testing.T, payload map[string]any, attrs []string) map[string]any {
	t.Helper()
	a, ok := payload["attributes"].(map[string]any)
	if !ok {
		t.Fatal("payload.attributes missing")
	}
	for _, k := range attrs {
		if _, ok := a[k]; !ok {
			t.Errorf("payload.attributes.%s missing", k)
		}
	}
	for k := range a {
		if strings.Contains(k, "_") && k != "blacklistReportUUID" {
			t.Errorf("attribute %q is not dash-case", k)
		}
	}
	return a
}

func checkRelations(t *testing.T, payload map[string]any, locID string) map[string]any {
	t.Helper()
	if got := str(t, payload, "relationships", "location", "data", "id"); got != locID {
		t.Errorf("relationships.location.data.id = %q, want meta.location.id %q", got, locID)
	}
	if got := str(t, payload, "relationships", "location", "data", "type"); got != "locations" {
		t.Errorf("relationships.location.data.type = %q", got)
	}
	rel := payload["relationships"].(map[string]any)
	for name, r := range rel {
		switch d := r.(map[string]any)["data"].(type) {
		case map[string]any:
			if d["id"] == "" || d["type"] == "" {
				t.Errorf("relationship %s = %v", name, d)
			}
		case []any:
		default:
			t.Errorf("relationship %s data = %#v", name, d)
		}
	}
	return rel
}

func sqlTime(t *testing.T, what string, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	tm, err := time.Parse(SQLLayout, s)
	if err != nil {
		t.Fatalf("%s = %#v: not in SQL form: %v", what, v, err)
	}
	if _, err := ParseSQLTime(s); err != nil {
		t.Errorf("%s: ParseSQLTime: %v", what, err)
	}
	return tm
}

func checkEntry(t *testing.T, event string, v Variant, payload map[string]any, locID string) {
	t.Helper()
	if str(t, payload, "type") != "entries" {
		t.Errorf("payload.type = %v", payload["type"])
	}
	a := hasAll(t, payload, entryAttrs)
	rel := checkRelations(t, payload, locID)
	employee := v.Protect || strings.HasPrefix(event, "employee_")
	signedOut := v.SignedOut || strings.HasSuffix(event, "_sign_out")

	in := sqlTime(t, "signed-in-at", a["signed-in-at"])
	if in.After(goldenNow) {
		t.Errorf("signed-in-at %v is after now", in)
	}
	out, has := a["signed-out-at"]
	if has != signedOut {
		t.Errorf("signed-out-at present = %v, want %v", has, signedOut)
	}
	if has {
		o := sqlTime(t, "signed-out-at", out)
		if !o.After(in) || o.After(goldenNow) {
			t.Errorf("signed-out-at %v not between signed-in-at %v and now", o, in)
		}
	}
	for i, d := range a["legal-docs"].([]any) {
		doc := d.(map[string]any)
		sqlTime(t, "legal-docs signed-at", doc["signed-at"])
		if i == 0 {
			ndas, _ := path(rel, "agreeable-ndas", "data")
			if l, _ := ndas.([]any); len(l) == 0 || l[0].(map[string]any)["id"] != doc["id"] {
				t.Errorf("agreeable-ndas %v do not match legal-docs id %v", ndas, doc["id"])
			}
		}
	}
	thumbs := a["thumbnails"].(map[string]any)
	for _, size := range []string{"large", "original", "small"} {
		if _, ok := thumbs[size]; !ok {
			t.Errorf("thumbnails.%s missing", size)
		}
		if (thumbs[size] != nil) != v.has("photo") {
			t.Errorf("thumbnails.%s = %v with photo=%v", size, thumbs[size], v.has("photo"))
		}
	}
	if a["employee-screening-flow"] != employee {
		t.Errorf("employee-screening-flow = %v, want %v", a["employee-screening-flow"], employee)
	}
	if (a["email"] != nil) != (employee || v.has("email")) {
		t.Errorf("email = %v", a["email"])
	}
	if (a["phone-number"] != nil) != v.has("phone") {
		t.Errorf("phone-number = %v", a["phone-number"])
	}
	withHost := v.has("host") && !employee
	if (a["host"] != nil) != withHost || (a["host-email"] != nil) != withHost {
		t.Errorf("host = %v, host-email = %v, want set: %v", a["host"], a["host-email"], withHost)
	}
	_, hasEmployee := rel["employee"]
	if hasEmployee != (withHost || employee) {
		t.Errorf("employee relationship present = %v", hasEmployee)
	}
	_, hasInvite := rel["invite"]
	if hasInvite != (v.has("invite") || employee) {
		t.Errorf("invite relationship present = %v", hasInvite)
	}
	_, hasDevice := rel["device"]
	if hasDevice != (v.has("device") && !employee) {
		t.Errorf("device relationship present = %v", hasDevice)
	}
	st, hasStatus := a["approval-status"].(map[string]any)
	if block := strings.HasPrefix(event, "entry_blacklist_"); hasStatus != block {
		t.Errorf("approval-status present = %v on %s", hasStatus, event)
	}
	if hasStatus {
		want := map[string]string{"entry_blacklist_review": "pending", "entry_blacklist_deny": "denied"}[event]
		if st["status"] != want || st["auto-approved"] != false {
			t.Errorf("approval-status = %v", st)
		}
		if r, _ := st["report"].([]any); len(r) == 0 {
			t.Errorf("approval-status.report empty")
		}
	}
}

func checkInvite(t *testing.T, event string, v Variant, payload map[string]any, locID string) {
	t.Helper()
	if str(t, payload, "type") != "invites" {
		t.Errorf("payload.type = %v", payload["type"])
	}
	a := hasAll(t, payload, inviteAttrs)
	rel := checkRelations(t, payload, locID)
	employee := v.Protect || strings.HasPrefix(event, "employee_")
	if _, err := time.Parse(ISOLayout, a["expected-arrival-time"].(string)); err != nil {
		t.Errorf("expected-arrival-time: %v", err)
	}
	for _, k := range []string{"qr-code-sent-at", "reminder-sent-at"} {
		if s, ok := a[k].(string); ok {
			if _, err := time.Parse(ISOLayout, s); err != nil {
				t.Errorf("%s: %v", k, err)
			}
		}
	}
	_, changed := a["changed-fields"]
	if want := strings.HasSuffix(event, "invite_updated"); changed != want {
		t.Errorf("changed-fields present = %v on %s", changed, event)
	}
	if (a["reminder-sent-at"] != nil) != strings.HasSuffix(event, "upcoming_visit") {
		t.Errorf("reminder-sent-at = %v on %s", a["reminder-sent-at"], event)
	}
	if (a["qr-code"] != nil) != (event == "qr_code_sent") {
		t.Errorf("qr-code = %v on %s", a["qr-code"], event)
	}
	if a["employee-screening-flow"] != employee {
		t.Errorf("employee-screening-flow = %v", a["employee-screening-flow"])
	}
	withHost := v.has("host") && !employee
	if (a["inviter-name"] != nil) != withHost {
		t.Errorf("inviter-name = %v", a["inviter-name"])
	}
	if (a["photo-url"] != nil) != v.has("photo") {
		t.Errorf("photo-url = %v", a["photo-url"])
	}
	if got, want := str(t, rel, "flow", "data", "id"), a["flow-id"]; got != want {
		t.Errorf("flow relationship %v, flow-id %v", got, want)
	}
	if _, ok := rel["invitee-employee"]; ok != employee {
		t.Errorf("invitee-employee present = %v", ok)
	}
}

func keys(m map[string]any) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// sequence generates every event in turn on one generator, as --all does.
func sequence(t *testing.T, seed uint64) []byte {
	g := NewGenerator(seed, goldenNow)
	in := g.Install(sim.InstallOptions{Scopes: true})
	var buf bytes.Buffer
	for _, e := range All() {
		body, err := g.Event(e.Name, in, Variant{With: WithNames()})
		if err != nil {
			t.Fatal(err)
		}
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		buf.Write(b)
	}
	return buf.Bytes()
}

func TestDeterminism(t *testing.T) {
	a, b := sequence(t, 42), sequence(t, 42)
	if !bytes.Equal(a, b) {
		t.Fatal("the same seed and clock gave different bodies")
	}
	if bytes.Equal(a, sequence(t, 43)) {
		t.Fatal("different seeds gave the same bodies")
	}
	zeroA, zeroB := sequence(t, 0), sequence(t, 0)
	if !bytes.Equal(zeroA, zeroB) {
		t.Fatal("seed 0 is not reproducible")
	}
	g1 := NewGenerator(42, goldenNow.Add(time.Hour))
	g2 := NewGenerator(42, goldenNow)
	b1, _ := g1.Event("entry_sign_in", g1.Install(sim.InstallOptions{}), Variant{})
	b2, _ := g2.Event("entry_sign_in", g2.Install(sim.InstallOptions{}), Variant{})
	if bytes.Equal(pretty(t, b1), pretty(t, b2)) {
		t.Fatal("a different clock gave the same body")
	}
}

func TestVariantsKeepTheSamePeople(t *testing.T) {
	a := generate(t, 9, "entry_sign_in", Variant{}, sim.InstallOptions{})
	b := generate(t, 9, "entry_sign_in", Variant{With: WithNames()}, sim.InstallOptions{})
	na, _ := path(a, "payload", "attributes", "full-name")
	nb, _ := path(b, "payload", "attributes", "full-name")
	if na != nb {
		t.Errorf("--with changed the visitor: %v vs %v", na, nb)
	}
}

func TestFreshJobIDPerCall(t *testing.T) {
	g := NewGenerator(3, goldenNow)
	in := g.Install(sim.InstallOptions{})
	seen := map[string]bool{}
	for range 20 {
		body, err := g.Event("entry_sign_in", in, Variant{})
		if err != nil {
			t.Fatal(err)
		}
		id := str(t, body, "meta", "job", "id")
		if seen[id] {
			t.Fatalf("job id %s repeated", id)
		}
		seen[id] = true
	}
}

func TestAuthAndConfig(t *testing.T) {
	cfg := map[string]any{"GREETING": "Hola", "LIST": []string{"a"}, "N": 3}
	g := NewGenerator(5, goldenNow)
	in := g.Install(sim.InstallOptions{Scopes: true, Config: cfg, PluginID: "plug", InstallID: "inst"})
	body, err := g.Event("invite_created", in, Variant{})
	if err != nil {
		t.Fatal(err)
	}
	meta := body["meta"].(map[string]any)
	if meta["plugin_id"] != "plug" || meta["install_id"] != "inst" {
		t.Errorf("ids = %v, %v", meta["plugin_id"], meta["install_id"])
	}
	if str(t, meta, "auth", "token_type") != "Bearer" || str(t, meta, "auth", "access_token") == "" {
		t.Errorf("auth = %v", meta["auth"])
	}
	want := map[string]any{"GREETING": "Hola", "LIST": []any{"a"}, "N": float64(3)}
	if string(pretty(t, meta["config"])) != string(pretty(t, want)) {
		t.Errorf("config = %v, want %v", meta["config"], want)
	}
	// Edits to a body never reach the install.
	if err := ApplySets(body, []Set{{Path: []string{"meta", "config", "GREETING"}, Value: "Hi"},
		{Path: []string{"meta", "location", "attributes", "name"}, Value: "X"}}); err != nil {
		t.Fatal(err)
	}
	if cfg["GREETING"] != "Hola" || in.Location.Attributes["name"] == "X" {
		t.Error("editing the body changed the install")
	}
}

func TestEventErrors(t *testing.T) {
	g := NewGenerator(1, goldenNow)
	if _, err := g.Event("entry_sign_in", nil, Variant{}); err == nil {
		t.Error("no error without an install")
	}
	if _, err := g.Event(" ", g.Install(sim.InstallOptions{}), Variant{}); err == nil {
		t.Error("no error for an empty event name")
	}
}

func TestConcurrentUse(t *testing.T) {
	g := NewGenerator(11, goldenNow)
	in := g.Install(sim.InstallOptions{})
	var wg sync.WaitGroup
	ids := make(chan string, 64)
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range 8 {
				body, err := g.Event(All()[i].Name, in, Variant{})
				if err != nil {
					t.Error(err)
					return
				}
				ids <- body["meta"].(map[string]any)["job"].(map[string]any)["id"].(string)
			}
		}()
	}
	wg.Wait()
	close(ids)
	seen := map[string]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("job id %s repeated under concurrency", id)
		}
		seen[id] = true
	}
}

func TestClockFor(t *testing.T) {
	for _, seed := range []uint64{0, 1, 364, 365, 1 << 40, ^uint64(0)} {
		c := ClockFor(seed)
		if c.Year() != 2026 || c.Hour() < 8 || c.Hour() >= 18 || c.Minute()%15 != 0 {
			t.Errorf("ClockFor(%d) = %v", seed, c)
		}
	}
	if ClockFor(1).Equal(ClockFor(2)) {
		t.Error("ClockFor ignores the seed")
	}
	if got := NewGenerator(8, time.Time{}).Now(); !got.Equal(ClockFor(8)) {
		t.Errorf("zero now = %v, want ClockFor(8)", got)
	}
}

func TestAllAndFind(t *testing.T) {
	evs := All()
	if len(evs) != 17 {
		t.Errorf("%d events, want the 17 of platform.md", len(evs))
	}
	seen := map[string]bool{}
	for _, e := range evs {
		if seen[e.Name] || e.Description == "" {
			t.Errorf("event %+v duplicated or undescribed", e)
		}
		seen[e.Name] = true
		got, ok := Find(e.Name)
		if !ok || got != e {
			t.Errorf("Find(%s) = %+v, %v", e.Name, got, ok)
		}
	}
	if _, ok := Find("entry_sigin_in"); ok {
		t.Error("Find accepted a typo")
	}
	if got := Suggest("entry_sigin_in"); got != "entry_sign_in" {
		t.Errorf("Suggest = %q", got)
	}
	if got := Suggest("zzzzzzzz"); got != "" {
		t.Errorf("Suggest(far) = %q", got)
	}
	evs[0].Name = "changed"
	if All()[0].Name != "entry_sign_in" {
		t.Error("All shares its slice")
	}
}

func TestParseWith(t *testing.T) {
	tests := []struct {
		in      string
		want    []string
		wantErr string
	}{
		{"", nil, ""},
		{"host", []string{"host"}, ""},
		{"host, Email ,host,,photo", []string{"host", "email", "photo"}, ""},
		{"all", WithNames(), ""},
		{"device,all", []string{"device", "host", "email", "phone", "photo", "invite"}, ""},
		{"hots", nil, `unknown --with value "hots" (did you mean "host"?)`},
		{"banana", nil, `unknown --with value "banana"; use`},
	}
	for _, tt := range tests {
		got, err := ParseWith(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("ParseWith(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !slices.Equal(got, tt.want) {
			t.Errorf("ParseWith(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestIgnored(t *testing.T) {
	tests := []struct {
		event string
		v     Variant
		want  []string
	}{
		{"entry_sign_in", Variant{With: WithNames(), SignedOut: true}, nil},
		{"entry_sign_in", Variant{Protect: true, With: []string{"host", "email"}}, []string{"--with host"}},
		{"employee_entry_sign_in", Variant{With: []string{"device", "phone"}}, []string{"--with device"}},
		{"invite_created", Variant{SignedOut: true, With: []string{"invite", "host"}}, []string{"--signed-out", "--with invite"}},
		{"plugin_uninstalled", Variant{Protect: true, With: []string{"host"}}, []string{"--protect", "--with host"}},
		{"location_capacity_updated", Variant{}, nil},
	}
	for _, tt := range tests {
		if got := Ignored(tt.event, tt.v); !slices.Equal(got, tt.want) {
			t.Errorf("Ignored(%s, %+v) = %v, want %v", tt.event, tt.v, got, tt.want)
		}
	}
}

func BenchmarkEvent(b *testing.B) {
	g := NewGenerator(1, goldenNow)
	in := g.Install(sim.InstallOptions{})
	b.ReportAllocs()
	for b.Loop() {
		body, err := g.Event("entry_sign_in", in, Variant{With: WithNames()})
		if err != nil {
			b.Fatal(err)
		}
		if _, err := json.Marshal(body); err != nil {
			b.Fatal(err)
		}
	}
}

// Like the SDK's invite factory, an invite on the employee screening flow
// (employee_* events, --protect) names the employee in relationships.employee.
func TestEmployeeInvitesHaveTheEmployeeRelationship(t *testing.T) {
	for _, c := range []struct {
		event string
		v     Variant
	}{{"employee_invite_created", Variant{}}, {"employee_upcoming_visit", Variant{}}, {"invite_created", Variant{Protect: true}}} {
		b := generate(t, 4, c.event, c.v, sim.InstallOptions{})
		typ, _ := path(b, "payload", "relationships", "employee", "data", "type")
		id, _ := path(b, "payload", "relationships", "employee", "data", "id")
		invitee, _ := path(b, "payload", "relationships", "invitee-employee", "data", "id")
		if typ != "employees" || id == nil || id == "" || id != invitee {
			t.Errorf("%s %+v: employee relationship %v/%v (invitee-employee %v)", c.event, c.v, typ, id, invitee)
		}
	}
}
