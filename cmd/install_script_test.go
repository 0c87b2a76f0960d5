package cmd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envoy-plugin/envoy-plugin/internal/install"
	"github.com/envoy-plugin/envoy-plugin/internal/output"
	"github.com/envoy-plugin/envoy-plugin/internal/sample"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

// Custom testscript commands of the install and test-step scripts:
//
//	inst-plugin                 start the sample plugin (plus broken routes
//	                            under /broken/) on 127.0.0.1; sets PLUGIN_URL
//	inst-manifest [file]        write envoy-plugin.toml: the sample's manifest,
//	                            or file with {{BASE_URL}} replaced
//	inst-seed KEY=VALUE...      merge into the simulated install's config
//	                            (VALUE "null" removes the key)
//	inst-config                 print the simulated install's config as JSON
//	inst-location-agrees INSTALL_STDERR EVENT_STDOUT
//	                            the first location id that install listed
//	                            (its resource_select warning) is the
//	                            meta.location.id of send-event's dry run
//	inst-browse [-state forged|missing] prog args...
//	                            run prog and play the installer's browser:
//	                            every "in a browser: URL" it prints is
//	                            followed through its redirects
func init() {
	registerScriptCmd("inst-plugin", cmdInstPlugin)
	registerScriptCmd("inst-manifest", cmdInstManifest)
	registerScriptCmd("inst-seed", cmdInstSeed)
	registerScriptCmd("inst-config", cmdInstConfig)
	registerScriptCmd("inst-browse", cmdInstBrowse)
	registerScriptCmd("inst-location-agrees", cmdInstLocationAgrees)
}

var instLocations = regexp.MustCompile(`simulated install's locations \(([^,)]+)[,)]`)

func cmdInstLocationAgrees(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 {
		ts.Fatalf("usage: inst-location-agrees INSTALL_STDERR EVENT_STDOUT")
	}
	m := instLocations.FindStringSubmatch(ts.ReadFile(args[0]))
	if m == nil {
		ts.Fatalf("%s lists no location ids", args[0])
	}
	var body struct {
		Meta struct {
			InstallID string `json:"install_id"`
			Location  struct {
				ID string `json:"id"`
			} `json:"location"`
		} `json:"meta"`
	}
	found := false
	for _, line := range strings.Split(ts.ReadFile(args[1]), "\n") {
		if strings.HasPrefix(line, `{"meta"`) {
			ts.Check(json.Unmarshal([]byte(line), &body))
			found = true
		}
	}
	if !found {
		ts.Fatalf("%s holds no request body", args[1])
	}
	if body.Meta.Location.ID != m[1] {
		ts.Fatalf("install offered location %s first, the event carries meta.location.id %s", m[1], body.Meta.Location.ID)
	}
	fmt.Fprintf(ts.Stdout(), "location %s of install %s\n", m[1], body.Meta.InstallID)
}

func cmdInstPlugin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: inst-plugin")
	}
	secret := ts.Getenv("ENVOY_CLIENT_SECRET")
	if secret == "" {
		ts.Fatalf("inst-plugin: set ENVOY_CLIENT_SECRET first")
	}
	mux := http.NewServeMux()
	mux.Handle("/", sample.New(sample.Options{Secret: secret}))
	broken := func(status int, body string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(status)
			_, _ = io.WriteString(w, body)
		}
	}
	mux.Handle("/broken/invalid-json", broken(200, `{"GREETING": "Hi",`))
	mux.Handle("/broken/server-error", broken(500, `{"message":"database down"}`))
	mux.Handle("/broken/non-object", broken(200, `["GREETING"]`))
	mux.Handle("/broken/token-error", broken(400, `{"error":"invalid_grant","error_description":"the code has expired"}`))
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = srv.Serve(ln) }()
	ts.Defer(func() { _ = srv.Close() })
	ts.Setenv("PLUGIN_URL", "http://"+ln.Addr().String())
}

func cmdInstManifest(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) > 1 {
		ts.Fatalf("usage: inst-manifest [file]")
	}
	base := ts.Getenv("PLUGIN_URL")
	if base == "" {
		ts.Fatalf("inst-manifest: run inst-plugin first")
	}
	data := sample.Manifest(base)
	if len(args) == 1 {
		data = []byte(strings.ReplaceAll(ts.ReadFile(args[0]), "{{BASE_URL}}", base))
	}
	ts.Check(os.WriteFile(ts.MkAbs("envoy-plugin.toml"), data, 0o644))
}

func cmdInstSeed(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: inst-seed KEY=VALUE...")
	}
	st, err := simstate.Open(ts.MkAbs("."), true)
	ts.Check(err)
	patch := map[string]any{}
	for _, a := range args {
		k, v, ok := strings.Cut(a, "=")
		if !ok {
			ts.Fatalf("inst-seed: %q is not KEY=VALUE", a)
		}
		if v == "null" {
			patch[k] = nil
		} else {
			patch[k] = v
		}
	}
	_, err = st.MergeConfig(context.Background(), patch)
	ts.Check(err)
}

func cmdInstConfig(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: inst-config")
	}
	st, err := simstate.Open(ts.MkAbs("."), false)
	if errors.Is(err, simstate.ErrNoSimulator) {
		fmt.Fprintln(ts.Stdout(), "no simulated install")
		return
	}
	ts.Check(err)
	in, err := st.Install(context.Background())
	ts.Check(err)
	ts.Check(output.WriteJSON(ts.Stdout(), in.Config, false))
}

var instBrowserURL = regexp.MustCompile(`in a browser: (\S+)`)

func cmdInstBrowse(ts *testscript.TestScript, neg bool, args []string) {
	var mode string
	if len(args) >= 2 && args[0] == "-state" {
		mode, args = args[1], args[2:]
	}
	if len(args) == 0 || (mode != "" && mode != "forged" && mode != "missing") {
		ts.Fatalf("usage: inst-browse [-state forged|missing] prog args...")
	}
	path, err := exec.LookPath(args[0])
	ts.Check(err)
	cmd := exec.Command(path, args[1:]...)
	cmd.Dir = ts.MkAbs(".")
	cmd.Env = instScriptEnv(ts)
	var stdout strings.Builder
	cmd.Stdout = &stdout
	pr, pw := io.Pipe()
	cmd.Stderr = pw
	ts.Check(cmd.Start())

	var stderr strings.Builder
	var wg sync.WaitGroup
	var mu sync.Mutex
	var browseErrs []string
	scanDone := make(chan struct{})
	go func() {
		defer close(scanDone)
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			line := sc.Text()
			stderr.WriteString(line + "\n")
			if m := instBrowserURL.FindStringSubmatch(line); m != nil {
				wg.Add(1)
				go func(u string) {
					defer wg.Done()
					if err := instPlayBrowser(u, mode); err != nil {
						mu.Lock()
						browseErrs = append(browseErrs, err.Error())
						mu.Unlock()
					}
				}(m[1])
			}
		}
		_, _ = io.Copy(io.Discard, pr)
	}()
	waitErr := cmd.Wait()
	_ = pw.Close()
	<-scanDone
	wg.Wait()
	fmt.Fprint(ts.Stdout(), stdout.String())
	fmt.Fprint(ts.Stderr(), stderr.String())
	for _, e := range browseErrs {
		ts.Logf("browser: %s", e)
	}
	switch {
	case waitErr != nil && !neg:
		ts.Fatalf("unexpected command failure: %v", waitErr)
	case waitErr == nil && neg:
		ts.Fatalf("unexpected command success")
	}
}

// instPlayBrowser follows u through its redirects, as a browser would, and
// with mode rewrites the state of the final callback request.
func instPlayBrowser(u, mode string) error {
	c := &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(req *http.Request, via []*http.Request) error {
		if len(via) > 10 {
			return errors.New("too many redirects")
		}
		if req.URL.Path == install.CallbackPath && mode != "" {
			q := req.URL.Query()
			if mode == "forged" {
				q.Set("state", "forged-by-someone-else")
			} else {
				q.Del("state")
			}
			req.URL.RawQuery = q.Encode()
		}
		return nil
	}}
	resp, err := c.Get(u)
	if err != nil {
		return err
	}
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.Body.Close()
}

// instScriptEnv is the environment of the script, for a process started by a
// custom command: the test process's environment with the script's
// variables on top.
func instScriptEnv(ts *testscript.TestScript) []string {
	env := map[string]string{}
	for _, kv := range os.Environ() {
		if k, v, ok := strings.Cut(kv, "="); ok {
			env[k] = v
		}
	}
	for _, k := range []string{"PATH", "HOME", "WORK", "TMPDIR", "NO_COLOR", "CI", "ENVOY_CLIENT_ID", "ENVOY_CLIENT_SECRET", "ENVOY_BASE_URL", "ACME_CLIENT_SECRET", "PLUGIN_URL", "ACCESSIBLE", "ENVOY_PLUGIN_NO_INPUT"} {
		if v := ts.Getenv(k); v != "" {
			env[k] = v
		} else {
			delete(env, k)
		}
	}
	out := make([]string, 0, len(env))
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}
