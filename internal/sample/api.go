package sample

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// apiClient makes the calls Envoy's Node SDK makes to the plugin API
// (platform.md, "The plugin API the SDK calls"): a client-credentials login
// with Basic auth and the same values in a JSON body, a cached token renewed
// within 10 minutes of expiry, and JSON:API-typed requests whose answers
// must carry non-null data.
type apiClient struct {
	base, id, secret string
	http             *http.Client

	mu      sync.Mutex
	token   string
	renewAt time.Time
}

func newAPIClient(base, id, secret string) *apiClient {
	return &apiClient{base: strings.TrimRight(base, "/"), id: id, secret: secret, http: &http.Client{Timeout: 10 * time.Second}}
}

func (c *apiClient) login(ctx context.Context) (string, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.token != "" && time.Now().Before(c.renewAt) {
		return c.token, nil
	}
	body, _ := json.Marshal(map[string]string{
		"grant_type": "client_credentials", "client_id": c.id, "client_secret": c.secret, "scope": "plugin,token.refresh",
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.base+"/a/auth/v0/token", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.SetBasicAuth(c.id, c.secret)
	req.Header.Set("Content-Type", "application/json")
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := c.do(req, &tok); err != nil {
		return "", fmt.Errorf("login: %w", err)
	}
	c.token = tok.AccessToken
	c.renewAt = time.Now().Add(time.Duration(tok.ExpiresIn)*time.Second - 10*time.Minute)
	return c.token, nil
}

// patchJob sends a job update as the SDK's EnvoyPluginJob does.
func (c *apiClient) patchJob(ctx context.Context, jobID string, update map[string]any) error {
	tok, err := c.login(ctx)
	if err != nil {
		return err
	}
	body, _ := json.Marshal(update)
	req, err := http.NewRequestWithContext(ctx, http.MethodPatch, c.base+"/api/v2/plugin-services/jobs/"+jobID, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/vnd.api+json")
	req.Header.Set("Accept", "application/vnd.api+json")
	var env struct {
		Data json.RawMessage `json:"data"`
	}
	if err := c.do(req, &env); err != nil {
		return err
	}
	if len(env.Data) == 0 || string(env.Data) == "null" {
		return fmt.Errorf("the API answered without data: The data you are looking for may not exist")
	}
	return nil
}

func (c *apiClient) do(req *http.Request, out any) error {
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %s", req.Method, req.URL.Path, resp.StatusCode, strings.TrimSpace(string(data)))
	}
	return json.Unmarshal(data, out)
}

// finishInvite completes an invite_created job through the API after the
// 202, as a plugin built on the SDK does with job.attach and job.complete.
func (p *Plugin) finishInvite(jobID, name string) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	steps := []map[string]any{
		{"attachments": []any{
			map[string]any{"type": "text", "label": "Badge", "value": "Printed for " + name},
			map[string]any{"type": "link", "label": "Badge preview", "value": "badge.png", "url": "https://example.com/badges/" + jobID + ".png"},
		}},
		{"status": "done", "status_message": "Badge ready for " + name, "attachments": []any{}},
	}
	for _, u := range steps {
		if err := p.api.patchJob(ctx, jobID, u); err != nil {
			if p.logf != nil {
				p.logf("sample plugin: finishing job %s: %v", jobID, err)
			}
			return
		}
	}
}
