package creds

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// LoadOptions tell Load where to look. Flag values win over the process
// environment, which wins over the env files.
type LoadOptions struct {
	EnvFile      string
	ClientID     string // from a flag, if any
	ClientSecret string // from a flag, if any (commands offer none: it would land in shell history)
	BaseURL      string // from a flag, if any
	// NodeEnv picks dotenv-flow's .env.<NODE_ENV> files; empty means the
	// NODE_ENV variable, else "development".
	NodeEnv string
	// LookupEnv defaults to os.LookupEnv.
	LookupEnv func(string) (string, bool)
}

// Source names for Credentials.*Source (besides an env file's path).
const (
	SourceFlag        = "flag"
	SourceEnvironment = "environment"
)

// DefaultNodeEnv is assumed when NODE_ENV is not set: the usual value
// while developing a plugin (dotenv-flow's default_node_env).
const DefaultNodeEnv = "development"

// FlowFiles lists the env files a dotenv-flow based plugin reads, lowest
// priority first: .env.defaults, .env, .env.local (not when NODE_ENV is
// "test"), .env.<NODE_ENV>, .env.<NODE_ENV>.local, all in envFile's
// folder. An env file not named ".env" stands alone.
func FlowFiles(envFile, nodeEnv string) []string {
	dir, base := filepath.Split(envFile)
	if base != ".env" {
		return []string{envFile}
	}
	out := []string{filepath.Join(dir, ".env.defaults"), envFile}
	if nodeEnv != "test" {
		out = append(out, filepath.Join(dir, ".env.local"))
	}
	if nodeEnv != "" {
		out = append(out, filepath.Join(dir, ".env."+nodeEnv), filepath.Join(dir, ".env."+nodeEnv+".local"))
	}
	return out
}

func nodeEnvOf(opt string, lookup func(string) (string, bool)) string {
	if opt != "" {
		return opt
	}
	if v, ok := lookup("NODE_ENV"); ok && v != "" {
		return v
	}
	return DefaultNodeEnv
}

// fileValue is one variable read from the env files.
type fileValue struct {
	value, file string
}

// readFlow reads the dotenv-flow files of envFile in order, later files
// overriding earlier ones as dotenv-flow does. It returns the values, the
// files read, and warnings: lines Node skips, and every file other than
// envFile that sets an ENVOY_ variable (the plugin would use that value).
func readFlow(envFile, nodeEnv string) (map[string]fileValue, []string, []Warning, error) {
	vals := map[string]fileValue{}
	var read []string
	var warns []Warning
	for _, f := range FlowFiles(envFile, nodeEnv) {
		data, err := readSmall(f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			if info, serr := os.Stat(f); serr == nil && info.IsDir() {
				err = errors.New("it is a directory")
			}
			if f == envFile {
				return nil, nil, nil, fmt.Errorf("cannot read %s: %v; fix it or pass --env-file", displayPath(f), unwrapPathErr(err))
			}
			warns = append(warns, Warning{File: displayPath(f), Message: fmt.Sprintf("cannot read it (%v), although a dotenv-flow plugin would", unwrapPathErr(err))})
			continue
		}
		read = append(read, f)
		ef, ws := ParseEnv(data)
		warns = append(warns, withFile(ws, displayPath(f))...)
		var envoyKeys []string
		for k, v := range ef.Values() {
			vals[k] = fileValue{v, f}
			if strings.HasPrefix(k, "ENVOY_") {
				envoyKeys = append(envoyKeys, k)
			}
		}
		if f != envFile && len(envoyKeys) > 0 {
			sort.Strings(envoyKeys)
			how := "overriding " + filepath.Base(envFile)
			if filepath.Base(f) == ".env.defaults" {
				how = "used where " + filepath.Base(envFile) + " does not set them"
			}
			warns = append(warns, Warning{File: displayPath(f), Message: fmt.Sprintf("sets %s, %s as dotenv-flow (used by Envoy's SDK) does; envoy-plugin reads it the same way, but `creds generate` writes only %s", strings.Join(envoyKeys, ", "), how, filepath.Base(envFile))})
		}
	}
	return vals, read, warns, nil
}

// Load reads the credentials: flags > process environment > env files
// (the env file and dotenv-flow's .env.local, .env.<NODE_ENV> and
// .env.<NODE_ENV>.local, read in Node's order). A secret is required; a
// missing one is a *MissingError. Warnings never contain a value.
func Load(opts LoadOptions) (*Credentials, []Warning, error) {
	lookup := opts.LookupEnv
	if lookup == nil {
		lookup = os.LookupEnv
	}
	c := &Credentials{NodeEnv: nodeEnvOf(opts.NodeEnv, lookup), Files: []string{}}
	var vals map[string]fileValue
	var warns []Warning
	if opts.EnvFile != "" {
		var err error
		vals, c.Files, warns, err = readFlow(opts.EnvFile, c.NodeEnv)
		if err != nil {
			return nil, warns, err
		}
	}
	pick := func(flag, key string, val, src *string) {
		if flag != "" {
			*val, *src = flag, SourceFlag
			return
		}
		if v, ok := lookup(key); ok {
			if v != "" {
				*val, *src = v, SourceEnvironment
				return
			}
			warns = append(warns, Warning{File: "environment", Message: key + " is set but empty: ignored here, while a Node plugin would use the empty value instead of its env file"})
		}
		if fv, ok := vals[key]; ok && fv.value != "" {
			*val, *src = fv.value, fv.file
		}
	}
	pick(opts.ClientID, EnvClientID, &c.ClientID, &c.ClientIDSource)
	pick(opts.ClientSecret, EnvClientSecret, &c.ClientSecret, &c.ClientSecretSource)
	pick(opts.BaseURL, EnvBaseURL, &c.BaseURL, &c.BaseURLSource)
	if c.ClientSecret == "" {
		return nil, warns, &MissingError{EnvFile: opts.EnvFile, Key: EnvClientSecret, Looked: c.Files}
	}
	return c, warns, nil
}

// overrideWarnings tells, after a write to envFile, which other source
// would win over it for the platform's variables.
func overrideWarnings(envFile string, lookup func(string) (string, bool)) []Warning {
	var out []Warning
	for _, k := range []string{EnvClientID, EnvClientSecret, EnvBaseURL} {
		if v, ok := lookup(k); ok && v != "" {
			out = append(out, Warning{File: "environment", Message: fmt.Sprintf("%s is set in the environment and wins over %s, for envoy-plugin and for the plugin; unset it to use the file", k, filepath.Base(envFile))})
		}
	}
	_, _, warns, err := readFlow(envFile, nodeEnvOf("", lookup))
	if err != nil {
		return out
	}
	for _, w := range warns {
		if w.Line == 0 && w.File != displayPath(envFile) {
			out = append(out, w)
		}
	}
	return out
}

// readSmall reads an env file of at most MaxEnvFileSize bytes.
func readSmall(path string) ([]byte, error) {
	// A FIFO or a device would block or never end: refuse it before
	// opening it.
	if st, err := os.Stat(path); err == nil && !st.Mode().IsRegular() && !st.IsDir() {
		kind := "a special file"
		switch t := st.Mode().Type(); {
		case t&fs.ModeNamedPipe != 0:
			kind = "a named pipe"
		case t&fs.ModeSocket != 0:
			kind = "a socket"
		case t&fs.ModeDevice != 0:
			kind = "a device"
		}
		return nil, fmt.Errorf("%s, not a regular file", kind)
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, MaxEnvFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxEnvFileSize {
		return nil, fmt.Errorf("more than %d bytes, too big for an env file", MaxEnvFileSize)
	}
	return data, nil
}
