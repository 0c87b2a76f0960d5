package creds

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func envMap(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestLoadPrecedence(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	must(t, os.WriteFile(env, []byte("ENVOY_CLIENT_ID=file-id\nENVOY_CLIENT_SECRET=file-secret\nENVOY_BASE_URL=http://file\n"), 0o600))
	tests := []struct {
		name       string
		opts       LoadOptions
		environ    map[string]string
		id, idSrc  string
		sec, secSr string
		url, urlSr string
	}{
		{"file only", LoadOptions{}, nil, "file-id", env, "file-secret", env, "http://file", env},
		{"environment wins", LoadOptions{}, map[string]string{EnvClientSecret: "env-secret", EnvBaseURL: "http://env"}, "file-id", env, "env-secret", SourceEnvironment, "http://env", SourceEnvironment},
		{"flags win", LoadOptions{ClientID: "flag-id", BaseURL: "http://flag"}, map[string]string{EnvClientID: "env-id"}, "flag-id", SourceFlag, "file-secret", env, "http://flag", SourceFlag},
		{"empty environment ignored", LoadOptions{}, map[string]string{EnvClientSecret: ""}, "file-id", env, "file-secret", env, "http://file", env},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.opts.EnvFile = env
			tt.opts.LookupEnv = envMap(tt.environ)
			c, _, err := Load(tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			got := []string{c.ClientID, c.ClientIDSource, c.ClientSecret, c.ClientSecretSource, c.BaseURL, c.BaseURLSource}
			want := []string{tt.id, tt.idSrc, tt.sec, tt.secSr, tt.url, tt.urlSr}
			if strings.Join(got, "|") != strings.Join(want, "|") {
				t.Errorf("got %q\nwant %q", got, want)
			}
		})
	}
}

func TestLoadDotenvFlow(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) { must(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600)) }
	write(".env.defaults", "ENVOY_BASE_URL=http://defaults\n")
	write(".env", "ENVOY_CLIENT_ID=base-id\nENVOY_CLIENT_SECRET=base-secret\n")
	write(".env.local", "ENVOY_CLIENT_SECRET=local-secret\n")
	write(".env.development", "OTHER=1\n")
	write(".env.development.local", "ENVOY_CLIENT_ID=devlocal-id\n")
	write(".env.test", "ENVOY_CLIENT_SECRET=test-secret\n")
	env := filepath.Join(dir, ".env")

	c, warns, err := Load(LoadOptions{EnvFile: env, LookupEnv: envMap(nil)})
	if err != nil {
		t.Fatal(err)
	}
	if c.NodeEnv != "development" || c.ClientSecret != "local-secret" || c.ClientSecretSource != filepath.Join(dir, ".env.local") ||
		c.ClientID != "devlocal-id" || c.BaseURL != "http://defaults" || len(c.Files) != 5 {
		t.Errorf("got %+v (%v)", c, c.Files)
	}
	var overriding []string
	for _, w := range warns {
		overriding = append(overriding, filepath.Base(w.File))
	}
	if strings.Join(overriding, ",") != ".env.defaults,.env.local,.env.development.local" {
		t.Errorf("warnings from %v: %v", overriding, warns)
	}

	// NODE_ENV=test: no .env.local, .env.test instead.
	c, _, err = Load(LoadOptions{EnvFile: env, LookupEnv: envMap(map[string]string{"NODE_ENV": "test"})})
	if err != nil || c.ClientSecret != "test-secret" || c.ClientID != "base-id" {
		t.Errorf("test env: %+v %v", c, err)
	}
	// An env file with another name stands alone.
	write("custom.env", "ENVOY_CLIENT_SECRET=custom\n")
	c, _, err = Load(LoadOptions{EnvFile: filepath.Join(dir, "custom.env"), LookupEnv: envMap(nil)})
	if err != nil || c.ClientSecret != "custom" || len(c.Files) != 1 {
		t.Errorf("custom: %+v %v", c, err)
	}
}

func TestLoadMissing(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	must(t, os.WriteFile(env, []byte("ENVOY_CLIENT_ID=x\nENVOY_CLIENT_SECRET=\n"), 0o600))
	_, _, err := Load(LoadOptions{EnvFile: env, LookupEnv: envMap(nil)})
	var me *MissingError
	if !errors.As(err, &me) || !strings.Contains(err.Error(), ".env") || !strings.Contains(err.Error(), "envoy-plugin creds generate") {
		t.Errorf("err = %v", err)
	}
	_, _, err = Load(LoadOptions{EnvFile: filepath.Join(dir, "none"), LookupEnv: envMap(nil)})
	if !errors.As(err, &me) {
		t.Errorf("no file: %v", err)
	}
	// A directory where the env file should be is an error of its own.
	_, _, err = Load(LoadOptions{EnvFile: dir, LookupEnv: envMap(nil)})
	if err == nil || errors.As(err, &me) || !strings.Contains(err.Error(), "directory") {
		t.Errorf("dir: %v", err)
	}
}

func TestLoadWarnsWithLineNumbers(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, ".env")
	must(t, os.WriteFile(env, []byte("ENVOY_CLIENT_SECRET=s3cret-value\nthis is not an assignment\n"), 0o600))
	c, warns, err := Load(LoadOptions{EnvFile: env, LookupEnv: envMap(nil)})
	if err != nil || c.ClientSecret != "s3cret-value" {
		t.Fatal(err)
	}
	if len(warns) != 1 || warns[0].Line != 2 || filepath.Base(warns[0].File) != ".env" {
		t.Errorf("warnings %v", warns)
	}
}

func TestCredentialsNeverPrintSecret(t *testing.T) {
	c := Credentials{ClientID: "id", ClientSecret: "super-secret-value-1234567890"}
	for _, s := range []string{c.String(), c.GoString()} {
		if strings.Contains(s, "super-secret") {
			t.Errorf("leak: %s", s)
		}
	}
}

func TestMask(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "",
		"short":                          "…",
		"abcdefghijklmnop":               "ab…op",
		"abcdefghijklmnopqrstuvwxyz0123": "abcd…0123",
	} {
		if got := Mask(in); got != want {
			t.Errorf("Mask(%q) = %q, want %q", in, got, want)
		}
	}
}
