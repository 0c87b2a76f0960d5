package manifest

import (
	"fmt"
	"math"
	"net/url"
	"reflect"
	"strings"
	"time"
)

// checker runs the semantic checks on a decoded manifest: required keys per
// step and field type, URLs, enums, duplicates, and keys that a type does
// not use.
type checker struct {
	*decoder
	m *Manifest
	// baseURL is true when plugin.base_url is a usable absolute URL, so
	// that relative endpoint URLs resolve.
	baseURL bool
	// configKeys maps each config key to the path of its first use.
	configKeys map[string]string
}

// exampleFor gives the hint of a missing required key.
func exampleFor(key string) string {
	switch key {
	case "name":
		return `name = "My Plugin"`
	case "url":
		return `url = "https://example.com/docs"`
	case "title":
		return `title = "Settings"`
	case "key":
		return `key = "MY_SETTING", the config key the answer is saved under`
	case "label":
		return `label = "My setting"`
	case "options_url":
		return `options_url = "/options"`
	case "resource":
		return `resource = "locations"`
	case "text":
		return `text = "Some help for the installer"`
	case "authorize_url":
		return `authorize_url = "https://example.com/oauth/authorize"`
	case "token_url":
		return `token_url = "https://example.com/oauth/token"`
	case "client_id":
		return `client_id = "the client id the external system gave you"`
	case "content_url":
		return `content_url = "/popup"`
	case "type":
		return `type = "..."`
	}
	return key + ` = "..."`
}

func (c *checker) has(path string) bool { return c.present[path] }

func (c *checker) errorAt(p Pos, key, msg, hint string) { c.add(SevError, p, key, msg, hint) }
func (c *checker) warnAt(p Pos, key, msg, hint string)  { c.add(SevWarning, p, key, msg, hint) }

// require reports a missing or empty required string key of the table at
// table. It returns true when the value is there.
func (c *checker) require(table, key, val, hint string) bool {
	kp := joinKey(table, key)
	if c.bad[kp] {
		return false
	}
	if !c.has(kp) {
		if hint == "" {
			hint = "add " + exampleFor(key)
		}
		c.errorAt(c.pos.keyPos(table), kp, fmt.Sprintf("missing required key %q in %s", key, tableName(table)), hint)
		return false
	}
	if strings.TrimSpace(val) == "" {
		if hint == "" {
			hint = "set it, e.g. " + exampleFor(key)
		}
		c.errorAt(c.pos.valPos(kp), kp, fmt.Sprintf("%s is empty", key), hint)
		return false
	}
	return true
}

func (c *checker) run() {
	m := c.m
	// schema_version
	if !c.has("schema_version") {
		c.errorAt(Pos{Line: 1, Col: 1}, "schema_version", "missing schema_version",
			fmt.Sprintf("add schema_version = %d at the top of the file", SchemaVersion))
	} else if m.SchemaVersion != SchemaVersion && !c.bad["schema_version"] {
		c.errorAt(c.pos.valPos("schema_version"), "schema_version", fmt.Sprintf("unsupported schema_version %d", m.SchemaVersion),
			fmt.Sprintf("this envoy-plugin reads schema_version = %d; use it, or upgrade envoy-plugin", SchemaVersion))
	}

	c.checkPlugin()

	seen := map[string]string{}
	for i, e := range m.Events {
		p := joinIndex("events", i)
		if !c.has(p) {
			continue // not a table: already reported
		}
		if c.require(p, "name", e.Name, "add the event's name, e.g. name = \"entry_sign_in\"") {
			np := joinKey(p, "name")
			first, dup := seen[e.Name]
			if dup {
				c.errorAt(c.pos.valPos(np), np, fmt.Sprintf("duplicate subscription to %q", e.Name),
					fmt.Sprintf("already subscribed at line %d; Envoy calls one worker URL per event, so keep one", c.pos.valPos(first).Line))
			} else {
				seen[e.Name] = np
			}
			if !dup && !IsKnownEvent(e.Name) {
				hint := fmt.Sprintf("not one of the %d events Envoy sends (listed in `envoy-plugin schema`); kept as a custom event", len(KnownEvents()))
				if s := closest(e.Name, KnownEvents()); s != "" {
					hint = fmt.Sprintf("did you mean %q?", s)
				}
				c.warnAt(c.pos.valPos(np), np, fmt.Sprintf("unknown event %q", e.Name), hint)
			}
		}
		example := DefaultEventPath("entry_sign_in")
		if e.Name != "" {
			example = DefaultEventPath(e.Name)
		}
		if c.require(p, "url", e.URL, fmt.Sprintf("add the worker's URL, e.g. url = %q", example)) {
			c.checkURL(joinKey(p, "url"), "url", e.URL, true)
		}
	}

	c.configKeys = map[string]string{}
	for i := range m.Steps {
		p := joinIndex("steps", i)
		if !c.has(p) {
			continue
		}
		c.checkStep(p, i, &m.Steps[i])
	}
}

func (c *checker) checkPlugin() {
	pl := c.m.Plugin
	if !c.has("plugin") {
		c.errorAt(Pos{Line: 1, Col: 1}, "plugin", "missing [plugin] table", `add a [plugin] section with at least name = "My Plugin"`)
		return
	}
	c.require("plugin", "name", pl.Name, "")
	if pl.BaseURL != "" {
		c.baseURL = c.checkURL("plugin.base_url", "base_url", pl.BaseURL, false)
	}
	if pl.LogoURL != "" {
		c.checkURL("plugin.logo_url", "logo_url", pl.LogoURL, false)
	}
	for i, s := range pl.Scopes {
		if p := joinIndex("plugin.scopes", i); strings.TrimSpace(s) == "" && !c.bad[p] {
			c.errorAt(c.pos.valPos(p), p, "empty API scope", `name a scope such as "locations.read", or remove the empty string`)
		}
	}
}

// stepKeys are the keys each step type uses.
func stepKeys(t StepType) string {
	switch t {
	case StepForm:
		return "type title validation_url fields"
	case StepOAuth2:
		return "type title validation_url authorize_url token_url client_id client_secret_env scopes"
	case StepPopup:
		return "type title validation_url content_url"
	}
	return ""
}

// isEnvName reports whether s can name an environment variable.
func isEnvName(s string) bool {
	for i, r := range s {
		if !(r == '_' || r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || i > 0 && r >= '0' && r <= '9') {
			return false
		}
	}
	return s != ""
}

func (c *checker) checkStep(p string, index int, s *Step) {
	typeOK := false
	if c.require(p, "type", string(s.Type), `add type = "form", "oauth2" or "popup"`) {
		if stepKeys(s.Type) == "" {
			tp := joinKey(p, "type")
			c.errorAt(c.pos.valPos(tp), tp, fmt.Sprintf("unknown step type %q", s.Type), enumHint(string(s.Type), StepTypes()))
		} else {
			typeOK = true
		}
	}
	c.require(p, "title", s.Title, "")
	if s.ValidationURL != "" {
		c.checkURL(joinKey(p, "validation_url"), "validation_url", s.ValidationURL, true)
	}
	if !typeOK {
		return
	}
	c.checkApplicable(p, reflect.ValueOf(s).Elem(), stepKeys(s.Type), fmt.Sprintf("a %s step", s.Type))
	name := fmt.Sprintf("%q", s.Title)
	if s.Title == "" {
		name = fmt.Sprintf("#%d", index+1)
	}
	switch s.Type {
	case StepForm:
		if len(s.Fields) == 0 && !c.bad[joinKey(p, "fields")] {
			c.warnAt(c.pos.keyPos(p), p, fmt.Sprintf("form step %s has no fields", name),
				`add fields as [[steps.fields]] sections after this step, e.g. type = "text"`)
		}
		for j := range s.Fields {
			fp := joinIndex(joinKey(p, "fields"), j)
			if c.has(fp) {
				c.checkField(fp, &s.Fields[j], false)
			}
		}
	case StepOAuth2:
		for _, k := range []struct{ key, val string }{{"authorize_url", s.AuthorizeURL}, {"token_url", s.TokenURL}} {
			if c.require(p, k.key, k.val, "") {
				c.checkURL(joinKey(p, k.key), k.key, k.val, true)
			}
		}
		c.require(p, "client_id", s.ClientID, "")
		if s.ClientSecretEnv != "" && !isEnvName(s.ClientSecretEnv) {
			kp := joinKey(p, "client_secret_env")
			c.errorAt(c.pos.valPos(kp), kp, fmt.Sprintf("client_secret_env %q is not an environment variable name", s.ClientSecretEnv),
				`name the variable that holds the secret, e.g. client_secret_env = "ACME_CLIENT_SECRET"; never the secret itself`)
		}
		for i, sc := range s.Scopes {
			if sp := joinIndex(joinKey(p, "scopes"), i); strings.TrimSpace(sc) == "" && !c.bad[sp] {
				c.errorAt(c.pos.valPos(sp), sp, "empty OAuth2 scope", "remove the empty string")
			}
		}
	case StepPopup:
		if c.require(p, "content_url", s.ContentURL, "") {
			c.checkURL(joinKey(p, "content_url"), "content_url", s.ContentURL, true)
		}
	}
	switch {
	case s.Type == StepOAuth2 && s.ValidationURL == "":
		c.warnAt(c.pos.keyPos(p), joinKey(p, "validation_url"), fmt.Sprintf("%s step %s has no validation_url", s.Type, name),
			"without one nothing from this step is saved; add validation_url = \"/...\"")
	case s.Type == StepPopup && s.ValidationURL == "":
		// The builder saves a popup's extra callback params as they come;
		// only nested or sensitive data needs a validation URL.
		c.warnAt(c.pos.keyPos(p), joinKey(p, "validation_url"), fmt.Sprintf("%s step %s has no validation_url", s.Type, name),
			"only the callback's query params are saved, as strings; for nested or sensitive data add validation_url = \"/...\"")
	}
}

// fieldKeys are the keys each field type uses; target is true for the right
// side of a mapping.
func fieldKeys(t FieldType, target bool) string {
	if target {
		switch t {
		case FieldText:
			return "type label placeholder default"
		case FieldCheckbox:
			return "type label default"
		case FieldSelect:
			return "type label placeholder options_url searchable pagination selected_values_url multiple"
		case FieldResourceSelect:
			return "type label resource multiple"
		}
		return ""
	}
	switch t {
	case FieldText:
		return "type key label required placeholder default"
	case FieldCheckbox:
		return "type key label required default"
	case FieldLink:
		return "type label url open_in"
	case FieldInfo:
		return "type label text"
	case FieldSelect:
		return "type key label required placeholder default options_url searchable pagination selected_values_url multiple"
	case FieldResourceSelect:
		return "type key label required default resource multiple"
	case FieldMapping:
		return "type key label required options_url searchable pagination selected_values_url target"
	}
	return ""
}

func fieldRequired(t FieldType, target bool) []string {
	if target {
		switch t {
		case FieldSelect:
			return []string{"options_url"}
		case FieldResourceSelect:
			return []string{"resource"}
		}
		return nil
	}
	switch t {
	case FieldText, FieldCheckbox:
		return []string{"key", "label"}
	case FieldLink:
		return []string{"label", "url"}
	case FieldInfo:
		return []string{"text"}
	case FieldSelect, FieldMapping:
		return []string{"key", "label", "options_url"}
	case FieldResourceSelect:
		return []string{"key", "label", "resource"}
	}
	return nil
}

func (c *checker) checkField(p string, f *Field, target bool) {
	tp := joinKey(p, "type")
	kinds := FieldTypes()
	what := "field"
	if target {
		kinds = []string{string(FieldText), string(FieldSelect), string(FieldResourceSelect), string(FieldCheckbox)}
		what = "mapping target"
	}
	if !c.require(p, "type", string(f.Type), fmt.Sprintf("add type = %q, or another of %s", kinds[0], strings.Join(kinds[1:], ", "))) {
		return
	}
	if fieldKeys(f.Type, target) == "" {
		msg := fmt.Sprintf("unknown field type %q", f.Type)
		if target {
			msg = fmt.Sprintf("a mapping's right side cannot be %q", f.Type)
		}
		c.errorAt(c.pos.valPos(tp), tp, msg, enumHint(string(f.Type), kinds))
		return
	}
	c.checkApplicable(p, reflect.ValueOf(f).Elem(), fieldKeys(f.Type, target), fmt.Sprintf("a %s %s", f.Type, what))
	rv := reflect.ValueOf(f).Elem()
	byName, _ := tomlFields(rv.Type())
	for _, k := range fieldRequired(f.Type, target) {
		c.require(p, k, rv.Field(byName[k]).String(), "")
	}

	// Config keys are unique across all steps.
	if !target && f.Key != "" && strings.Contains(fieldKeys(f.Type, false), "key") {
		kp := joinKey(p, "key")
		if first, dup := c.configKeys[f.Key]; dup {
			c.errorAt(c.pos.valPos(kp), kp, fmt.Sprintf("duplicate config key %q", f.Key),
				fmt.Sprintf("already used at line %d; config keys must be unique across all steps", c.pos.valPos(first).Line))
		} else {
			c.configKeys[f.Key] = kp
		}
	}

	for _, u := range []struct{ key, val string }{{"url", f.URL}, {"options_url", f.OptionsURL}, {"selected_values_url", f.SelectedValuesURL}} {
		if u.val != "" && strings.Contains(fieldKeys(f.Type, target), u.key) {
			c.checkURL(joinKey(p, u.key), u.key, u.val, true)
		}
	}

	if f.OpenIn != "" && f.OpenIn != "tab" && f.OpenIn != "popup" {
		kp := joinKey(p, "open_in")
		c.errorAt(c.pos.valPos(kp), kp, fmt.Sprintf("invalid open_in %q", f.OpenIn), enumHint(f.OpenIn, []string{"tab", "popup"}))
	}

	if f.Pagination != "" {
		pp := joinKey(p, "pagination")
		switch f.Pagination {
		case PaginationNone:
		case PaginationPage, PaginationCursor:
			if f.SelectedValuesURL == "" && strings.Contains(fieldKeys(f.Type, target), "selected_values_url") {
				what := fmt.Sprintf("%s %q", f.Type, f.Key)
				if target {
					what = fmt.Sprintf("%s target of a mapping", f.Type)
				}
				c.errorAt(c.pos.valPos(pp), pp, fmt.Sprintf("paginated %s has no selected_values_url", what),
					`Envoy requires one to show saved values that are not on the first page: add selected_values_url = "/..."`)
			}
		default:
			c.errorAt(c.pos.valPos(pp), pp, fmt.Sprintf("invalid pagination %q", f.Pagination), enumHint(string(f.Pagination), Paginations()))
		}
	}

	if f.Type == FieldResourceSelect && f.Resource != "" && !contains(KnownResources(), f.Resource) {
		rp := joinKey(p, "resource")
		hint := "known resources: " + strings.Join(KnownResources(), ", ")
		if s := closest(f.Resource, KnownResources()); s != "" {
			hint = fmt.Sprintf("did you mean %q? %s", s, hint)
		}
		c.warnAt(c.pos.valPos(rp), rp, fmt.Sprintf("unknown resource %q", f.Resource), hint)
	}

	if c.has(joinKey(p, "default")) {
		c.checkDefault(joinKey(p, "default"), f)
	}

	if f.Type == FieldMapping && !target {
		tgt := joinKey(p, "target")
		if f.Target == nil {
			if !c.has(tgt) {
				c.errorAt(c.pos.keyPos(p), tgt, fmt.Sprintf("mapping %q has no target, its right side", f.Key),
					`add a [steps.fields.target] section after this field, with type = "text", "select", "resource_select" or "checkbox"`)
			}
		} else {
			c.checkField(tgt, f.Target, true)
		}
	}
}

// checkDefault checks that a field's default has a type the field can hold.
func (c *checker) checkDefault(p string, f *Field) {
	v := f.Default
	bad := func(want string) {
		c.errorAt(c.pos.valPos(p), p, fmt.Sprintf("default of a %s field must be %s, not %s", f.Type, want, tomlTypeName(v)), "")
	}
	switch f.Type {
	case FieldText:
		if _, ok := v.(string); !ok {
			bad("a string")
		}
		return
	case FieldCheckbox:
		if _, ok := v.(bool); !ok {
			bad("a boolean")
		}
		return
	case FieldSelect, FieldResourceSelect:
		if _, ok := v.(string); ok {
			return
		}
		if f.Multiple && allStrings(v) {
			return
		}
		if f.Multiple {
			bad("a string or an array of strings")
		} else {
			bad("a string (the option's value)")
		}
		return
	}
	// Fields that do not use a default (already warned about): refuse only
	// what no field could hold.
	if !plainValue(v, true) {
		bad("a string, boolean, number or array of those")
	}
}

func allStrings(v any) bool {
	a, ok := v.([]any)
	if !ok {
		return false
	}
	for _, x := range a {
		if _, ok := x.(string); !ok {
			return false
		}
	}
	return true
}

func plainValue(v any, allowArray bool) bool {
	switch x := v.(type) {
	case string, bool, int64:
		return true
	case float64:
		return !math.IsNaN(x) && !math.IsInf(x, 0)
	case time.Time:
		return false
	case []any:
		if !allowArray {
			return false
		}
		for _, e := range x {
			if !plainValue(e, false) {
				return false
			}
		}
		return true
	}
	return false
}

// checkApplicable warns about keys that are set (to something else than
// their zero value) but not used by this kind of step or field.
func (c *checker) checkApplicable(p string, rv reflect.Value, allowed, what string) {
	ok := map[string]bool{}
	for _, k := range strings.Fields(allowed) {
		ok[k] = true
	}
	_, names := tomlFields(rv.Type())
	byName, _ := tomlFields(rv.Type())
	for _, k := range names {
		kp := joinKey(p, k)
		if ok[k] || !c.has(kp) || rv.Field(byName[k]).IsZero() {
			continue
		}
		c.warnAt(c.pos.keyPos(kp), kp, fmt.Sprintf("%s is not used by %s", k, what), "remove it, or change the type")
	}
}

// checkURL checks an endpoint URL: an absolute http(s) URL, or (when
// relative is allowed) a path starting with / that resolves against
// plugin.base_url. It returns true when the URL is usable.
func (c *checker) checkURL(p, name, raw string, relative bool) bool {
	at := c.pos.valPos(p)
	for _, r := range raw {
		if r <= ' ' || r == 0x7f {
			c.errorAt(at, p, fmt.Sprintf("%s %q contains a space or control character", name, raw), "percent-encode it: %20 for a space")
			return false
		}
	}
	if strings.HasPrefix(raw, "/") && !strings.HasPrefix(raw, "//") {
		if !relative {
			c.errorAt(at, p, fmt.Sprintf("%s %q must be an absolute URL", name, raw), "write the full URL, e.g. https://example.com/logo.svg")
			return false
		}
		if _, err := url.Parse(raw); err != nil {
			c.errorAt(at, p, fmt.Sprintf("invalid %s %q: %s", name, raw, urlErr(err)), "")
			return false
		}
		if c.m.Plugin.BaseURL == "" {
			c.errorAt(at, p, fmt.Sprintf("relative %s %q needs plugin.base_url", name, raw),
				`set base_url in [plugin], e.g. base_url = "http://localhost:3000", or write the full URL`)
			return false
		}
		return c.baseURL
	}
	u, err := url.Parse(raw)
	if err != nil {
		c.errorAt(at, p, fmt.Sprintf("invalid %s %q: %s", name, raw, urlErr(err)), "")
		return false
	}
	switch {
	case u.Scheme == "" || u.Opaque != "":
		// No scheme, or host:port read as one (localhost:3000).
		hint := "write a full URL such as https://example.com/path"
		if u.Opaque != "" && !strings.Contains(raw, "//") {
			hint = fmt.Sprintf("write it with its scheme, e.g. http://%s", raw)
		} else if relative {
			hint = "write a path starting with /, which resolves against plugin.base_url, or a full URL such as https://example.com/path"
		}
		c.errorAt(at, p, fmt.Sprintf("%s %q is not an http(s) URL", name, raw), hint)
		return false
	case u.Scheme != "http" && u.Scheme != "https":
		c.errorAt(at, p, fmt.Sprintf("%s %q must use http or https, not %s", name, raw, u.Scheme), "Envoy only calls http(s) URLs")
		return false
	case u.Host == "":
		c.errorAt(at, p, fmt.Sprintf("%s %q has no host", name, raw), "write it as http://host:port/path")
		return false
	}
	return true
}

// urlErr drops the "parse "...": " prefix that net/url puts in its errors.
func urlErr(err error) string {
	if ue, ok := err.(*url.Error); ok {
		return ue.Err.Error()
	}
	return err.Error()
}

// enumHint suggests the nearest allowed value and lists them all.
func enumHint(got string, allowed []string) string {
	list := strings.Join(allowed, ", ")
	if s := closest(got, allowed); s != "" {
		return fmt.Sprintf("did you mean %q? use one of %s", s, list)
	}
	return "use one of " + list
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
