package simstate

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/sim/api"
)

// ---- the running simulator, over HTTP ----

// httpStore talks to a running simulator through its admin routes; it never
// touches the state file (the simulator owns it while it runs).
type httpStore struct {
	d      DevInfo
	client *http.Client
	// Source names the calling command in the simulator's live log.
	source string
}

func newHTTPStore(d DevInfo) *httpStore {
	c := localClient()
	c.Timeout = 10 * time.Second
	return &httpStore{d: d, client: c}
}

func (s *httpStore) Running() bool { return true }
func (s *httpStore) URL() string   { return s.d.URL }
func (s *httpStore) Where() string { return "the simulator at " + s.d.URL }

// call does one admin request and decodes {"data": ...} into out.
func (s *httpStore) call(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(s.d.URL, "/")+api.AdminPrefix+path, body)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(api.AdminKeyHeader, s.d.AdminKey)
	if s.source != "" {
		req.Header.Set(api.SourceHeader, s.source)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return fmt.Errorf("reaching the simulator at %s: %w", s.d.URL, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 32<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Message string `json:"message"`
		}
		_ = json.Unmarshal(raw, &e)
		if e.Message == "" {
			e.Message = strings.TrimSpace(string(raw))
		}
		err := &StatusError{Status: resp.StatusCode, Message: e.Message}
		return err
	}
	if out == nil {
		return nil
	}
	env := struct {
		Data json.RawMessage `json:"data"`
	}{}
	if err := json.Unmarshal(raw, &env); err != nil {
		return fmt.Errorf("the simulator at %s answered something else than JSON: %w", s.d.URL, err)
	}
	dec := json.NewDecoder(bytes.NewReader(env.Data))
	dec.UseNumber()
	return dec.Decode(out)
}

// StatusError is an error answer from the simulator.
type StatusError struct {
	Status  int
	Message string
}

func (e *StatusError) Error() string { return e.Message }

// NotFound reports whether err says that something does not exist (an
// unknown job or install), from the simulator or the state file.
func NotFound(err error) bool {
	var se *StatusError
	var nf *api.NotFoundError
	return (errors.As(err, &se) && se.Status == http.StatusNotFound) || errors.As(err, &nf)
}

func (s *httpStore) Install(ctx context.Context) (*Install, error) {
	var in Install
	if err := s.call(ctx, http.MethodGet, "install", nil, &in); err != nil {
		return nil, err
	}
	if in.Config == nil {
		in.Config = map[string]any{}
	}
	return &in, nil
}

func (s *httpStore) MergeConfig(ctx context.Context, patch map[string]any) (map[string]any, error) {
	if patch == nil {
		patch = map[string]any{}
	}
	out := map[string]any{}
	err := s.call(ctx, http.MethodPatch, "install/config", patch, &out)
	return out, err
}

func (s *httpStore) RegisterJob(ctx context.Context, job Job) error {
	return s.call(ctx, http.MethodPost, "jobs", job, &Job{})
}

func (s *httpStore) Job(ctx context.Context, id string) (*Job, error) {
	var j Job
	if err := s.call(ctx, http.MethodGet, "jobs/"+id, nil, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

func (s *httpStore) Jobs(ctx context.Context) ([]Job, error) {
	var js []Job
	err := s.call(ctx, http.MethodGet, "jobs", nil, &js)
	return js, err
}

func (s *httpStore) SetJobStatus(ctx context.Context, id, status string) (*Job, error) {
	var j Job
	if err := s.call(ctx, http.MethodPost, "jobs/"+id+"/status", map[string]string{"status": status}, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// RecordJobAnswer records the worker's HTTP answer to job id (see
// api.DB.RecordAnswer).
func (s *httpStore) RecordJobAnswer(ctx context.Context, id string, a JobAnswer) (*Job, error) {
	var j Job
	if err := s.call(ctx, http.MethodPost, "jobs/"+id+"/status", a, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

// FailJob marks a job that was never delivered failed with reason (see
// api.DB.FailJob).
func (s *httpStore) FailJob(ctx context.Context, id, reason string) (*Job, error) {
	var j Job
	if err := s.call(ctx, http.MethodPost, "jobs/"+id+"/status", map[string]string{"status": "failed", "failure_reason": reason}, &j); err != nil {
		return nil, err
	}
	return &j, nil
}

func (s *httpStore) IssueToken(ctx context.Context) (string, int, error) {
	var t api.AdminToken
	if err := s.call(ctx, http.MethodPost, "tokens", nil, &t); err != nil {
		return "", 0, err
	}
	return t.AccessToken, t.ExpiresIn, nil
}

func (s *httpStore) Storage(ctx context.Context, req api.AdminStorageRequest) ([]json.RawMessage, error) {
	var out []json.RawMessage
	err := s.call(ctx, http.MethodPost, "storage", req, &out)
	return out, err
}

// ---- the state file, when no simulator runs ----

// fileStore reads and edits the state file directly; each call loads the
// file, changes it and writes it back atomically.
type fileStore struct{ path string }

func (s *fileStore) Running() bool { return false }
func (s *fileStore) URL() string   { return "" }
func (s *fileStore) Where() string { return "the state file " + s.path }

// writeDB opens the state file for a change, holding the project's dev
// lock until done() so that a dev starting meanwhile cannot load the old
// state and later overwrite the change.
func (s *fileStore) writeDB() (db *api.DB, done func(), err error) {
	projectDir := filepath.Dir(filepath.Dir(s.path))
	var lock *DevLock
	for try := 0; ; try++ {
		var holder int
		lock, holder, err = LockDev(projectDir)
		if err == nil {
			break
		}
		if !errors.Is(err, ErrLocked) || try >= 100 {
			if errors.Is(err, ErrLocked) {
				return nil, nil, fmt.Errorf("envoy-plugin dev (pid %d) holds %s: run this again once it is ready", holder, LockPath(projectDir))
			}
			return nil, nil, err
		}
		time.Sleep(50 * time.Millisecond)
	}
	db, err = s.db()
	if err != nil {
		lock.Release()
		return nil, nil, err
	}
	return db, lock.Release, nil
}

func (s *fileStore) db() (*api.DB, error) {
	db, err := api.Open(s.path, api.OpenOptions{})
	if errors.Is(err, api.ErrNoState) {
		return nil, ErrNoSimulator
	}
	return db, err
}

func (s *fileStore) Install(ctx context.Context) (*Install, error) {
	db, err := s.db()
	if err != nil {
		return nil, err
	}
	in := db.Install()
	return &in, nil
}

func (s *fileStore) MergeConfig(ctx context.Context, patch map[string]any) (map[string]any, error) {
	db, done, err := s.writeDB()
	if err != nil {
		return nil, err
	}
	defer done()
	return db.MergeConfig("", patch)
}

func (s *fileStore) RegisterJob(ctx context.Context, job Job) error {
	db, done, err := s.writeDB()
	if err != nil {
		return err
	}
	defer done()
	if job.InstallID != "" {
		if err := db.CheckInstall(job.InstallID); err != nil {
			return err
		}
	}
	_, err = db.RegisterJob(job)
	return err
}

func (s *fileStore) Job(ctx context.Context, id string) (*Job, error) {
	db, err := s.db()
	if err != nil {
		return nil, err
	}
	j, err := db.Job(id)
	if err != nil {
		return nil, err
	}
	return &j, nil
}

func (s *fileStore) Jobs(ctx context.Context) ([]Job, error) {
	db, err := s.db()
	if err != nil {
		return nil, err
	}
	return db.Jobs(), nil
}

func (s *fileStore) SetJobStatus(ctx context.Context, id, status string) (*Job, error) {
	db, done, err := s.writeDB()
	if err != nil {
		return nil, err
	}
	defer done()
	j, err := db.SetJobStatus(id, status)
	if err != nil {
		return nil, err
	}
	return &j, nil
}

// RecordJobAnswer records the worker's HTTP answer to job id.
func (s *fileStore) RecordJobAnswer(ctx context.Context, id string, a JobAnswer) (*Job, error) {
	db, done, err := s.writeDB()
	if err != nil {
		return nil, err
	}
	defer done()
	j, err := db.RecordAnswer(id, a)
	if err != nil {
		return nil, err
	}
	return &j, nil
}

// FailJob marks a job that was never delivered failed with reason.
func (s *fileStore) FailJob(ctx context.Context, id, reason string) (*Job, error) {
	db, done, err := s.writeDB()
	if err != nil {
		return nil, err
	}
	defer done()
	j, err := db.FailJob(id, reason)
	if err != nil {
		return nil, err
	}
	return &j, nil
}

func (s *fileStore) IssueToken(ctx context.Context) (string, int, error) {
	db, done, err := s.writeDB()
	if err != nil {
		return "", 0, err
	}
	defer done()
	return db.IssueToken("send-event")
}

func (s *fileStore) Storage(ctx context.Context, req api.AdminStorageRequest) ([]json.RawMessage, error) {
	db, done, err := s.writeDB()
	if err != nil {
		return nil, err
	}
	defer done()
	installID := req.InstallID
	if installID == "" && !req.Global {
		installID = db.Install().InstallID
	}
	// Round-trip the commands so that they are validated as the API does.
	raw, err := json.Marshal(req.Commands)
	if err != nil {
		return nil, err
	}
	cmds, err := api.ParseCommands(raw)
	if err != nil {
		return nil, err
	}
	results, _, err := db.ExecStorage(installID, req.Global, cmds, 0)
	if err != nil {
		return nil, err
	}
	out := make([]json.RawMessage, len(results))
	for i, r := range results {
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		out[i] = b
	}
	return out, nil
}

// SetCommand names the calling command (e.g. "send-event") in the running
// simulator's live log; it does nothing for the state file.
func SetCommand(st Store, name string) {
	if h, ok := st.(*httpStore); ok {
		h.source = name
	}
}
