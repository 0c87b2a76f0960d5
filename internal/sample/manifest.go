package sample

import (
	_ "embed"
	"strings"
)

//go:embed envoy-plugin.toml
var manifestTemplate string

// Manifest returns the sample plugin's manifest with base_url set to baseURL
// (e.g. http://127.0.0.1:54321).
func Manifest(baseURL string) []byte {
	return []byte(strings.ReplaceAll(manifestTemplate, "{{BASE_URL}}", baseURL))
}

// OAuthClientSecret is what the sample plugin's mock authorization server
// expects in ACME_CLIENT_SECRET (OAuthSecretEnv, the manifest's
// client_secret_env).
const OAuthClientSecret = "sample-oauth-secret"

// OAuthSecretEnv is the variable the sample manifest's OAuth2 step names.
const OAuthSecretEnv = "ACME_CLIENT_SECRET"
