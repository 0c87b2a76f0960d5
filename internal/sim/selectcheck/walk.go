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

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// maxListed bounds the examples a check lists.
const maxListed = 5

// problems counts findings and keeps the first few for the report.
type problems struct {
	count int
	first []string
}

func (p *problems) add(s string) {
	p.count++
	if len(p.first) < maxListed {
		p.first = append(p.first, s)
	}
}

func (p *problems) merge(o problems) {
	for _, s := range o.first {
		if len(p.first) < maxListed {
			p.first = append(p.first, s)
		}
	}
	p.count += o.count
}

func (p *problems) details() []string {
	d := append([]string(nil), p.first...)
	if p.count > len(p.first) {
		d = append(d, fmt.Sprintf("… and %d more", p.count-len(p.first)))
	}
	return d
}

// seen is what the walk keeps per distinct value, whatever the size of the
// option: with its 8-byte key, 16 bytes plus the map's own overhead. The
// label digest is folded to 32 bits: it only serves to notice a label that
// changed between the walk and the selected-values answer.
type seen struct {
	label uint32
	page  int32
}

func fold(h uint64) uint32 { return uint32(h) ^ uint32(h>>32) }

// sample is an option kept whole: a handful per walk, for search terms,
// selected values and parents.
type sample struct {
	value    any // string or json.Number
	valueRaw string
	label    string
	page     int
	key      uint64
}

// Samples are only kept when small, so memory stays bounded.
const maxSampleBytes = 512

func newSample(o *option, page int) (sample, bool) {
	if o.problem != "" || len(o.valueRaw) > maxSampleBytes || len(o.label) > maxSampleBytes {
		return sample{}, false
	}
	return sample{value: o.value, valueRaw: string(o.valueRaw), label: o.label, page: page, key: o.key}, true
}

// stopKind says which check a walk-stopping problem belongs to.
type stopKind int

const (
	stopAnswer     stopKind = iota // transport, status, JSON, shape, size
	stopPagination                 // page repeats, after-empty, cursor loop or type
	stopSkipped                    // not called: the endpoint had an outage before
)

type stop struct {
	kind stopKind
	msg  string
	hint string
	// detail is an excerpt of the offending answer.
	detail string
}

// walkSpec is one walk: a target with base params (search,
// parent_resource_id) and how much of it to walk.
type walkSpec struct {
	label     string         // context for messages, e.g. `search "Hola"`; "" for the main walk
	params    map[string]any // sent with every page
	firstOnly bool           // only the first page
	// main walk: keep samples and examples for terms.
	collect bool
	terms   []string
	// want is a value the walk should meet (search finds the label again).
	want *sample
}

// walkResult is what a walk found.
type walkResult struct {
	calls, pages, options int
	emptyAt               int    // page mode: first empty page
	cursorEnd             string // cursor mode: how the last cursor ended
	stop                  *stop
	maxPagesHit           bool
	invalid, dups         problems
	values                map[uint64]seen
	elapsed               time.Duration
	found                 bool // want was met
	// samples (collect): first option, first of page 2, first of the last
	// page, last option; examples per term.
	first, second, lastFirst, last *sample
	examples                       map[string]*sample
	letters                        [26]int
}

func (w *walkResult) distinct() int { return len(w.values) }

// fieldRun tests one target.
type fieldRun struct {
	opts *Options
	t    *Target
	rep  *FieldReport
	main *walkResult

	slowCount int
	slowest   time.Duration
	slowWhat  string

	// outages are the transport failures met so far (see outage.go).
	outages []outage
}

// where prefixes a message with the walk's context.
func where(spec *walkSpec, page int) string {
	p := fmt.Sprintf("page %d", page)
	if spec.label != "" {
		return spec.label + ", " + p
	}
	return p
}

// walk calls the options URL page after page (or cursor after cursor)
// until the end, a problem that stops it, or MaxPages.
func (c *fieldRun) walk(ctx context.Context, spec walkSpec) *walkResult {
	start := time.Now()
	res := &walkResult{values: map[uint64]seen{}}
	if spec.collect {
		res.examples = map[string]*sample{}
	}
	pageSums := map[uint64]int{}
	cursorSums := map[uint64]int{}
	cursorMode := c.t.Pagination == manifest.PaginationCursor
	pageMode := c.t.Pagination == manifest.PaginationPage
	var cursor any
	page := 0
	for {
		if ctx.Err() != nil {
			res.stop = &stop{kind: stopAnswer, msg: where(&spec, page+1) + ": interrupted before the call"}
			break
		}
		page++
		if page > c.opts.MaxPages && res.emptyAt == 0 {
			res.maxPagesHit = true
			break
		}
		params := maps.Clone(spec.params)
		if params == nil {
			params = map[string]any{}
		}
		if pageMode {
			params["page"] = page
		}
		if cursorMode && cursor != nil {
			params["cursor"] = cursor
		}
		// Duplicates found on this page are kept aside until the page is
		// known not to repeat an earlier one as a whole.
		var pageDups problems
		var firstOfPage *sample
		visit := func(o *option) {
			if o.problem != "" {
				res.invalid.add(fmt.Sprintf("%s, index %d: %s: %s", where(&spec, page), o.index, o.problem, cut(string(bytes.TrimSpace(o.raw)), 160)))
				return
			}
			if prev, dup := res.values[o.key]; dup {
				pageDups.add(fmt.Sprintf("%s, index %d: value %s repeats a value of page %d", where(&spec, page), o.index, cut(string(o.valueRaw), 80), prev.page))
			} else {
				res.values[o.key] = seen{label: fold(o.labelSum), page: int32(page)}
			}
			if spec.want != nil && o.key == spec.want.key {
				res.found = true
			}
			if spec.collect {
				c.collect(res, o, page, &firstOfPage, spec.terms)
			}
		}
		if msg := c.skipped(c.t.URL); msg != "" {
			res.stop = &stop{kind: stopSkipped, msg: msg}
			break
		}
		ans, latency, st := c.fetch(ctx, params, cursorMode, spec.label, page, visit)
		res.calls++
		c.rep.latencies = append(c.rep.latencies, latency)
		c.noteSlow(spec.label, page, latency)
		if st != nil {
			res.stop = st
			res.options += ans.options // read before the problem
			res.dups.merge(pageDups)
			break
		}
		res.options += ans.options
		if ans.options > 0 {
			if prev, ok := pageSums[ans.digest]; ok {
				if cursorMode {
					res.stop = &stop{kind: stopPagination, msg: fmt.Sprintf("%s is the same page as page %d: the cursor seems to be ignored", where(&spec, page), prev),
						hint: "read meta.params.cursor and answer the page after it"}
				} else {
					res.stop = &stop{kind: stopPagination, msg: fmt.Sprintf("%s repeats page %d: the plugin seems to ignore `page`", where(&spec, page), prev),
						hint: "read meta.params.page (a number, first page 1; it may also arrive as a string) and answer that page; answer [] after the last one"}
				}
				break
			}
			pageSums[ans.digest] = page
			res.dups.merge(pageDups)
			if res.emptyAt > 0 {
				res.stop = &stop{kind: stopPagination, msg: fmt.Sprintf("%s has %d options after page %d was empty: Envoy stops at the first empty page, so they are never shown", where(&spec, page), ans.options, res.emptyAt),
					hint: "answer [] for every page after the last one"}
				break
			}
			res.pages++
			if spec.collect && firstOfPage != nil {
				res.lastFirst = firstOfPage
			}
		}
		if spec.firstOnly {
			break
		}
		switch {
		case pageMode:
			if ans.options == 0 {
				if res.emptyAt > 0 {
					res.elapsed = time.Since(start)
					return res // two empty pages in a row: done
				}
				res.emptyAt = page // probe one more page: it must be empty too
			}
		case cursorMode:
			switch ans.cursor {
			case cursorDone:
				res.cursorEnd = ans.cursorEnd
				res.elapsed = time.Since(start)
				return res
			case cursorBad:
				res.stop = &stop{kind: stopPagination, msg: fmt.Sprintf("%s: cursor must be a string or a number (or null on the last page), got %s", where(&spec, page), ans.cursorRaw),
					hint: "answer {data: [...], cursor: \"opaque-string\"} and cursor: null on the last page"}
			default:
				sum := valueKey(ans.cursorVal)
				if prev, ok := cursorSums[sum]; ok {
					res.stop = &stop{kind: stopPagination, msg: fmt.Sprintf("%s: cursor %s was already given by page %d: a loop", where(&spec, page), ans.cursorRaw, prev),
						hint: "each page's cursor must lead to the next page; answer cursor: null on the last page"}
				} else {
					cursorSums[sum] = page
					cursor = ans.cursorVal
					continue
				}
			}
		default:
			res.elapsed = time.Since(start)
			return res
		}
		if res.stop != nil {
			break
		}
	}
	res.elapsed = time.Since(start)
	return res
}

func (c *fieldRun) collect(res *walkResult, o *option, page int, firstOfPage **sample, terms []string) {
	s, ok := newSample(o, page)
	if !ok {
		return
	}
	if res.first == nil {
		res.first = &s
	}
	if page == 2 && res.second == nil {
		res.second = &s
	}
	if *firstOfPage == nil {
		*firstOfPage = &s
	}
	res.last = &s
	lower := strings.ToLower(s.label)
	for _, t := range terms {
		lt := strings.ToLower(t)
		if lt == "" || !strings.Contains(lower, lt) {
			continue
		}
		// Prefer a label that starts with the term: prefix searches find it.
		if ex := res.examples[t]; ex == nil || (!strings.HasPrefix(strings.ToLower(ex.label), lt) && strings.HasPrefix(lower, lt)) {
			res.examples[t] = &s
		}
	}
	marked := [26]bool{}
	for i := 0; i < len(lower); i++ {
		if ch := lower[i]; ch >= 'a' && ch <= 'z' && !marked[ch-'a'] {
			marked[ch-'a'] = true
			res.letters[ch-'a']++
		}
	}
}

// slowCall is the slowest call over the threshold, for the latency check.
func (c *fieldRun) noteSlow(label string, page int, d time.Duration) {
	if d <= c.opts.Slow {
		return
	}
	c.slowCount++
	if d > c.slowest {
		c.slowest = d
		c.slowWhat = where(&walkSpec{label: label}, page)
	}
}

// request builds one signed route call: the target's own params plus
// params, in meta.params and/or the query string per ParamsIn.
func (c *fieldRun) request(url string, params map[string]any) (sim.Request, []byte, error) {
	all := map[string]any{}
	maps.Copy(all, c.t.Params)
	maps.Copy(all, params)
	bodyParams := all
	if c.opts.ParamsIn == ParamsQuery {
		bodyParams = map[string]any{}
	}
	if c.opts.ParamsIn != ParamsBody {
		u, err := sim.WithQuery(url, all)
		if err != nil {
			return sim.Request{}, nil, err
		}
		url = u
	}
	body, err := c.opts.Install.RouteBody(c.t.Key, bodyParams, nil)
	if err != nil {
		return sim.Request{}, nil, err
	}
	return sim.SignedRequest(url, body, c.opts.Secret), body, nil
}

// fetch calls one page and streams its options to visit.
func (c *fieldRun) fetch(ctx context.Context, params map[string]any, cursorMode bool, label string, page int, visit func(*option)) (answer, time.Duration, *stop) {
	at := where(&walkSpec{label: label}, page)
	req, _, err := c.request(c.t.URL, params)
	if err != nil {
		return answer{}, 0, &stop{kind: stopAnswer, msg: fmt.Sprintf("%s: cannot build the request: %v", at, err)}
	}
	var ans answer
	var st *stop
	latency, err := c.opts.Client.Stream(ctx, req, func(status int, h http.Header, body io.Reader) error {
		head := &headBuffer{max: 200}
		tee := io.TeeReader(body, head)
		if status < 200 || status > 299 {
			_, _ = io.Copy(io.Discard, io.LimitReader(tee, 400))
			st = &stop{kind: stopAnswer, msg: fmt.Sprintf("%s: HTTP %d%s", at, status, statusNote(status, h)), detail: head.String(), hint: statusHint(status)}
			return nil
		}
		var perr error
		ans, perr = parsePage(tee, cursorMode, visit)
		if perr != nil {
			st = c.answerStop(at, perr, head.String())
		}
		return nil
	})
	if err != nil && st == nil {
		st = c.transportStop(at, err)
	}
	return ans, latency, st
}

func (c *fieldRun) answerStop(at string, err error, head string) *stop {
	var se *shapeError
	switch {
	case errors.As(err, &se):
		return &stop{kind: stopAnswer, msg: fmt.Sprintf("%s: %s", at, se.msg), detail: head,
			hint: "answer 2xx with a JSON array of {label, value} options (an object {data, cursor} with cursor pagination)"}
	case errors.Is(err, sim.ErrBodyTooLarge):
		return &stop{kind: stopAnswer, msg: fmt.Sprintf("%s: the answer is larger than %s; reading stopped there", at, sizeOf(err)),
			hint: "paginate: Envoy's dashboard loads each page whole, so keep pages small (tens of options)"}
	}
	st := c.transportStop(at, err)
	if strings.HasSuffix(st.msg, "(--timeout)") {
		// The status came in time, the body did not.
		st.msg += " while reading the answer"
		st.hint = "the plugin sent its status but not the whole answer in time; make the handler end the response, or raise --timeout"
		st.detail = head
	}
	return st
}

func (c *fieldRun) transportStop(at string, err error) *stop {
	diag, hint := sim.Diagnose(err, c.t.URL)
	if diag == "cancelled" {
		return &stop{kind: stopAnswer, msg: at + ": interrupted before the answer came"}
	}
	c.noteOutage(c.t.URL, at, err)
	if diag == "timed out" {
		diag = "timed out after " + shortDur(c.opts.Client.Timeout()) + " (--timeout)"
	}
	if hint == "" {
		hint = "check the plugin's logs"
	}
	return &stop{kind: stopAnswer, msg: fmt.Sprintf("%s: %s", at, diag), hint: hint}
}

func sizeOf(err error) string {
	var tl *sim.BodyTooLargeError
	if errors.As(err, &tl) {
		return byteSize(tl.Limit)
	}
	return "the read bound"
}

func byteSize(n int64) string {
	switch {
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d bytes", n)
}

func statusNote(status int, h http.Header) string {
	if status >= 300 && status < 400 {
		if loc := h.Get("Location"); loc != "" {
			return " redirect to " + cut(loc, 120) + " (Envoy does not follow redirects)"
		}
	}
	return ""
}

func statusHint(status int) string {
	switch {
	case status >= 300 && status < 400:
		return "point the manifest at the final URL"
	case status == 404:
		return "check options_url (and [plugin].base_url) in the manifest"
	case status == 500:
		return "check the plugin's logs; an SDK plugin answers 500 {\"message\": \"Could not verify meta.\"} when the signature does not verify (is ENVOY_CLIENT_SECRET the plugin's secret?)"
	}
	return "options URLs must answer 2xx with JSON"
}

// headBuffer keeps the first bytes written to it, for excerpts.
type headBuffer struct {
	buf []byte
	max int
}

func (h *headBuffer) Write(p []byte) (int, error) {
	if room := h.max - len(h.buf); room > 0 {
		if len(p) < room {
			room = len(p)
		}
		h.buf = append(h.buf, p[:room]...)
	}
	return len(p), nil
}

func (h *headBuffer) String() string {
	s := strings.TrimSpace(string(h.buf))
	if len(h.buf) >= h.max {
		s = cut(s, h.max-1)
		if !strings.HasSuffix(s, "…") {
			s += "…"
		}
	}
	return s
}

// jsonValue turns a sample's value into what goes into params.
func jsonValue(v any) any {
	if n, ok := v.(json.Number); ok {
		return n
	}
	return v
}
