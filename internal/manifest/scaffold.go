package manifest

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// ScaffoldOptions describe the manifest `envoy-plugin init` writes.
type ScaffoldOptions struct {
	Name        string
	Description string
	BaseURL     string
	Events      []Event
	// Step is the first setup step: form (with a select field), oauth2,
	// popup, or "" for none.
	Step StepType
}

// DefaultEventPath is the worker path init proposes for an event:
// entry_sign_in -> /entry-sign-in.
func DefaultEventPath(event string) string {
	return "/" + strings.ReplaceAll(event, "_", "-")
}

// ValidateName checks a plugin name (prompts and flags share it).
func ValidateName(s string) error {
	if strings.TrimSpace(s) == "" {
		return errors.New("the plugin needs a name")
	}
	for _, r := range s {
		if r < ' ' || r == 0x7f {
			return errors.New("the name cannot hold control characters or newlines")
		}
	}
	return nil
}

// ValidateBaseURL checks a base URL: absolute http(s) with a host.
func ValidateBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || strings.ContainsAny(s, " \t\r\n") {
		return fmt.Errorf("%q is not a URL; use e.g. http://localhost:3000", s)
	}
	if u.Scheme != "http" && u.Scheme != "https" || u.Host == "" {
		return fmt.Errorf("%q must be an http(s) URL with a host, e.g. http://localhost:3000", s)
	}
	return nil
}

// ValidateEndpoint checks a worker or route URL as init accepts it: a path
// starting with / or an absolute http(s) URL.
func ValidateEndpoint(s string) error {
	if strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "//") {
		if _, err := url.Parse(s); err != nil || strings.ContainsAny(s, " \t\r\n") {
			return fmt.Errorf("%q is not a valid path", s)
		}
		return nil
	}
	if err := ValidateBaseURL(s); err != nil {
		return fmt.Errorf("%q must be a path starting with / or a full http(s) URL", s)
	}
	return nil
}

// Quote writes s as a TOML basic string.
func Quote(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch r {
		case '"':
			b.WriteString(`\"`)
		case '\\':
			b.WriteString(`\\`)
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if r < ' ' || r == 0x7f {
				fmt.Fprintf(&b, `\u%04X`, r)
			} else {
				b.WriteRune(r)
			}
		}
	}
	b.WriteByte('"')
	return b.String()
}

// Scaffold returns a commented manifest that passes validation.
func Scaffold(o ScaffoldOptions) []byte {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	w("%s\n", SchemaDirective)
	w("# envoy-plugin.toml describes the plugin the way Envoy's Integration Builder\n")
	w("# does. Check it with `envoy-plugin validate`; every key is in `envoy-plugin schema`.\n")
	w("schema_version = %d\n\n", SchemaVersion)

	w("[plugin]\n")
	w("name = %s\n", Quote(o.Name))
	if o.Description != "" {
		w("description = %s\n", Quote(o.Description))
	} else {
		w("# description = \"What the plugin does, for the Integration Directory.\"\n")
	}
	w("# logo_url = \"https://example.com/logo.svg\"\n")
	w("live = false          # keep false until the credentials (.env) are in place\n")
	w("installable = true    # installable from Envoy's dashboard\n")
	w("# scopes = [\"locations.read\"]   # Envoy API scopes; events then carry meta.auth\n")
	w("base_url = %s   # relative URLs below resolve against this\n", Quote(o.BaseURL))

	w("\n# Events: Envoy POSTs each event to its worker URL. Envoy sends:\n")
	known := KnownEvents()
	for i := 0; i < len(known); i += 3 {
		w("#   %s\n", strings.Join(known[i:min(i+3, len(known))], ", "))
	}
	if len(o.Events) == 0 {
		w("# [[events]]\n# name = \"entry_sign_in\"\n# url = \"/entry-sign-in\"\n")
	}
	for _, e := range o.Events {
		w("\n[[events]]\nname = %s\nurl = %s\n", Quote(e.Name), Quote(e.URL))
	}

	w("\n# Setup steps: each one is a screen shown to the installer, in order.\n")
	w("# type = \"form\" | \"oauth2\" | \"popup\"\n")
	switch o.Step {
	case StepForm:
		w(`
[[steps]]
type = "form"
title = "Settings"
# validation_url = "/validate-settings"   # optional: its JSON answer is merged into the install config

  # Field types: text, checkbox, link, info, select, resource_select, mapping.
  [[steps.fields]]
  type = "select"
  key = "OPTION"                 # the config key the answer is saved under
  label = "Pick an option"
  options_url = "/options"       # answers [{"label": "...", "value": "..."}]
  searchable = true              # the options URL gets params.search
  pagination = "none"            # none | page | cursor (page and cursor need selected_values_url)
  # selected_values_url = "/options-selected"
`)
	case StepOAuth2:
		w(`
[[steps]]
type = "oauth2"
title = "Connect your account"
authorize_url = "https://auth.example.com/oauth/authorize"   # the external system's endpoints
token_url = "https://auth.example.com/oauth/token"
client_id = "your-client-id"
client_secret_env = "OAUTH_CLIENT_SECRET"   # the variable that holds the secret, never the secret
scopes = ["read"]
validation_url = "/oauth2-validate"   # the only way to save anything from an OAuth2 step
# Register this callback URL with the external system:
#   %s
`, OAuthCallbackURL(DefaultCallbackPort))
	case StepPopup:
		w(`
[[steps]]
type = "popup"
title = "Connect"
content_url = "/popup"               # opened with ?state=...; redirect back to the callback with it
validation_url = "/popup-validate"   # the only way to save anything from a popup step
`)
	default:
		w("# [[steps]]\n# type = \"form\"\n# title = \"Settings\"\n")
	}
	return []byte(b.String())
}
