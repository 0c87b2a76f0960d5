package delivery

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/api"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

// JobStore is the part of the simulated install that deliveries use: jobs
// are registered before the plugin sees them and read back afterwards.
type JobStore interface {
	RegisterJob(ctx context.Context, job simstate.Job) error
	Job(ctx context.Context, id string) (*simstate.Job, error)
}

// StatusSetter is implemented by stores that record a job's status from
// outside the plugin: send-event records the worker's HTTP answer there, as
// Envoy does when a worker answers.
type StatusSetter interface {
	SetJobStatus(ctx context.Context, id, status string) (*simstate.Job, error)
}

// AnswerRecorder is implemented by stores that record the worker's whole
// answer: its status, and its body's message and attachments.
type AnswerRecorder interface {
	RecordJobAnswer(ctx context.Context, id string, a simstate.JobAnswer) (*simstate.Job, error)
}

// RecordAnswer records the plugin's HTTP answer a (see Result.Answer) on
// the job, unless the plugin already set a status through the API while it
// handled the request (or the store cannot record it). Stores that only
// set statuses get the status alone.
func RecordAnswer(ctx context.Context, store JobStore, id string, a simstate.JobAnswer) error {
	ar, full := store.(AnswerRecorder)
	ss, ok := store.(StatusSetter)
	if !full && !ok {
		return nil
	}
	j, err := store.Job(ctx, id)
	if err != nil {
		return err
	}
	for _, u := range j.History {
		if u.Status != "" && u.Source != simstate.AnswerSource {
			return nil
		}
	}
	if full {
		_, err = ar.RecordJobAnswer(ctx, id, a)
		return err
	}
	_, err = ss.SetJobStatus(ctx, id, a.Status)
	return err
}

// answerOf is the answer Envoy records for a worker's answer of kind k with
// body: 202 keeps the body's message, 400 and 412 its message and
// attachments; 200/201 bodies and unexpected failures record the status
// alone.
func answerOf(k Kind, unexpected bool, body []byte) simstate.JobAnswer {
	a := simstate.JobAnswer{Status: string(k)}
	if unexpected || (k != Ongoing && k != Ignored && k != Failed) {
		return a
	}
	var obj map[string]any
	if json.Unmarshal(body, &obj) != nil {
		return a
	}
	a.Message, _ = obj["message"].(string)
	if k != Ongoing {
		a.Attachments = api.AnswerAttachments(obj["attachments"])
	}
	return a
}

// JobReport is a job as Envoy's dashboard shows it after the plugin's
// updates through the API.
type JobReport struct {
	ID            string           `json:"id"`
	Status        string           `json:"status"`
	StatusMessage string           `json:"status_message,omitempty"`
	FailureReason string           `json:"failure_reason,omitempty"`
	Attachments   []map[string]any `json:"attachments"`
	Updates       int              `json:"updates"`
	// Final is false when the wait ended before the job was done, ignored
	// or failed.
	Final    bool    `json:"final"`
	WaitedMS float64 `json:"waited_ms"`
	Error    string  `json:"error,omitempty"`
	// Rejected are the plugin's updates the simulator refused.
	Rejected []simstate.JobRejection `json:"rejected,omitempty"`
	// NeverUpdated: the wait ended with no update from the plugin at all,
	// accepted or refused.
	NeverUpdated bool `json:"never_updated,omitempty"`
	// Warnings are legal but suspicious things in the updates (an
	// attachment type Envoy's dashboard does not know).
	Warnings []string `json:"warnings,omitempty"`

	Waited time.Duration `json:"-"`
	// WaitBound is the --wait the report was read under.
	WaitBound time.Duration `json:"-"`
}

// knownAttachmentTypes are the attachment types Envoy's dashboard shows.
var knownAttachmentTypes = map[string]bool{"text": true, "password": true, "json": true, "link": true, "credential_image": true}

// attachmentWarnings names the attachments whose type the dashboard does
// not know (a missing type is text, as in the SDK).
func attachmentWarnings(as []map[string]any) []string {
	var out []string
	seen := map[string]bool{}
	for _, a := range as {
		t, ok := a["type"].(string)
		if !ok || t == "" || knownAttachmentTypes[t] || seen[t] {
			continue
		}
		seen[t] = true
		out = append(out, fmt.Sprintf("attachment type %q is unknown to Envoy's dashboard (it shows text, password, json, link and credential_image)", oneLine(t, 60)))
	}
	return out
}

func isFinal(s string) bool { return s == string(Done) || s == string(Ignored) || s == string(Failed) }

// jobReport folds a job's history into what the dashboard shows: the last
// status set through the API wins over the HTTP outcome; the last status
// message and failure reason stand; attachments accumulate.
func jobReport(j *simstate.Job, answered Kind) JobReport {
	rep := JobReport{ID: j.ID, Attachments: []map[string]any{}}
	status := ""
	pluginMsg := false
	for _, u := range j.History {
		if u.Source != simstate.AnswerSource {
			rep.Updates++
		}
		if u.Status != "" {
			status = u.Status
		}
		switch {
		case u.StatusMessage == "":
		case u.Source != simstate.AnswerSource:
			rep.StatusMessage = u.StatusMessage
			pluginMsg = true
		case !pluginMsg:
			// The answer's message shows unless the plugin set its own.
			rep.StatusMessage = u.StatusMessage
		}
		if u.FailureReason != "" {
			rep.FailureReason = u.FailureReason
		}
		rep.Attachments = append(rep.Attachments, u.Attachments...)
	}
	switch {
	case status != "":
	case isFinal(j.Status):
		status = j.Status
	default:
		status = string(answered)
	}
	rep.Status = status
	rep.Final = isFinal(status)
	rep.Rejected = j.Rejected
	rep.Warnings = attachmentWarnings(rep.Attachments)
	return rep
}

// WaitJob reads job id from the store until its status is final or wait has
// passed, polling every poll. It always reads at least once, so attachments
// the plugin added while handling the request show even with no wait.
// answered is the outcome of the plugin's HTTP answer.
func WaitJob(ctx context.Context, store JobStore, id string, answered Kind, wait, poll time.Duration) *JobReport {
	if poll <= 0 {
		poll = 100 * time.Millisecond
	}
	start := time.Now()
	deadline := start.Add(wait)
	for {
		j, err := store.Job(ctx, id)
		var rep JobReport
		if err != nil {
			rep = JobReport{ID: id, Status: string(answered), Final: isFinal(string(answered)), Attachments: []map[string]any{},
				Error: fmt.Sprintf("reading the job from the simulator: %v", err)}
		} else {
			rep = jobReport(j, answered)
		}
		rep.WaitBound = wait
		if rep.Final || err != nil || !time.Now().Add(poll).Before(deadline) {
			rep.NeverUpdated = err == nil && !rep.Final && answered == Ongoing && rep.Updates == 0 && len(rep.Rejected) == 0 && wait > 0
			rep.Waited = time.Since(start)
			rep.WaitedMS = float64(rep.Waited.Milliseconds())
			rep.Attachments = maskAttachments(rep.Attachments)
			return &rep
		}
		select {
		case <-ctx.Done():
			rep.Waited = time.Since(start)
			rep.WaitedMS = float64(rep.Waited.Milliseconds())
			rep.Error = "cancelled while waiting for the job"
			return &rep
		case <-time.After(poll):
		}
	}
}

// maskAttachments hides password attachments' values, as the dashboard does.
func maskAttachments(in []map[string]any) []map[string]any {
	out := make([]map[string]any, 0, len(in))
	for _, a := range in {
		if a["type"] == "password" {
			c := make(map[string]any, len(a))
			for k, v := range a {
				c[k] = v
			}
			if s, ok := c["value"].(string); ok {
				c["value"] = creds.Mask(s)
			}
			a = c
		}
		out = append(out, a)
	}
	return out
}

func (j *JobReport) writeText(b *strings.Builder, cs *iostreams.ColorScheme) {
	state := j.Status
	if !j.Final {
		state += " (not final)"
	}
	line := fmt.Sprintf("  job → %s", state)
	if j.Waited > 0 {
		line += fmt.Sprintf(" after waiting %s", FormatLatency(j.Waited))
	}
	if j.StatusMessage != "" {
		line += fmt.Sprintf(": %q", j.StatusMessage)
	}
	b.WriteString(line + "\n")
	if j.FailureReason != "" {
		fmt.Fprintf(b, "    failure reason: %s\n", j.FailureReason)
	}
	for _, a := range j.Attachments {
		fmt.Fprintf(b, "    %s %s\n", cs.Gray("attachment"), AttachmentText(a))
	}
	for _, rj := range j.Rejected {
		fmt.Fprintf(b, "    %s the plugin's job update was refused (%d): %s\n", cs.FailureIcon(), rj.HTTPStatus, oneLine(rj.Reason, 300))
	}
	if j.NeverUpdated {
		fmt.Fprintf(b, "    %s the plugin never updated the job (no PATCH /api/v2/plugin-services/jobs/%s within %s)\n", cs.FailureIcon(), j.ID, j.WaitBound)
	}
	for _, w := range j.Warnings {
		fmt.Fprintf(b, "    %s %s\n", cs.WarningIcon(), w)
	}
	if j.Error != "" {
		fmt.Fprintf(b, "    %s %s\n", cs.WarningIcon(), j.Error)
	}
}

// AttachmentText renders one attachment by its type (text when absent, as
// in the SDK).
func AttachmentText(a map[string]any) string {
	typ, _ := a["type"].(string)
	if typ == "" {
		typ = "text"
	}
	label, _ := a["label"].(string)
	str := func(k string) string {
		switch v := a[k].(type) {
		case string:
			return v
		case nil:
			return ""
		default:
			b, _ := json.Marshal(v)
			return string(b)
		}
	}
	var val string
	switch typ {
	case "link":
		val = str("value")
		if u := str("url"); u != "" {
			val += " <" + u + ">"
		}
	case "credential_image":
		val = str("title")
		if img, ok := a["image"].(map[string]any); ok {
			if l, ok := img["link"].(string); ok {
				val += " <" + l + ">"
			}
		}
	default:
		val = str("value")
	}
	return fmt.Sprintf("[%s] %s: %s", typ, oneLine(label, 80), oneLine(val, 200))
}
