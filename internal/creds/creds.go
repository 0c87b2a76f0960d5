package creds

import (
	"fmt"
	"os"
)

// Names of the variables the platform and Envoy's SDK use.
const (
	EnvClientID     = "ENVOY_CLIENT_ID"
	EnvClientSecret = "ENVOY_CLIENT_SECRET"
	EnvBaseURL      = "ENVOY_BASE_URL"
)

// Credentials are the plugin's client credentials and where each was read.
type Credentials struct {
	ClientID     string `json:"client_id"`
	ClientSecret string `json:"client_secret"`
	BaseURL      string `json:"base_url,omitempty"`

	// Sources say where each value came from: "flag", "environment" or the
	// env file's path.
	ClientIDSource     string `json:"client_id_source"`
	ClientSecretSource string `json:"client_secret_source"`
	BaseURLSource      string `json:"base_url_source,omitempty"`
}

// LoadOptions tell Load where to look. Flag values win over the process
// environment, which wins over the env file.
type LoadOptions struct {
	EnvFile      string
	ClientID     string // from a flag, if any
	ClientSecret string // from a flag, if any
	// LookupEnv defaults to os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

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
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("%s is not set (looked in flags, the environment and %s); run `envoy-plugin creds generate` to create credentials", e.Key, e.EnvFile)
}

// Load reads the credentials: flags > process environment > env file.
// A secret is required; a missing one is a *MissingError.
// (Placeholder implementation: environment and flags only; the env-file
// reader replaces it.)
func Load(opts LoadOptions) (*Credentials, []Warning, error) {
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	c := &Credentials{}
	pick := func(flag, key string, val, src *string) {
		if flag != "" {
			*val, *src = flag, "flag"
			return
		}
		if v, ok := lookup(key); ok && v != "" {
			*val, *src = v, "environment"
		}
	}
	pick(opts.ClientID, EnvClientID, &c.ClientID, &c.ClientIDSource)
	pick(opts.ClientSecret, EnvClientSecret, &c.ClientSecret, &c.ClientSecretSource)
	pick("", EnvBaseURL, &c.BaseURL, &c.BaseURLSource)
	if c.ClientSecret == "" {
		return nil, nil, &MissingError{EnvFile: opts.EnvFile, Key: EnvClientSecret}
	}
	return c, nil, nil
}

// Mask shows the first and last four characters of a secret: abcd…wxyz.
func Mask(secret string) string {
	r := []rune(secret)
	if len(r) <= 8 {
		return "…"
	}
	return string(r[:4]) + "…" + string(r[len(r)-4:])
}
