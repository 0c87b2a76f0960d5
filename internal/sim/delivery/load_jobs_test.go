package delivery

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

// jobsFake is the simulator's job side; a job listed in finish gets that
// update on its first read.
type jobsFake struct {
	mu     sync.Mutex
	jobs   map[string]*simstate.Job
	finish func(j *simstate.Job)
	set    map[string]string
}

func (f *jobsFake) RegisterJob(_ context.Context, j simstate.Job) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	j.Status = "queued"
	f.jobs[j.ID] = &j
	return nil
}

func (f *jobsFake) Job(_ context.Context, id string) (*simstate.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[id]
	if !ok {
		return nil, fmt.Errorf("unknown job %s", id)
	}
	if f.finish != nil {
		f.finish(j)
	}
	c := *j
	return &c, nil
}

func (f *jobsFake) SetJobStatus(_ context.Context, id, status string) (*simstate.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.set[id] = status
	return f.jobs[id], nil
}

func TestFollowJobsCountsFinalStatuses(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(202) }))
	defer srv.Close()
	run := func(t *testing.T, finish func(j *simstate.Job), wait time.Duration) (LoadSummary, *jobsFake) {
		st := &jobsFake{jobs: map[string]*simstate.Job{}, set: map[string]string{}, finish: finish}
		b := testBuilder(3)
		sum, err := RunLoad(context.Background(), LoadOptions{
			Count: 5, Concurrency: 2, Client: testClient(5 * time.Second), Expect: Done,
			Next:   func() (Preparer, error) { return b.Generate("entry_sign_in", srv.URL) },
			Before: func(ctx context.Context, d Delivery) error { return st.RegisterJob(ctx, simstate.Job{ID: d.JobID}) },
		})
		if err != nil || sum.Outcomes.Ongoing != 5 || sum.OK {
			t.Fatalf("before following: %+v %v", sum, err)
		}
		FollowJobs(context.Background(), st, &sum, wait, time.Millisecond)
		return sum, st
	}
	t.Run("202 then done", func(t *testing.T) {
		sum, st := run(t, func(j *simstate.Job) {
			j.Status = "done"
			j.History = append(j.History, simstate.JobUpdate{Status: "done"})
		}, time.Second)
		if !sum.OK || sum.Mismatched != 0 || sum.Jobs == nil || sum.Jobs.Outcomes.Done != 5 || sum.Outcomes.Ongoing != 5 || len(st.set) != 5 {
			t.Fatalf("%+v jobs %+v set %v", sum, sum.Jobs, st.set)
		}
		var b strings.Builder
		_ = sum.WriteText(&b, (&iostreams.IOStreams{}).ColorScheme())
		for _, want := range []string{"HTTP answers:\n    ongoing  5\n", "final job statuses (after waiting", "at most 1s):\n    done     5\n"} {
			if !strings.Contains(b.String(), want) {
				t.Errorf("text lacks %q:\n%s", want, b.String())
			}
		}
		if strings.Contains(b.String(), "differ") {
			t.Errorf("text:\n%s", b.String())
		}
	})
	t.Run("refused updates and silence", func(t *testing.T) {
		n := 0
		sum, _ := run(t, func(j *simstate.Job) {
			if len(j.Rejected) == 0 && j.ID[len(j.ID)-1]%2 == 0 {
				j.Rejected = append(j.Rejected, simstate.JobRejection{Reason: `status "complete" is not one of done, ignored, failed`, HTTPStatus: 422})
			}
			n++
		}, 20*time.Millisecond)
		j := sum.Jobs
		if sum.OK || sum.Mismatched != 5 || j.NotFinal != 5 || j.Outcomes.Ongoing != 5 || j.Refused+j.NeverUpdated != 5 || n < 5 {
			t.Fatalf("%+v jobs %+v", sum, j)
		}
		var b strings.Builder
		_ = sum.WriteText(&b, (&iostreams.IOStreams{}).ColorScheme())
		if j.Refused > 0 && !strings.Contains(b.String(), fmt.Sprintf(`%d× status "complete" is not one of done`, j.Refused)) {
			t.Errorf("text:\n%s", b.String())
		}
		if !strings.Contains(b.String(), "expected done: 5 jobs ended otherwise") {
			t.Errorf("text:\n%s", b.String())
		}
	})
}

func TestWaitJobExplainsAnUnfinishedJob(t *testing.T) {
	ctx := context.Background()
	cs := (&iostreams.IOStreams{}).ColorScheme()
	text := func(rep *JobReport) string {
		var b strings.Builder
		rep.writeText(&b, cs)
		return b.String()
	}
	t.Run("refused", func(t *testing.T) {
		st := &jobsFake{jobs: map[string]*simstate.Job{}, set: map[string]string{}}
		_ = st.RegisterJob(ctx, simstate.Job{ID: "j1"})
		st.jobs["j1"].Rejected = []simstate.JobRejection{{Reason: `status "complete" is not one of done, ignored, failed`, HTTPStatus: 422}}
		rep := WaitJob(ctx, st, "j1", Ongoing, 20*time.Millisecond, time.Millisecond)
		out := text(rep)
		if rep.NeverUpdated || !strings.Contains(out, `the plugin's job update was refused (422): status "complete" is not one of done, ignored, failed`) {
			t.Fatalf("%+v\n%s", rep, out)
		}
	})
	t.Run("never updated", func(t *testing.T) {
		st := &jobsFake{jobs: map[string]*simstate.Job{}, set: map[string]string{}}
		_ = st.RegisterJob(ctx, simstate.Job{ID: "j2"})
		rep := WaitJob(ctx, st, "j2", Ongoing, 20*time.Millisecond, time.Millisecond)
		if out := text(rep); !rep.NeverUpdated || !strings.Contains(out, "the plugin never updated the job (no PATCH /api/v2/plugin-services/jobs/j2 within 20ms)") {
			t.Fatalf("%+v\n%s", rep, out)
		}
		// Without a wait there is nothing to say about silence.
		if rep := WaitJob(ctx, st, "j2", Ongoing, 0, time.Millisecond); rep.NeverUpdated {
			t.Fatalf("%+v", rep)
		}
	})
	t.Run("unknown attachment type", func(t *testing.T) {
		st := &jobsFake{jobs: map[string]*simstate.Job{}, set: map[string]string{}}
		_ = st.RegisterJob(ctx, simstate.Job{ID: "j3"})
		st.jobs["j3"].History = []simstate.JobUpdate{{Status: "done", Attachments: []map[string]any{{"type": "image", "label": "x"}, {"type": "text"}, {"label": "no type"}}}}
		rep := WaitJob(ctx, st, "j3", Ongoing, time.Second, time.Millisecond)
		if out := text(rep); len(rep.Warnings) != 1 || !strings.Contains(out, `attachment type "image" is unknown to Envoy's dashboard`) {
			t.Fatalf("%+v\n%s", rep, out)
		}
	})
}

func TestHeadline(t *testing.T) {
	cs := (&iostreams.IOStreams{}).ColorScheme()
	tests := []struct {
		name string
		r    Result
		want string
	}{
		{"job done after 202", Result{Event: "entry_sign_in", Outcome: Outcome{Kind: Ongoing, Status: 202}, Job: &JobReport{Status: "done", Final: true}, Expected: Done},
			"✓ entry_sign_in: 202 ongoing → job done ("},
		{"failed expect is ✗, not …", Result{Event: "entry_sign_in", Outcome: Outcome{Kind: Ongoing, Status: 202}, Job: &JobReport{Status: "ongoing"}, Expected: Done},
			"✗ entry_sign_in: 202 ongoing ("},
		{"ongoing without expect", Result{Event: "entry_sign_in", Outcome: Outcome{Kind: Ongoing, Status: 202}},
			"… entry_sign_in: 202 ongoing ("},
		{"no answer", Result{Event: "entry_sign_in", Outcome: Outcome{Kind: Failed, Unexpected: true}},
			"✗ entry_sign_in: failed (unexpected) ("},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.r.Judge(tt.r.Expected)
			var b strings.Builder
			_ = tt.r.WriteText(&b, cs)
			if !strings.HasPrefix(b.String(), tt.want) {
				t.Fatalf("got %q, want prefix %q", strings.SplitN(b.String(), "\n", 2)[0], tt.want)
			}
		})
	}
}

// failerFake is jobsFake that can also fail undelivered jobs.
type failerFake struct{ *jobsFake }

func (f failerFake) FailJob(_ context.Context, id, reason string) (*simstate.Job, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	j, ok := f.jobs[id]
	if !ok {
		return nil, fmt.Errorf("unknown job %q", id)
	}
	if j.Status == "queued" {
		j.Status, j.FailureReason = "failed", reason
	}
	c := *j
	return &c, nil
}

func (f failerFake) SetJobStatus(ctx context.Context, id, status string) (*simstate.Job, error) {
	f.mu.Lock()
	if j, ok := f.jobs[id]; ok {
		j.Status = status
	}
	f.mu.Unlock()
	return f.jobsFake.SetJobStatus(ctx, id, status)
}

// An interrupted load run leaves no job "queued": answered ones get their
// HTTP outcome, the ones cut short are failed with a reason.
func TestRecordInterruptedLeavesNoQueuedJob(t *testing.T) {
	var n sync.Mutex
	count := 0
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Lock()
		count++
		first := count <= 4
		n.Unlock()
		if first {
			w.WriteHeader(200)
			return
		}
		select { // hang until the client gives up
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	st := failerFake{&jobsFake{jobs: map[string]*simstate.Job{}, set: map[string]string{}}}
	b := testBuilder(7)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	sum, err := RunLoad(ctx, LoadOptions{
		Count: 100, Concurrency: 3, Client: testClient(time.Minute),
		Next:   func() (Preparer, error) { return b.Generate("entry_sign_in", srv.URL) },
		Before: func(ctx context.Context, d Delivery) error { return st.RegisterJob(ctx, simstate.Job{ID: d.JobID}) },
		Progress: func(p LoadProgress) {
			if p.Done >= 4 {
				cancel() // Ctrl-C once the quick answers are in
			}
		},
	})
	if err != nil || !sum.Interrupted || sum.Outcomes.Done != 4 {
		t.Fatalf("run: %+v %v", sum, err)
	}
	if err := RecordInterrupted(ctx, st, &sum, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	done, failed := 0, 0
	for id, j := range st.jobs {
		switch {
		case j.Status == "done":
			done++
		case j.Status == "failed" && j.FailureReason == UndeliveredReason:
			failed++
		default:
			t.Errorf("job %s left %q (%q)", id, j.Status, j.FailureReason)
		}
	}
	if done != 4 || failed == 0 || sum.Undelivered != failed || !strings.Contains(sum.Hint, "marked failed") {
		t.Fatalf("done %d failed %d; summary %+v", done, failed, sum)
	}
}
