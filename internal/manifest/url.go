package manifest

import (
	"fmt"
	"net/url"
	"strings"
)

// ResolveURL resolves an endpoint URL from the manifest against
// [plugin].base_url. Absolute http(s) URLs are returned as they are.
func (m *Manifest) ResolveURL(ref string) (string, error) {
	if ref == "" {
		return "", fmt.Errorf("empty URL")
	}
	u, err := url.Parse(ref)
	if err != nil {
		return "", err
	}
	if u.IsAbs() {
		return u.String(), nil
	}
	if m.Plugin.BaseURL == "" {
		return "", fmt.Errorf("relative URL %q needs [plugin].base_url", ref)
	}
	base, err := url.Parse(strings.TrimRight(m.Plugin.BaseURL, "/") + "/")
	if err != nil {
		return "", err
	}
	return base.ResolveReference(&url.URL{Path: strings.TrimPrefix(u.Path, "/"), RawQuery: u.RawQuery}).String(), nil
}

// EventURL returns the resolved worker URL subscribed to event, or "" and
// false when the manifest does not subscribe to it.
func (m *Manifest) EventURL(event string) (string, bool, error) {
	for _, e := range m.Events {
		if e.Name == event {
			u, err := m.ResolveURL(e.URL)
			return u, true, err
		}
	}
	return "", false, nil
}

// Fields returns every form field of every step, in order, with the step it
// belongs to.
func (m *Manifest) Fields() []StepField {
	var out []StepField
	for i := range m.Steps {
		for j := range m.Steps[i].Fields {
			out = append(out, StepField{Step: &m.Steps[i], StepIndex: i, Field: &m.Steps[i].Fields[j]})
		}
	}
	return out
}

// StepField is a field together with its step.
type StepField struct {
	Step      *Step
	StepIndex int
	Field     *Field
}

// Defaults returns the config that the fields' defaults would give.
func (m *Manifest) Defaults() map[string]any {
	out := map[string]any{}
	for _, sf := range m.Fields() {
		if sf.Field.Key != "" && sf.Field.Default != nil {
			out[sf.Field.Key] = sf.Field.Default
		}
	}
	return out
}
