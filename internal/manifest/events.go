package manifest

import "fmt"

// KnownEvents returns the events Envoy sends to plugins (platform.md), in
// the order the Integration Builder lists them.
func KnownEvents() []string {
	return []string{
		"entry_sign_in",
		"entry_sign_out",
		"entry_blacklist_review",
		"entry_blacklist_deny",
		"employee_entry_sign_in",
		"employee_entry_sign_out",
		"invite_created",
		"invite_updated",
		"invite_removed",
		"upcoming_visit",
		"qr_code_sent",
		"employee_invite_created",
		"employee_invite_updated",
		"employee_invite_removed",
		"employee_upcoming_visit",
		"location_capacity_updated",
		"plugin_uninstalled",
	}
}

// IsKnownEvent reports whether Envoy sends the event.
func IsKnownEvent(name string) bool {
	for _, e := range KnownEvents() {
		if e == name {
			return true
		}
	}
	return false
}

// KnownResources returns the Envoy resources a resource_select field can
// offer (the ones the Integration Builder is known to list).
func KnownResources() []string {
	return []string{"locations", "flows", "employees", "zones", "companies"}
}

// DefaultCallbackPort is the port of the local OAuth2 callback that
// `envoy-plugin install` listens on unless told otherwise.
const DefaultCallbackPort = 8765

// OAuthCallbackURL is the redirect URI that an OAuth2 step's external system
// must accept when the local installer completes the step on port.
func OAuthCallbackURL(port int) string {
	return fmt.Sprintf("http://127.0.0.1:%d/oauth2/callback", port)
}

// StepTypes lists the step types.
func StepTypes() []string { return []string{string(StepForm), string(StepOAuth2), string(StepPopup)} }

// FieldTypes lists the form field types.
func FieldTypes() []string {
	return []string{string(FieldText), string(FieldCheckbox), string(FieldLink), string(FieldInfo),
		string(FieldSelect), string(FieldResourceSelect), string(FieldMapping)}
}

// Paginations lists the pagination modes of a select's options URL.
func Paginations() []string {
	return []string{string(PaginationNone), string(PaginationPage), string(PaginationCursor)}
}
