package simstate

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/sim/api"
)

// probeTimeout bounds the check that a simulator named in dev.json answers.
const probeTimeout = 2 * time.Second

// DevInfo is .envoy-plugin/dev.json: how other commands reach the running
// simulator. It exists only while `envoy-plugin dev` runs.
type DevInfo struct {
	URL       string `json:"url"`
	PID       int    `json:"pid"`
	AdminKey  string `json:"admin_key"`
	StateFile string `json:"state_file,omitempty"`
	StartedAt string `json:"started_at,omitempty"`
}

// WriteDevInfo writes dev.json atomically, readable by the owner only (it
// holds the admin key).
func WriteDevInfo(projectDir string, d DevInfo) error {
	data, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return err
	}
	return api.WriteFileAtomic(DevInfoPath(projectDir), append(data, '\n'), 0o600)
}

// ReadDevInfo reads dev.json.
func ReadDevInfo(projectDir string) (DevInfo, error) {
	var d DevInfo
	data, err := os.ReadFile(DevInfoPath(projectDir))
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal(data, &d); err != nil {
		return d, fmt.Errorf("%s: %w", DevInfoPath(projectDir), err)
	}
	if d.URL == "" || d.PID == 0 {
		return d, fmt.Errorf("%s names no simulator", DevInfoPath(projectDir))
	}
	return d, nil
}

// RemoveDevInfo removes dev.json when it names pid (another simulator's
// file is left alone).
func RemoveDevInfo(projectDir string, pid int) error {
	d, err := ReadDevInfo(projectDir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		// An unreadable file is ours to clean up only if nothing else can
		// own it; leave it.
		return nil
	}
	if d.PID != pid {
		return nil
	}
	err = os.Remove(DevInfoPath(projectDir))
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return err
}

// Probe checks that the simulator named in d answers its health route with
// the same pid (a stale dev.json, or another program on a reused port, does
// not count).
func Probe(ctx context.Context, d DevInfo) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(d.URL, "/")+api.AdminPrefix+"health", nil)
	if err != nil {
		return err
	}
	resp, err := localClient().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	var body struct {
		Data *api.Health `json:"data"`
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %d", d.URL, resp.StatusCode)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&body); err != nil || body.Data == nil {
		return fmt.Errorf("%s is not an envoy-plugin simulator", d.URL)
	}
	if body.Data.PID != d.PID {
		return fmt.Errorf("%s is simulator pid %d, not %d", d.URL, body.Data.PID, d.PID)
	}
	return nil
}

// localClient talks to a local simulator: no proxy, no redirects.
func localClient() *http.Client {
	return &http.Client{
		Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 4},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
}
