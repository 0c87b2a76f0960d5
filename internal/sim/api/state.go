// Package api plays the Envoy plugin API that plugins call back (the API
// Envoy's Node.js SDK talks to): the token endpoint, job updates, storage,
// install config and notifications, with the simulated install's state kept
// in a file in the project (.envoy-plugin/state.json).
package api

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"sync"
	"time"
)

// StateVersion is the state file's format version.
const StateVersion = 1

// DefaultTokenTTL is how long issued tokens live unless --token-ttl says
// otherwise: well above the SDK's 10-minute refresh margin.
const DefaultTokenTTL = 12 * time.Hour

// Install is the simulated install.
type Install struct {
	PluginID  string         `json:"plugin_id"`
	InstallID string         `json:"install_id"`
	Config    map[string]any `json:"config"`
}

// JobUpdate is one PATCH the plugin made to a job.
type JobUpdate struct {
	Status        string           `json:"status,omitempty"`
	StatusMessage string           `json:"status_message,omitempty"`
	FailureReason string           `json:"failure_reason,omitempty"`
	Attachments   []map[string]any `json:"attachments"`
	At            string           `json:"at"`
	// Source is AnswerSource for an entry recorded from the worker's HTTP
	// answer (send-event), empty for the plugin's own PATCH.
	Source string `json:"source,omitempty"`
}

// AnswerSource marks a job history entry recorded from the worker's HTTP
// answer rather than from a PATCH through the API.
const AnswerSource = "answer"

// JobAnswer is the worker's HTTP answer to a job's delivery as Envoy records
// it: the status it means and, for 202/400/412, the body's message and
// (400/412) attachments.
type JobAnswer struct {
	Status      string           `json:"status"`
	Message     string           `json:"message,omitempty"`
	Attachments []map[string]any `json:"attachments,omitempty"`
}

// AnswerAttachments keeps the attachments of an answer body's
// "attachments" value that are objects, as the job PATCH requires; other
// values (and a non-array) are skipped.
func AnswerAttachments(v any) []map[string]any {
	var out []map[string]any
	switch list := v.(type) {
	case []any:
		for _, a := range list {
			if obj, ok := a.(map[string]any); ok && obj != nil {
				out = append(out, obj)
			}
		}
	case []map[string]any:
		for _, obj := range list {
			if obj != nil {
				out = append(out, obj)
			}
		}
	}
	return out
}

// PluginUpdates counts the job's history entries that are the plugin's
// own updates (not the recorded answer).
func (j Job) PluginUpdates() int {
	n := 0
	for _, u := range j.History {
		if u.Source != AnswerSource {
			n++
		}
	}
	return n
}

// pluginSet reports whether the plugin itself (not a recorded answer) set
// a status, and a status message, through the API.
func pluginSet(j *Job) (status, message bool) {
	for _, u := range j.History {
		if u.Source == AnswerSource {
			continue
		}
		status = status || u.Status != ""
		message = message || u.StatusMessage != ""
	}
	return status, message
}

// Job is a job registered by send-event, with the plugin's updates.
type Job struct {
	ID        string      `json:"id"`
	Event     string      `json:"event"`
	InstallID string      `json:"install_id"`
	Status    string      `json:"status"` // queued, ongoing, done, ignored, failed
	History   []JobUpdate `json:"history"`

	// The job as Envoy's dashboard shows it: the last status message and
	// failure reason, and every attachment in the order they were added.
	StatusMessage string           `json:"status_message,omitempty"`
	FailureReason string           `json:"failure_reason,omitempty"`
	Attachments   []map[string]any `json:"attachments"`
	CreatedAt     string           `json:"created_at,omitempty"`
	UpdatedAt     string           `json:"updated_at,omitempty"`

	// Rejected lists the plugin's updates the simulator refused (an
	// invalid status, a malformed body, a bad token), oldest first.
	Rejected []JobRejection `json:"rejected,omitempty"`
}

// JobRejection is one job update the simulator refused, and why.
type JobRejection struct {
	Reason     string `json:"reason"`
	HTTPStatus int    `json:"http_status"`
	At         string `json:"at"`
}

// maxJobRejections bounds what a job keeps of a plugin that retries a
// refused update forever.
const maxJobRejections = 20

// Job statuses.
const (
	StatusQueued  = "queued"
	StatusOngoing = "ongoing"
	StatusDone    = "done"
	StatusIgnored = "ignored"
	StatusFailed  = "failed"
)

// Notification is one POST to an install's notifications endpoint.
type Notification struct {
	InstallID string          `json:"install_id"`
	Body      json.RawMessage `json:"body"`
	At        string          `json:"at"`
}

// Token is an access token the simulator issued.
type Token struct {
	ExpiresAt time.Time `json:"expires_at"`
	Source    string    `json:"source"` // "login" (the token endpoint) or "send-event" (meta.auth)
}

// Scope is one storage namespace: an install's, or the global one.
type Scope struct {
	Items map[string]json.RawMessage `json:"items"`
	// Handed lists the values set_unique and set_unique_num ever gave out,
	// per key (canonical JSON), so that none is handed out twice.
	Handed map[string]map[string]bool `json:"handed,omitempty"`
}

func newScope() *Scope {
	return &Scope{Items: map[string]json.RawMessage{}, Handed: map[string]map[string]bool{}}
}

// State is everything the simulator keeps; it is the state file's content.
type State struct {
	Version         int              `json:"version"`
	Install         Install          `json:"install"`
	TokenTTLSeconds int              `json:"token_ttl_seconds,omitempty"`
	InstallStorage  *Scope           `json:"install_storage"`
	GlobalStorage   *Scope           `json:"global_storage"`
	Jobs            map[string]*Job  `json:"jobs"`
	JobOrder        []string         `json:"job_order"`
	Tokens          map[string]Token `json:"tokens"`
	Notifications   []Notification   `json:"notifications"`
}

// ErrNoState means that the state file does not exist (and create was false).
var ErrNoState = errors.New("no simulator state")

// NotFoundError is a lookup of something the state does not hold.
type NotFoundError struct{ Msg string }

func (e *NotFoundError) Error() string { return e.Msg }

// InvalidError is a request the state refuses (a bad command, a bad value).
type InvalidError struct{ Msg string }

func (e *InvalidError) Error() string { return e.Msg }

// DB is the state, safe for concurrent use, saved to its file (atomically:
// a temporary file renamed over the old one) after every change.
type DB struct {
	mu   sync.Mutex
	path string // "" keeps the state in memory only
	st   *State
	now  func() time.Time

	// Group commit: every change bumps gen; a change returns only once a
	// save covering its generation is on disk, and one save covers all the
	// changes made while the previous one was written.
	gen      uint64
	saveMu   sync.Mutex
	savedGen uint64
}

// OpenOptions choose how a DB is opened.
type OpenOptions struct {
	Create bool // create the file when it does not exist (else ErrNoState)
	Reset  bool // start from a clean state even when the file exists
	Now    func() time.Time
}

// Open loads the state file at path (see OpenOptions). A newly created state
// gets generated plugin and install ids; it is written at once.
func Open(path string, o OpenOptions) (*DB, error) {
	db := &DB{path: path, now: o.Now}
	if db.now == nil {
		db.now = time.Now
	}
	if !o.Reset {
		data, err := os.ReadFile(path)
		switch {
		case err == nil:
			st, err := decodeState(data)
			if err != nil {
				return nil, fmt.Errorf("reading %s: %w; start clean with `envoy-plugin dev --reset`", path, err)
			}
			db.st = st
			return db, nil
		case errors.Is(err, fs.ErrNotExist):
			if !o.Create {
				return nil, ErrNoState
			}
		default:
			return nil, err
		}
	}
	db.st = newState()
	if err := db.saveLocked(); err != nil {
		return nil, err
	}
	return db, nil
}

// NewMemory returns a DB that is never written to disk (tests).
func NewMemory(now func() time.Time) *DB {
	if now == nil {
		now = time.Now
	}
	return &DB{st: newState(), now: now}
}

// Path is the state file ("" for a memory DB).
func (db *DB) Path() string { return db.path }

func newState() *State {
	return &State{
		Version:        StateVersion,
		Install:        Install{PluginID: NewID(), InstallID: NewID(), Config: map[string]any{}},
		InstallStorage: newScope(),
		GlobalStorage:  newScope(),
		Jobs:           map[string]*Job{},
		Tokens:         map[string]Token{},
	}
}

func decodeState(data []byte) (*State, error) {
	st := &State{}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if err := dec.Decode(st); err != nil {
		return nil, err
	}
	if st.Version > StateVersion {
		return nil, fmt.Errorf("state format %d is newer than this build understands (%d)", st.Version, StateVersion)
	}
	st.Version = StateVersion
	if st.Install.Config == nil {
		st.Install.Config = map[string]any{}
	}
	if st.Install.PluginID == "" {
		st.Install.PluginID = NewID()
	}
	if st.Install.InstallID == "" {
		st.Install.InstallID = NewID()
	}
	for _, sc := range []**Scope{&st.InstallStorage, &st.GlobalStorage} {
		if *sc == nil {
			*sc = newScope()
		}
		if (*sc).Items == nil {
			(*sc).Items = map[string]json.RawMessage{}
		}
		if (*sc).Handed == nil {
			(*sc).Handed = map[string]map[string]bool{}
		}
	}
	if st.Jobs == nil {
		st.Jobs = map[string]*Job{}
	}
	if st.Tokens == nil {
		st.Tokens = map[string]Token{}
	}
	// Keep the order list consistent with the map.
	seen := map[string]bool{}
	order := st.JobOrder[:0:0]
	for _, id := range st.JobOrder {
		if st.Jobs[id] != nil && !seen[id] {
			order = append(order, id)
			seen[id] = true
		}
	}
	var rest []string
	for id := range st.Jobs {
		if !seen[id] {
			rest = append(rest, id)
		}
	}
	sort.Strings(rest)
	st.JobOrder = append(order, rest...)
	return st, nil
}

// saveLocked writes the state atomically. The caller holds db.mu.
func (db *DB) saveLocked() error {
	if db.path == "" {
		return nil
	}
	data, _, err := db.snapshotLocked()
	if err != nil {
		return err
	}
	return WriteFileAtomic(db.path, data, 0o600)
}

// snapshotLocked encodes the state. The caller holds db.mu.
func (db *DB) snapshotLocked() ([]byte, uint64, error) {
	// Drop tokens that expired more than a day ago: they can never be
	// accepted again and would only grow the file.
	cutoff := db.now().Add(-24 * time.Hour)
	for k, t := range db.st.Tokens {
		if t.ExpiresAt.Before(cutoff) {
			delete(db.st.Tokens, k)
		}
	}
	// Compact, not indented: indentation costs O(depth²) bytes, and a
	// plugin's json attachment may nest thousands of levels deep
	// (`envoy-plugin jobs --json` pretty-prints for people).
	data, err := json.Marshal(db.st)
	if err != nil {
		return nil, 0, err
	}
	return append(data, '\n'), db.gen, nil
}

// WriteFileAtomic writes data to a temporary file beside path and renames it
// over path, so that readers see the old or the new content, never a mix.
func WriteFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	name := tmp.Name()
	_, werr := tmp.Write(data)
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Chmod(name, perm)
	}
	if werr == nil {
		werr = os.Rename(name, path)
	}
	if werr != nil {
		_ = os.Remove(name)
		return werr
	}
	return nil
}

// update runs fn under the lock and, when it returns no error, returns once
// the state file holds the change.
func (db *DB) update(fn func(st *State) error) error {
	db.mu.Lock()
	if err := fn(db.st); err != nil {
		db.mu.Unlock()
		return err
	}
	db.gen++
	mine := db.gen
	db.mu.Unlock()
	if db.path == "" {
		return nil
	}
	db.saveMu.Lock()
	defer db.saveMu.Unlock()
	if db.savedGen >= mine {
		return nil // a save made after this change already covered it
	}
	db.mu.Lock()
	data, gen, err := db.snapshotLocked()
	db.mu.Unlock()
	if err != nil {
		return err
	}
	if err := WriteFileAtomic(db.path, data, 0o600); err != nil {
		return err
	}
	db.savedGen = gen
	return nil
}

// view runs fn under the lock without saving.
func (db *DB) view(fn func(st *State)) {
	db.mu.Lock()
	defer db.mu.Unlock()
	fn(db.st)
}

func (db *DB) stamp() string { return db.now().UTC().Format(time.RFC3339Nano) }

// NewID returns a random UUID (version 4), the shape of Envoy's ids.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = (b[6] & 0x0f) | 0x40
	b[8] = (b[8] & 0x3f) | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// newToken returns a random opaque token.
func newToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// ---- install and config ----

// Install returns a copy of the simulated install.
func (db *DB) Install() Install {
	var in Install
	db.view(func(st *State) { in = copyInstall(st.Install) })
	return in
}

func copyInstall(in Install) Install {
	out := in
	out.Config = copyMap(in.Config)
	return out
}

func copyMap(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// SetIDs changes the plugin and/or install id (empty: keep). The install's
// config and storage stay with it.
func (db *DB) SetIDs(pluginID, installID string) error {
	return db.update(func(st *State) error {
		if pluginID != "" {
			st.Install.PluginID = pluginID
		}
		if installID != "" {
			st.Install.InstallID = installID
		}
		return nil
	})
}

// CheckInstall returns a *NotFoundError unless id is the simulated install.
func (db *DB) CheckInstall(id string) error {
	var err error
	db.view(func(st *State) { err = checkInstall(st, id) })
	return err
}

func checkInstall(st *State, id string) error {
	if id != st.Install.InstallID {
		return &NotFoundError{Msg: fmt.Sprintf("unknown install %q: the simulated install is %q (choose it with `envoy-plugin dev --install-id`)", id, st.Install.InstallID)}
	}
	return nil
}

// Config returns a copy of the install config after checking the install id.
func (db *DB) Config(installID string) (map[string]any, error) {
	var out map[string]any
	var err error
	db.view(func(st *State) {
		if err = checkInstall(st, installID); err == nil {
			out = copyMap(st.Install.Config)
		}
	})
	return out, err
}

// MergeConfig merges patch into the install config: a nil value deletes the
// key. installID "" means the simulated install.
func (db *DB) MergeConfig(installID string, patch map[string]any) (map[string]any, error) {
	var out map[string]any
	err := db.update(func(st *State) error {
		if installID != "" {
			if err := checkInstall(st, installID); err != nil {
				return err
			}
		}
		for k, v := range patch {
			if v == nil {
				delete(st.Install.Config, k)
			} else {
				st.Install.Config[k] = v
			}
		}
		out = copyMap(st.Install.Config)
		return nil
	})
	return out, err
}

// ---- tokens ----

// TokenTTL is the lifetime of new tokens (set by dev --token-ttl and kept in
// the state so that tokens issued through the state file match).
func (db *DB) TokenTTL() time.Duration {
	var ttl time.Duration
	db.view(func(st *State) { ttl = time.Duration(st.TokenTTLSeconds) * time.Second })
	if ttl <= 0 {
		return DefaultTokenTTL
	}
	return ttl
}

// SetTokenTTL records the lifetime of new tokens.
func (db *DB) SetTokenTTL(ttl time.Duration) error {
	return db.update(func(st *State) error {
		st.TokenTTLSeconds = int(ttl / time.Second)
		return nil
	})
}

// IssueToken creates a token that lives for the state's token TTL.
func (db *DB) IssueToken(source string) (token string, expiresIn int, err error) {
	ttl := db.TokenTTL()
	token = newToken()
	err = db.update(func(st *State) error {
		st.Tokens[token] = Token{ExpiresAt: db.now().Add(ttl).UTC(), Source: source}
		return nil
	})
	return token, int(ttl / time.Second), err
}

// TokenStatus is what CheckToken found.
type TokenStatus int

const (
	TokenValid TokenStatus = iota
	TokenUnknown
	TokenExpired
)

// CheckToken says whether token was issued here and is still valid; for an
// expired token it also returns when it expired.
func (db *DB) CheckToken(token string) (TokenStatus, time.Time) {
	var t Token
	var ok bool
	db.view(func(st *State) { t, ok = st.Tokens[token] })
	switch {
	case !ok:
		return TokenUnknown, time.Time{}
	case !db.now().Before(t.ExpiresAt):
		return TokenExpired, t.ExpiresAt
	}
	return TokenValid, t.ExpiresAt
}

// ---- jobs ----

// RegisterJob records a new job in status "queued" (a job registered twice
// keeps its history). The install id defaults to the simulated install.
func (db *DB) RegisterJob(j Job) (Job, error) {
	var out Job
	err := db.update(func(st *State) error {
		if j.ID == "" {
			return &InvalidError{Msg: "a job needs an id"}
		}
		if old := st.Jobs[j.ID]; old != nil {
			if !isFinalStatus(old.Status) {
				// The same delivery registered again (e.g. --replay):
				// one job.
				out = copyJob(old)
				return nil
			}
			// A finished job delivered again (send-event rerun with the
			// same --seed): a new delivery starts a new history, so that
			// the old outcome is not reported as the new one.
			for i, id := range st.JobOrder {
				if id == j.ID {
					st.JobOrder = append(st.JobOrder[:i], st.JobOrder[i+1:]...)
					break
				}
			}
		}
		nj := &Job{
			ID: j.ID, Event: j.Event, InstallID: j.InstallID, Status: StatusQueued,
			History: []JobUpdate{}, Attachments: []map[string]any{}, CreatedAt: db.stamp(),
		}
		if nj.InstallID == "" {
			nj.InstallID = st.Install.InstallID
		}
		st.Jobs[j.ID] = nj
		st.JobOrder = append(st.JobOrder, j.ID)
		out = copyJob(nj)
		return nil
	})
	return out, err
}

// UpdateJob records a PATCH from the plugin and returns the job after it.
func (db *DB) UpdateJob(id string, u JobUpdate) (Job, error) {
	var out Job
	err := db.update(func(st *State) error {
		j := st.Jobs[id]
		if j == nil {
			return &NotFoundError{Msg: fmt.Sprintf("unknown job %q: jobs exist once send-event registers them (run send-event while envoy-plugin dev runs)", id)}
		}
		if u.Attachments == nil {
			u.Attachments = []map[string]any{}
		}
		u.At = db.stamp()
		j.History = append(j.History, u)
		if u.Status != "" {
			j.Status = u.Status
		}
		if u.StatusMessage != "" {
			j.StatusMessage = u.StatusMessage
		}
		if u.FailureReason != "" {
			j.FailureReason = u.FailureReason
		}
		j.Attachments = append(j.Attachments, u.Attachments...)
		j.UpdatedAt = u.At
		out = copyJob(j)
		return nil
	})
	return out, err
}

// SetJobStatus sets a job's status from the worker's HTTP answer (202 makes
// it ongoing). A status the plugin already set through the API wins: the
// answer may be recorded after the plugin's own "done".
func (db *DB) SetJobStatus(id, status string) (Job, error) {
	return db.RecordAnswer(id, JobAnswer{Status: status})
}

// RecordAnswer records the worker's HTTP answer to job id: its status and,
// when the answer carries a message or attachments, a history entry marked
// AnswerSource, the job's status message and its attachments. What the
// plugin set through the API wins: a status it set leaves the job as it
// is, and a status message it set stays.
func (db *DB) RecordAnswer(id string, a JobAnswer) (Job, error) {
	var out Job
	err := db.update(func(st *State) error {
		j := st.Jobs[id]
		if j == nil {
			return &NotFoundError{Msg: fmt.Sprintf("unknown job %q", id)}
		}
		setStatus, setMessage := pluginSet(j)
		if setStatus {
			out = copyJob(j)
			return nil
		}
		j.Status = a.Status
		j.UpdatedAt = db.stamp()
		atts := AnswerAttachments(a.Attachments)
		if a.Message != "" || len(atts) > 0 {
			if atts == nil {
				atts = []map[string]any{}
			}
			j.History = append(j.History, JobUpdate{Source: AnswerSource, Status: a.Status, StatusMessage: a.Message, Attachments: atts, At: j.UpdatedAt})
			if a.Message != "" && !setMessage {
				j.StatusMessage = a.Message
			}
			j.Attachments = append(j.Attachments, atts...)
		}
		out = copyJob(j)
		return nil
	})
	return out, err
}

// FailJob marks a job failed with reason, unless a status was already
// set through the API or recorded from the worker's HTTP answer (it is
// then no longer "queued"): send-event uses it for the jobs it registered
// but never delivered, when it is interrupted.
func (db *DB) FailJob(id, reason string) (Job, error) {
	var out Job
	err := db.update(func(st *State) error {
		j := st.Jobs[id]
		if j == nil {
			return &NotFoundError{Msg: fmt.Sprintf("unknown job %q", id)}
		}
		if j.Status != "queued" {
			out = copyJob(j)
			return nil
		}
		if setStatus, _ := pluginSet(j); setStatus {
			out = copyJob(j)
			return nil
		}
		j.Status = "failed"
		j.FailureReason = reason
		j.StatusMessage = reason
		j.UpdatedAt = db.stamp()
		out = copyJob(j)
		return nil
	})
	return out, err
}

// Job returns one job.
func (db *DB) Job(id string) (Job, error) {
	var out Job
	var err error
	db.view(func(st *State) {
		j := st.Jobs[id]
		if j == nil {
			err = &NotFoundError{Msg: fmt.Sprintf("unknown job %q; run `envoy-plugin jobs` to list them", id)}
			return
		}
		out = copyJob(j)
	})
	return out, err
}

// Jobs returns every job, oldest first.
func (db *DB) Jobs() []Job {
	var out []Job
	db.view(func(st *State) {
		out = make([]Job, 0, len(st.JobOrder))
		for _, id := range st.JobOrder {
			out = append(out, copyJob(st.Jobs[id]))
		}
	})
	return out
}

// RejectJobUpdate records that an update of job id was refused with
// httpStatus for reason. An unknown job is a NotFoundError; only the last
// few refusals are kept.
func (db *DB) RejectJobUpdate(id, reason string, httpStatus int) error {
	return db.update(func(st *State) error {
		j := st.Jobs[id]
		if j == nil {
			return &NotFoundError{Msg: fmt.Sprintf("unknown job %q", id)}
		}
		j.Rejected = append(j.Rejected, JobRejection{Reason: reason, HTTPStatus: httpStatus, At: db.stamp()})
		if n := len(j.Rejected); n > maxJobRejections {
			j.Rejected = append([]JobRejection{}, j.Rejected[n-maxJobRejections:]...)
		}
		return nil
	})
}

func copyJob(j *Job) Job {
	out := *j
	if j.Rejected != nil {
		out.Rejected = append([]JobRejection{}, j.Rejected...)
	}
	out.History = append([]JobUpdate{}, j.History...)
	out.Attachments = append([]map[string]any{}, j.Attachments...)
	return out
}

// ---- notifications ----

// AddNotification records a notification for the install.
func (db *DB) AddNotification(installID string, body json.RawMessage) (Notification, error) {
	var n Notification
	err := db.update(func(st *State) error {
		if err := checkInstall(st, installID); err != nil {
			return err
		}
		n = Notification{InstallID: installID, Body: append(json.RawMessage(nil), body...), At: db.stamp()}
		st.Notifications = append(st.Notifications, n)
		return nil
	})
	return n, err
}

// Notifications returns the recorded notifications.
func (db *DB) Notifications() []Notification {
	var out []Notification
	db.view(func(st *State) { out = append([]Notification{}, st.Notifications...) })
	return out
}

// isFinalStatus reports whether a job status is one a job ends in.
func isFinalStatus(s string) bool {
	return s == StatusDone || s == StatusIgnored || s == StatusFailed
}
