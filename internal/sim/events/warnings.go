package events

import (
	"encoding/json"
	"fmt"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
)

// MaxBody is the largest body an SDK-based plugin accepts: body-parser's
// default JSON limit, "100kb", which the bytes package reads as 100 KiB.
const MaxBody = 100 * 1024

// Warnings lists what in body would break, or silently change, inside a
// plugin built on Envoy's Node.js SDK: a body over 100 kB, invalid JSON, a
// missing or non-object meta or payload, a missing job id, keys Envoy never
// sends at the top level, and entry times the SDK cannot read (luxon's
// fromSQL turns anything but the SQL form into null).
func Warnings(body []byte) []string {
	var w []string
	if len(body) > MaxBody {
		w = append(w, fmt.Sprintf("the body is %d bytes: an SDK plugin refuses bodies over 100 kB (%d bytes) and answers 500 \"request entity too large\"", len(body), MaxBody))
	}
	var doc any
	if err := json.Unmarshal(body, &doc); err != nil {
		return append(w, fmt.Sprintf("the body is not valid JSON (%v): an SDK plugin answers 500", err))
	}
	obj, ok := doc.(map[string]any)
	if !ok {
		return append(w, fmt.Sprintf("the body is %s, not a JSON object: an SDK plugin finds no meta or payload in it", kindOf(doc)))
	}

	meta, hasMeta := obj["meta"]
	switch m := meta.(type) {
	case map[string]any:
		w = append(w, jobWarnings(m)...)
	default:
		if !hasMeta {
			w = append(w, "the body has no meta: an SDK plugin fails (500) as soon as it reads meta")
		} else {
			w = append(w, fmt.Sprintf("meta is %s, not an object: an SDK plugin fails (500) as soon as it reads meta", kindOf(meta)))
		}
	}

	payload, hasPayload := obj["payload"]
	p, isObj := payload.(map[string]any)
	switch {
	case !hasPayload:
		w = append(w, "the body has no payload: an SDK plugin answers 500 when payload is missing; send {} when there is no data")
	case !isObj:
		w = append(w, fmt.Sprintf("payload is %s, not an object: an SDK plugin expects a JSON object", kindOf(payload)))
	}

	var extra []string
	for k := range obj {
		if k != "meta" && k != "payload" {
			extra = append(extra, k)
		}
	}
	slices.Sort(extra)
	for _, k := range extra {
		w = append(w, fmt.Sprintf("unexpected top-level key %q: Envoy sends only meta and payload (a typo in --set?)", k))
	}

	if isObj && isEntry(p, meta) {
		w = append(w, entryTimeWarnings(p)...)
	}
	return w
}

func jobWarnings(meta map[string]any) []string {
	job, ok := meta["job"].(map[string]any)
	if !ok {
		if _, isRoute := meta["route"]; isRoute {
			return nil
		}
		return []string{"meta.job is missing: an SDK plugin cannot report the job (\"No job found in meta\")"}
	}
	id, _ := job["id"].(string)
	switch {
	case id == "":
		return []string{"meta.job.id is missing or empty: an SDK plugin cannot report the job"}
	case url.PathEscape(id) != id:
		return []string{fmt.Sprintf("meta.job.id %q is not URL-safe: the SDK puts it into API URLs without encoding", id)}
	}
	return nil
}

// isEntry tells whether the SDK treats payload as an entry: its type says
// so, or the event is an entry event.
func isEntry(payload map[string]any, meta any) bool {
	if t, _ := payload["type"].(string); t == TypeEntries {
		return true
	}
	if m, ok := meta.(map[string]any); ok {
		if ev, _ := m["event"].(string); ev != "" {
			info, _ := Find(ev)
			return info.PayloadType == TypeEntries
		}
	}
	return false
}

func entryTimeWarnings(p map[string]any) []string {
	attrs, ok := p["attributes"].(map[string]any)
	if !ok {
		return []string{"payload.attributes is missing: an entry always has attributes"}
	}
	var w []string
	if v, ok := attrs["signed-in-at"]; !ok || v == nil {
		w = append(w, "payload.attributes.signed-in-at is missing: it becomes null in an SDK plugin")
	} else if msg := sqlTimeWarning("payload.attributes.signed-in-at", v); msg != "" {
		w = append(w, msg)
	}
	if v, ok := attrs["signed-out-at"]; ok && v != nil {
		if msg := sqlTimeWarning("payload.attributes.signed-out-at", v); msg != "" {
			w = append(w, msg)
		}
	}
	docs, _ := attrs["legal-docs"].([]any)
	for i, d := range docs {
		doc, ok := d.(map[string]any)
		if !ok {
			continue
		}
		if msg := sqlTimeWarning(fmt.Sprintf("payload.attributes.legal-docs[%d].signed-at", i), doc["signed-at"]); msg != "" {
			w = append(w, msg)
		}
	}
	return w
}

func sqlTimeWarning(path string, v any) string {
	s, ok := v.(string)
	if !ok {
		return fmt.Sprintf("%s is %s, not a time string: it becomes null in an SDK plugin; use the SQL form %s", path, kindOf(v), SQLLayout)
	}
	if _, err := ParseSQLTime(s); err == nil {
		return ""
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return fmt.Sprintf("%s %q is ISO-8601: an SDK plugin reads entry times with luxon's fromSQL and gets null; use the SQL form %q", path, s, t.UTC().Format(SQLLayout))
	}
	if strings.Contains(s, "T") {
		return fmt.Sprintf("%s %q looks like ISO-8601: an SDK plugin reads entry times with luxon's fromSQL and gets null; use the SQL form %s", path, s, SQLLayout)
	}
	return fmt.Sprintf("%s %q is not in the SQL form %s: it becomes null in an SDK plugin", path, s, SQLLayout)
}

// ParseSQLTime reads a time the way the SDK's luxon DateTime.fromSQL(s,
// {zone: "UTC"}) does: `2026-11-27 10:00:00` (UTC unless a zone follows),
// also `2026-11-27`, `10:00`, `1000`, `.ffffff` fractions, and a zone as `Z`,
// `+00:00`, ` +0000`, ` UTC` or an IANA name. An error means that the SDK
// would see null. (luxon also reads a bare time of day as today; that form
// is refused here.)
func ParseSQLTime(s string) (time.Time, error) {
	bad := func() (time.Time, error) {
		return time.Time{}, fmt.Errorf("%q is not in the SQL form %s", s, SQLLayout)
	}
	p := &scanner{s: s}
	year, ok1 := p.digits(4)
	ok2 := p.byte('-')
	month, ok3 := p.digits(2)
	ok4 := p.byte('-')
	day, ok5 := p.digits(2)
	if !(ok1 && ok2 && ok3 && ok4 && ok5) {
		return bad()
	}
	hour, minute, sec, nsec := 0, 0, 0, 0
	loc := time.UTC
	if !p.done() {
		if !p.byte(' ') {
			return bad()
		}
		var ok bool
		if hour, ok = p.digits(2); !ok {
			return bad()
		}
		if n, ok := p.colonDigits(); ok {
			minute = n
			if n, ok := p.colonDigits(); ok {
				sec = n
				if p.peek() == '.' || p.peek() == ',' {
					save := p.i
					p.i++
					start := p.i
					for !p.done() && isDigit(p.s[p.i]) && p.i-start < 30 {
						p.i++
					}
					frac := p.s[start:p.i]
					if frac == "" {
						p.i = save
					} else {
						if len(frac) > 9 {
							frac = frac[:9]
						}
						nsec, _ = strconv.Atoi(frac + strings.Repeat("0", 9-len(frac)))
					}
				}
			}
		}
		p.byte(' ')
		if !p.done() {
			l, err := p.zone()
			if err != nil {
				return time.Time{}, fmt.Errorf("%q: %v", s, err)
			}
			loc = l
		}
		if !p.done() {
			return bad()
		}
	}
	if month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, fmt.Errorf("%q is not a valid date and time", s)
	}
	t := time.Date(year, time.Month(month), day, hour, minute, sec, nsec, loc)
	if t.Day() != day {
		return time.Time{}, fmt.Errorf("%q: %d-%02d has no day %d", s, year, month, day)
	}
	return t.UTC(), nil
}

type scanner struct {
	s string
	i int
}

func (p *scanner) done() bool { return p.i >= len(p.s) }

func (p *scanner) peek() byte {
	if p.done() {
		return 0
	}
	return p.s[p.i]
}

func (p *scanner) byte(c byte) bool {
	if p.peek() == c && !p.done() {
		p.i++
		return true
	}
	return false
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func (p *scanner) digits(n int) (int, bool) {
	if p.i+n > len(p.s) {
		return 0, false
	}
	v := 0
	for _, c := range []byte(p.s[p.i : p.i+n]) {
		if !isDigit(c) {
			return 0, false
		}
		v = v*10 + int(c-'0')
	}
	p.i += n
	return v, true
}

// colonDigits reads an optional colon and two digits; nothing is consumed
// when they are not there.
func (p *scanner) colonDigits() (int, bool) {
	save := p.i
	p.byte(':')
	if n, ok := p.digits(2); ok {
		return n, true
	}
	p.i = save
	return 0, false
}

// zone reads `Z`, `+hh[[:]mm]` or an IANA zone name up to the end.
func (p *scanner) zone() (*time.Location, error) {
	switch c := p.peek(); {
	case c == 'Z' && p.i+1 == len(p.s):
		p.i++
		return time.UTC, nil
	case c == '+' || c == '-':
		save := p.i
		p.i++
		h, ok := p.digits(2)
		if ok {
			m, _ := p.colonDigits()
			if p.done() {
				off := (h*60 + m) * 60
				if c == '-' {
					off = -off
				}
				return time.FixedZone("", off), nil
			}
		}
		p.i = save
	}
	name := p.s[p.i:]
	for _, c := range []byte(name) {
		if !(c == '_' || c == '/' || c == '+' || c == '-' || isDigit(c) || (c|0x20 >= 'a' && c|0x20 <= 'z')) {
			return nil, fmt.Errorf("unexpected %q after the time", name)
		}
	}
	if name == "" || name == "Local" {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	l, err := time.LoadLocation(name)
	if err != nil {
		return nil, fmt.Errorf("unknown time zone %q", name)
	}
	p.i = len(p.s)
	return l, nil
}
