package selectcheck

import (
	"context"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/selectcheck/selecttest"
)

// Every contract violation is caught on a broken endpoint, and the same
// check passes on the correct twin (no false alarm).
func TestBrokenEndpointsAreCaught(t *testing.T) {
	base := brokenServer(t)
	tests := []struct {
		name       string
		path       string
		pagination manifest.Pagination
		searchable bool
		selected   string // selected-values path
		search     []string
		opts       func(*Options)
		check      string
		twinCheck  string // the check on the correct twin, when named otherwise
		status     Status
		contains   []string
	}{
		{name: "non-array", path: "/non-array", check: "walk", status: Fail, contains: []string{"page 1: expected a JSON array of options, got an object"}},
		{name: "missing label", path: "/missing-label", check: "options", status: Fail, contains: []string{"page 1, index 3: label is missing", `"value":"banana"`}},
		{name: "empty label", path: "/empty-label", check: "options", status: Fail, contains: []string{"page 1, index 4: label is empty", `{"label":"","value":"blackberry"}`}},
		{name: "label a number", path: "/label-number", check: "options", status: Fail, contains: []string{"index 2: label is a number (42), not a string"}},
		{name: "value an object", path: "/value-object", check: "options", status: Fail, contains: []string{"index 5: value is an object", "not a string or a number"}},
		{name: "isDisabled a string", path: "/disabled-string", check: "options", status: Fail, contains: []string{"index 6: isDisabled is a string \"yes\", not a boolean"}},
		{name: "invalid JSON", path: "/invalid-json", check: "walk", status: Fail, contains: []string{"page 1: invalid JSON"}},
		{name: "HTML", path: "/html", check: "walk", status: Fail, contains: []string{"page 1: invalid JSON", "<!doctype html>"}},
		{name: "50 MB page", path: "/huge", opts: func(o *Options) { o.Client = sim.NewClient(sim.ClientOptions{Timeout: 20 * time.Second}) }, check: "walk", status: Fail, contains: []string{"larger than 1 MiB; reading stopped there"}},
		{name: "repeated values", path: "/repeat-values", pagination: "page", check: "unique values", status: Fail, contains: []string{"page 2, index 4: value \"apricot\" repeats a value of page 1"}},
		{name: "value repeated within a page", path: "/repeat-in-page", check: "unique values", status: Fail, contains: []string{`page 1, index 7: value "avocado" repeats a value of page 1`}},
		{name: "page ignored", path: "/page-ignored", pagination: "page", check: "pagination", status: Fail, contains: []string{"page 2 repeats page 1", "ignore `page`"}},
		{name: "page ignored: unique values says what it judged", path: "/page-ignored", pagination: "page", check: "unique values", status: Pass, contains: []string{"before pagination broke"}},
		{name: "options after an empty page", path: "/after-empty", pagination: "page", check: "pagination", status: Fail, contains: []string{"page 4 has 5 options after page 3 was empty"}},
		{name: "endless pages", path: "/endless/page", pagination: "page", opts: func(o *Options) { o.MaxPages = 4 }, check: "pagination", status: Warn, contains: []string{"stopped after 4 pages (40 options)"}},
		{name: "endless pages strict", path: "/endless/page", pagination: "page", opts: func(o *Options) { o.MaxPages = 4; o.Strict = true }, check: "pagination", status: Fail, contains: []string{"stopped after 4 pages", "--strict"}},
		{name: "500 on page 3", path: "/500-on-3", pagination: "page", check: "walk", status: Fail, contains: []string{"page 3: HTTP 500", "boom: cannot read page 3"}},
		{name: "hanging page", path: "/hang-on-2", pagination: "page", opts: func(o *Options) {
			o.Client = sim.NewClient(sim.ClientOptions{Timeout: 150 * time.Millisecond})
		}, check: "walk", status: Fail, contains: []string{"page 2: timed out"}},
		{name: "slow pages", path: "/slow", pagination: "page", opts: func(o *Options) { o.Slow = 20 * time.Millisecond }, check: "latency", status: Warn, contains: []string{"slower than 20ms", "slowest: page"}},
		{name: "unsigned answered", path: "/unsigned-ok", pagination: "page", opts: func(o *Options) { o.CheckSigning = true }, check: "signing: unsigned", status: Fail, contains: []string{"answered HTTP 200 with options to an unsigned call"}},
		{name: "wrong secret answered", path: "/unsigned-ok", pagination: "page", opts: func(o *Options) { o.CheckSigning = true }, check: "signing: wrong secret", status: Fail},
		{name: "tampered answered", path: "/unsigned-ok", pagination: "page", opts: func(o *Options) { o.CheckSigning = true }, check: "signing: tampered body", status: Fail},
		{name: "cursor loop", path: "/cursor-loop", pagination: "cursor", check: "pagination", status: Fail, contains: []string{`page 3: cursor "c10" was already given by page 1: a loop`}},
		{name: "cursor an object", path: "/cursor-object", pagination: "cursor", check: "pagination", status: Fail, contains: []string{`page 1: cursor must be a string or a number`, `{"next":10}`}},
		{name: "cursor same page", path: "/cursor-same-page", pagination: "cursor", check: "pagination", status: Fail, contains: []string{"page 2 is the same page as page 1"}},
		{name: "cursor answered with an array", path: "/cursor-array", pagination: "cursor", check: "walk", status: Fail, contains: []string{"expected an object {data, cursor}", "got an array"}},
		{name: "endless cursor", path: "/endless/cursor", pagination: "cursor", opts: func(o *Options) { o.MaxPages = 3 }, check: "pagination", status: Warn, contains: []string{"stopped after 3 pages"}},
		{name: "search ignored", path: "/search-ignored", pagination: "page", searchable: true, check: "search no match", status: Warn, contains: []string{"should match nothing but answered 10 options"}},
		{name: "search breaks on unicode", path: "/search-breaks", pagination: "page", searchable: true, check: "search odd term (unicode)", status: Fail, contains: []string{`search "Grüße 👋 日本", page 1: HTTP 500`}},
		{name: "search breaks on spaces", path: "/search-breaks", pagination: "page", searchable: true, check: "search odd term (spaces)", status: Fail},
		{name: "search breaks on %&?=", path: "/search-breaks", pagination: "page", searchable: true, check: "search odd term (%&?= characters)", status: Fail},
		{name: "search breaks on empty", path: "/search-breaks", pagination: "page", searchable: true, check: "search odd term (empty string)", status: Fail},
		{name: "search loses the page", path: "/search-lost", pagination: "page", searchable: true, search: []string{"a"}, check: `search "a"`, status: Fail, contains: []string{`search "a", page 2 repeats page 1`}},
		{name: "search misses labels", path: "/search-misses", pagination: "page", searchable: true, check: `search "Apple"`, status: Fail, contains: []string{`the label "Apple" (page 1) contains "Apple" but the search did not return it`}},
		{name: "search misses a given term", path: "/search-misses", pagination: "page", searchable: true, search: []string{"berry"}, check: `search "berry"`, status: Fail, contains: []string{`the label "Blackberry" (page 1) contains "berry"`}},
		{name: "selected wrong label", path: "/ok/page", pagination: "page", selected: "/selected/wrong-label", check: "selected value", status: Fail, contains: []string{`answered the label "Dragon fruit (old)", the options URL gave "Dragon fruit"`}},
		{name: "selected array wrong label", path: "/ok/page", pagination: "page", selected: "/selected/wrong-label", check: "selected values (array)", status: Fail},
		{name: "selected crashes on unknown", path: "/ok/page", pagination: "page", selected: "/selected/crash-unknown", check: "selected value (unknown)", status: Fail, contains: []string{"HTTP 500"}},
		{name: "selected null", path: "/ok/page", pagination: "page", selected: "/selected/null", check: "selected value", status: Fail, contains: []string{"answered null"}},
		{name: "selected array answered by one object", path: "/ok/page", pagination: "page", selected: "/selected/first-only", check: "selected values (array)", status: Fail, contains: []string{"expected an array of options", "is missing from the answer"}},
		{name: "paginated without selected URL", path: "/ok/cursor", pagination: "cursor", check: "selected values", twinCheck: "selected value", status: Fail, contains: []string{"no selected-values URL"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.pagination == "" {
				tt.pagination = manifest.PaginationNone
			}
			opts := testOptions()
			opts.Search = tt.search
			if tt.opts != nil {
				tt.opts(&opts)
			}
			tg := Target{Key: "FIELD", URL: base + tt.path, Pagination: tt.pagination, Searchable: tt.searchable}
			if tt.selected != "" {
				tg.SelectedValuesURL = base + tt.selected
			}
			f := runOne(t, tg, opts)
			c := check(f, tt.check)
			if c == nil {
				t.Fatalf("no %q check:\n%s", tt.check, dump(f))
			}
			if c.Status != tt.status {
				t.Fatalf("%s: status %s, want %s:\n%s", tt.check, c.Status, tt.status, dump(f))
			}
			text := c.Message + "\n" + strings.Join(c.Details, "\n")
			for _, want := range tt.contains {
				if !strings.Contains(text, want) {
					t.Errorf("%s: %q lacks %q", tt.check, text, want)
				}
			}
			if c.Status == Fail && c.Hint == "" {
				t.Errorf("%s: failure without a hint", tt.check)
			}

			// The correct twin: same pagination, search and selected
			// values, on a correct endpoint: the check passes, nothing
			// fails or warns.
			twin := tg
			twin.URL = base + "/ok/" + string(tt.pagination)
			if tt.selected != "" || tt.pagination != manifest.PaginationNone {
				twin.SelectedValuesURL = base + "/selected/ok"
			}
			o2 := testOptions()
			o2.Search = tt.search
			o2.CheckSigning = true
			o2.Strict = true
			ft := runOne(t, twin, o2)
			name := tt.check
			if tt.twinCheck != "" {
				name = tt.twinCheck
			}
			if c := check(ft, name); c == nil || c.Status != Pass {
				t.Fatalf("correct twin %s: %s not passed:\n%s", twin.URL, name, dump(ft))
			}
			if ft.Failed > 0 || ft.Warnings > 0 {
				t.Fatalf("false alarm on the correct twin %s:\n%s", twin.URL, dump(ft))
			}
		})
	}
}

func TestMaxPagesBoundsEveryWalk(t *testing.T) {
	base := brokenServer(t)
	for _, p := range []manifest.Pagination{manifest.PaginationPage, manifest.PaginationCursor} {
		opts := testOptions()
		opts.MaxPages = 3
		f := runOne(t, Target{Key: "K", URL: base + "/endless/" + string(p), Pagination: p, Searchable: true, SelectedValuesURL: base + "/selected/ok"}, opts)
		// The main walk and every search walk stop at 3 pages.
		if f.Pages != 3 || f.Options != 30 {
			t.Fatalf("%s: pages %d options %d, want 3 and 30:\n%s", p, f.Pages, f.Options, dump(f))
		}
		if c := check(f, "pagination"); c == nil || c.Status != Warn || !strings.Contains(c.Hint, "--max-pages 30") {
			t.Fatalf("%s: %+v", p, c)
		}
	}
}

// An answer that fails on page 1 leaves nothing to look up: the selected
// values are not judged on the options read before the failure.
func TestNoLookupsAfterAFailedFirstPage(t *testing.T) {
	base := brokenServer(t)
	f := runOne(t, Target{Key: "K", URL: base + "/invalid-json", Searchable: true, SelectedValuesURL: base + "/selected/wrong-label"}, testOptions())
	if c := check(f, "walk"); c == nil || c.Status != Fail {
		t.Fatalf("walk:\n%s", dump(f))
	}
	for _, name := range []string{"selected values", "search"} {
		if c := check(f, name); c == nil || c.Status != Skip {
			t.Fatalf("%s not skipped:\n%s", name, dump(f))
		}
	}
	if f.Failed != 1 {
		t.Fatalf("only the walk should fail:\n%s", dump(f))
	}
}

// Interrupting the run (Ctrl-C) stops the call in flight and every later
// check and field; what was walked is still reported.
func TestInterruptStopsTheRun(t *testing.T) {
	base := brokenServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	opts := testOptions()
	opts.Client = sim.NewClient(sim.ClientOptions{Timeout: time.Minute})
	started := 0
	opts.Progress = func(string) { started++ }
	targets := []Target{
		{Key: "A", URL: base + "/hang-on-2", Pagination: manifest.PaginationPage, Searchable: true, SelectedValuesURL: base + "/selected/ok"},
		{Key: "B", URL: base + "/ok/none"},
	}
	done := make(chan *Report)
	go func() { done <- Run(ctx, targets, opts) }()
	waitHanging(t, base)
	cancel()
	var rep *Report
	select {
	case rep = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not stop when interrupted")
	}
	if started != 1 || len(rep.Fields) != 1 {
		t.Fatalf("%d fields started, %d reported", started, len(rep.Fields))
	}
	f := rep.Fields[0]
	if c := check(f, "walk"); c == nil || c.Status != Fail || !strings.Contains(c.Message, "page 2: interrupted") {
		t.Fatalf("walk:\n%s", dump(f))
	}
	for _, c := range f.Checks {
		if strings.HasPrefix(c.Name, "search") || strings.HasPrefix(c.Name, "selected") {
			t.Fatalf("checked after the interrupt:\n%s", dump(f))
		}
	}
}

// waitHanging waits until the selecttest server holds a request of
// /hang-on-2.
func waitHanging(t *testing.T, base string) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + selecttest.HangingPath)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if n, _ := strconv.Atoi(strings.TrimSpace(string(b))); n > 0 {
				return
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Fatal("the walk never reached /hang-on-2's page 2")
}
