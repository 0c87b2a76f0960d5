// Package events generates what Envoy sends to a plugin's workers: the event
// meta (plugin, install, job, location, company, zone, auth) and the JSON:API
// payload of each event, from one seeded fake-data source so that a seed and
// a clock reproduce every id, name and time.
package events

import (
	"fmt"
	"github.com/envoy-plugin/envoy-plugin/internal/suggest"
	"slices"
	"strings"
)

// Payload types, as the payload's JSON:API "type".
const (
	TypeEntries   = "entries"
	TypeInvites   = "invites"
	TypeLocations = "locations"
)

// Info describes one event Envoy can send.
type Info struct {
	Name string
	// PayloadType is "entries", "invites", "locations", or "" when the event
	// carries no data (plugin_uninstalled) or is unknown (custom).
	PayloadType string
	Description string
}

// All returns every event of the platform (platform.md's table), in a
// stable order.
func All() []Info {
	return []Info{
		{"entry_sign_in", TypeEntries, "a visitor signs in"},
		{"entry_sign_out", TypeEntries, "a visitor signs out"},
		{"entry_blacklist_review", TypeEntries, "a visitor matches the block list and waits for review"},
		{"entry_blacklist_deny", TypeEntries, "a visitor on the block list is denied entry"},
		{"employee_entry_sign_in", TypeEntries, "an employee signs in (employee screening)"},
		{"employee_entry_sign_out", TypeEntries, "an employee signs out"},
		{"invite_created", TypeInvites, "a visitor is invited"},
		{"invite_updated", TypeInvites, "a visitor's invite changes (carries changed-fields)"},
		{"invite_removed", TypeInvites, "a visitor's invite is deleted"},
		{"upcoming_visit", TypeInvites, "an invited visitor's visit is coming up (reminder)"},
		{"qr_code_sent", TypeInvites, "an invited visitor is sent their QR code"},
		{"employee_invite_created", TypeInvites, "an employee is registered to come in"},
		{"employee_invite_updated", TypeInvites, "an employee's registration changes (carries changed-fields)"},
		{"employee_invite_removed", TypeInvites, "an employee's registration is deleted"},
		{"employee_upcoming_visit", TypeInvites, "an employee's registered visit is coming up (reminder)"},
		{"location_capacity_updated", TypeLocations, "a location's capacity limit changes"},
		{"plugin_uninstalled", "", "the plugin is uninstalled (meta only)"},
	}
}

// Find returns the event called name.
func Find(name string) (Info, bool) {
	for _, i := range All() {
		if i.Name == name {
			return i, true
		}
	}
	return Info{}, false
}

// Suggest returns the known event closest to name ("" when none is close),
// for "did you mean" hints.
func Suggest(name string) string {
	events := All()
	names := make([]string, len(events))
	for i, e := range events {
		names[i] = e.Name
	}
	return suggest.Closest(name, names)
}

// Variant shapes an event like the SDK's factories' options.
type Variant struct {
	// SignedOut makes an entry signed out (entry_sign_out and
	// employee_entry_sign_out are signed out anyway).
	SignedOut bool
	// Protect makes the entry or invite an employee one on the employee
	// screening flow (the employee_* events are anyway).
	Protect bool
	// With adds optional data: host, email, phone, photo, invite, device.
	With []string
}

func (v Variant) has(w string) bool { return slices.Contains(v.With, w) }

// WithNames returns the values --with accepts, in their canonical order.
func WithNames() []string { return []string{"host", "email", "phone", "photo", "invite", "device"} }

// ParseWith reads a --with value: comma-separated names among host, email,
// phone, photo, invite, device (or "all"). Duplicates are dropped.
func ParseWith(s string) ([]string, error) {
	withNames := WithNames()
	var out []string
	for _, part := range strings.Split(s, ",") {
		w := strings.ToLower(strings.TrimSpace(part))
		switch {
		case w == "":
			continue
		case w == "all":
			for _, n := range withNames {
				if !slices.Contains(out, n) {
					out = append(out, n)
				}
			}
		case slices.Contains(withNames, w):
			if !slices.Contains(out, w) {
				out = append(out, w)
			}
		default:
			hint := ""
			if c := suggest.Closest(w, withNames); c != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", c)
			}
			return nil, fmt.Errorf("unknown --with value %q%s; use a comma-separated list of %s, or all",
				part, hint, strings.Join(withNames, ", "))
		}
	}
	return out, nil
}

// Ignored names the parts of v that have no effect on event (e.g. "--with
// device" on an invite), so that a command can warn about them.
func Ignored(event string, v Variant) []string {
	info, _ := Find(event)
	employee := strings.HasPrefix(event, "employee_")
	var out []string
	switch info.PayloadType {
	case TypeEntries:
		for _, w := range v.With {
			if (employee || v.Protect) && (w == "host" || w == "invite" || w == "device") {
				out = append(out, "--with "+w)
			}
		}
	case TypeInvites:
		if v.SignedOut {
			out = append(out, "--signed-out")
		}
		for _, w := range v.With {
			if w == "invite" || w == "device" || ((employee || v.Protect) && w == "host") {
				out = append(out, "--with "+w)
			}
		}
	default:
		if v.SignedOut {
			out = append(out, "--signed-out")
		}
		if v.Protect {
			out = append(out, "--protect")
		}
		for _, w := range v.With {
			out = append(out, "--with "+w)
		}
	}
	return out
}
