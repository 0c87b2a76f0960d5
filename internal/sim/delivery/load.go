package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

// LoadOptions configure a load run.
type LoadOptions struct {
	Count       int
	Concurrency int
	// Rate caps deliveries per second; 0 sends as fast as the workers can.
	Rate   float64
	Client *sim.Client
	// Next makes the next delivery: a fresh event, job id and signature.
	// It is called from one goroutine only, in order, so a seeded
	// generator reproduces the whole run; what it returns is finished
	// (encoded and signed, see Pending) in the workers, in parallel.
	Next func() (Preparer, error)
	// Before runs in the worker before each send (e.g. registering the job
	// with the API simulator); an error fails that delivery.
	Before func(ctx context.Context, d Delivery) error
	// Progress, when set, is called about ten times a second and once at
	// the end with the number of deliveries answered so far.
	Progress func(p LoadProgress)
	Expect   Kind
}

// LoadProgress is a snapshot of a running load.
type LoadProgress struct {
	Done, Total, Failed int
	Elapsed             time.Duration
	Final               bool
}

// Counts are outcomes per kind.
type Counts struct {
	Done       int `json:"done"`
	Ongoing    int `json:"ongoing"`
	Ignored    int `json:"ignored"`
	Failed     int `json:"failed"`
	Unexpected int `json:"unexpected"` // part of Failed
}

func (c *Counts) add(o Outcome) {
	switch o.Kind {
	case Done:
		c.Done++
	case Ongoing:
		c.Ongoing++
	case Ignored:
		c.Ignored++
	default:
		c.Failed++
		if o.Unexpected {
			c.Unexpected++
		}
	}
}

func (c *Counts) merge(o Counts) {
	c.Done += o.Done
	c.Ongoing += o.Ongoing
	c.Ignored += o.Ignored
	c.Failed += o.Failed
	c.Unexpected += o.Unexpected
}

// Of returns the count of one kind.
func (c Counts) Of(k Kind) int {
	switch k {
	case Done:
		return c.Done
	case Ongoing:
		return c.Ongoing
	case Ignored:
		return c.Ignored
	default:
		return c.Failed
	}
}

// DiagnosisCount is how often one unexpected failure happened.
type DiagnosisCount struct {
	Diagnosis string `json:"diagnosis"`
	Count     int    `json:"count"`
}

// Latencies are milliseconds over the deliveries that got an answer.
type Latencies struct {
	P50  float64 `json:"p50"`
	P90  float64 `json:"p90"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
	Mean float64 `json:"mean"`
}

// LoadSummary is the result of a load run.
type LoadSummary struct {
	Event       string           `json:"event"`
	URL         string           `json:"url"`
	Count       int              `json:"count"`
	Sent        int              `json:"sent"`
	Concurrency int              `json:"concurrency"`
	Rate        float64          `json:"rate,omitempty"`
	Outcomes    Counts           `json:"outcomes"`
	Errors      []DiagnosisCount `json:"errors,omitempty"`
	DurationMS  float64          `json:"duration_ms"`
	Throughput  float64          `json:"throughput_per_s"`
	LatencyMS   Latencies        `json:"latency_ms"`
	// Answered is how many deliveries got an HTTP status: only those count
	// in LatencyMS (a body that timed out after its status counts with its
	// time up to the timeout); NoAnswer (timeouts, resets, refusals before
	// any status) are left out of the percentiles.
	Answered    int  `json:"answered"`
	NoAnswer    int  `json:"no_answer"`
	Expected    Kind `json:"expected,omitempty"`
	Mismatched  int  `json:"mismatched"`
	OK          bool `json:"ok"`
	Interrupted bool `json:"interrupted,omitempty"`
	// Hint is set when the run was cut short or everything failed alike.
	Hint string `json:"hint,omitempty"`
	// Jobs are the final job statuses, when the API simulator of
	// `envoy-plugin dev` runs (see FollowJobs); Outcomes are then the HTTP
	// answers, and Expected is checked against the final statuses.
	Jobs *LoadJobs `json:"jobs,omitempty"`

	// Undelivered counts the jobs registered with the simulator whose
	// delivery got no answer because the run was interrupted (see
	// RecordInterrupted).
	Undelivered int `json:"undelivered,omitempty"`

	Duration    time.Duration `json:"-"`
	answers     []loadAnswer
	undelivered []string
}

// LoadJobs are the jobs of a load run as the simulator saw them at the end.
type LoadJobs struct {
	// Outcomes are the final statuses; Ongoing counts the jobs that were
	// not final when the wait ended.
	Outcomes Counts `json:"outcomes"`
	NotFinal int    `json:"not_final"`
	// Refused counts the jobs with an update the simulator refused;
	// NeverUpdated those left ongoing with no update at all.
	Refused      int              `json:"refused"`
	NeverUpdated int              `json:"never_updated"`
	Reasons      []DiagnosisCount `json:"reasons,omitempty"`
	WaitedMS     float64          `json:"waited_ms"`

	Waited    time.Duration `json:"-"`
	WaitBound time.Duration `json:"-"`
}

// loadAnswer is one delivery's job and how the plugin answered it.
type loadAnswer struct {
	JobID string
	Kind  Kind
}

type workerStats struct {
	counts    Counts
	latencies []time.Duration
	diags     map[string]int
	mismatch  int
	answers   []loadAnswer
	// undelivered are the jobs registered (Before) whose delivery was
	// cut short by the interrupt.
	undelivered []string
}

// RunLoad sends o.Count deliveries with o.Concurrency workers. A generation
// error stops the run and is returned with the summary so far.
func RunLoad(ctx context.Context, o LoadOptions) (LoadSummary, error) {
	if o.Concurrency < 1 {
		o.Concurrency = 1
	}
	if o.Concurrency > o.Count && o.Count > 0 {
		o.Concurrency = o.Count
	}
	sum := LoadSummary{Count: o.Count, Concurrency: o.Concurrency, Rate: o.Rate, Expected: o.Expect}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	jobs := make(chan Preparer, o.Concurrency*4)
	var genErr error
	var errOnce, first sync.Once
	fail := func(err error) {
		errOnce.Do(func() { genErr = err })
		cancel()
	}
	start := time.Now()
	go func() {
		defer close(jobs)
		for i := 0; i < o.Count; i++ {
			if o.Rate > 0 {
				due := start.Add(time.Duration(float64(i) / o.Rate * float64(time.Second)))
				if wait := time.Until(due); wait > 0 {
					select {
					case <-ctx.Done():
						return
					case <-time.After(wait):
					}
				}
			}
			p, err := o.Next()
			if err != nil {
				fail(err)
				return
			}
			select {
			case jobs <- p:
			case <-ctx.Done():
				return
			}
		}
	}()

	var answered, failed atomic.Int64
	stats := make([]workerStats, o.Concurrency)
	var wg sync.WaitGroup
	for w := 0; w < o.Concurrency; w++ {
		wg.Add(1)
		go func(st *workerStats) {
			defer wg.Done()
			st.diags = map[string]int{}
			for p := range jobs {
				if ctx.Err() != nil {
					continue // drain
				}
				d, err := p.Finish()
				if err != nil {
					fail(err)
					continue
				}
				first.Do(func() { sum.Event, sum.URL = d.Event, d.URL })
				var out Outcome
				var lat time.Duration
				if o.Before != nil {
					if err := o.Before(ctx, d); err != nil {
						if ctx.Err() != nil {
							// Interrupted while registering: the job may
							// exist already; it was never sent.
							st.undelivered = append(st.undelivered, d.JobID)
							continue
						}
						out = Outcome{Kind: Failed, Unexpected: true, Diagnosis: "before sending: " + err.Error()}
					}
				}
				if out.Kind == "" {
					t0 := time.Now()
					resp, err := o.Client.DoToEnd(ctx, d.Request())
					if err != nil {
						if ctx.Err() != nil && errors.Is(err, context.Canceled) {
							// Interrupted: not counted, and its job (if
							// registered) never got an answer.
							if o.Before != nil {
								st.undelivered = append(st.undelivered, d.JobID)
							}
							continue
						}
						out = ClassifyError(resp, err, d.URL)
					} else {
						out = ClassifyResponse(resp)
						lat = resp.Latency
					}
					if lat == 0 {
						lat = time.Since(t0)
					}
				}
				st.counts.add(out)
				if out.Status != 0 {
					st.latencies = append(st.latencies, lat)
				}
				if out.Unexpected {
					st.diags[out.Diagnosis]++
					failed.Add(1)
				}
				if o.Expect != "" && out.Kind != o.Expect {
					st.mismatch++
				}
				st.answers = append(st.answers, loadAnswer{JobID: d.JobID, Kind: out.Kind})
				answered.Add(1)
			}
		}(&stats[w])
	}

	stopProgress := make(chan struct{})
	progressDone := make(chan struct{})
	go func() {
		defer close(progressDone)
		if o.Progress == nil {
			return
		}
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopProgress:
				return
			case <-t.C:
				o.Progress(LoadProgress{Done: int(answered.Load()), Total: o.Count, Failed: int(failed.Load()), Elapsed: time.Since(start)})
			}
		}
	}()
	wg.Wait()
	close(stopProgress)
	<-progressDone
	sum.Duration = time.Since(start)
	if o.Progress != nil {
		o.Progress(LoadProgress{Done: int(answered.Load()), Total: o.Count, Failed: int(failed.Load()), Elapsed: sum.Duration, Final: true})
	}

	var all []time.Duration
	diags := map[string]int{}
	for _, st := range stats {
		sum.Outcomes.merge(st.counts)
		all = append(all, st.latencies...)
		for k, v := range st.diags {
			diags[k] += v
		}
		sum.Mismatched += st.mismatch
		sum.answers = append(sum.answers, st.answers...)
		sum.undelivered = append(sum.undelivered, st.undelivered...)
	}
	sum.Sent = sum.Outcomes.Done + sum.Outcomes.Ongoing + sum.Outcomes.Ignored + sum.Outcomes.Failed
	for k, v := range diags {
		sum.Errors = append(sum.Errors, DiagnosisCount{Diagnosis: k, Count: v})
	}
	sort.Slice(sum.Errors, func(i, j int) bool {
		if sum.Errors[i].Count != sum.Errors[j].Count {
			return sum.Errors[i].Count > sum.Errors[j].Count
		}
		return sum.Errors[i].Diagnosis < sum.Errors[j].Diagnosis
	})
	sum.LatencyMS = latencies(all)
	sum.Answered = len(all)
	sum.NoAnswer = sum.Sent - len(all)
	if sum.NoAnswer < 0 {
		sum.NoAnswer = 0
	}
	sum.DurationMS = float64(sum.Duration.Microseconds()) / 1000
	if sum.Duration > 0 {
		sum.Throughput = math.Round(float64(sum.Sent)/sum.Duration.Seconds()*10) / 10
	}
	sum.Interrupted = sum.Sent < sum.Count
	if o.Expect != "" {
		sum.OK = sum.Mismatched == 0 && !sum.Interrupted
	} else {
		sum.OK = sum.Outcomes.Unexpected == 0 && !sum.Interrupted
	}
	if sum.Interrupted && genErr == nil {
		sum.Hint = fmt.Sprintf("interrupted after %d of %d deliveries", sum.Sent, sum.Count)
	}
	return sum, genErr
}

// latencies computes nearest-rank percentiles in milliseconds.
func latencies(ds []time.Duration) Latencies {
	if len(ds) == 0 {
		return Latencies{}
	}
	sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
	ms := func(d time.Duration) float64 { return math.Round(float64(d.Microseconds())) / 1000 }
	rank := func(p float64) time.Duration {
		i := int(math.Ceil(p/100*float64(len(ds)))) - 1
		if i < 0 {
			i = 0
		}
		return ds[i]
	}
	var total time.Duration
	for _, d := range ds {
		total += d
	}
	return Latencies{
		P50:  ms(rank(50)),
		P90:  ms(rank(90)),
		P99:  ms(rank(99)),
		Max:  ms(ds[len(ds)-1]),
		Mean: ms(total / time.Duration(len(ds))),
	}
}

// WriteText prints the summary.
func (s LoadSummary) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s %d of %d × %s → %s in %s: %.1f/s (concurrency %d",
		passIcon(cs, s.OK), s.Sent, s.Count, cs.Bold(s.Event), s.URL, FormatLatency(s.Duration), s.Throughput, s.Concurrency)
	if s.Rate > 0 {
		fmt.Fprintf(&b, ", rate %g/s", s.Rate)
	}
	b.WriteString(")\n")
	indent := "  "
	if s.Jobs != nil {
		b.WriteString("  HTTP answers:\n")
		indent = "    "
	}
	for _, k := range Kinds() {
		n := s.Outcomes.Of(k)
		if n == 0 {
			continue
		}
		line := fmt.Sprintf("%s%-8s %d", indent, k, n)
		if k == Failed && s.Outcomes.Unexpected > 0 {
			line += fmt.Sprintf(" (%d unexpected)", s.Outcomes.Unexpected)
		}
		b.WriteString(line + "\n")
	}
	for i, e := range s.Errors {
		if i == 5 {
			fmt.Fprintf(&b, "%s  … %d more kinds of failure\n", indent, len(s.Errors)-5)
			break
		}
		fmt.Fprintf(&b, "%s  %d× %s\n", indent, e.Count, e.Diagnosis)
	}
	l := s.LatencyMS
	switch {
	case s.Answered == 0 && s.Sent > 0:
		b.WriteString("  latency  none: no delivery got an answer\n")
	default:
		fmt.Fprintf(&b, "  latency  p50 %sms  p90 %sms  p99 %sms  max %sms\n", num(l.P50), num(l.P90), num(l.P99), num(l.Max))
		if s.NoAnswer > 0 {
			fmt.Fprintf(&b, "           over the %d deliveries that got an answer; %d without one are left out\n", s.Answered, s.NoAnswer)
		}
	}
	if j := s.Jobs; j != nil {
		fmt.Fprintf(&b, "  final job statuses (after waiting %s, at most %s):\n", FormatLatency(j.Waited), j.WaitBound)
		for _, k := range Kinds() {
			n := j.Outcomes.Of(k)
			if n == 0 {
				continue
			}
			line := fmt.Sprintf("    %-8s %d", k, n)
			if k == Ongoing && j.NotFinal > 0 {
				line += " (not final)"
			}
			b.WriteString(line + "\n")
		}
		if j.Refused > 0 {
			fmt.Fprintf(&b, "    %s %d jobs had an update refused by the simulator\n", cs.FailureIcon(), j.Refused)
		}
		for i, e := range j.Reasons {
			if i == 5 {
				fmt.Fprintf(&b, "      … %d more reasons\n", len(j.Reasons)-5)
				break
			}
			fmt.Fprintf(&b, "      %d× %s\n", e.Count, e.Diagnosis)
		}
		if j.NeverUpdated > 0 {
			fmt.Fprintf(&b, "    %s the plugin never updated %d jobs (no PATCH /api/v2/plugin-services/jobs/<id> within %s)\n", cs.FailureIcon(), j.NeverUpdated, j.WaitBound)
		}
	}
	if s.Expected != "" && s.Mismatched > 0 {
		what := "deliveries differ"
		if s.Jobs != nil {
			what = "jobs ended otherwise"
		}
		fmt.Fprintf(&b, "  %s expected %s: %d %s\n", cs.FailureIcon(), s.Expected, s.Mismatched, what)
	}
	if s.Hint != "" {
		fmt.Fprintf(&b, "  %s %s\n", cs.Yellow("note:"), s.Hint)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func num(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// ParseRate reads --rate: "50", "50/s", "3000/m", "2.5/s".
func ParseRate(s string) (float64, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	per := time.Second
	if i := strings.IndexByte(s, '/'); i >= 0 {
		switch strings.TrimSpace(s[i+1:]) {
		case "s", "sec", "second":
		case "m", "min", "minute":
			per = time.Minute
		case "h", "hour":
			per = time.Hour
		default:
			return 0, fmt.Errorf("invalid rate %q: use a number per second, e.g. 50/s, or per minute, e.g. 600/m", s)
		}
		s = strings.TrimSpace(s[:i])
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v <= 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("invalid rate %q: use a positive number per second, e.g. 50/s", s)
	}
	return v / per.Seconds(), nil
}

// ProgressBar returns a Progress func that draws a bar on w (a terminal).
func ProgressBar(w io.Writer) func(LoadProgress) {
	return func(p LoadProgress) {
		if p.Final {
			fmt.Fprint(w, "\r\033[K")
			return
		}
		const width = 30
		fill := 0
		if p.Total > 0 {
			fill = p.Done * width / p.Total
		}
		rate := 0.0
		if p.Elapsed > 0 {
			rate = float64(p.Done) / p.Elapsed.Seconds()
		}
		fmt.Fprintf(w, "\r\033[K[%s%s] %d/%d  %.0f/s", strings.Repeat("=", fill), strings.Repeat(" ", width-fill), p.Done, p.Total, rate)
		if p.Failed > 0 {
			fmt.Fprintf(w, "  %d failed", p.Failed)
		}
	}
}
