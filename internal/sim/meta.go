package sim

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"sort"
)

// Resource is a JSON:API resource object as Envoy sends them (dash-case
// attribute keys).
type Resource struct {
	ID            string         `json:"id"`
	Type          string         `json:"type"`
	Attributes    map[string]any `json:"attributes"`
	Relationships map[string]any `json:"relationships,omitempty"`
}

// Auth is meta.auth: a plugin-scoped token, present only when the plugin asks
// for API scopes.
type Auth struct {
	TokenType             string `json:"token_type"`
	AccessToken           string `json:"access_token"`
	ExpiresIn             int    `json:"expires_in"`
	RefreshToken          string `json:"refresh_token"`
	RefreshTokenExpiresIn int    `json:"refresh_token_expires_in"`
}

// Job is meta.job of an event.
type Job struct {
	ID         string `json:"id"`
	Name       string `json:"name"`
	Identifier string `json:"identifier"`
}

// Install is what every request shares: the plugin, its install and where it
// is installed. The API simulator takes over the ids and config when it runs.
type Install struct {
	PluginID  string         `json:"plugin_id"`
	InstallID string         `json:"install_id"`
	Config    map[string]any `json:"config"`
	Location  Resource       `json:"location"`
	Company   Resource       `json:"company"`
	Zone      Resource       `json:"zone"`
	Auth      *Auth          `json:"auth"`

	// Flows and Employees are the install's other Envoy resources (see
	// SetDirectory); empty for a throwaway install.
	Flows     []Resource `json:"-"`
	Employees []Resource `json:"-"`
}

// EventMeta is meta for a worker request.
type EventMeta struct {
	Event     string         `json:"event"`
	PluginID  string         `json:"plugin_id"`
	InstallID string         `json:"install_id"`
	Config    map[string]any `json:"config"`
	Job       Job            `json:"job"`
	Location  Resource       `json:"location"`
	Company   Resource       `json:"company"`
	Zone      Resource       `json:"zone"`
	Auth      *Auth          `json:"auth"`
}

// RouteMeta is meta for a route request (validation, options, selected values).
type RouteMeta struct {
	Route     string         `json:"route"`
	PluginID  string         `json:"plugin_id"`
	InstallID string         `json:"install_id"`
	Config    map[string]any `json:"config"`
	Params    map[string]any `json:"params"`
	Location  Resource       `json:"location"`
	Company   Resource       `json:"company"`
	Zone      Resource       `json:"zone"`
	Auth      *Auth          `json:"auth"`
}

// Body is what Envoy posts: {"meta": ..., "payload": ...}.
type Body struct {
	Meta    any `json:"meta"`
	Payload any `json:"payload"`
}

// RouteMeta builds the meta of a route request for this install.
func (in *Install) RouteMeta(route string, params map[string]any) RouteMeta {
	if params == nil {
		params = map[string]any{}
	}
	cfg := in.Config
	if cfg == nil {
		cfg = map[string]any{}
	}
	return RouteMeta{
		Route: route, PluginID: in.PluginID, InstallID: in.InstallID, Config: cfg, Params: params,
		Location: in.Location, Company: in.Company, Zone: in.Zone, Auth: in.Auth,
	}
}

// RouteBody encodes a route request body. A nil payload is sent as {} since
// an SDK plugin answers 500 when payload is missing.
func (in *Install) RouteBody(route string, params map[string]any, payload any) ([]byte, error) {
	if payload == nil {
		payload = map[string]any{}
	}
	return Marshal(Body{Meta: in.RouteMeta(route, params), Payload: payload})
}

// Marshal encodes JSON without HTML escaping and without a trailing newline.
func Marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

// WithQuery adds params to rawURL's query string, the way the docs describe
// a route "param": scalars as key=value, arrays by repeating the key, nested
// objects as JSON. Existing query keys are kept.
func WithQuery(rawURL string, params map[string]any) (string, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return "", err
	}
	q := u.Query()
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		switch v := params[k].(type) {
		case nil:
		case []any:
			for _, e := range v {
				q.Add(k, scalar(e))
			}
		case []string:
			for _, e := range v {
				q.Add(k, e)
			}
		default:
			q.Set(k, scalar(v))
		}
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

func scalar(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case float64, int, int64, bool:
		return fmt.Sprint(x)
	default:
		b, _ := json.Marshal(x)
		return string(b)
	}
}
