package delivery

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/sim/api"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

// JobLister is implemented by stores that list every job in one read.
type JobLister interface {
	Jobs(ctx context.Context) ([]simstate.Job, error)
}

// FollowJobs records the HTTP answers of a load run with the simulator
// (as Envoy does when a worker answers), then waits at most wait for the
// jobs answered 202 to reach a final status, polling every poll, and sets
// s.Jobs to the final statuses. With an expected outcome, Mismatched and
// OK are then judged on the final statuses.
func FollowJobs(ctx context.Context, store JobStore, s *LoadSummary, wait, poll time.Duration) {
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	jobs := &LoadJobs{WaitBound: wait}
	final := map[string]JobReport{}
	pending := map[string]bool{}
	ss, canSet := store.(StatusSetter)
	for _, a := range s.answers {
		if a.JobID == "" {
			continue
		}
		if canSet && ctx.Err() == nil {
			// The store yields to a status the plugin already set.
			_, _ = ss.SetJobStatus(ctx, a.JobID, string(a.Kind))
		}
		if a.Kind == Ongoing {
			pending[a.JobID] = true
		}
	}
	start := time.Now()
	deadline := start.Add(wait)
	read := func() {
		if l, ok := store.(JobLister); ok && len(pending) > 1 {
			all, err := l.Jobs(ctx)
			if err == nil {
				for i := range all {
					if pending[all[i].ID] {
						final[all[i].ID] = jobReport(&all[i], Ongoing)
					}
				}
				return
			}
		}
		for id := range pending {
			if j, err := store.Job(ctx, id); err == nil {
				final[id] = jobReport(j, Ongoing)
			}
		}
	}
	for len(pending) > 0 {
		read()
		for id := range pending {
			if rep, ok := final[id]; ok && rep.Final {
				delete(pending, id)
			}
		}
		if len(pending) == 0 || !time.Now().Add(poll).Before(deadline) || ctx.Err() != nil {
			break
		}
		select {
		case <-ctx.Done():
		case <-time.After(poll):
		}
	}
	jobs.Waited = time.Since(start)
	jobs.WaitedMS = float64(jobs.Waited.Milliseconds())

	reasons := map[string]int{}
	mismatch := 0
	for _, a := range s.answers {
		k := a.Kind
		if rep, ok := final[a.JobID]; ok && a.Kind == Ongoing {
			k = Kind(rep.Status)
			if !rep.Final {
				k = Ongoing
				jobs.NotFinal++
				if len(rep.Rejected) == 0 && rep.Updates == 0 {
					jobs.NeverUpdated++
				}
			}
			if len(rep.Rejected) > 0 {
				jobs.Refused++
				reasons[rep.Rejected[len(rep.Rejected)-1].Reason]++
			}
		} else if a.Kind == Ongoing {
			jobs.NotFinal++ // never read back
		}
		jobs.Outcomes.add(Outcome{Kind: k})
		if s.Expected != "" && k != s.Expected {
			mismatch++
		}
	}
	jobs.Outcomes.Unexpected = s.Outcomes.Unexpected
	for k, v := range reasons {
		jobs.Reasons = append(jobs.Reasons, DiagnosisCount{Diagnosis: oneLine(k, 200), Count: v})
	}
	sort.Slice(jobs.Reasons, func(i, j int) bool {
		if jobs.Reasons[i].Count != jobs.Reasons[j].Count {
			return jobs.Reasons[i].Count > jobs.Reasons[j].Count
		}
		return jobs.Reasons[i].Diagnosis < jobs.Reasons[j].Diagnosis
	})
	s.Jobs = jobs
	if s.Expected != "" {
		s.Mismatched = mismatch
		s.OK = mismatch == 0 && !s.Interrupted
	}
}

// JobFailer is implemented by stores that can mark a job that was never
// delivered as failed, with a reason shown by `envoy-plugin jobs`.
type JobFailer interface {
	FailJob(ctx context.Context, id, reason string) (*simstate.Job, error)
}

// UndeliveredReason is the failure reason of the jobs a load run
// registered but never got an answer for, because it was interrupted.
const UndeliveredReason = "not delivered: send-event was interrupted before the plugin answered"

// RecordInterrupted is what FollowJobs does for a run cut short by Ctrl-C
// (ctx is the run's context, already cancelled): within bound, it records
// the HTTP answers received as the jobs' statuses, and marks the jobs
// registered but never answered as failed (UndeliveredReason) so that none
// stays "queued" forever. It does not wait for jobs answered 202. It
// returns the first error of the store, if any.
//
// Failed rather than removed: the simulator keeps every job a plugin may
// have seen (a request cut short may still have reached it), and the
// reason says why it has no answer.
func RecordInterrupted(ctx context.Context, store JobStore, s *LoadSummary, bound time.Duration) error {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), bound)
	defer cancel()
	ss, canSet := store.(StatusSetter)
	jf, canFail := store.(JobFailer)
	type task struct {
		id   string
		kind Kind // "" for an undelivered job
	}
	tasks := make(chan task)
	var (
		mu       sync.Mutex
		firstErr error
		failed   int
	)
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for t := range tasks {
				var err error
				marked := false
				switch {
				case t.kind != "" && canSet:
					// The store yields to a status the plugin already set.
					_, err = ss.SetJobStatus(ctx, t.id, string(t.kind))
				case t.kind == "" && canFail:
					var j *simstate.Job
					j, err = jf.FailJob(ctx, t.id, UndeliveredReason)
					marked = err == nil && j != nil && j.Status == "failed" && j.FailureReason == UndeliveredReason
				}
				var nf *api.NotFoundError
				if errors.As(err, &nf) || (err != nil && t.kind == "" && strings.Contains(err.Error(), "unknown job")) {
					err = nil // registration itself was interrupted
				}
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
				}
				if marked {
					failed++
				}
				mu.Unlock()
			}
		}()
	}
	send := func(t task) bool {
		select {
		case tasks <- t:
			return true
		case <-ctx.Done():
			return false
		}
	}
	ok := true
	for _, a := range s.answers {
		if a.JobID != "" && ok {
			ok = send(task{id: a.JobID, kind: a.Kind})
		}
	}
	for _, id := range s.undelivered {
		if id != "" && ok {
			ok = send(task{id: id})
		}
	}
	close(tasks)
	wg.Wait()
	s.Undelivered = failed
	if failed > 0 {
		note := fmt.Sprintf("%d jobs registered but never answered are marked failed (%s)", failed, UndeliveredReason)
		if s.Hint != "" {
			s.Hint += "; " + note
		} else {
			s.Hint = note
		}
	}
	if firstErr == nil && ctx.Err() != nil {
		firstErr = fmt.Errorf("recording the jobs' statuses took longer than %s", bound)
	}
	return firstErr
}
