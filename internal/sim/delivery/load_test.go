package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/delivery/deliverytest"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

func TestRunLoad(t *testing.T) {
	var mu sync.Mutex
	ids := map[string]int{}
	var bad atomic.Int64
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if !creds.Verify(testSecret, body, r.Header.Get(creds.SignatureHeader)) {
			bad.Add(1)
		}
		mu.Lock()
		ids[JobID(body)]++
		mu.Unlock()
		// Every tenth delivery is ignored, every 25th crashes.
		switch i := n.Add(1); {
		case i%25 == 0:
			w.WriteHeader(500)
		case i%10 == 0:
			w.WriteHeader(400)
		}
	}))
	defer srv.Close()
	b := testBuilder(21)
	var progress []LoadProgress
	var before atomic.Int64
	sum, err := RunLoad(context.Background(), LoadOptions{
		Count: 100, Concurrency: 4, Client: testClient(5 * time.Second),
		Next:     func() (Preparer, error) { return b.Generate("entry_sign_in", srv.URL) },
		Before:   func(context.Context, Delivery) error { before.Add(1); return nil },
		Progress: func(p LoadProgress) { progress = append(progress, p) },
		Expect:   Done,
	})
	if err != nil {
		t.Fatal(err)
	}
	if sum.Sent != 100 || sum.Count != 100 || sum.Event != "entry_sign_in" || sum.URL != srv.URL {
		t.Fatalf("%+v", sum)
	}
	o := sum.Outcomes
	if o.Done != 88 || o.Ignored != 8 || o.Failed != 4 || o.Unexpected != 4 {
		t.Fatalf("outcomes %+v", o)
	}
	if sum.Mismatched != 12 || sum.OK {
		t.Fatalf("mismatched %d ok %v", sum.Mismatched, sum.OK)
	}
	if len(sum.Errors) != 1 || sum.Errors[0].Count != 4 {
		t.Fatalf("errors %+v", sum.Errors)
	}
	if bad.Load() != 0 {
		t.Fatalf("%d deliveries did not verify", bad.Load())
	}
	if len(ids) != 100 {
		t.Fatalf("%d distinct job ids for 100 deliveries", len(ids))
	}
	if before.Load() != 100 {
		t.Fatalf("Before ran %d times", before.Load())
	}
	l := sum.LatencyMS
	if !(l.P50 <= l.P90 && l.P90 <= l.P99 && l.P99 <= l.Max) || l.Max <= 0 {
		t.Fatalf("latencies %+v", l)
	}
	if sum.Throughput <= 0 {
		t.Fatalf("throughput %v", sum.Throughput)
	}
	if len(progress) == 0 || !progress[len(progress)-1].Final || progress[len(progress)-1].Done != 100 {
		t.Fatalf("progress %+v", progress)
	}
	var buf bytes.Buffer
	_ = sum.WriteText(&buf, (&iostreams.IOStreams{}).ColorScheme())
	for _, want := range []string{"100 of 100 × entry_sign_in", "done     88", "ignored  8", "failed   4 (4 unexpected)", "4× the plugin crashed", "p50", "expected done: 12 deliveries differ"} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, buf.String())
		}
	}
}

func TestRunLoadWithoutExpect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(412) }))
	defer srv.Close()
	b := testBuilder(1)
	sum, err := RunLoad(context.Background(), LoadOptions{Count: 5, Concurrency: 10, Rate: 1000, Client: testClient(time.Second),
		Next: func() (Preparer, error) { return b.Build("invite_created", srv.URL) }})
	if err != nil || !sum.OK || sum.Outcomes.Failed != 5 || sum.Concurrency != 5 {
		t.Fatalf("412 is not an unexpected failure: %+v %v", sum, err)
	}
}

func TestRunLoadGenerationError(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	b := testBuilder(1)
	i := 0
	sum, err := RunLoad(context.Background(), LoadOptions{Count: 10, Concurrency: 2, Client: testClient(time.Second),
		Next: func() (Preparer, error) {
			i++
			if i == 4 {
				return nil, errors.New("boom")
			}
			return b.Generate("entry_sign_in", srv.URL)
		}})
	if err == nil || sum.Sent > 3 || sum.OK {
		t.Fatalf("%+v %v", sum, err)
	}
}

func TestRunLoadCancelled(t *testing.T) {
	s := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-s:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(s)
	b := testBuilder(1)
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	sum, _ := RunLoad(ctx, LoadOptions{Count: 1000, Concurrency: 2, Client: testClient(time.Minute),
		Next: func() (Preparer, error) { return b.Generate("entry_sign_in", srv.URL) }})
	if !sum.Interrupted || sum.OK || !strings.Contains(sum.Hint, "interrupted") {
		t.Fatalf("%+v", sum)
	}
}

func TestLatencies(t *testing.T) {
	var ds []time.Duration
	for i := 100; i >= 1; i-- {
		ds = append(ds, time.Duration(i)*time.Millisecond)
	}
	l := latencies(ds)
	if l.P50 != 50 || l.P90 != 90 || l.P99 != 99 || l.Max != 100 || l.Mean != 50.5 {
		t.Fatalf("%+v", l)
	}
	if (latencies(nil) != Latencies{}) {
		t.Fatal("empty")
	}
}

// fakeStore plays the API simulator's job side.
type fakeStore struct {
	mu       sync.Mutex
	jobs     map[string]*simstate.Job
	reads    int
	finishAt int // the job gets its final update on this read
	final    simstate.JobUpdate
	err      error
}

func (f *fakeStore) RegisterJob(_ context.Context, j simstate.Job) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.jobs == nil {
		f.jobs = map[string]*simstate.Job{}
	}
	j.Status = "queued"
	f.jobs[j.ID] = &j
	return nil
}

func (f *fakeStore) Job(_ context.Context, id string) (*simstate.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err != nil {
		return nil, f.err
	}
	f.reads++
	j, ok := f.jobs[id]
	if !ok {
		return nil, fmt.Errorf("job %s not found", id)
	}
	if f.reads == 1 {
		j.History = append(j.History, simstate.JobUpdate{Attachments: []map[string]any{{"type": "text", "label": "Badge", "value": "42"}}})
	}
	if f.finishAt > 0 && f.reads == f.finishAt {
		j.History = append(j.History, f.final)
		if f.final.Status != "" {
			j.Status = f.final.Status
		}
	}
	c := *j
	return &c, nil
}

func TestWaitJob(t *testing.T) {
	ctx := context.Background()
	t.Run("202 then done through the API", func(t *testing.T) {
		st := &fakeStore{finishAt: 3, final: simstate.JobUpdate{Status: "done", StatusMessage: "Badge printed",
			Attachments: []map[string]any{{"type": "password", "label": "PIN", "value": "12345678910"}, {"type": "link", "label": "Open", "value": "badge", "url": "https://x/b"}}}}
		_ = st.RegisterJob(ctx, simstate.Job{ID: "j1"})
		rep := WaitJob(ctx, st, "j1", Ongoing, 5*time.Second, time.Millisecond)
		if rep.Status != "done" || !rep.Final || rep.StatusMessage != "Badge printed" || rep.Updates != 2 || st.reads != 3 {
			t.Fatalf("%+v (reads %d)", rep, st.reads)
		}
		if len(rep.Attachments) != 3 || rep.Attachments[1]["value"] == "12345678910" {
			t.Fatalf("attachments %v (password must be masked)", rep.Attachments)
		}
		if got := AttachmentText(rep.Attachments[2]); got != "[link] Open: badge <https://x/b>" {
			t.Fatalf("link text %q", got)
		}
	})
	t.Run("no wait reads once and keeps the HTTP outcome", func(t *testing.T) {
		st := &fakeStore{}
		_ = st.RegisterJob(ctx, simstate.Job{ID: "j2"})
		rep := WaitJob(ctx, st, "j2", Done, 0, time.Millisecond)
		if st.reads != 1 || rep.Status != "done" || !rep.Final || len(rep.Attachments) != 1 {
			t.Fatalf("%+v reads %d", rep, st.reads)
		}
	})
	t.Run("still ongoing when the wait ends", func(t *testing.T) {
		st := &fakeStore{}
		_ = st.RegisterJob(ctx, simstate.Job{ID: "j3"})
		rep := WaitJob(ctx, st, "j3", Ongoing, 30*time.Millisecond, 5*time.Millisecond)
		if rep.Status != "ongoing" || rep.Final || st.reads < 2 {
			t.Fatalf("%+v reads %d", rep, st.reads)
		}
	})
	t.Run("the plugin fails the job after a 200", func(t *testing.T) {
		st := &fakeStore{finishAt: 1, final: simstate.JobUpdate{Status: "failed", StatusMessage: "no printer", FailureReason: "printer_offline"}}
		_ = st.RegisterJob(ctx, simstate.Job{ID: "j4"})
		rep := WaitJob(ctx, st, "j4", Done, 0, 0)
		if rep.Status != "failed" || rep.FailureReason != "printer_offline" {
			t.Fatalf("%+v", rep)
		}
		r := Result{Outcome: Outcome{Kind: Done, Status: 200}, Job: rep}
		r.Judge(Done)
		if r.OK || r.Final != Failed {
			t.Fatalf("--expect done must check the job's final status: %+v", r)
		}
	})
	t.Run("store error", func(t *testing.T) {
		st := &fakeStore{err: errors.New("simulator gone")}
		rep := WaitJob(ctx, st, "j5", Ongoing, time.Second, time.Millisecond)
		if !strings.Contains(rep.Error, "simulator gone") || rep.Status != "ongoing" {
			t.Fatalf("%+v", rep)
		}
	})
}

// Deliveries without an answer are left out of the latency percentiles,
// and the summary says so instead of printing "p50 0ms".
func TestRunLoadLatencyWithoutAnswers(t *testing.T) {
	hang, err := deliverytest.NewHostile("hang")
	if err != nil {
		t.Fatal(err)
	}
	defer hang.Close()
	b := testBuilder(1)
	sum, err := RunLoad(context.Background(), LoadOptions{Count: 2, Concurrency: 2, Client: testClient(100 * time.Millisecond),
		Next: func() (Preparer, error) { return b.Build("invite_created", hang.URL) }})
	if err != nil || sum.Answered != 0 || sum.NoAnswer != 2 {
		t.Fatalf("%+v %v", sum, err)
	}
	var buf bytes.Buffer
	_ = sum.WriteText(&buf, (&iostreams.IOStreams{}).ColorScheme())
	if !strings.Contains(buf.String(), "latency  none: no delivery got an answer") || strings.Contains(buf.String(), "p50") {
		t.Fatalf("summary:\n%s", buf.String())
	}
	sum.Answered, sum.NoAnswer, sum.LatencyMS = 3, 2, Latencies{P50: 1, P90: 2, P99: 3, Max: 3}
	buf.Reset()
	_ = sum.WriteText(&buf, (&iostreams.IOStreams{}).ColorScheme())
	if !strings.Contains(buf.String(), "over the 3 deliveries that got an answer; 2 without one are left out") {
		t.Fatalf("summary:\n%s", buf.String())
	}
}
