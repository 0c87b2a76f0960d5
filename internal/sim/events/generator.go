package events

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// Time layouts Envoy uses.
const (
	// SQLLayout is the form of entry signed-in-at, signed-out-at and
	// legal-docs[].signed-at: the SDK re-parses them with luxon's fromSQL.
	SQLLayout = "2006-01-02 15:04:05"
	// ISOLayout is JavaScript's toISOString(), used for every other time.
	ISOLayout = "2006-01-02T15:04:05.000Z"
)

// Generator builds event bodies. Every id, name and time derives from its
// seed and clock: the same calls on two generators with the same seed and
// clock give the same bytes. It is safe for concurrent use (each call draws
// from the fake-data source under a lock), though concurrent calls then
// interleave in no fixed order.
type Generator struct {
	mu  sync.Mutex
	f   *gofakeit.Faker
	now time.Time
}

// NewGenerator returns a generator seeded with seed whose clock is now. A
// zero now takes the clock ClockFor(seed). Unlike gofakeit.New, seed 0 is a
// seed like any other (the caller picks and prints a random seed).
func NewGenerator(seed uint64, now time.Time) *Generator {
	if now.IsZero() {
		now = ClockFor(seed)
	}
	return &Generator{
		// What gofakeit.New(seed) does for seed != 0, pinned so that 0 is
		// reproducible too.
		f:   gofakeit.NewFaker(rand.NewPCG(seed, seed), true),
		now: now.UTC().Truncate(time.Second),
	}
}

// ClockFor is the fixed clock a seed picks when no --now is given: a
// quarter hour in office hours (08:00-18:00 UTC) on a day of 2026.
func ClockFor(seed uint64) time.Time {
	day := seed % 365
	quarter := (seed / 365) % 40
	return time.Date(2026, 1, 1, 8, 0, 0, 0, time.UTC).
		AddDate(0, 0, int(day)).
		Add(time.Duration(quarter) * 15 * time.Minute)
}

// Now is the generator's clock.
func (g *Generator) Now() time.Time { return g.now }

// Install makes the fake install (plugin, install, location, company, zone,
// auth) from the generator's fake-data source. A zero o.Now takes the
// generator's clock.
func (g *Generator) Install(o sim.InstallOptions) *sim.Install {
	g.mu.Lock()
	defer g.mu.Unlock()
	if o.Now.IsZero() {
		o.Now = g.now
	}
	return sim.NewInstall(g.f, o)
}

// Event builds the body Envoy posts to the worker of event for install in:
// {"meta": ..., "payload": ...} as generic JSON values (map[string]any,
// []any, string, float64, bool, nil) so that edits (ApplySets) apply. Every
// call has a fresh job id. An unknown (custom) event gets meta and an empty
// payload object.
func (g *Generator) Event(event string, in *sim.Install, v Variant) (map[string]any, error) {
	if in == nil {
		return nil, errors.New("no install to send the event for; build one with Generator.Install")
	}
	if strings.TrimSpace(event) == "" {
		return nil, errors.New("event name required")
	}
	g.mu.Lock()
	defer g.mu.Unlock()

	jobID := g.f.UUID()
	info, _ := Find(event)
	var payload map[string]any
	var identifier string
	switch info.PayloadType {
	case TypeEntries:
		payload, identifier = g.entry(event, in, v)
	case TypeInvites:
		payload, identifier = g.invite(event, in, v)
	case TypeLocations:
		payload, identifier = g.location(in)
	default:
		// plugin_uninstalled carries no data ("none (meta only)" in
		// platform.md), and neither does a custom event. We still send
		// payload {}: an SDK-based plugin answers 500 when payload is
		// missing, and Envoy's routes send {} the same way.
		payload = map[string]any{}
		if event == "plugin_uninstalled" {
			identifier = "install:" + in.InstallID
		} else {
			identifier = "custom:" + strconv.Itoa(g.f.IntRange(1, 999999))
		}
	}
	return map[string]any{
		"meta":    g.meta(event, in, jobID, identifier),
		"payload": payload,
	}, nil
}

func (g *Generator) meta(event string, in *sim.Install, jobID, identifier string) map[string]any {
	var auth any
	if in.Auth != nil {
		auth = map[string]any{
			"token_type":               in.Auth.TokenType,
			"access_token":             in.Auth.AccessToken,
			"expires_in":               float64(in.Auth.ExpiresIn),
			"refresh_token":            in.Auth.RefreshToken,
			"refresh_token_expires_in": float64(in.Auth.RefreshTokenExpiresIn),
		}
	}
	cfg, _ := toJSON(in.Config).(map[string]any)
	if cfg == nil {
		cfg = map[string]any{}
	}
	return map[string]any{
		"event":      event,
		"plugin_id":  in.PluginID,
		"install_id": in.InstallID,
		"config":     cfg,
		"job": map[string]any{
			"id":         jobID,
			"name":       event,
			"identifier": identifier,
		},
		"location": resource(in.Location),
		"company":  resource(in.Company),
		"zone":     resource(in.Zone),
		"auth":     auth,
	}
}

// person is a fake person with an email that matches the name.
type person struct{ name, email string }

func (g *Generator) person(domain string) person {
	first, last := g.f.FirstName(), g.f.LastName()
	return person{
		name:  first + " " + last,
		email: slug(first) + "." + slug(last) + "@" + domain,
	}
}

// visitorDomain draws a personal email domain.
func (g *Generator) visitorDomain() string {
	return slug(g.f.LastName()) + "." + g.f.DomainSuffix()
}

func (g *Generator) id() string { return strconv.Itoa(g.f.IntRange(1, 999999)) }

// alnum draws n lowercase letters and digits, like faker's alphaNumeric.
func (g *Generator) alnum(n int) string {
	const chars = "abcdefghijklmnopqrstuvwxyz0123456789"
	b := make([]byte, n)
	for i := range b {
		b[i] = chars[g.f.IntRange(0, len(chars)-1)]
	}
	return string(b)
}

func (g *Generator) entry(event string, in *sim.Install, v Variant) (map[string]any, string) {
	employee := strings.HasPrefix(event, "employee_") || v.Protect
	signedOut := v.SignedOut || event == "entry_sign_out" || event == "employee_entry_sign_out"
	block := event == "entry_blacklist_review" || event == "entry_blacklist_deny"
	company := companyDomain(in)

	// Draw everything in a fixed order whatever the variant, so that
	// --with and --signed-out change only what they are about.
	id := g.id()
	personal := g.visitorDomain()
	visitor := g.person(personal)
	host := g.person(company)
	phone := g.f.PhoneFormatted()
	flowID, inviteID, deviceID, employeeID := g.id(), g.id(), g.id(), g.id()
	entranceID, agreementID, legalDocID, profileID := g.id(), g.id(), g.id(), g.id()
	purpose := g.f.RandomString([]string{"Meeting", "Interview", "Delivery", "Guest", "Contractor"})
	photoKey := g.f.UUID()
	reportUUID := g.f.UUID()
	ago := time.Duration(g.f.IntRange(0, 300)) * time.Second
	stay := time.Duration(g.f.IntRange(20*60, 8*3600)) * time.Second

	if employee {
		visitor.email = strings.SplitN(visitor.email, "@", 2)[0] + "@" + company
	}
	// A simulated install has its own flows and employees (sim.SetDirectory):
	// use their ids, so that they agree with install's resource_select.
	// Nothing more is drawn from the faker, so seeded output is unchanged
	// for installs without a directory.
	flowID = directoryFlow(in, employee, flowID)
	if e, ok := in.EmployeeFor(id); ok {
		employeeID = e.ID
		if employee {
			visitor = personOf(e)
		} else {
			host = personOf(e)
		}
	}
	signedInAt := g.now.Add(-ago)
	var signedOutAt time.Time
	if signedOut {
		signedOutAt = g.now.Add(-ago)
		signedInAt = signedOutAt.Add(-stay)
	}

	withEmail := v.has("email") || employee
	withHost := v.has("host") && !employee
	attrs := map[string]any{
		"full-name":               visitor.name,
		"email":                   orNil(withEmail, visitor.email),
		"phone-number":            orNil(v.has("phone"), phone),
		"employee-screening-flow": employee,
		"host":                    orNil(withHost, host.name),
		"host-email":              orNil(withHost, host.email),
		"private-notes":           nil,
		"signed-in-at":            signedInAt.Format(SQLLayout),
		"thumbnails":              thumbnails(v.has("photo"), "entries", id, photoKey),
		"flow-name":               "Visitor",
		"nda":                     nil,
		"legal-docs":              []any{},
	}
	if signedOut {
		attrs["signed-out-at"] = signedOutAt.Format(SQLLayout)
	}
	userData := []any{field("Your Full Name", visitor.name)}
	if withEmail {
		userData = append(userData, field("Your Email Address", visitor.email))
	}
	if v.has("phone") {
		userData = append(userData, field("Your Phone Number", phone))
	}

	rel := map[string]any{
		"location": relation(in.Location.ID, "locations"),
		"flow":     relation(flowID, "flows"),
	}
	payload := map[string]any{"id": id, "type": TypeEntries, "attributes": attrs, "relationships": rel}
	if employee {
		attrs["flow-name"] = "Employee registration"
		rel["employee"] = relation(employeeID, "employees")
		rel["invite"] = relation(inviteID, "invites")
	} else {
		userData = append(userData, field("Purpose of visit", purpose))
		if withHost {
			userData = append(userData, field("Host", host.name))
			rel["employee"] = relation(employeeID, "employees")
		}
		if v.has("invite") {
			rel["invite"] = relation(inviteID, "invites")
		}
		if v.has("device") {
			rel["device"] = relation(deviceID, "devices")
		}
		rel["visitor-entrance"] = relation(entranceID, "visitor-entrances")
		nda := fmt.Sprintf("https://files.example.com/entries/%s/legal-docs/%s.pdf", id, legalDocID)
		attrs["nda"] = nda
		attrs["legal-docs"] = []any{map[string]any{
			"id":        legalDocID,
			"url":       nda,
			"signed-at": signedInAt.Format(SQLLayout),
			"agreement": map[string]any{"id": agreementID},
		}}
		rel["agreeable-ndas"] = map[string]any{"data": []any{
			map[string]any{"id": legalDocID, "type": "agreeable-ndas"},
		}}
		payload["visitor-profile-id"] = profileID
	}
	attrs["user-data"] = userData
	if block {
		attrs["approval-status"] = approvalStatus(event, visitor.name, reportUUID)
	}
	return payload, "vr:entry:" + id
}

// approvalStatus is the block-list report of entry_blacklist_* events, in
// the shape of the SDK's EntryPayload type.
func approvalStatus(event, name, reportUUID string) map[string]any {
	status, text := "pending", name+" matches an entry of the block list: review before letting them in."
	if event == "entry_blacklist_deny" {
		status, text = "denied", name+" matches an entry of the block list and was denied entry."
	}
	return map[string]any{
		"status":        status,
		"auto-approved": false,
		"report": []any{map[string]any{
			"reason": "Full name matches a block list entry",
			"result": "fail",
			"source": "blacklist",
			"messages": []any{map[string]any{
				"failure": map[string]any{"header": "Block list match", "text": text},
			}},
		}},
		"blacklistReportUUID": reportUUID,
	}
}

func (g *Generator) invite(event string, in *sim.Install, v Variant) (map[string]any, string) {
	employee := strings.HasPrefix(event, "employee_") || v.Protect
	base := strings.TrimPrefix(event, "employee_")
	company := companyDomain(in)

	id := g.id()
	personal := g.visitorDomain()
	visitor := g.person(personal)
	inviter := g.person(company)
	phone := g.f.PhoneFormatted()
	// Expected in office hours, one to three days from now.
	y, m, d := g.now.Date()
	arrival := time.Date(y, m, d+g.f.IntRange(1, 3), 8, 0, 0, 0, time.UTC).
		Add(time.Duration(g.f.IntRange(0, 39)) * 15 * time.Minute)
	secret, edit := g.alnum(10), g.alnum(10)
	photoKey, qrKey := g.f.UUID(), g.f.UUID()
	flowID, employeeID, inviteeID, creatorID := g.id(), g.id(), g.id(), g.id()
	notes := g.f.Sentence(8)
	purpose := g.f.RandomString([]string{"Meeting", "Interview", "Delivery", "Guest", "Contractor"})

	if employee {
		visitor.email = strings.SplitN(visitor.email, "@", 2)[0] + "@" + company
	}
	flowID = directoryFlow(in, employee, flowID)
	if e, ok := in.EmployeeFor(id); ok {
		if employee {
			inviteeID, visitor = e.ID, personOf(e)
		} else {
			employeeID, inviter = e.ID, personOf(e)
		}
	}
	withEmail := v.has("email") || employee
	withHost := v.has("host") && !employee
	flowName := "Visitor"
	if employee {
		flowName = "Employee registration"
	}
	photo := any(nil)
	if v.has("photo") {
		photo = fmt.Sprintf("https://photos.example.com/invites/%s/%s/original.jpg", id, photoKey)
	}
	attrs := map[string]any{
		"employee-screening-flow":  employee,
		"full-name":                visitor.name,
		"email":                    orNil(withEmail, visitor.email),
		"inviter-name":             orNil(withHost, inviter.name),
		"inviter-email":            orNil(withHost, inviter.email),
		"expected-arrival-time":    arrival.Format(ISOLayout),
		"private-notes":            nil,
		"arrived":                  false,
		"been-here-before":         false,
		"flow-name":                flowName,
		"flow-id":                  flowID,
		"secret-token":             secret,
		"edit-token":               edit,
		"photo-url":                photo,
		"qr-code":                  nil,
		"qr-code-sent-at":          nil,
		"preregistration-complete": false,
		"reminder-sent-at":         nil,
		"legal-docs":               []any{},
	}
	userData := []any{field("Your Full Name", visitor.name)}
	if withEmail {
		userData = append(userData, field("Your Email Address", visitor.email))
	}
	if v.has("phone") {
		userData = append(userData, field("Your Phone Number", phone))
	}
	if !employee {
		userData = append(userData, field("Purpose of visit", purpose))
	}
	if withHost {
		userData = append(userData, field("Host", inviter.name))
	}
	attrs["user-data"] = userData

	switch base {
	case "invite_updated":
		// Which attributes changed: Envoy's docs name the key without its
		// shape; we send the dash-case names of the changed attributes.
		attrs["private-notes"] = notes
		attrs["changed-fields"] = []any{"expected-arrival-time", "private-notes"}
	case "upcoming_visit":
		attrs["reminder-sent-at"] = g.now.Format(ISOLayout)
	case "qr_code_sent":
		attrs["qr-code"] = fmt.Sprintf("https://qr.example.com/invites/%s/%s.png", id, qrKey)
		attrs["qr-code-sent-at"] = g.now.Format(ISOLayout)
		attrs["preregistration-complete"] = true
	}

	rel := map[string]any{
		"location": relation(in.Location.ID, "locations"),
		"flow":     relation(flowID, "flows"),
		"creator":  relation(creatorID, "users"),
	}
	if withHost {
		rel["employee"] = relation(employeeID, "employees")
	}
	if employee {
		// The invitee is an employee: the SDK's invite factory sets the
		// employee relationship on the employee screening flow, so plugins
		// read it there; invitee-employee names the same employee.
		rel["employee"] = relation(inviteeID, "employees")
		rel["invitee-employee"] = relation(inviteeID, "employees")
	}
	return map[string]any{"id": id, "type": TypeInvites, "attributes": attrs, "relationships": rel}, "vr:invite:" + id
}

func (g *Generator) location(in *sim.Install) (map[string]any, string) {
	attrs, _ := toJSON(in.Location.Attributes).(map[string]any)
	if attrs == nil {
		attrs = map[string]any{}
	}
	// The payload is an API location resource (the SDK's LocationModel),
	// whose street lines are address-line-1/-2; meta.location (the SDK's
	// meta type) spells them address-line-one/-two.
	for from, to := range map[string]string{"address-line-one": "address-line-1", "address-line-two": "address-line-2"} {
		if v, ok := attrs[from]; ok {
			attrs[to] = v
			delete(attrs, from)
		}
	}
	attrs["capacity-limit"] = float64(g.f.IntRange(2, 100) * 5)
	attrs["updated-at"] = g.now.Format(ISOLayout)
	return map[string]any{
		"id":         in.Location.ID,
		"type":       TypeLocations,
		"attributes": attrs,
		"relationships": map[string]any{
			"company": relation(in.Company.ID, "companies"),
		},
	}, "location:" + in.Location.ID
}

func thumbnails(with bool, kind, id, key string) map[string]any {
	t := map[string]any{"large": nil, "original": nil, "small": nil}
	if with {
		for _, size := range []string{"large", "original", "small"} {
			t[size] = fmt.Sprintf("https://photos.example.com/%s/%s/%s/%s.jpg", kind, id, key, size)
		}
	}
	return t
}

func relation(id, typ string) map[string]any {
	return map[string]any{"data": map[string]any{"id": id, "type": typ}}
}

func field(name, value string) map[string]any {
	return map[string]any{"field": name, "value": value}
}

func orNil(ok bool, s string) any {
	if ok {
		return s
	}
	return nil
}

// companyDomain is the install's company's email domain.
// directoryFlow is the id of the install's Visitor (or Employee
// registration) flow when the install has a directory, else fallback.
func directoryFlow(in *sim.Install, employee bool, fallback string) string {
	name := "Visitor"
	if employee {
		name = "Employee registration"
	}
	if f, ok := in.Flow(name); ok {
		return f.ID
	}
	return fallback
}

// personOf is a directory employee as a person of the payload.
func personOf(r sim.Resource) person {
	name, _ := r.Attributes["name"].(string)
	email, _ := r.Attributes["email"].(string)
	return person{name: name, email: email}
}

func companyDomain(in *sim.Install) string {
	name, _ := in.Company.Attributes["name"].(string)
	if s := slug(name); s != "" {
		return s + ".com"
	}
	return "example.com"
}

// slug keeps the lowercase letters and digits of s.
func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func resource(r sim.Resource) map[string]any {
	m := map[string]any{"id": r.ID, "type": r.Type}
	attrs, _ := toJSON(r.Attributes).(map[string]any)
	if attrs == nil {
		attrs = map[string]any{}
	}
	m["attributes"] = attrs
	if len(r.Relationships) > 0 {
		m["relationships"] = toJSON(r.Relationships)
	}
	return m
}

// toJSON deep-copies v into generic JSON values (maps, []any, string,
// float64, bool, nil), so that edits to a body never reach the install.
func toJSON(v any) any {
	switch x := v.(type) {
	case nil:
		return nil
	case map[string]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[k] = toJSON(e)
		}
		return m
	case []any:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = toJSON(e)
		}
		return s
	case []string:
		s := make([]any, len(x))
		for i, e := range x {
			s[i] = e
		}
		return s
	case string, bool, float64:
		return x
	case int:
		return float64(x)
	case int64:
		return float64(x)
	case float32:
		return float64(x)
	case json.Number:
		if f, err := x.Float64(); err == nil {
			return f
		}
		return x.String()
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	var out any
	if err := json.Unmarshal(b, &out); err != nil {
		return nil
	}
	return out
}
