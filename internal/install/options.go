package install

import (
	"context"
	"encoding/json"
	"fmt"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// Option is one choice of a select: the label shown and the value saved
// (a string or a json.Number, as the plugin sent it).
type Option struct {
	Label    string `json:"label"`
	Value    any    `json:"value"`
	Disabled bool   `json:"isDisabled,omitempty"`
}

// ValueString is the option's value as text.
func (o Option) ValueString() string { return valueString(o.Value) }

func valueString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case json.Number:
		return x.String()
	case nil:
		return ""
	default:
		return fmt.Sprint(x)
	}
}

// maxPages bounds how many pages a select loads, page or cursor.
const maxPages = 100

// optionLoader loads a select's options lazily from the plugin's options
// URL, the way the dashboard does: page=1, 2, ... or cursor after cursor,
// with search when the user typed one, and parent_resource_id for the right
// side of a mapping.
type optionLoader struct {
	route      *Route
	url        string
	key        string // meta.route: the field's key
	pagination manifest.Pagination
	searchable bool
	parent     any // parent_resource_id; nil when none

	search  string
	pages   int
	cursor  any
	more    bool
	started bool
	seen    map[string]bool // cursors seen, against loops
}

func newOptionLoader(r *Route, m *manifest.Manifest, key string, f *manifest.Field, parent any) (*optionLoader, error) {
	if f.OptionsURL == "" {
		return nil, fmt.Errorf("field %s has no options_url", key)
	}
	u, err := m.ResolveURL(f.OptionsURL)
	if err != nil {
		return nil, fmt.Errorf("field %s: options_url: %w", key, err)
	}
	return &optionLoader{route: r, url: u, key: key, pagination: f.Pagination, searchable: f.Searchable, parent: parent}, nil
}

// reset starts over with a search term ("" for none).
func (l *optionLoader) reset(search string) {
	l.search, l.pages, l.cursor, l.more, l.started = search, 0, nil, false, false
	l.seen = map[string]bool{}
}

// hasMore reports whether another page can be loaded.
func (l *optionLoader) hasMore() bool { return !l.started || l.more }

// next loads the next page.
func (l *optionLoader) next(ctx context.Context) ([]Option, error) {
	if l.seen == nil {
		l.seen = map[string]bool{}
	}
	params := map[string]any{}
	if l.searchable && l.search != "" {
		params["search"] = l.search
	}
	if l.parent != nil {
		params["parent_resource_id"] = l.parent
	}
	switch l.pagination {
	case manifest.PaginationPage:
		params["page"] = l.pages + 1
	case manifest.PaginationCursor:
		if l.cursor != nil {
			params["cursor"] = l.cursor
		}
	}
	resp, err := l.route.Post(ctx, l.url, l.key, params, nil)
	if err != nil {
		diag, hint := sim.Diagnose(err, l.url)
		if resp != nil {
			diag += " while reading the answer"
		}
		return nil, &OptionsError{URL: l.url, Problem: diag, Hint: hint, Err: err}
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, &OptionsError{URL: l.url, Problem: fmt.Sprintf("answered %d", resp.Status), Hint: excerpt(resp.Body)}
	}
	if resp.Truncated {
		return nil, &OptionsError{URL: l.url, Problem: "answered " + tooLarge(resp), Hint: "serve the options in pages"}
	}
	opts, cursor, err := parseOptions(resp.Body)
	if err != nil {
		return nil, &OptionsError{URL: l.url, Problem: err.Error(), Contract: true,
			Hint: `an options URL answers an array of {"label", "value"} (or {"data": [...], "cursor"} with cursor pagination)`}
	}
	l.started = true
	l.pages++
	switch l.pagination {
	case manifest.PaginationPage:
		l.more = len(opts) > 0 && l.pages < maxPages
	case manifest.PaginationCursor:
		cs := valueString(cursor)
		l.more = cursor != nil && cs != "" && !l.seen[cs] && l.pages < maxPages
		l.seen[cs] = true
		l.cursor = cursor
	default:
		l.more = false
	}
	return opts, nil
}

// OptionsError is an options URL that failed: it could not be reached or
// read, answered a non-2xx status, or broke the contract (Contract).
type OptionsError struct {
	URL     string
	Problem string // "timed out", "answered 500", "answered null, not ..."
	Hint    string
	// Contract is an answer of the wrong shape: the plugin's bug.
	Contract bool
	Err      error
}

func (e *OptionsError) Error() string {
	s := fmt.Sprintf("options URL %s %s", e.URL, Printable(e.Problem))
	if e.Contract {
		s = fmt.Sprintf("options URL %s broke the contract: %s", e.URL, Printable(e.Problem))
	}
	if e.Hint != "" {
		s += " (" + Printable(e.Hint) + ")"
	}
	return s
}

func (e *OptionsError) Unwrap() error { return e.Err }

// parseOptions reads an options answer: an array of options, or (cursor
// pagination) an object {data: [options], cursor}.
func parseOptions(body []byte) ([]Option, any, error) {
	v, err := decodeJSON(body)
	if err != nil {
		return nil, nil, fmt.Errorf("answered invalid JSON (%v)", err)
	}
	var list []any
	var cursor any
	switch x := v.(type) {
	case []any:
		list = x
	case map[string]any:
		d, ok := x["data"].([]any)
		if !ok {
			return nil, nil, fmt.Errorf(`answered an object without a "data" array of options`)
		}
		list, cursor = d, x["cursor"]
	default: // null included: "no options" is [], not null
		return nil, nil, fmt.Errorf("answered a JSON %s, not an array of options", jsonKind(v))
	}
	out := make([]Option, 0, len(list))
	for i, e := range list {
		o, err := parseOption(e)
		if err != nil {
			return nil, nil, fmt.Errorf("option %d: %w", i, err)
		}
		out = append(out, o)
	}
	return out, cursor, nil
}

func parseOption(e any) (Option, error) {
	obj, ok := e.(map[string]any)
	if !ok {
		return Option{}, fmt.Errorf("not an object {label, value}")
	}
	var o Option
	switch l := obj["label"].(type) {
	case string:
		o.Label = l
	case nil:
		return Option{}, fmt.Errorf("no label")
	default:
		o.Label = valueString(l)
	}
	switch v := obj["value"].(type) {
	case string, json.Number:
		o.Value = v
	default:
		return Option{}, fmt.Errorf("value must be a string or a number, got %s", jsonKind(v))
	}
	if d, ok := obj["isDisabled"].(bool); ok {
		o.Disabled = d
	}
	return o, nil
}

// lookupSelected asks the selected-values URL for the option of value, to
// show a saved value that is not on the first page. It returns nil when the
// plugin does not know it.
func lookupSelected(ctx context.Context, r *Route, m *manifest.Manifest, key string, f *manifest.Field, value any) (*Option, error) {
	if f.SelectedValuesURL == "" {
		return nil, nil
	}
	u, err := m.ResolveURL(f.SelectedValuesURL)
	if err != nil {
		return nil, err
	}
	resp, err := r.Post(ctx, u, key, map[string]any{"value": value}, nil)
	if err != nil {
		return nil, err
	}
	if resp.Status < 200 || resp.Status > 299 {
		return nil, fmt.Errorf("selected values URL %s answered %d", u, resp.Status)
	}
	v, err := decodeJSON(resp.Body)
	if err != nil || v == nil {
		return nil, err
	}
	if arr, ok := v.([]any); ok {
		if len(arr) == 0 {
			return nil, nil
		}
		v = arr[0]
	}
	o, err := parseOption(v)
	if err != nil {
		return nil, err
	}
	return &o, nil
}
