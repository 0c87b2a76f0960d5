package delivery

import (
	"context"
	"sort"
	"time"

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
