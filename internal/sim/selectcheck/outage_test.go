package selectcheck

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/selectcheck/selecttest"
)

// countingServer serves selecttest and numbers every call; hangAt is the
// number of the call of /hang-on-2's page 2 (0 until it comes).
type countingServer struct {
	h      http.Handler
	mu     sync.Mutex
	calls  int
	hangAt int
}

func (s *countingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	var b struct {
		Meta struct {
			Params map[string]any `json:"params"`
		} `json:"meta"`
	}
	_ = json.Unmarshal(body, &b)
	s.mu.Lock()
	s.calls++
	if r.URL.Path == "/hang-on-2" && b.Meta.Params["page"] == float64(2) && s.hangAt == 0 {
		s.hangAt = s.calls
	}
	s.mu.Unlock()
	s.h.ServeHTTP(w, r)
}

func (s *countingServer) counts() (calls, hangAt int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls, s.hangAt
}

// Once a call of a field times out, no later check of that field calls its
// server again: search, selected values and signing are skipped, naming
// the timeout. Other fields of the run still run every check.
func TestTimeoutSkipsTheRestOfTheField(t *testing.T) {
	hanging := &countingServer{h: selecttest.New(testSecret)}
	hsrv := httptest.NewServer(hanging)
	t.Cleanup(hsrv.Close)
	healthy := brokenServer(t)

	opts := testOptions()
	opts.Client = sim.NewClient(sim.ClientOptions{Timeout: 300 * time.Millisecond})
	opts.CheckSigning = true
	targets := []Target{
		{Key: "HANGS", URL: hsrv.URL + "/hang-on-2", Pagination: manifest.PaginationPage, Searchable: true, SelectedValuesURL: hsrv.URL + "/selected/ok"},
		{Key: "HEALTHY", URL: healthy + "/ok/page", Pagination: manifest.PaginationPage, Searchable: true, SelectedValuesURL: healthy + "/selected/ok"},
		// An HTTP error is no outage: the field's other checks still run.
		{Key: "ERRORS", URL: healthy + "/500-on-3", Pagination: manifest.PaginationPage, Searchable: true, SelectedValuesURL: healthy + "/selected/ok"},
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	rep := Run(ctx, targets, opts)
	if len(rep.Fields) != 3 {
		t.Fatalf("want 3 fields, got %d", len(rep.Fields))
	}
	if rep.OK() {
		t.Fatal("a timed-out field must fail the run (exit 1)")
	}

	calls, hangAt := hanging.counts()
	if hangAt != 2 {
		t.Fatalf("page 2 was call %d of %d, want call 2", hangAt, calls)
	}
	if after := calls - hangAt; after != 0 {
		t.Fatalf("%d calls after the timeout, want 0:\n%s", after, dump(rep.Fields[0]))
	}

	f := rep.Fields[0]
	if c := check(f, "walk"); c == nil || c.Status != Fail || !strings.Contains(c.Message, "page 2: timed out after 300ms (--timeout)") {
		t.Fatalf("walk:\n%s", dump(f))
	}
	const want = "skipped: the options URL timed out on page 2 (300ms); fix that first"
	skipped := map[string]bool{}
	for _, c := range f.Checks {
		if c.Status == Skip && c.Message == want {
			skipped[c.Name] = true
		}
	}
	for _, name := range []string{`search "Apple"`, "search no match", "search odd term (unicode)", "search odd term (empty string)",
		"selected value", "selected values (array)", "selected value (unknown)",
		"signing: unsigned", "signing: wrong secret", "signing: tampered body"} {
		if !skipped[name] {
			t.Errorf("%s not skipped with %q", name, want)
		}
	}
	if f.Failed != 1 {
		t.Errorf("only the walk should fail:\n%s", dump(f))
	}
	if t.Failed() {
		t.Fatalf("report:\n%s", dump(f))
	}

	h := rep.Fields[1]
	if h.Failed != 0 || h.Warnings != 0 || h.Skipped != 0 || h.Passed < 12 {
		t.Fatalf("the healthy field did not pass every check:\n%s", dump(h))
	}

	e := rep.Fields[2]
	for _, name := range []string{"search no match", "selected value", "signing: unsigned"} {
		if c := check(e, name); c == nil || c.Status == Skip {
			t.Fatalf("%s skipped after an HTTP error:\n%s", name, dump(e))
		}
	}
}

// A refused connection skips the rest of the field too, naming it.
func TestRefusedSkipsTheRestOfTheField(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close() // nobody listens there any more
	opts := testOptions()
	opts.CheckSigning = true
	f := runOne(t, Target{Key: "K", URL: url + "/options"}, opts)
	if c := check(f, "walk"); c == nil || c.Status != Fail || !strings.Contains(c.Message, "connection refused") {
		t.Fatalf("walk:\n%s", dump(f))
	}
	c := check(f, "signing: unsigned")
	if c == nil || c.Status != Skip || c.Message != "skipped: the options URL refused the connection on page 1; fix that first" {
		t.Fatalf("signing:\n%s", dump(f))
	}
}

func TestShortDur(t *testing.T) {
	for d, want := range map[time.Duration]string{
		10 * time.Second:        "10s",
		300 * time.Millisecond:  "300ms",
		time.Minute:             "1m",
		90 * time.Second:        "1m30s",
		2 * time.Hour:           "2h",
		1500 * time.Millisecond: "1.5s",
	} {
		if got := shortDur(d); got != want {
			t.Errorf("shortDur(%s) = %q, want %q", d, got, want)
		}
	}
}
