package selectcheck

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// heapPeak samples the heap in use while the test runs.
type heapPeak struct {
	stop chan struct{}
	done chan uint64
}

func watchHeap() *heapPeak {
	h := &heapPeak{stop: make(chan struct{}), done: make(chan uint64)}
	go func() {
		var peak uint64
		var ms runtime.MemStats
		tick := time.NewTicker(5 * time.Millisecond)
		defer tick.Stop()
		for {
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapAlloc)
			select {
			case <-h.stop:
				h.done <- peak
				return
			case <-tick.C:
			}
		}
	}()
	return h
}

func (h *heapPeak) peak() uint64 { close(h.stop); return <-h.done }

// The walk streams: a page far larger than anything kept is decoded option
// by option from the response, so the heap does not grow with the page.
// The page is 24 MiB (6 under -race) of options cycling over 500 values
// (so the digests stay small too) and the client's bound is raised above it.
func TestWalkDoesNotHoldThePage(t *testing.T) {
	if testing.Short() {
		t.Skip("moves many MiB")
	}
	pageSize := 24 << 20
	if raceEnabled {
		pageSize = 6 << 20
	}
	// What the heap may grow by: the decoder's buffer, one option, the
	// HTTP buffers and the digests, never a sizeable share of the page.
	bound := int64(pageSize) / 4
	if raceEnabled {
		bound = int64(pageSize) / 2
	}
	const values = 500
	pad := strings.Repeat("x", 400)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		buf := make([]byte, 0, 64<<10)
		buf = append(buf, '[')
		written := 0
		for n := 0; written < pageSize; n++ {
			if n > 0 {
				buf = append(buf, ',')
			}
			buf = fmt.Appendf(buf, `{"label":"Item %d %s","value":"v%d"}`, n%values, pad, n%values)
			if len(buf) > 60<<10 {
				if _, err := w.Write(buf); err != nil {
					return
				}
				written += len(buf)
				buf = buf[:0]
			}
		}
		buf = append(buf, ']')
		_, _ = w.Write(buf)
	}))
	defer srv.Close()

	defer debug.SetGCPercent(debug.SetGCPercent(25))
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	h := watchHeap()

	opts := Options{Client: sim.NewClient(sim.ClientOptions{Timeout: 60 * time.Second, MaxBody: 64 << 20}), Secret: testSecret}
	opts.defaults()
	tg := &Target{Key: "K", URL: srv.URL, Pagination: manifest.PaginationNone}
	c := &fieldRun{opts: &opts, t: tg, rep: newFieldReport(tg)}
	r := c.walk(context.Background(), walkSpec{collect: true})
	peak := h.peak()

	if r.stop != nil {
		t.Fatalf("walk stopped: %+v", r.stop)
	}
	if r.options < pageSize/500 || r.distinct() != values || r.dups.count != r.options-values || len(r.dups.first) != maxListed {
		t.Fatalf("options %d, distinct %d, dups %d (%d kept)", r.options, r.distinct(), r.dups.count, len(r.dups.first))
	}
	grew := int64(peak) - int64(before.HeapAlloc)
	t.Logf("page %d MiB, %d options, heap grew by at most %.1f MiB", pageSize>>20, r.options, float64(grew)/(1<<20))
	if grew > bound {
		t.Fatalf("the heap grew by %.1f MiB while walking a %d MiB page: the page is being held in memory", float64(grew)/(1<<20), pageSize>>20)
	}
}
