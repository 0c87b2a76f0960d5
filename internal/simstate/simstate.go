// Package simstate is how commands reach the simulated Envoy install that
// `envoy-plugin dev` keeps: through the running simulator when there is one
// (.envoy-plugin/dev.json), or through its state file when there is not.
// send-event, test-select and install read the install's ids and config
// here; install saves the config it builds here.
package simstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/sim/api"
)

// ErrNoSimulator means that no simulator is running for the project.
var ErrNoSimulator = errors.New("no envoy-plugin dev simulator is running")

// Install is the simulated install.
type Install = api.Install

// JobUpdate is one PATCH the plugin made to a job.
type JobUpdate = api.JobUpdate

// JobAnswer is the worker's HTTP answer to a job's delivery.
type JobAnswer = api.JobAnswer

// AnswerSource marks a job history entry recorded from the worker's HTTP
// answer.
const AnswerSource = api.AnswerSource

// JobRejection is one job update the simulator refused.
type JobRejection = api.JobRejection

// Job is a job registered by send-event, with the plugin's updates
// (Status: queued, ongoing, done, ignored, failed).
type Job = api.Job

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

// Inspector is a Store with what the jobs, storage and config commands
// need besides. Every Store that Open returns is also an Inspector.
type Inspector interface {
	Store
	// Jobs lists every job, oldest first.
	Jobs(ctx context.Context) ([]Job, error)
	// SetJobStatus sets a job's status from outside the plugin (e.g.
	// "ongoing" after a 202 answer).
	SetJobStatus(ctx context.Context, id, status string) (*Job, error)
	// Storage runs storage commands on the install's storage (or the
	// global one) and returns one raw JSON result per command: an item
	// {key, value}, a list of items, or null.
	Storage(ctx context.Context, req api.AdminStorageRequest) ([]json.RawMessage, error)
	// Where says where the state lives: the simulator's URL or the state
	// file's path.
	Where() string
}

// startingWait is how long commands wait for a starting dev to be ready.
const startingWait = 15 * time.Second

// Dir is the project-local folder of the simulator's files.
const Dir = ".envoy-plugin"

// StatePath is the state file of the project in projectDir.
func StatePath(projectDir string) string { return filepath.Join(projectDir, Dir, "state.json") }

// DevInfoPath is the file a running simulator announces itself in.
func DevInfoPath(projectDir string) string { return filepath.Join(projectDir, Dir, "dev.json") }

// Open returns the project's simulated install: the running simulator if
// .envoy-plugin/dev.json names one that answers, else the state file. It
// returns ErrNoSimulator when neither exists and create is false; with
// create it makes a fresh state file.
func Open(projectDir string, create bool) (Store, error) {
	return OpenInspector(projectDir, create)
}

// OpenInspector is Open, typed for the commands that inspect the state.
func OpenInspector(projectDir string, create bool) (Inspector, error) {
	// A dev that holds the lock but has not written dev.json yet is
	// starting (its plugin is not ready): wait for it rather than edit the
	// state file under it.
	deadline := time.Now().Add(startingWait)
	for {
		if d, err := ReadDevInfo(projectDir); err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), probeTimeout)
			err := Probe(ctx, d)
			cancel()
			if err == nil {
				return newHTTPStore(d), nil
			}
		}
		if _, err := os.Stat(filepath.Join(projectDir, Dir)); err != nil {
			break // no .envoy-plugin folder: nothing runs
		}
		l, holder, err := LockDev(projectDir)
		if err == nil {
			l.Release()
			break
		}
		if !errors.Is(err, ErrLocked) {
			return nil, err
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("envoy-plugin dev (pid %d) is starting for this project and is not ready after %s (its plugin does not accept connections yet); run this again once %s exists", holder, startingWait, DevInfoPath(projectDir))
		}
		time.Sleep(50 * time.Millisecond)
	}
	path := StatePath(projectDir)
	if _, err := os.Stat(path); err != nil {
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		if !create {
			return nil, ErrNoSimulator
		}
		if _, err := api.Open(path, api.OpenOptions{Create: true}); err != nil {
			return nil, err
		}
	}
	return &fileStore{path: path}, nil
}
