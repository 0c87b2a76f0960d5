package selectcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"strings"
	"time"
	"unicode"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// NoMatchTerm is the search term that should match no option.
const NoMatchTerm = "zqxjvq"

// oddTerms are search terms that must not break an endpoint.
func oddTerms() []struct{ name, term string } {
	return []struct{ name, term string }{
		{"unicode", "Grüße 👋 日本"},
		{"spaces", "two words"},
		{"%&?= characters", "100% & a?b=c#d"},
		{"empty string", ""},
	}
}

// unknownValue is looked up to check that unknown values do not crash the
// selected-values URL.
const unknownValue = "envoy-plugin-unknown-value"

func (c *fieldRun) run(ctx context.Context, parents []sample, hasParents bool) {
	t := c.t
	if t.Err != nil {
		c.rep.add(Check{Name: "walk", Status: Fail, Message: t.Err.Error(), Hint: "fix the manifest; `envoy-plugin validate` lists its problems"})
		return
	}
	if hasParents && len(parents) == 0 {
		c.rep.add(Check{Name: "walk", Status: Skip, Message: "the left side gave no values to send as parent_resource_id"})
		return
	}
	specs := []walkSpec{{}}
	if len(parents) > 0 {
		specs = specs[:0]
		for _, p := range parents {
			specs = append(specs, walkSpec{label: "parent_resource_id=" + p.valueRaw, params: map[string]any{"parent_resource_id": jsonValue(p.value)}})
		}
	}
	specs[0].collect = true
	specs[0].terms = c.opts.Search

	var results []*walkResult
	for _, s := range specs {
		results = append(results, c.walk(ctx, s))
	}
	c.main = results[0]
	c.walkChecks(specs, results)
	for _, r := range results[1:] {
		r.values = nil // other parents' digests are not needed any more
	}

	if ctx.Err() != nil {
		// Interrupted: report what was walked, call nothing more.
		for _, r := range results {
			r.values = nil
		}
		return
	}
	base := specs[0]
	// Later checks need a page that was read whole: after an answer that
	// failed on page 1 (too large, invalid JSON...) there is nothing to
	// search in or look up.
	usable := c.main.pages > 0 || (c.main.stop == nil && c.main.calls > 0)
	if t.Searchable {
		if usable {
			c.searchChecks(ctx, base)
		} else {
			c.rep.add(Check{Name: "search", Status: Skip, Message: "skipped: the walk gave no page to search in"})
		}
	}
	switch {
	case t.SelectedValuesURL != "":
		switch {
		case !usable:
			c.rep.add(Check{Name: "selected values", Status: Skip, Message: "skipped: the walk gave no page to look values up from"})
		case c.main.distinct() > 0:
			c.selectedChecks(ctx, base)
		default:
			c.rep.add(Check{Name: "selected values", Status: Skip, Message: "skipped: the walk gave no value to look up"})
		}
	case t.Pagination == manifest.PaginationPage || t.Pagination == manifest.PaginationCursor:
		c.rep.add(Check{Name: "selected values", Status: Fail, Message: "no selected-values URL: Envoy requires one for paginated selects, to show saved values that are not on the first page",
			Hint: "add selected_values_url to the field (or --selected-values-url)"})
	}
	if c.opts.CheckSigning {
		c.signingChecks(ctx, base)
	}
	c.latencyCheck()
	// Only the samples outlive the field (parents for a right side).
	for _, r := range results {
		r.values = nil
	}
}

// walkChecks turns the main walk(s) into the walk, pagination, options and
// unique-values checks.
func (c *fieldRun) walkChecks(specs []walkSpec, results []*walkResult) {
	var calls, pages, options, values int
	var elapsed time.Duration
	var invalid, dups problems
	var answerStops, pagingStops []*stop
	maxHit := false
	var ends []string
	for i, r := range results {
		calls += r.calls
		pages += r.pages
		options += r.options
		values += r.distinct()
		elapsed += r.elapsed
		invalid.merge(r.invalid)
		dups.merge(r.dups)
		if r.stop != nil {
			switch r.stop.kind {
			case stopAnswer:
				answerStops = append(answerStops, r.stop)
			case stopSkipped:
				// A later parent's walk, after the first one's outage.
				answerStops = append(answerStops, &stop{kind: stopSkipped, msg: joinLabel(specs[i].label, r.stop.msg)})
			default:
				pagingStops = append(pagingStops, r.stop)
			}
		}
		maxHit = maxHit || r.maxPagesHit
		ends = append(ends, c.paginationSummary(r))
	}
	c.rep.Pages, c.rep.Options, c.rep.Values = pages, options, values
	d := ms(elapsed)

	what := fmt.Sprintf("%d %s, %d %s, %d distinct %s", pages, plural(pages, "page", "pages"), options, plural(options, "option", "options"), values, plural(values, "value", "values"))
	if c.t.Pagination == manifest.PaginationNone {
		what = fmt.Sprintf("%d %s, %d distinct %s", options, plural(options, "option", "options"), values, plural(values, "value", "values"))
	}
	if len(specs) > 1 || specs[0].label != "" {
		what = fmt.Sprintf("%d parent %s (%s): %s", len(specs), plural(len(specs), "value", "values"), parentList(specs), what)
	}
	walk := Check{Name: "walk", Status: Pass, Message: what, DurationMs: d}
	switch {
	case len(answerStops) > 0:
		walk.Status, walk.Message, walk.Hint = Fail, answerStops[0].msg, answerStops[0].hint
		if answerStops[0].detail != "" {
			walk.Details = append(walk.Details, "answer: "+answerStops[0].detail)
		}
		for _, s := range answerStops[1:] {
			walk.Details = append(walk.Details, s.msg)
		}
	case options == 0:
		walk.Status, walk.Message = Warn, "answered no options: the installer would see an empty list"
		walk.Hint = "make sure the options URL answers options for this install (is the config or parent_resource_id read as expected?)"
	}
	c.rep.add(walk)

	if c.t.Pagination == manifest.PaginationPage || c.t.Pagination == manifest.PaginationCursor {
		p := Check{Name: "pagination", Status: Pass, Message: strings.Join(dedupe(ends), "; ")}
		switch {
		case len(pagingStops) > 0:
			p.Status, p.Message, p.Hint = Fail, pagingStops[0].msg, pagingStops[0].hint
			for _, s := range pagingStops[1:] {
				p.Details = append(p.Details, s.msg)
			}
		case maxHit:
			p.Status = Warn
			p.Message = fmt.Sprintf("stopped after %d pages (%d options) without reaching the end", c.opts.MaxPages, options)
			p.Hint = fmt.Sprintf("a long list is fine; to walk further, run with --max-pages %d", c.opts.MaxPages*10)
		case len(answerStops) > 0:
			p.Status, p.Message = Skip, "not judged: the walk stopped on an error (see walk)"
		}
		c.rep.add(p)
	}

	o := Check{Name: "options", Status: Pass, Message: "every option has a non-empty string label and a string or number value"}
	if invalid.count > 0 {
		o.Status = Fail
		o.Message = fmt.Sprintf("%d %s the contract", invalid.count, plural(invalid.count, "option breaks", "options break"))
		o.Details = invalid.details()
		o.Hint = "each option is {\"label\": non-empty string, \"value\": string or number, \"isDisabled\"?: boolean}"
	} else if options == 0 {
		o.Status, o.Message = Skip, "no options to check"
	}
	c.rep.add(o)

	u := Check{Name: "unique values", Status: Pass, Message: "no value repeated"}
	if len(specs) > 1 {
		u.Message = "no value repeated under any parent"
	}
	if dups.count > 0 {
		u.Status = Fail
		u.Message = fmt.Sprintf("%d %s repeated within or across pages", dups.count, plural(dups.count, "value", "values"))
		u.Details = dups.details()
		u.Hint = "a value identifies the saved choice: each must appear once over all pages"
	} else if options == 0 {
		u.Status, u.Message = Skip, "no options to check"
	} else if len(pagingStops) > 0 {
		// The repeated page itself is the pagination failure; its values
		// are not counted twice here.
		u.Message = "no value repeated on the pages walked before pagination broke (see pagination)"
	}
	c.rep.add(u)
}

func parentList(specs []walkSpec) string {
	var out []string
	for _, s := range specs {
		out = append(out, strings.TrimPrefix(s.label, "parent_resource_id="))
	}
	return strings.Join(out, ", ")
}

func dedupe(ss []string) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range ss {
		if s != "" && !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

func (c *fieldRun) paginationSummary(r *walkResult) string {
	switch c.t.Pagination {
	case manifest.PaginationPage:
		if r.emptyAt == 0 {
			return ""
		}
		if r.emptyAt == 1 {
			return "page 1 empty, and page 2 too"
		}
		return fmt.Sprintf("pages 1 to %d answered options, page %d was empty and so was page %d", r.emptyAt-1, r.emptyAt, r.emptyAt+1)
	case manifest.PaginationCursor:
		if r.cursorEnd == "" {
			return ""
		}
		return fmt.Sprintf("%d %s followed until the cursor was %s", r.calls, plural(r.calls, "page", "pages"), r.cursorEnd)
	}
	return ""
}

// searchChecks: terms given or taken from labels, a no-match term, and odd
// terms that must not break the endpoint.
func (c *fieldRun) searchChecks(ctx context.Context, base walkSpec) {
	type term struct {
		text string
		want *sample
	}
	var terms []term
	if len(c.opts.Search) > 0 {
		for _, s := range c.opts.Search {
			terms = append(terms, term{s, c.main.examples[s]})
		}
	} else {
		seenTerm := map[string]bool{}
		for _, s := range []*sample{c.main.first, c.main.last} {
			if s == nil {
				continue
			}
			w := firstWord(s.label)
			if w != "" && !seenTerm[w] {
				seenTerm[w] = true
				terms = append(terms, term{w, s})
			}
		}
		if l := c.broadLetter(); l != "" && !seenTerm[l] {
			terms = append(terms, term{l, nil})
		}
	}
	for _, tm := range terms {
		spec := withParam(base, "search", tm.text)
		spec.label = joinLabel(base.label, fmt.Sprintf("search %q", tm.text))
		spec.want = tm.want
		r := c.walk(ctx, spec)
		ch := Check{Name: fmt.Sprintf("search %q", tm.text), DurationMs: ms(r.elapsed)}
		c.judgeWalk(&ch, r)
		if ch.Status == Pass || ch.Status == Warn {
			found := ""
			if tm.want != nil {
				if !r.found {
					ch.Status = Fail
					ch.Message = fmt.Sprintf("the label %q (page %d) contains %q but the search did not return it (%d %s answered)", cut(tm.want.label, 80), tm.want.page, tm.text, r.options, plural(r.options, "option", "options"))
					ch.Hint = "filter on meta.params.search, case-insensitively on the label (as the dashboard does), and keep the search across pages"
				} else {
					found = fmt.Sprintf("; found %q again", cut(tm.want.label, 80))
				}
			}
			if ch.Status == Pass {
				ch.Message = fmt.Sprintf("%d %s over %d %s%s", r.options, plural(r.options, "option", "options"), r.pages, plural(r.pages, "page", "pages"), found)
			}
		}
		c.rep.add(ch)
	}

	// A term that matches nothing must give an empty list.
	spec := withParam(base, "search", NoMatchTerm)
	spec.label, spec.firstOnly = joinLabel(base.label, fmt.Sprintf("search %q", NoMatchTerm)), true
	r := c.walk(ctx, spec)
	ch := Check{Name: "search no match", DurationMs: ms(r.elapsed)}
	c.judgeWalk(&ch, r)
	if ch.Status == Pass {
		if r.options > 0 {
			ch.Status = Warn
			ch.Message = fmt.Sprintf("search %q should match nothing but answered %d %s: the plugin seems to ignore `search`", NoMatchTerm, r.options, plural(r.options, "option", "options"))
			ch.Hint = "filter options on meta.params.search (case-insensitively on the label)"
		} else {
			ch.Message = fmt.Sprintf("search %q answered an empty list", NoMatchTerm)
		}
	}
	c.rep.add(ch)

	// Odd terms must not break the endpoint.
	for _, odd := range oddTerms() {
		spec := withParam(base, "search", odd.term)
		spec.label, spec.firstOnly = joinLabel(base.label, fmt.Sprintf("search %q", odd.term)), true
		r := c.walk(ctx, spec)
		ch := Check{Name: "search odd term (" + odd.name + ")", DurationMs: ms(r.elapsed)}
		c.judgeWalk(&ch, r)
		if ch.Status == Pass {
			ch.Message = fmt.Sprintf("search %q answered %d %s", odd.term, r.options, plural(r.options, "option", "options"))
		}
		if ch.Status == Fail {
			ch.Hint = "search terms arrive as typed: unicode, spaces, %&?= characters and the empty string must all work"
		}
		c.rep.add(ch)
	}
}

// judgeWalk sets a check from a walk's problems (status Pass if none).
func (c *fieldRun) judgeWalk(ch *Check, r *walkResult) {
	ch.Status = Pass
	switch {
	case r.stop != nil && r.stop.kind == stopSkipped:
		ch.Status, ch.Message = Skip, r.stop.msg
	case r.stop != nil:
		ch.Status, ch.Message, ch.Hint = Fail, r.stop.msg, r.stop.hint
		if r.stop.detail != "" {
			ch.Details = []string{"answer: " + r.stop.detail}
		}
	case r.invalid.count > 0:
		ch.Status = Fail
		ch.Message = fmt.Sprintf("%d %s the contract", r.invalid.count, plural(r.invalid.count, "option breaks", "options break"))
		ch.Details = r.invalid.details()
	case r.dups.count > 0:
		ch.Status = Fail
		ch.Message = fmt.Sprintf("%d %s repeated within or across pages", r.dups.count, plural(r.dups.count, "value", "values"))
		ch.Details = r.dups.details()
	case r.maxPagesHit:
		ch.Status = Warn
		ch.Message = fmt.Sprintf("stopped after %d pages without reaching the end", c.opts.MaxPages)
		ch.Hint = "a long list is fine; to walk further, raise --max-pages"
	}
}

func withParam(base walkSpec, k string, v any) walkSpec {
	s := walkSpec{params: maps.Clone(base.params)}
	if s.params == nil {
		s.params = map[string]any{}
	}
	s.params[k] = v
	s.label = base.label
	return s
}

func joinLabel(a, b string) string {
	if a == "" {
		return b
	}
	return a + ", " + b
}

// firstWord is the label's first word (a prefix of the label, so exact,
// prefix, substring and case-insensitive searches all find it).
func firstWord(label string) string {
	label = strings.TrimSpace(label)
	end := strings.IndexFunc(label, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
	w := label
	if end > 0 {
		w = label[:end]
	}
	if len([]rune(w)) < 2 {
		return ""
	}
	// A prefix is found as well, and keeps messages short.
	if r := []rune(w); len(r) > 40 {
		w = string(r[:40])
	}
	return w
}

// broadLetter is a letter found in about half the labels, to exercise
// search together with pagination; "" when the list is one page.
func (c *fieldRun) broadLetter() string {
	if c.main.pages < 2 {
		return ""
	}
	half := c.main.distinct() / 2
	best, bestDiff := -1, 1<<62
	for i, n := range c.main.letters {
		if n == 0 {
			continue
		}
		d := n - half
		if d < 0 {
			d = -d
		}
		if d < bestDiff {
			best, bestDiff = i, d
		}
	}
	if best < 0 {
		return ""
	}
	return string(rune('a' + best))
}

// parentValues are left-side values for a mapping's right side.
func (c *fieldRun) parentValues(n int) []sample {
	if c.main == nil {
		return nil
	}
	var out []sample
	seen := map[uint64]bool{}
	for _, s := range []*sample{c.main.first, c.main.second, c.main.last} {
		if s != nil && !seen[s.key] && len(out) < n {
			seen[s.key] = true
			out = append(out, *s)
		}
	}
	return out
}

// lookupSamples are values to look up through the selected-values URL:
// values seen on later pages (the dashboard shows page 1 by itself).
func (c *fieldRun) lookupSamples() []sample {
	cands := []*sample{c.main.second, c.main.lastFirst, c.main.last}
	if c.main.pages <= 1 {
		cands = []*sample{c.main.first, c.main.last}
	}
	var out []sample
	seen := map[uint64]bool{}
	for _, s := range cands {
		if s != nil && !seen[s.key] {
			seen[s.key] = true
			out = append(out, *s)
		}
	}
	return out
}

// routeCall makes one bounded, non-streamed call (selected values); at
// names it in an outage's message (e.g. `value "apple"`).
func (c *fieldRun) routeCall(ctx context.Context, url string, params map[string]any, at string) (*sim.Response, time.Duration, string) {
	req, _, err := c.request(url, params)
	if err != nil {
		return nil, 0, "cannot build the request: " + err.Error()
	}
	start := time.Now()
	resp, err := c.do(ctx, req)
	d := time.Since(start)
	c.rep.latencies = append(c.rep.latencies, d)
	if err != nil {
		c.noteOutage(url, at, err)
		return nil, d, c.diagnose(err, url, resp != nil)
	}
	return resp, d, ""
}

// do sends one call and reads its whole (bounded) answer. It streams, so
// that a body that stops coming is diagnosed as the timeout it is; a body
// past the bound is cut and marked Truncated, as Client.Do does.
func (c *fieldRun) do(ctx context.Context, req sim.Request) (*sim.Response, error) {
	var resp *sim.Response
	start := time.Now()
	_, err := c.opts.Client.Stream(ctx, req, func(status int, h http.Header, body io.Reader) error {
		resp = &sim.Response{Status: status, Header: h}
		if status >= 300 && status < 400 {
			resp.Location = h.Get("Location")
		}
		var buf bytes.Buffer
		_, err := io.Copy(&buf, body)
		resp.Body = buf.Bytes()
		if errors.Is(err, sim.ErrBodyTooLarge) {
			resp.Truncated, err = true, nil
		}
		return err
	})
	if resp != nil {
		resp.Latency = time.Since(start)
	}
	return resp, err
}

// diagnose words a failed call; reading says the status had come.
func (c *fieldRun) diagnose(err error, url string, reading bool) string {
	diag, _ := sim.Diagnose(err, url)
	if diag == "timed out" {
		diag = "timed out after " + shortDur(c.opts.Client.Timeout()) + " (--timeout)"
	}
	if reading && diag != "cancelled" {
		diag += " while reading the answer"
	}
	return diag
}

// lookedUp is a selected-values answer: options by value digest.
type lookedUp struct {
	isNull  bool
	options []option
	invalid []string
}

func parseSelected(body []byte) (lookedUp, error) {
	var out lookedUp
	body = bytes.TrimSpace(body)
	if !json.Valid(body) {
		if len(body) == 0 {
			return out, fmt.Errorf("the answer is empty")
		}
		var v any
		var se *json.SyntaxError
		if err := json.Unmarshal(body, &v); errors.As(err, &se) && se.Offset >= int64(len(body)) {
			return out, fmt.Errorf("invalid JSON: the answer ends early (after %d bytes, in the middle of a value): %s", len(body), cut(string(body), 160))
		}
		return out, fmt.Errorf("invalid JSON: %s", cut(string(body), 160))
	}
	var raws []json.RawMessage
	switch body[0] {
	case 'n':
		out.isNull = true
		return out, nil
	case '{':
		raws = []json.RawMessage{body}
	case '[':
		if err := json.Unmarshal(body, &raws); err != nil {
			return out, err
		}
	default:
		return out, fmt.Errorf("expected an option, an array of options or null, got %s", kindOfRaw(body))
	}
	for i, raw := range raws {
		o := checkOption(raw)
		o.index = i
		if o.problem != "" {
			out.invalid = append(out.invalid, fmt.Sprintf("index %d: %s: %s", i, o.problem, cut(string(raw), 160)))
			continue
		}
		o.raw = nil
		out.options = append(out.options, o)
	}
	return out, nil
}

func (l lookedUp) find(key uint64) *option {
	for i := range l.options {
		if l.options[i].key == key {
			return &l.options[i]
		}
	}
	return nil
}

// selectedChecks looks values seen during the walk up through the
// selected-values URL, one by one and as an array, and an unknown value.
func (c *fieldRun) selectedChecks(ctx context.Context, base walkSpec) {
	samples := c.lookupSamples()
	url := c.t.SelectedValuesURL
	hint := "answer params.value (one value or an array) with the option(s) the options URL gives for them (same label), or null when unknown"
	if msg := c.skipped(url); msg != "" {
		// Its server already timed out, refused or reset a call.
		for _, name := range []string{"selected value", "selected values (array)", "selected value (unknown)"} {
			c.rep.add(Check{Name: name, Status: Skip, Message: msg})
		}
		return
	}

	// One value at a time.
	one := Check{Name: "selected value", Status: Pass}
	var oneDur time.Duration
	var okLabels []string
	failed := 0
	for i, s := range samples {
		if msg := c.skipped(url); msg != "" {
			n := len(samples) - i
			one.Details = append(one.Details, fmt.Sprintf("%d more %s not looked up: %s", n, plural(n, "value", "values"), msg))
			break
		}
		params := maps.Clone(base.params)
		if params == nil {
			params = map[string]any{}
		}
		params["value"] = jsonValue(s.value)
		resp, d, diag := c.routeCall(ctx, url, params, "value "+cut(s.valueRaw, 80))
		oneDur += d
		what := fmt.Sprintf("value %s (page %d, %q)", cut(s.valueRaw, 80), s.page, cut(s.label, 80))
		if msg := c.selectedProblem(resp, diag, s); msg != "" {
			one.Status = Fail
			failed++
			one.Details = append(one.Details, what+": "+msg)
			continue
		}
		okLabels = append(okLabels, fmt.Sprintf("%q", cut(s.label, 80)))
	}
	one.DurationMs = ms(oneDur)
	if one.Status == Pass {
		one.Message = fmt.Sprintf("gave back %s", strings.Join(okLabels, ", "))
	} else {
		one.Message = fmt.Sprintf("%d of %d values not given back as during the walk", failed, len(samples))
		one.Hint = hint
	}
	c.rep.add(one)

	// All of them as an array.
	if msg := c.skipped(url); msg != "" {
		c.rep.add(Check{Name: "selected values (array)", Status: Skip, Message: msg})
		c.rep.add(Check{Name: "selected value (unknown)", Status: Skip, Message: msg})
		return
	}
	arr := Check{Name: "selected values (array)", Status: Pass}
	values := make([]any, 0, len(samples))
	for _, s := range samples {
		values = append(values, jsonValue(s.value))
	}
	params := maps.Clone(base.params)
	if params == nil {
		params = map[string]any{}
	}
	params["value"] = values
	resp, d, diag := c.routeCall(ctx, url, params, "value "+sampleValues(samples))
	arr.DurationMs = ms(d)
	if msg := c.selectedArrayProblem(resp, diag, samples); msg != nil {
		arr.Status, arr.Message, arr.Details, arr.Hint = Fail, msg[0], msg[1:], hint
	} else {
		arr.Message = fmt.Sprintf("%d values looked up at once, all given back", len(samples))
	}
	c.rep.add(arr)

	// An unknown value must not crash it.
	if msg := c.skipped(url); msg != "" {
		c.rep.add(Check{Name: "selected value (unknown)", Status: Skip, Message: msg})
		return
	}
	unk := Check{Name: "selected value (unknown)", Status: Pass}
	params = maps.Clone(base.params)
	if params == nil {
		params = map[string]any{}
	}
	params["value"] = unknownValue
	resp, d, diag = c.routeCall(ctx, url, params, fmt.Sprintf("value %q", unknownValue))
	unk.DurationMs = ms(d)
	switch {
	case diag != "":
		unk.Status, unk.Message = Fail, fmt.Sprintf("value %q: %s", unknownValue, diag)
	case resp.Status < 200 || resp.Status > 299:
		unk.Status, unk.Message = Fail, fmt.Sprintf("value %q: HTTP %d", unknownValue, resp.Status)
		unk.Details = []string{"answer: " + cut(string(bytes.TrimSpace(resp.Body)), 200)}
	default:
		l, err := parseSelected(resp.Body)
		switch {
		case err != nil:
			unk.Status, unk.Message = Fail, fmt.Sprintf("value %q: %v", unknownValue, err)
		case l.isNull:
			unk.Message = fmt.Sprintf("value %q answered null", unknownValue)
		default:
			unk.Message = fmt.Sprintf("value %q answered %d %s", unknownValue, len(l.options), plural(len(l.options), "option", "options"))
		}
	}
	if unk.Status == Fail {
		unk.Hint = "answer null (or []) for values the plugin does not know: a saved value may have been deleted since"
	}
	c.rep.add(unk)
}

// selectedProblem judges the answer to one looked-up value.
func (c *fieldRun) selectedProblem(resp *sim.Response, diag string, s sample) string {
	switch {
	case diag != "":
		return diag
	case resp.Status < 200 || resp.Status > 299:
		return fmt.Sprintf("HTTP %d %s", resp.Status, cut(string(bytes.TrimSpace(resp.Body)), 160))
	}
	l, err := parseSelected(resp.Body)
	switch {
	case err != nil:
		return err.Error()
	case len(l.invalid) > 0:
		return "invalid option: " + l.invalid[0]
	case l.isNull:
		return "answered null"
	}
	o := l.find(s.key)
	if o == nil {
		return fmt.Sprintf("the answer does not hold this value: %s", cut(string(bytes.TrimSpace(resp.Body)), 160))
	}
	if o.label != s.label {
		return fmt.Sprintf("answered the label %q, the options URL gave %q", cut(o.label, 80), cut(s.label, 80))
	}
	return ""
}

func (c *fieldRun) selectedArrayProblem(resp *sim.Response, diag string, samples []sample) []string {
	switch {
	case diag != "":
		return []string{"value " + sampleValues(samples) + ": " + diag}
	case resp.Status < 200 || resp.Status > 299:
		return []string{fmt.Sprintf("value %s: HTTP %d", sampleValues(samples), resp.Status), "answer: " + cut(string(bytes.TrimSpace(resp.Body)), 200)}
	}
	l, err := parseSelected(resp.Body)
	if err != nil {
		return []string{fmt.Sprintf("value %s: %v", sampleValues(samples), err)}
	}
	var out []string
	for _, inv := range l.invalid {
		out = append(out, "invalid option: "+inv)
	}
	trimmed := bytes.TrimSpace(resp.Body)
	if len(samples) > 1 && len(trimmed) > 0 && trimmed[0] != '[' {
		out = append(out, fmt.Sprintf("expected an array of options for an array of values, got %s", kindOfRaw(trimmed)))
	}
	for _, s := range samples {
		o := l.find(s.key)
		switch {
		case o == nil:
			out = append(out, fmt.Sprintf("value %s (page %d, %q) is missing from the answer", cut(s.valueRaw, 80), s.page, cut(s.label, 80)))
		case o.label != s.label:
			out = append(out, fmt.Sprintf("value %s: answered the label %q, the options URL gave %q", cut(s.valueRaw, 80), cut(o.label, 80), cut(s.label, 80)))
		}
	}
	// Other values the walk saw must keep their label too.
	for _, o := range l.options {
		if prev, ok := c.main.values[o.key]; ok && prev.label != fold(o.labelSum) {
			found := false
			for _, s := range samples {
				found = found || s.key == o.key
			}
			if !found {
				out = append(out, fmt.Sprintf("value %s: answered the label %q, different from the walk's", cut(string(o.valueRaw), 80), cut(o.label, 80)))
			}
		}
	}
	if len(out) == 0 {
		return nil
	}
	return append([]string{fmt.Sprintf("value %s: %d %s", sampleValues(samples), len(out), plural(len(out), "problem", "problems"))}, out...)
}

func sampleValues(ss []sample) string {
	var parts []string
	for _, s := range ss {
		parts = append(parts, cut(s.valueRaw, 80))
	}
	return "[" + strings.Join(parts, ",") + "]"
}

// signingChecks sends the first page unsigned, signed with a wrong secret
// and tampered after signing: none may be answered with options.
func (c *fieldRun) signingChecks(ctx context.Context, base walkSpec) {
	params := maps.Clone(base.params)
	if params == nil {
		params = map[string]any{}
	}
	if c.t.Pagination == manifest.PaginationPage {
		params["page"] = 1
	}
	good, body, err := c.request(c.t.URL, params)
	if err != nil {
		c.rep.add(Check{Name: "signing", Status: Fail, Message: "cannot build the request: " + err.Error()})
		return
	}
	unsigned := good
	unsigned.Header = good.Header.Clone()
	unsigned.Header.Del(creds.SignatureHeader)

	wrong := good
	wrong.Header = good.Header.Clone()
	wrong.Header.Set(creds.SignatureHeader, creds.Sign("not-the-"+c.opts.Secret, body))

	tampered := good
	tampered.Header = good.Header.Clone()
	tampered.Body = tamper(body)

	for _, p := range []struct {
		name string
		req  sim.Request
		what string
	}{
		{"signing: unsigned", unsigned, "an unsigned call"},
		{"signing: wrong secret", wrong, "a call signed with another secret"},
		{"signing: tampered body", tampered, "a body changed after signing"},
	} {
		if msg := c.skipped(c.t.URL); msg != "" {
			c.rep.add(Check{Name: p.name, Status: Skip, Message: msg})
			continue
		}
		start := time.Now()
		resp, err := c.do(ctx, p.req)
		d := time.Since(start)
		c.rep.latencies = append(c.rep.latencies, d)
		ch := Check{Name: p.name, DurationMs: ms(d)}
		switch {
		case err != nil:
			c.noteOutage(c.t.URL, p.what, err)
			ch.Status, ch.Message = Warn, fmt.Sprintf("could not tell: %s", c.diagnose(err, c.t.URL, resp != nil))
		case resp.Status >= 200 && resp.Status <= 299 && listKind(resp.Body) == listWithOptions:
			ch.Status = Fail
			ch.Message = fmt.Sprintf("answered HTTP %d with options to %s", resp.Status, p.what)
			ch.Hint = "verify X-Envoy-Signature before answering (an SDK handler does so when it reads meta or payload; one that never reads them answers anyone)"
		case resp.Status >= 200 && resp.Status <= 299 && listKind(resp.Body) == listEmpty:
			// An empty list is no proof either way: the signed call may
			// answer [] too, for this install.
			ch.Status = Warn
			ch.Message = fmt.Sprintf("answered HTTP %d with no options to %s: cannot tell whether the signature was checked", resp.Status, p.what)
			ch.Hint = "make the options URL answer options for this install (see walk), then run --check-signing again"
		case resp.Status >= 300 && resp.Status <= 399:
			ch.Status = Warn
			ch.Message = fmt.Sprintf("answered a redirect (HTTP %d%s) to %s: cannot tell whether the signature was checked", resp.Status, locationNote(resp.Location), p.what)
			ch.Hint = "point the manifest at the final URL (Envoy does not follow redirects), then run --check-signing again"
		default:
			ch.Status = Pass
			ch.Message = fmt.Sprintf("refused: HTTP %d %s", resp.Status, cut(string(bytes.TrimSpace(resp.Body)), 80))
		}
		c.rep.add(ch)
	}
}

// tamper changes the body after signing: a different install id.
func tamper(body []byte) []byte {
	var v map[string]any
	if err := json.Unmarshal(body, &v); err != nil {
		return append(append([]byte(nil), body...), ' ')
	}
	if meta, ok := v["meta"].(map[string]any); ok {
		meta["install_id"] = "tampered-install"
	}
	out, err := sim.Marshal(v)
	if err != nil || bytes.Equal(out, body) {
		return append(append([]byte(nil), body...), ' ')
	}
	return out
}

// What a probe's answer holds.
const (
	listNone        = iota // not a list of options
	listEmpty              // [] or {data: []}
	listWithOptions        // a non-empty list
)

// listKind tells options from an empty list in a 2xx answer to a probe:
// a JSON array, or an object whose data is one.
func listKind(body []byte) int {
	body = bytes.TrimSpace(body)
	if len(body) == 0 {
		return listNone
	}
	var list []json.RawMessage
	switch body[0] {
	case '[':
		if json.Unmarshal(body, &list) != nil {
			return listNone
		}
	case '{':
		var v struct {
			Data json.RawMessage `json:"data"`
		}
		if json.Unmarshal(body, &v) != nil {
			return listNone
		}
		d := bytes.TrimSpace(v.Data)
		if len(d) == 0 || d[0] != '[' || json.Unmarshal(d, &list) != nil {
			return listNone
		}
	default:
		return listNone
	}
	if len(list) == 0 {
		return listEmpty
	}
	return listWithOptions
}

func locationNote(loc string) string {
	if loc == "" {
		return ""
	}
	return " to " + cut(loc, 120)
}

func (c *fieldRun) latencyCheck() {
	lat := latencyOf(c.rep.latencies)
	if lat.Calls == 0 {
		return
	}
	ch := Check{Name: "latency", Status: Pass, Message: fmt.Sprintf("p50 %s, p95 %s, max %s over %d %s", fmtMs(lat.P50), fmtMs(lat.P95), fmtMs(lat.Max), lat.Calls, plural(lat.Calls, "call", "calls"))}
	if c.slowCount > 0 {
		ch.Status = Warn
		ch.Message = fmt.Sprintf("%d %s slower than %s; slowest: %s in %s", c.slowCount, plural(c.slowCount, "page", "pages"), fmtDur(c.opts.Slow), c.slowWhat, fmtDur(c.slowest))
		ch.Hint = "the installer waits on every page; answer faster than --slow (cache, or smaller pages)"
	}
	c.rep.add(ch)
}
