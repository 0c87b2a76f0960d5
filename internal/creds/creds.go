package creds

import (
	"fmt"
	"strings"
)

// Names of the variables the platform and Envoy's SDK use.
const (
	EnvClientID     = "ENVOY_CLIENT_ID"
	EnvClientSecret = "ENVOY_CLIENT_SECRET"
	EnvBaseURL      = "ENVOY_BASE_URL"
)

// Credentials are the plugin's client credentials and where each was read.
type Credentials struct {
	ClientID string `json:"client_id"`
	// ClientSecret is never marshalled: print it only on request (Mask).
	ClientSecret string `json:"-"`
	BaseURL      string `json:"base_url,omitempty"`

	// Sources say where each value came from: "flag", "environment" or the
	// env file's path.
	ClientIDSource     string `json:"client_id_source"`
	ClientSecretSource string `json:"client_secret_source"`
	BaseURLSource      string `json:"base_url_source,omitempty"`

	// Files are the env files read, lowest priority first.
	Files []string `json:"env_files"`
	// NodeEnv is the NODE_ENV used to pick dotenv-flow's files.
	NodeEnv string `json:"node_env"`
}

// String never shows the secret, so that %v and %+v are safe in logs.
func (c Credentials) String() string {
	return fmt.Sprintf("{client_id:%s (%s) client_secret:%s (%s) base_url:%s (%s)}",
		c.ClientID, c.ClientIDSource, Mask(c.ClientSecret), c.ClientSecretSource, c.BaseURL, c.BaseURLSource)
}

// GoString keeps %#v from printing the secret too.
func (c Credentials) GoString() string { return "creds.Credentials" + c.String() }

// Warning is a non-fatal problem found while reading env files.
type Warning struct {
	File    string `json:"file"`
	Line    int    `json:"line,omitempty"`
	Message string `json:"message"`
}

func (w Warning) String() string {
	if w.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", w.File, w.Line, w.Message)
	}
	return fmt.Sprintf("%s: %s", w.File, w.Message)
}

// MissingError says that no client secret (or id) could be found.
type MissingError struct {
	EnvFile string
	Key     string
	// Looked lists every env file read (EnvFile plus dotenv-flow's files
	// that exist); empty means just EnvFile.
	Looked []string
}

func (e *MissingError) Error() string {
	files := displayPath(e.EnvFile)
	if len(e.Looked) > 1 {
		shown := make([]string, len(e.Looked))
		for i, f := range e.Looked {
			shown[i] = displayPath(f)
		}
		files = strings.Join(shown, ", ")
	}
	return fmt.Sprintf("%s is not set (looked in the environment and in %s); run `envoy-plugin creds generate` to create credentials", e.Key, files)
}

// Mask shows the first and last four characters of a secret: abcd…wxyz.
// Shorter secrets show less (two and two below 24 characters, nothing
// below 12), so that a mask never gives most of a secret away.
func Mask(secret string) string {
	r := []rune(secret)
	switch {
	case len(r) == 0:
		return ""
	case len(r) < 12:
		return "…"
	case len(r) < 24:
		return string(r[:2]) + "…" + string(r[len(r)-2:])
	}
	return string(r[:4]) + "…" + string(r[len(r)-4:])
}
