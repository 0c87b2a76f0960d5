package sample

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/envoy-plugin/envoy-plugin/internal/sim/events"
)

// Worker routes of the sample plugin. The manifest (envoy-plugin.toml)
// subscribes the first seven; the last five answer any event with one
// outcome, for tests and demos.
const (
	RouteEntrySignIn          = "/entry-sign-in"             // 200 done: {"message": "<GREETING> <full-name>"}
	RouteEntrySignOut         = "/entry-sign-out"            // 200 done
	RouteInviteCreated        = "/invite-created"            // 202 ongoing
	RouteInviteUpdated        = "/invite-updated"            // 400 ignored
	RouteEntryBlacklistReview = "/entry-blacklist-review"    // 412 failed
	RouteLocationCapacity     = "/location-capacity-updated" // 200 done
	RoutePluginUninstalled    = "/plugin-uninstalled"        // 200 done
	RouteCrash                = "/crash"                     // 500, as the SDK's error middleware
	RouteDone                 = "/done"                      // 200
	RouteOngoing              = "/ongoing"                   // 202
	RouteIgnored              = "/ignored"                   // 400
	RouteFailed               = "/failed"                    // 412
)

// CrashMessage is what /crash answers, as the SDK's error middleware
// answers a handler that throws.
const CrashMessage = "Cannot read properties of undefined (reading 'sample'): the sample plugin crashed on purpose"

// workerJob is a verified worker request, decoded as a plugin built on the SDK
// would see it.
type workerJob struct {
	meta    map[string]any
	payload map[string]any
	attrs   map[string]any // payload.attributes, if any
}

// workerHandler answers a verified job; an error becomes a 500 with its
// message, the way the SDK's error middleware answers a thrown error.
type workerHandler func(w http.ResponseWriter, j *workerJob) error

// registerEvents adds this file's routes to the sample plugin.
func (p *Plugin) registerEvents() {
	p.mux.Handle(RouteEntrySignIn, p.worker(events.TypeEntries, p.entrySignIn))
	p.mux.Handle(RouteEntrySignOut, p.worker(events.TypeEntries, p.entrySignOut))
	p.mux.Handle(RouteInviteCreated, p.worker(events.TypeInvites, p.inviteCreated))
	p.mux.Handle(RouteInviteUpdated, p.worker(events.TypeInvites, p.inviteUpdated))
	p.mux.Handle(RouteEntryBlacklistReview, p.worker(events.TypeEntries, p.blacklistReview))
	p.mux.Handle(RouteLocationCapacity, p.worker(events.TypeLocations, p.capacityUpdated))
	p.mux.Handle(RoutePluginUninstalled, p.worker("", p.uninstalled))
	p.mux.Handle(RouteCrash, p.worker("", func(http.ResponseWriter, *workerJob) error {
		return errors.New(CrashMessage)
	}))
	p.mux.Handle(RouteDone, p.worker("", func(w http.ResponseWriter, j *workerJob) error {
		writeJSON(w, http.StatusOK, map[string]any{"message": "done: " + j.eventName()})
		return nil
	}))
	p.mux.Handle(RouteOngoing, p.worker("", func(w http.ResponseWriter, j *workerJob) error {
		writeJSON(w, http.StatusAccepted, map[string]any{
			"message":   "working on " + j.eventName(),
			"debugInfo": map[string]any{"job": j.jobID()},
		})
		return nil
	}))
	p.mux.Handle(RouteIgnored, p.worker("", func(w http.ResponseWriter, j *workerJob) error {
		writeJSON(w, http.StatusBadRequest, map[string]any{
			"message":     "ignored " + j.eventName(),
			"debugInfo":   map[string]any{"job": j.jobID()},
			"attachments": []any{},
		})
		return nil
	}))
	p.mux.Handle(RouteFailed, p.worker("", func(w http.ResponseWriter, j *workerJob) error {
		writeJSON(w, http.StatusPreconditionFailed, map[string]any{
			"message":   "failed " + j.eventName(),
			"debugInfo": map[string]any{"job": j.jobID()},
			"attachments": []any{
				map[string]any{"type": "text", "label": "Reason", "value": "the sample plugin fails this route on purpose"},
			},
		})
		return nil
	}))
}

// worker wraps h: it verifies the request as the SDK does (p.verify), then
// checks the body the way an SDK-based plugin would trip over it (job id,
// payload object, payload type, entry times luxon can read, location ids),
// so that the sample plugin catches generator regressions.
func (p *Plugin) worker(payloadType string, h workerHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := p.verify(w, r)
		if req == nil {
			return
		}
		j, err := checkWorkerJob(req, payloadType)
		if err == nil {
			err = h(w, j)
		}
		if err != nil {
			writeJSON(w, http.StatusInternalServerError, map[string]any{"message": err.Error()})
		}
	})
}

func checkWorkerJob(req *Request, payloadType string) (*workerJob, error) {
	j := &workerJob{meta: req.Meta}
	jobMeta, _ := req.Meta["job"].(map[string]any)
	if id, _ := jobMeta["id"].(string); id == "" {
		return nil, fmt.Errorf("meta.job.id is missing: this is not a worker request (No job found in meta)")
	}
	if err := json.Unmarshal(req.Payload, &j.payload); err != nil || j.payload == nil {
		return nil, fmt.Errorf("payload is not a JSON object: %s", evTruncate(string(req.Payload), 60))
	}
	j.attrs, _ = j.payload["attributes"].(map[string]any)
	if payloadType == "" {
		return j, nil
	}
	if t, _ := j.payload["type"].(string); t != payloadType {
		return nil, fmt.Errorf("payload.type is %q, want %q: this route handles %s", t, payloadType, payloadType)
	}
	if j.attrs == nil {
		return nil, fmt.Errorf("payload.attributes is missing")
	}
	locID, _ := evString(j.meta, "location", "id")
	if locID == "" {
		return nil, fmt.Errorf("meta.location.id is missing")
	}
	if payloadType == events.TypeLocations {
		if id, _ := j.payload["id"].(string); id != locID {
			return nil, fmt.Errorf("payload.id %q is not meta.location.id %q", id, locID)
		}
		return j, nil
	}
	rel, ok := evString(j.payload, "relationships", "location", "data", "id")
	if !ok {
		return nil, fmt.Errorf("Cannot read properties of undefined (reading 'data'): payload.relationships.location is missing")
	}
	if rel != locID {
		return nil, fmt.Errorf("payload.relationships.location.data.id %q is not meta.location.id %q", rel, locID)
	}
	if _, ok := j.attrs["full-name"].(string); !ok {
		return nil, fmt.Errorf("payload.attributes.full-name is missing")
	}
	if payloadType == events.TypeEntries {
		if err := checkEntryTimes(j.attrs); err != nil {
			return nil, err
		}
	}
	return j, nil
}

// checkEntryTimes fails where the SDK's normalizer (luxon's fromSQL) would
// turn an entry time into null.
func checkEntryTimes(attrs map[string]any) error {
	check := func(name string, v any) error {
		s, _ := v.(string)
		if _, err := events.ParseSQLTime(s); err != nil {
			return fmt.Errorf("%s %v is not in the SQL form YYYY-MM-DD HH:MM:SS: an SDK plugin would read null", name, evJSONText(v))
		}
		return nil
	}
	if err := check("payload.attributes.signed-in-at", attrs["signed-in-at"]); err != nil {
		return err
	}
	if v, ok := attrs["signed-out-at"]; ok && v != nil {
		if err := check("payload.attributes.signed-out-at", v); err != nil {
			return err
		}
	}
	docs, _ := attrs["legal-docs"].([]any)
	for i, d := range docs {
		doc, _ := d.(map[string]any)
		if err := check(fmt.Sprintf("payload.attributes.legal-docs[%d].signed-at", i), doc["signed-at"]); err != nil {
			return err
		}
	}
	return nil
}

func (p *Plugin) entrySignIn(w http.ResponseWriter, j *workerJob) error {
	greeting := "Hello"
	if g, _ := evString(j.meta, "config", "GREETING"); strings.TrimSpace(g) != "" {
		greeting = g
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": greeting + " " + j.attrs["full-name"].(string)})
	return nil
}

func (p *Plugin) entrySignOut(w http.ResponseWriter, j *workerJob) error {
	if _, ok := j.attrs["signed-out-at"].(string); !ok {
		return fmt.Errorf("payload.attributes.signed-out-at is missing: the entry is not signed out")
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Goodbye " + j.attrs["full-name"].(string)})
	return nil
}

func (p *Plugin) inviteCreated(w http.ResponseWriter, j *workerJob) error {
	name := j.attrs["full-name"].(string)
	writeJSON(w, http.StatusAccepted, map[string]any{
		"message":   "Preparing a badge for " + name,
		"debugInfo": map[string]any{"invite": j.payload["id"], "job": j.jobID()},
	})
	if p.api != nil {
		go p.finishInvite(j.jobID(), name)
	}
	return nil
}

func (p *Plugin) inviteUpdated(w http.ResponseWriter, j *workerJob) error {
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"message":     "Nothing the sample plugin cares about changed",
		"debugInfo":   map[string]any{"invite": j.payload["id"], "changed-fields": j.attrs["changed-fields"]},
		"attachments": []any{},
	})
	return nil
}

func (p *Plugin) blacklistReview(w http.ResponseWriter, j *workerJob) error {
	status, ok := j.attrs["approval-status"].(map[string]any)
	if !ok {
		return fmt.Errorf("payload.attributes.approval-status is missing: a block-list event always carries it")
	}
	name := j.attrs["full-name"].(string)
	writeJSON(w, http.StatusPreconditionFailed, map[string]any{
		"message":   name + " is on the block list",
		"debugInfo": map[string]any{"approval-status": status["status"]},
		"attachments": []any{
			map[string]any{"type": "text", "label": "Block list", "value": fmt.Sprintf("%s: %v", name, status["status"])},
		},
	})
	return nil
}

func (p *Plugin) capacityUpdated(w http.ResponseWriter, j *workerJob) error {
	limit, ok := j.attrs["capacity-limit"].(float64)
	if !ok {
		return fmt.Errorf("payload.attributes.capacity-limit is %s, not a number", evJSONText(j.attrs["capacity-limit"]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": fmt.Sprintf("Capacity limit is now %g", limit)})
	return nil
}

func (p *Plugin) uninstalled(w http.ResponseWriter, j *workerJob) error {
	id, _ := j.meta["install_id"].(string)
	if id == "" {
		return fmt.Errorf("No install ID found in meta.")
	}
	writeJSON(w, http.StatusOK, map[string]any{"message": "Forgot install " + id})
	return nil
}

func (j *workerJob) eventName() string {
	if e, _ := j.meta["event"].(string); e != "" {
		return e
	}
	return "the job"
}

func (j *workerJob) jobID() string {
	id, _ := evString(j.meta, "job", "id")
	return id
}

// str reads the string at keys in a generic JSON value.
func evString(v any, keys ...string) (string, bool) {
	for _, k := range keys {
		m, ok := v.(map[string]any)
		if !ok {
			return "", false
		}
		v = m[k]
	}
	s, ok := v.(string)
	return s, ok
}

func evJSONText(v any) string {
	if v == nil {
		return "(missing)"
	}
	b, _ := json.Marshal(v)
	return string(b)
}

func evTruncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
