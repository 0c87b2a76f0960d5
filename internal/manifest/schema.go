package manifest

import (
	"bytes"
	"encoding/json"
	"strings"

	"github.com/invopop/jsonschema"
)

// SchemaURL is where the published JSON Schema of the manifest lives; `init`
// writes it in the `#:schema` directive that TOML language servers read.
const SchemaURL = "https://raw.githubusercontent.com/envoy-plugin/envoy-plugin/main/docs/envoy-plugin.schema.json"

// SchemaDirective is the first line of a manifest written by `init`.
const SchemaDirective = "#:schema " + SchemaURL

// Schema returns the JSON Schema of envoy-plugin.toml, generated from the Go
// types, indented and ending in a newline. docs/envoy-plugin.schema.json is
// this output.
func Schema() ([]byte, error) {
	r := &jsonschema.Reflector{
		// Keys without omitempty in their json tag are required.
		RequiredFromJSONSchemaTags: false,
		// The manifest itself at the root, not behind a $ref.
		ExpandedStruct: true,
	}
	s := r.Reflect(&Manifest{})
	s.ID = jsonschema.ID(SchemaURL)
	s.Title = "envoy-plugin.toml"
	s.Description = "The manifest of an Envoy plugin, as read by envoy-plugin (https://github.com/envoy-plugin/envoy-plugin)."
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(s); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// describe fills in the descriptions that the struct tags leave out.
func describe(s *jsonschema.Schema, descs map[string]string) {
	for k, d := range descs {
		if p, ok := s.Properties.Get(k); ok && p.Description == "" {
			p.Description = d
		}
	}
}

// ifTypeThenRequired is {"if": {type is t}, "then": {required: keys}}.
func ifTypeThenRequired(t string, keys []string) *jsonschema.Schema {
	props := jsonschema.NewProperties()
	props.Set("type", &jsonschema.Schema{Const: t})
	return &jsonschema.Schema{
		If:   &jsonschema.Schema{Properties: props, Required: []string{"type"}},
		Then: &jsonschema.Schema{Required: keys},
	}
}

// JSONSchemaExtend adds what the struct tags cannot say about [plugin].
func (Plugin) JSONSchemaExtend(s *jsonschema.Schema) {
	describe(s, map[string]string{
		"description": "What the plugin does, shown in the Integration Directory.",
		"logo_url":    "Absolute URL of the plugin's logo.",
		"installable": "Whether the plugin can be installed from Envoy's dashboard.",
	})
	if p, ok := s.Properties.Get("base_url"); ok {
		p.Format = "uri"
		p.Examples = []any{"http://localhost:3000"}
	}
}

// JSONSchemaExtend adds the keys each step type requires.
func (Step) JSONSchemaExtend(s *jsonschema.Schema) {
	describe(s, map[string]string{
		"type":           "form: fields the installer fills in; oauth2: an OAuth2 authorization; popup: a window showing content_url.",
		"title":          "Title of the step shown to the installer.",
		"validation_url": "Route called with the step's result; its JSON answer is merged into the install config. The only way to save anything from oauth2 and popup steps.",
		"fields":         "The form's fields ([[steps.fields]]); form steps only.",
		"authorize_url":  "The external system's OAuth2 authorization endpoint (oauth2).",
		"token_url":      "The external system's OAuth2 token endpoint (oauth2).",
		"client_id":      "The OAuth2 client id the external system issued (oauth2).",
		"scopes":         "OAuth2 scopes to ask the external system for (oauth2).",
		"content_url":    "Page opened in the popup with a state query parameter (popup).",
	})
	s.AllOf = append(s.AllOf,
		ifTypeThenRequired(string(StepOAuth2), []string{"authorize_url", "token_url", "client_id"}),
		ifTypeThenRequired(string(StepPopup), []string{"content_url"}),
	)
}

// JSONSchemaExtend adds the keys each field type requires, the rule that a
// paginated select needs selected_values_url, and the narrower shape of a
// mapping's right side.
func (Field) JSONSchemaExtend(s *jsonschema.Schema) {
	describe(s, map[string]string{
		"label":               "Label shown to the installer.",
		"required":            "Whether the installer must answer.",
		"placeholder":         "Placeholder text of an empty input.",
		"default":             "Initial value: a string for text and select, a boolean for checkbox.",
		"url":                 "URL the link opens (link).",
		"open_in":             "Open the link in a new tab or a popup (link).",
		"text":                "Static text shown to the installer (info).",
		"options_url":         "Route answering the options, [{label, value}] (select, mapping's left side).",
		"searchable":          "Send the installer's search text as params.search.",
		"pagination":          "none, page (params.page, from 1) or cursor ({data, cursor} answers).",
		"selected_values_url": "Route answering the options of saved values (params.value); required when paginated.",
		"resource":            "The Envoy resource to pick: locations, flows, employees, ... (resource_select).",
		"multiple":            "Allow several choices.",
		"target":              "The right side of a mapping: its own field type and settings.",
	})
	if p, ok := s.Properties.Get("default"); ok {
		str, boolean, num := &jsonschema.Schema{Type: "string"}, &jsonschema.Schema{Type: "boolean"}, &jsonschema.Schema{Type: "number"}
		p.AnyOf = []*jsonschema.Schema{str, boolean, num, {Type: "array", Items: &jsonschema.Schema{Type: "string"}}}
	}
	for _, t := range FieldTypes() {
		if req := fieldRequired(FieldType(t), false); len(req) > 0 {
			s.AllOf = append(s.AllOf, ifTypeThenRequired(t, req))
		}
	}
	s.AllOf = append(s.AllOf, ifTypeThenRequired(string(FieldMapping), []string{"target"}))
	s.AllOf = append(s.AllOf, paginatedNeedsSelectedValues())

	// The right side of a mapping: a Field restricted to the keys a target
	// uses (no key of its own: the mapping's key holds the whole map).
	target := &jsonschema.Schema{
		Type:                 "object",
		Description:          "The right side of a mapping: text, select, resource_select or checkbox.",
		Properties:           jsonschema.NewProperties(),
		AdditionalProperties: jsonschema.FalseSchema,
		Required:             []string{"type"},
	}
	allowed := map[string]bool{}
	for _, t := range []FieldType{FieldText, FieldCheckbox, FieldSelect, FieldResourceSelect} {
		for _, k := range strings.Fields(fieldKeys(t, true)) {
			allowed[k] = true
		}
	}
	for pair := s.Properties.Oldest(); pair != nil; pair = pair.Next() {
		if !allowed[pair.Key] {
			continue
		}
		if pair.Key == "type" {
			target.Properties.Set("type", &jsonschema.Schema{Type: "string", Enum: []any{"text", "select", "resource_select", "checkbox"}})
			continue
		}
		target.Properties.Set(pair.Key, pair.Value)
	}
	target.AllOf = []*jsonschema.Schema{
		ifTypeThenRequired(string(FieldSelect), fieldRequired(FieldSelect, true)),
		ifTypeThenRequired(string(FieldResourceSelect), fieldRequired(FieldResourceSelect, true)),
		paginatedNeedsSelectedValues(),
	}
	s.Properties.Set("target", target)
}

func paginatedNeedsSelectedValues() *jsonschema.Schema {
	props := jsonschema.NewProperties()
	props.Set("pagination", &jsonschema.Schema{Enum: []any{string(PaginationPage), string(PaginationCursor)}})
	return &jsonschema.Schema{
		If:   &jsonschema.Schema{Properties: props, Required: []string{"pagination"}},
		Then: &jsonschema.Schema{Required: []string{"selected_values_url"}},
	}
}

// JSONSchemaExtend describes [[events]] names.
func (Event) JSONSchemaExtend(s *jsonschema.Schema) {
	if p, ok := s.Properties.Get("name"); ok {
		// (the struct tag's description is cut at its comma)
		p.Description = "Event name, e.g. entry_sign_in; Envoy sends the ones listed in examples."
		var ex []any
		for _, e := range KnownEvents() {
			ex = append(ex, e)
		}
		p.Examples = ex
	}
}
