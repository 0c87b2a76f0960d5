// Package selectcheck exercises a plugin's options URLs (select fields and
// both sides of mapping fields) the way Envoy's dashboard calls them, and
// checks the answers against the contract in platform.md: the shape of
// options, page and cursor pagination, search, selected values, signing and
// latency.
//
// The walk streams: each page is decoded option by option and only a small
// digest per distinct value is kept, so memory grows with the number of
// distinct values, never with the size of the options or pages.
package selectcheck

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v7"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// ParamsIn says where the route params go: meta.params (what Envoy's SDK
// reads), the URL's query string, or both.
type ParamsIn string

const (
	ParamsBody  ParamsIn = "body"
	ParamsQuery ParamsIn = "query"
	ParamsBoth  ParamsIn = "both"
)

// Side tells a mapping's two sides apart; "" for a select.
type Side string

const (
	SideSelect Side = ""
	SideLeft   Side = "left"
	SideRight  Side = "right"
)

// Target is one options URL to test.
type Target struct {
	Key               string              // the field key, sent as meta.route
	Side              Side                // mapping side, "" for a select
	URL               string              // resolved options URL
	Pagination        manifest.Pagination // none, page or cursor
	Searchable        bool
	SelectedValuesURL string // resolved; "" when none
	// Params are sent with every call (e.g. --param k=v).
	Params map[string]any
	// Err is set when the target could not be built (e.g. a relative URL
	// without base_url); the field is then reported as failed.
	Err error
}

// Name is how reports refer to the target: the key, with the mapping side.
func (t *Target) Name() string {
	if t.Side == SideSelect {
		return t.Key
	}
	return fmt.Sprintf("%s (%s)", t.Key, t.Side)
}

// Options configure a run.
type Options struct {
	Client  *sim.Client  // the outgoing client (timeouts, bounded reads); required
	Secret  string       // the client secret requests are signed with
	Install *sim.Install // ids, config, location... of meta; nil: generated
	// Keys chooses fields by key (CheckManifest); empty: every select field
	// and both sides of every mapping field.
	Keys         []string
	ParamsIn     ParamsIn      // default both
	Search       []string      // search terms; empty: taken from labels seen
	MaxPages     int           // bound of every walk; default 100
	Slow         time.Duration // a call slower than this is a warning; default 2s
	CheckSigning bool          // also send unsigned, wrongly signed and tampered calls
	Strict       bool          // warnings count as failures
	// Parents is how many left-side values a mapping's right side is
	// called with (parent_resource_id); default 3.
	Parents int
	// Progress, when set, is told which field is being tested.
	Progress func(name string)
}

func (o *Options) defaults() {
	if o.ParamsIn == "" {
		o.ParamsIn = ParamsBoth
	}
	if o.MaxPages <= 0 {
		o.MaxPages = 100
	}
	if o.Slow <= 0 {
		o.Slow = 2 * time.Second
	}
	if o.Parents <= 0 {
		o.Parents = 3
	}
	if o.Client == nil {
		o.Client = sim.NewClient(sim.ClientOptions{})
	}
	if o.Install == nil {
		o.Install = sim.NewInstall(gofakeit.New(1), sim.InstallOptions{})
	}
}

// UnknownKeyError names field keys that are not select or mapping fields.
type UnknownKeyError struct {
	Keys  []string
	Known []string
}

func (e *UnknownKeyError) Error() string {
	known := "the manifest has no select or mapping field"
	if len(e.Known) > 0 {
		known = "select and mapping fields: " + strings.Join(e.Known, ", ")
	}
	return fmt.Sprintf("no select or mapping field with key %s (%s)", strings.Join(quoteAll(e.Keys), ", "), known)
}

func quoteAll(ss []string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = fmt.Sprintf("%q", s)
	}
	return out
}

// FieldKeys lists the keys of the manifest's select and mapping fields, in
// manifest order (for completion and messages).
func FieldKeys(m *manifest.Manifest) []string {
	var out []string
	for _, sf := range m.Fields() {
		f := sf.Field
		if (f.Type == manifest.FieldSelect || f.Type == manifest.FieldMapping) && f.Key != "" {
			out = append(out, f.Key)
		}
	}
	return out
}

// Targets lists what to test in m: every select field and both sides of
// every mapping field, or only the fields named in keys.
func Targets(m *manifest.Manifest, keys []string) ([]Target, error) {
	want := map[string]bool{}
	for _, k := range keys {
		want[k] = true
	}
	var out []Target
	found := map[string]bool{}
	for _, sf := range m.Fields() {
		f := sf.Field
		if f.Type != manifest.FieldSelect && f.Type != manifest.FieldMapping {
			continue
		}
		if len(want) > 0 && !want[f.Key] {
			continue
		}
		found[f.Key] = true
		side := SideSelect
		if f.Type == manifest.FieldMapping {
			side = SideLeft
		}
		out = append(out, target(m, f.Key, side, f))
		if f.Type == manifest.FieldMapping {
			right := Target{Key: f.Key, Side: SideRight, Err: fmt.Errorf("the mapping has no [steps.fields.target] select; add one with an options_url")}
			if f.Target != nil {
				right = target(m, f.Key, SideRight, f.Target)
			}
			out = append(out, right)
		}
	}
	var missing []string
	for _, k := range keys {
		if !found[k] {
			missing = append(missing, k)
		}
	}
	if len(missing) > 0 {
		return nil, &UnknownKeyError{Keys: missing, Known: FieldKeys(m)}
	}
	return out, nil
}

func target(m *manifest.Manifest, key string, side Side, f *manifest.Field) Target {
	t := Target{Key: key, Side: side, Pagination: f.Pagination, Searchable: f.Searchable}
	if t.Pagination == "" {
		t.Pagination = manifest.PaginationNone
	}
	u, err := m.ResolveURL(f.OptionsURL)
	if err != nil {
		t.Err = fmt.Errorf("options_url: %w", err)
		return t
	}
	t.URL = u
	if f.SelectedValuesURL != "" {
		su, err := m.ResolveURL(f.SelectedValuesURL)
		if err != nil {
			t.Err = fmt.Errorf("selected_values_url: %w", err)
			return t
		}
		t.SelectedValuesURL = su
	}
	return t
}

// CheckManifest tests the manifest's select and mapping fields (all, or
// opts.Keys) and returns the report. The error is for a run that could not
// start (unknown keys); contract violations are in the report.
// When opts.Install is nil, meta uses a generated install whose config is
// the manifest's defaults.
func CheckManifest(ctx context.Context, m *manifest.Manifest, opts Options) (*Report, error) {
	targets, err := Targets(m, opts.Keys)
	if err != nil {
		return nil, err
	}
	if opts.Install == nil {
		opts.Install = sim.NewInstall(gofakeit.New(1), sim.InstallOptions{Config: m.Defaults(), Scopes: len(m.Plugin.Scopes) > 0})
	}
	return Run(ctx, targets, opts), nil
}

// Run tests each target in turn. A mapping's right side (SideRight) is
// called with parent_resource_id set to values of the left side tested just
// before it (same Key); without one it is tested with Params alone.
func Run(ctx context.Context, targets []Target, opts Options) *Report {
	opts.defaults()
	rep := &Report{Strict: opts.Strict}
	var left *fieldRun
	for i := range targets {
		if ctx.Err() != nil {
			break // interrupted: the report holds the fields tested so far
		}
		t := &targets[i]
		if opts.Progress != nil {
			opts.Progress(t.Name())
		}
		c := &fieldRun{opts: &opts, t: t, rep: newFieldReport(t)}
		var parents []sample
		hasParents := false
		if t.Side == SideRight && left != nil && left.t.Key == t.Key {
			parents, hasParents = left.parentValues(opts.Parents), true
		}
		c.run(ctx, parents, hasParents)
		c.rep.finish(opts.Strict)
		rep.Fields = append(rep.Fields, c.rep)
		if t.Side == SideLeft {
			left = c
		} else {
			left = nil
		}
	}
	rep.summarize()
	return rep
}

// percentile of sorted durations (nearest rank).
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	if i < 0 {
		i = 0
	}
	if i >= len(sorted) {
		i = len(sorted) - 1
	}
	return sorted[i]
}

func latencyOf(ds []time.Duration) Latency {
	if len(ds) == 0 {
		return Latency{}
	}
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return Latency{Calls: len(s), P50: ms(percentile(s, 0.50)), P95: ms(percentile(s, 0.95)), Max: ms(s[len(s)-1])}
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
