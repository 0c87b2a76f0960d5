package creds

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// SecretBytes is the size of a generated client secret: 256 bits.
const SecretBytes = 32

// BackupTimeFormat names rotation backups: .env.2026-11-27T10-00-00.bak.
const BackupTimeFormat = "2006-01-02T15-04-05"

// GenerateOptions say where and what Generate writes.
type GenerateOptions struct {
	EnvFile string
	// Rotate replaces credentials that are already set, after keeping the
	// old file as a timestamped backup.
	Rotate bool
	// APIURL, when set, is written as ENVOY_BASE_URL (on its own, it
	// changes nothing else).
	APIURL string
	Rand   io.Reader        // nil = crypto/rand
	Now    func() time.Time // nil = time.Now
	// LookupEnv (nil = os.LookupEnv) is used to warn when the process
	// environment or NODE_ENV's dotenv-flow files would override the file.
	LookupEnv func(string) (string, bool)
}

// GenerateResult tells what Generate did. It never holds the secret.
type GenerateResult struct {
	EnvFile string `json:"env_file"`
	Created bool   `json:"created"` // the env file did not exist before
	// Written are the keys added or changed; Kept the credentials that
	// were already set and left alone.
	Written []string `json:"written"`
	Kept    []string `json:"kept"`
	Rotated bool     `json:"rotated"`
	Backup  string   `json:"backup,omitempty"` // path of the backup made before rotating

	Gitignore        string   `json:"gitignore,omitempty"` // the .gitignore looked at
	GitignoreAdded   bool     `json:"gitignore_added"`
	GitignoreEntries []string `json:"gitignore_entries,omitempty"` // lines added to it
	// Tracked: the env file is already in git, where .gitignore cannot
	// hide it (fix: git rm --cached).
	Tracked bool `json:"tracked"`

	ClientID           string    `json:"client_id"`
	ClientSecretMasked string    `json:"client_secret_masked"`
	BaseURL            string    `json:"base_url,omitempty"`
	Warnings           []Warning `json:"warnings,omitempty"`
}

// InfoLines are the status lines without the warnings.
func (r *GenerateResult) InfoLines() []string {
	env := displayPath(r.EnvFile)
	var out []string
	switch {
	case r.Created:
		out = append(out, fmt.Sprintf("✓ Created %s with %s", env, strings.Join(r.Written, ", ")))
	case len(r.Written) > 0 && r.Rotated:
		out = append(out, fmt.Sprintf("✓ Rotated %s in %s", strings.Join(r.Written, ", "), env))
	case len(r.Written) > 0:
		out = append(out, fmt.Sprintf("✓ Wrote %s to %s", strings.Join(r.Written, ", "), env))
	}
	if len(r.Kept) > 0 {
		out = append(out, fmt.Sprintf("✓ Kept the %s already in %s (envoy-plugin creds generate --rotate replaces them)", strings.Join(r.Kept, " and "), env))
	}
	if len(r.Written) == 0 && len(r.Kept) == 0 {
		out = append(out, fmt.Sprintf("✓ %s is up to date", env))
	}
	if r.Backup != "" {
		out = append(out, fmt.Sprintf("✓ Kept the previous file as %s", displayPath(r.Backup)))
	}
	if r.GitignoreAdded {
		out = append(out, fmt.Sprintf("✓ Added %s to %s", strings.Join(r.GitignoreEntries, " and "), displayPath(r.Gitignore)))
	}
	if r.ClientID != "" {
		out = append(out, "  client id:     "+r.ClientID)
	}
	if r.ClientSecretMasked != "" {
		out = append(out, "  client secret: "+r.ClientSecretMasked+" (envoy-plugin creds show --reveal prints it)")
	}
	if r.BaseURL != "" {
		out = append(out, "  base URL:      "+r.BaseURL)
	}
	return out
}

// Lines are human status lines, warnings included (prefixed "! "); they
// never contain the full secret.
func (r *GenerateResult) Lines() []string {
	out := r.InfoLines()
	for _, w := range r.Warnings {
		out = append(out, "! "+w.String())
	}
	return out
}

// Generate creates ENVOY_CLIENT_ID (a UUID v4) and ENVOY_CLIENT_SECRET
// (256 random bits, base64url) in the env file when they are missing, or
// replaces them when o.Rotate is set (backing the file up first), and sets
// ENVOY_BASE_URL when o.APIURL is given. The file is merged, never
// clobbered, and ignored by git afterwards.
func Generate(o GenerateOptions) (*GenerateResult, error) {
	if o.EnvFile == "" {
		return nil, errors.New("no env file given")
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.LookupEnv == nil {
		o.LookupEnv = os.LookupEnv
	}
	if o.APIURL != "" {
		if err := CheckBaseURL(o.APIURL); err != nil {
			return nil, err
		}
	}
	envFile, err := filepath.Abs(o.EnvFile)
	if err != nil {
		return nil, err
	}
	t, err := openTarget(envFile)
	if err != nil {
		return nil, err
	}
	defer t.unlock()

	res := &GenerateResult{EnvFile: envFile, Created: t.Info == nil, Written: []string{}, Kept: []string{}}
	ef, warns := ParseEnv(t.Data)
	res.Warnings = append(res.Warnings, withFile(warns, displayPath(envFile))...)
	cur := ef.Values()

	vars := map[string]string{}
	id, secret := cur[EnvClientID], cur[EnvClientSecret]
	if o.Rotate || id == "" {
		if id, err = NewClientID(o.Rand); err != nil {
			return nil, err
		}
		vars[EnvClientID] = id
	} else {
		res.Kept = append(res.Kept, EnvClientID)
	}
	if o.Rotate || secret == "" {
		if secret, err = NewClientSecret(o.Rand); err != nil {
			return nil, err
		}
		vars[EnvClientSecret] = secret
	} else {
		res.Kept = append(res.Kept, EnvClientSecret)
	}
	if o.APIURL != "" {
		vars[EnvBaseURL] = o.APIURL
	}
	res.ClientID, res.ClientSecretMasked, res.BaseURL = id, Mask(secret), cur[EnvBaseURL]
	if o.APIURL != "" {
		res.BaseURL = o.APIURL
	}

	out, changed, err := Merge(t.Data, vars)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", displayPath(envFile), err)
	}
	if len(changed) > 0 || res.Created {
		if res.Created {
			out = append([]byte("# Envoy plugin credentials (envoy-plugin creds generate). Keep this file out of git."+ef.Newline), out...)
		}
		if o.Rotate && !res.Created {
			res.Rotated = true
			backup, err := writeBackup(t.Path, t.Data, o.Now())
			if err != nil {
				return nil, err
			}
			res.Backup = backup
		}
		if err := writeAtomic(t.Path, out, 0o600, t.Info); err != nil {
			return nil, err
		}
		res.Written = append(res.Written, changed...)
	}

	dir, base := filepath.Split(t.Path)
	res.Gitignore = filepath.Join(dir, ".gitignore")
	entries := []string{base}
	if res.Backup != "" {
		entries = append(entries, base+".*.bak")
	}
	for _, e := range entries {
		added, tracked, err := EnsureGitignored(dir, e)
		if err != nil {
			res.Warnings = append(res.Warnings, Warning{File: displayPath(res.Gitignore), Message: fmt.Sprintf("could not add %s: %v; add it by hand", e, err)})
			continue
		}
		if added {
			res.GitignoreAdded = true
			res.GitignoreEntries = append(res.GitignoreEntries, e)
		}
		if tracked && e == base {
			res.Tracked = true
			res.Warnings = append(res.Warnings, Warning{File: displayPath(envFile), Message: fmt.Sprintf("IS TRACKED BY GIT: .gitignore cannot hide it and the secret would be committed; run `git rm --cached %s` and commit (then rotate with `envoy-plugin creds generate --rotate` if it was ever pushed)", shellQuote(displayPath(envFile)))})
		}
	}
	res.Warnings = append(res.Warnings, overrideWarnings(envFile, o.LookupEnv)...)
	return res, nil
}

// SetVars merges vars into the env file (created with mode 0600 when
// missing), keeping every other line byte for byte. It returns the keys
// whose value changed.
func SetVars(envFile string, vars map[string]string) (changed []string, err error) {
	envFile, err = filepath.Abs(envFile)
	if err != nil {
		return nil, err
	}
	t, err := openTarget(envFile)
	if err != nil {
		return nil, err
	}
	defer t.unlock()
	out, changed, err := Merge(t.Data, vars)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", displayPath(envFile), err)
	}
	if len(changed) == 0 {
		return nil, nil
	}
	if err := writeAtomic(t.Path, out, 0o600, t.Info); err != nil {
		return nil, err
	}
	return changed, nil
}

// writeBackup keeps data as path.<time>.bak, mode 0600, never replacing an
// existing file.
func writeBackup(path string, data []byte, now time.Time) (string, error) {
	stamp := now.Format(BackupTimeFormat)
	for i := 1; i < 100; i++ {
		name := fmt.Sprintf("%s.%s.bak", path, stamp)
		if i > 1 {
			name = fmt.Sprintf("%s.%s-%d.bak", path, stamp, i)
		}
		err := writeNew(name, data, 0o600)
		if err == nil {
			return name, nil
		}
		if !os.IsExist(err) {
			return "", fmt.Errorf("cannot back up %s before rotating (%v); nothing was changed", displayPath(path), unwrapPathErr(err))
		}
	}
	return "", fmt.Errorf("cannot back up %s: too many backups named %s.%s*.bak; remove old ones", displayPath(path), displayPath(path), stamp)
}

// NewClientID returns a random UUID v4, the form of the client IDs the
// Integration Builder issues.
func NewClientID(r io.Reader) (string, error) {
	var b [16]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", fmt.Errorf("cannot read random bytes: %w", err)
	}
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:], nil
}

// NewClientSecret returns 256 random bits as unpadded base64url (43
// characters, safe unquoted in any env file or URL).
func NewClientSecret(r io.Reader) (string, error) {
	b := make([]byte, SecretBytes)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("cannot read random bytes: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// CheckBaseURL accepts an absolute http(s) URL with a host.
func CheckBaseURL(s string) error {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("invalid API URL %q: want an http:// or https:// URL such as http://127.0.0.1:4000", s)
	}
	if u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("invalid API URL %q: the SDK appends paths to it, so leave out the query and fragment", s)
	}
	return nil
}

func withFile(ws []Warning, file string) []Warning {
	for i := range ws {
		ws[i].File = file
	}
	return ws
}

// displayPath shortens p relative to the current folder when that is
// shorter.
func displayPath(p string) string {
	wd, err := os.Getwd()
	if err != nil {
		return p
	}
	if r, err := filepath.Rel(wd, p); err == nil && len(r) < len(p) {
		return r
	}
	return p
}

// shellQuote quotes p for a command the user copies, when it needs it.
func shellQuote(p string) string {
	if p != "" && strings.Trim(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/+@:,") == "" {
		return p
	}
	return "'" + strings.ReplaceAll(p, "'", `'\''`) + "'"
}
