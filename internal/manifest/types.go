// Package manifest reads, validates and describes envoy-plugin.toml, the file
// that describes a plugin the way Envoy's Integration Builder does. Every
// command reads the manifest through this package; nothing else parses TOML.
package manifest

// FileName is the manifest's default name, looked up from the current folder
// upwards.
const FileName = "envoy-plugin.toml"

// SchemaVersion is the manifest format this build understands.
const SchemaVersion = 1

// Manifest is the whole plugin description.
type Manifest struct {
	SchemaVersion int     `toml:"schema_version" json:"schema_version" jsonschema:"enum=1,description=Version of this file's format; 1 for now."`
	Plugin        Plugin  `toml:"plugin" json:"plugin" jsonschema:"description=The plugin's details as the Integration Builder shows them."`
	Events        []Event `toml:"events" json:"events,omitempty" jsonschema:"description=Event subscriptions: one worker URL per event."`
	Steps         []Step  `toml:"steps" json:"steps,omitempty" jsonschema:"description=Setup steps shown to the installer, in order."`

	// Path is the file the manifest was read from (not a TOML key).
	Path string `toml:"-" json:"-"`

	// pos knows where each key is in the source (nil when the manifest
	// was not parsed from a file).
	pos *positions
}

// Plugin is the [plugin] table.
type Plugin struct {
	Name        string   `toml:"name" json:"name" jsonschema:"description=Plugin name shown in the Integration Directory."`
	Description string   `toml:"description" json:"description,omitempty"`
	LogoURL     string   `toml:"logo_url" json:"logo_url,omitempty" jsonschema:"format=uri"`
	Live        bool     `toml:"live" json:"live,omitempty" jsonschema:"description=Keep false until credentials are in place."`
	Installable bool     `toml:"installable" json:"installable,omitempty"`
	Scopes      []string `toml:"scopes" json:"scopes,omitempty" jsonschema:"description=Envoy API scopes asked of the installer; events then carry meta.auth."`
	BaseURL     string   `toml:"base_url" json:"base_url,omitempty" jsonschema:"description=Relative endpoint URLs resolve against this (e.g. http://localhost:3000)."`
}

// Event is one [[events]] subscription.
type Event struct {
	Name string `toml:"name" json:"name" jsonschema:"description=Event name, e.g. entry_sign_in."`
	URL  string `toml:"url" json:"url" jsonschema:"description=Worker URL; relative to plugin.base_url when it starts with /."`
}

// StepType is form, oauth2 or popup.
type StepType string

const (
	StepForm   StepType = "form"
	StepOAuth2 StepType = "oauth2"
	StepPopup  StepType = "popup"
)

// Step is one [[steps]] entry. Which keys apply depends on Type.
type Step struct {
	Type          StepType `toml:"type" json:"type" jsonschema:"enum=form,enum=oauth2,enum=popup"`
	Title         string   `toml:"title" json:"title"`
	ValidationURL string   `toml:"validation_url" json:"validation_url,omitempty"`

	// form
	Fields []Field `toml:"fields" json:"fields,omitempty"`

	// oauth2
	AuthorizeURL    string   `toml:"authorize_url" json:"authorize_url,omitempty"`
	TokenURL        string   `toml:"token_url" json:"token_url,omitempty"`
	ClientID        string   `toml:"client_id" json:"client_id,omitempty"`
	ClientSecretEnv string   `toml:"client_secret_env" json:"client_secret_env,omitempty" jsonschema:"description=Name of the environment variable holding the OAuth2 client secret (never the secret itself)."`
	Scopes          []string `toml:"scopes" json:"scopes,omitempty"`

	// popup
	ContentURL string `toml:"content_url" json:"content_url,omitempty"`
}

// FieldType is the type of a form field.
type FieldType string

const (
	FieldText           FieldType = "text"
	FieldCheckbox       FieldType = "checkbox"
	FieldLink           FieldType = "link"
	FieldInfo           FieldType = "info"
	FieldSelect         FieldType = "select"
	FieldResourceSelect FieldType = "resource_select"
	FieldMapping        FieldType = "mapping"
)

// Pagination of a select's options URL.
type Pagination string

const (
	PaginationNone   Pagination = "none"
	PaginationPage   Pagination = "page"
	PaginationCursor Pagination = "cursor"
)

// Field is one [[steps.fields]] entry; which keys apply depends on Type.
type Field struct {
	Type  FieldType `toml:"type" json:"type" jsonschema:"enum=text,enum=checkbox,enum=link,enum=info,enum=select,enum=resource_select,enum=mapping"`
	Key   string    `toml:"key" json:"key,omitempty" jsonschema:"description=Config key the answer is saved under (unique across all steps)."`
	Label string    `toml:"label" json:"label,omitempty"`

	// text, checkbox
	Required    bool   `toml:"required" json:"required,omitempty"`
	Placeholder string `toml:"placeholder" json:"placeholder,omitempty"`
	Default     any    `toml:"default" json:"default,omitempty"`

	// link
	URL    string `toml:"url" json:"url,omitempty"`
	OpenIn string `toml:"open_in" json:"open_in,omitempty" jsonschema:"enum=tab,enum=popup"`

	// info
	Text string `toml:"text" json:"text,omitempty"`

	// select, mapping (left side)
	OptionsURL        string     `toml:"options_url" json:"options_url,omitempty"`
	Searchable        bool       `toml:"searchable" json:"searchable,omitempty"`
	Pagination        Pagination `toml:"pagination" json:"pagination,omitempty" jsonschema:"enum=none,enum=page,enum=cursor"`
	SelectedValuesURL string     `toml:"selected_values_url" json:"selected_values_url,omitempty"`

	// resource_select
	Resource string `toml:"resource" json:"resource,omitempty"`
	Multiple bool   `toml:"multiple" json:"multiple,omitempty"`

	// mapping: the right side
	Target *Field `toml:"target" json:"target,omitempty"`
}
