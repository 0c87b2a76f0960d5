// Package simstate is how commands reach the simulated Envoy install that
// `envoy-plugin dev` keeps: through the running simulator when there is one
// (.envoy-plugin/dev.json), or through its state file when there is not.
// send-event, test-select and install read the install's ids and config
// here; install saves the config it builds here.
package simstate

import (
	"context"
	"errors"
)

// ErrNoSimulator means that no simulator is running for the project.
var ErrNoSimulator = errors.New("no envoy-plugin dev simulator is running")

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
}

// Job is a job registered by send-event, with the plugin's updates.
type Job struct {
	ID        string      `json:"id"`
	Event     string      `json:"event"`
	InstallID string      `json:"install_id"`
	Status    string      `json:"status"` // queued, ongoing, done, ignored, failed
	History   []JobUpdate `json:"history"`
}

// Store is the simulated install as other commands see it.
type Store interface {
	// Running reports whether a live simulator answers (false: state file).
	Running() bool
	// URL is the running simulator's base URL ("" when not running).
	URL() string
	Install(ctx context.Context) (*Install, error)
	// MergeConfig merges patch into the install config (a nil value deletes
	// a key) and returns the result.
	MergeConfig(ctx context.Context, patch map[string]any) (map[string]any, error)
	RegisterJob(ctx context.Context, job Job) error
	Job(ctx context.Context, id string) (*Job, error)
	// IssueToken returns an access token the simulator accepts.
	IssueToken(ctx context.Context) (token string, expiresIn int, err error)
}

// Open returns the project's simulated install: the running simulator if
// .envoy-plugin/dev.json names one that answers, else the state file. It
// returns ErrNoSimulator when neither exists and create is false.
//
// Placeholder until the dev issue lands: there is no simulator yet.
func Open(projectDir string, create bool) (Store, error) {
	return nil, ErrNoSimulator
}
