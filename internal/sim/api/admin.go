package api

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// SourceHeader names the envoy-plugin command calling an admin route, for
// the live log.
const SourceHeader = "X-Envoy-Plugin-Command"

// Health is the answer of the admin health route: who this simulator is.
type Health struct {
	PID       int    `json:"pid"`
	Version   string `json:"version,omitempty"`
	PluginID  string `json:"plugin_id"`
	InstallID string `json:"install_id"`
	StateFile string `json:"state_file,omitempty"`
}

// AdminStorageRequest is the body of the admin storage route.
type AdminStorageRequest struct {
	Global    bool             `json:"global,omitempty"`
	InstallID string           `json:"install_id,omitempty"` // default: the simulated install
	Commands  []StorageCommand `json:"commands"`
}

// AdminToken is the answer of the admin token route.
type AdminToken struct {
	AccessToken string `json:"access_token"`
	ExpiresIn   int    `json:"expires_in"`
}

func (s *Server) admin(next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if s.o.AdminKey != "" && !eq(r.Header.Get(AdminKeyHeader), s.o.AdminKey) {
			writeError(w, http.StatusUnauthorized, "admin routes need the key from .envoy-plugin/dev.json in "+AdminKeyHeader)
			return
		}
		next(w, r)
	}
}

// source names the command that called an admin route; def when it did
// not say.
func source(r *http.Request, def string) string {
	if s := r.Header.Get(SourceHeader); s != "" {
		return s
	}
	return def
}

func (s *Server) health(w http.ResponseWriter, r *http.Request) {
	in := s.o.DB.Install()
	writeData(w, Health{PID: s.o.PID, Version: s.o.Version, PluginID: in.PluginID, InstallID: in.InstallID, StateFile: s.o.DB.Path()})
}

func (s *Server) adminInstall(w http.ResponseWriter, r *http.Request) {
	writeData(w, s.o.DB.Install())
}

func (s *Server) adminConfig(w http.ResponseWriter, r *http.Request) {
	body, err := readBody(r)
	if err != nil {
		writeError(w, http.StatusRequestEntityTooLarge, err.Error())
		return
	}
	patch, err := decodeObject(body)
	if err != nil {
		writeError(w, http.StatusBadRequest, err.Error())
		return
	}
	cfg, err := s.o.DB.MergeConfig("", patch)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeData(w, cfg)
	s.log(Event{Kind: KindConfigWrite, Source: source(r, "envoy-plugin"), InstallID: s.o.DB.Install().InstallID, Patch: patch, Config: cfg})
}

func (s *Server) adminJobs(w http.ResponseWriter, r *http.Request) {
	writeData(w, s.o.DB.Jobs())
}

func (s *Server) adminJob(w http.ResponseWriter, r *http.Request) {
	j, err := s.o.DB.Job(r.PathValue("id"))
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeData(w, j)
}

func (s *Server) adminRegisterJob(w http.ResponseWriter, r *http.Request) {
	var j Job
	body, err := readBody(r)
	if err == nil {
		err = json.Unmarshal(body, &j)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "the body must be a job {id, event, install_id}: "+err.Error())
		return
	}
	if j.InstallID != "" {
		if err := s.o.DB.CheckInstall(j.InstallID); err != nil {
			writeError(w, statusOf(err), err.Error())
			return
		}
	}
	out, err := s.o.DB.RegisterJob(j)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeData(w, out)
	s.log(Event{Kind: KindJobRegistered, Source: source(r, "send-event"), JobID: out.ID, JobEvent: out.Event, JobStatus: out.Status, InstallID: out.InstallID})
}

func (s *Server) adminJobStatus(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Status string `json:"status"`
		// FailureReason, with status "failed", marks a job that was
		// never delivered (see DB.FailJob).
		FailureReason string `json:"failure_reason"`
		// Message and Attachments are the worker's answer body's (see
		// DB.RecordAnswer): a non-string message and non-object
		// attachments are skipped.
		Message     any `json:"message"`
		Attachments any `json:"attachments"`
	}
	body, err := readBody(r)
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil || req.Status == "" {
		writeError(w, http.StatusBadRequest, `the body must be {"status": "..."}`)
		return
	}
	var out Job
	if req.FailureReason != "" && req.Status == "failed" {
		out, err = s.o.DB.FailJob(r.PathValue("id"), req.FailureReason)
		if err == nil && out.Status == "failed" {
			writeData(w, out)
			s.log(Event{Kind: KindJobAnswered, Source: source(r, "send-event"), JobID: out.ID, JobEvent: out.Event, JobStatus: out.Status, Message: "failed: " + req.FailureReason})
			return
		}
	} else {
		a := JobAnswer{Status: req.Status, Attachments: AnswerAttachments(req.Attachments)}
		a.Message, _ = req.Message.(string)
		out, err = s.o.DB.RecordAnswer(r.PathValue("id"), a)
	}
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeData(w, out)
	msg := fmt.Sprintf("%s (the worker's HTTP answer, recorded by %s)", out.Status, source(r, "send-event"))
	if n := len(out.History); n > 0 && out.History[n-1].Source == AnswerSource && out.History[n-1].At == out.UpdatedAt {
		if m := out.History[n-1].StatusMessage; m != "" {
			msg += fmt.Sprintf(": %q", bounded(m))
		}
		if k := len(out.History[n-1].Attachments); k > 0 {
			msg += fmt.Sprintf(" +%d attachment(s)", k)
		}
	}
	if out.Status != req.Status {
		msg = fmt.Sprintf("stays %s: the plugin set it through the API before its HTTP answer (%s) was recorded", out.Status, req.Status)
	}
	s.log(Event{Kind: KindJobAnswered, Source: source(r, "send-event"), JobID: out.ID, JobEvent: out.Event, JobStatus: out.Status, Message: msg})
}

func (s *Server) adminToken(w http.ResponseWriter, r *http.Request) {
	tok, exp, err := s.o.DB.IssueToken(source(r, "send-event"))
	if err != nil {
		writeError(w, http.StatusInternalServerError, err.Error())
		return
	}
	writeData(w, AdminToken{AccessToken: tok, ExpiresIn: exp})
	s.log(Event{Kind: KindTokenIssued, Source: source(r, "send-event"), ExpiresIn: exp})
}

func (s *Server) adminStorage(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Global    bool            `json:"global"`
		InstallID string          `json:"install_id"`
		Commands  json.RawMessage `json:"commands"`
	}
	body, err := readBody(r)
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		writeError(w, http.StatusBadRequest, "the body must be {global?, install_id?, commands}: "+err.Error())
		return
	}
	installID := req.InstallID
	if installID == "" && !req.Global {
		installID = s.o.DB.Install().InstallID
	}
	cmds, err := ParseCommands(req.Commands)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	results, ops, err := s.o.DB.ExecStorage(installID, req.Global, cmds, s.o.PageSize)
	if err != nil {
		writeError(w, statusOf(err), err.Error())
		return
	}
	writeData(w, results)
	if !readOnly(cmds) {
		s.log(Event{Kind: KindStorage, Source: source(r, "envoy-plugin"), InstallID: installID, Global: req.Global, Storage: ops})
	}
}
