package cmd

import (
	"bytes"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envoy-plugin/envoy-plugin/internal/sample"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/delivery/deliverytest"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

func init() {
	registerScriptCmd("sampleplugin", scriptSamplePlugin)
	registerScriptCmd("hostile", scriptHostile)
	registerScriptCmd("jobplugin", scriptJobPlugin)
	registerScriptCmd("answerplugin", scriptAnswerPlugin)
}

// answerplugin <code> [VAR]
//
// Starts a plugin that answers every delivery directly with HTTP <code>
// and the body {"message":"not for us","debugInfo":{},"attachments":[a
// text attachment "why": "because", and a non-object that Envoy skips]},
// never calling the API. VAR (default ANSWER_URL) is set to its base URL.
// It stops when the script ends.
func scriptAnswerPlugin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: answerplugin <code> [VAR]")
	}
	code, err := strconv.Atoi(args[0])
	if err != nil || code < 200 || code > 599 {
		ts.Fatalf("answerplugin: bad HTTP status %q", args[0])
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(code)
		_, _ = io.WriteString(w, `{"message":"not for us","debugInfo":{},"attachments":[{"type":"text","label":"why","value":"because"},"junk"]}`)
	})}
	go func() { _ = srv.Serve(l) }()
	ts.Defer(func() { _ = srv.Close() })
	name := "ANSWER_URL"
	if len(args) == 2 {
		name = args[1]
	}
	ts.Setenv(name, "http://"+l.Addr().String())
}

// sampleplugin [-manifest file] [VAR]
//
// Starts the built-in sample plugin on 127.0.0.1 (a free port), signed
// with $ENVOY_CLIENT_SECRET, and sets VAR (default SAMPLE_URL) to its base
// URL. -manifest also writes the sample manifest pointing at it. The
// plugin stops when the script ends.
func scriptSamplePlugin(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! sampleplugin")
	}
	manifestFile := ""
	if len(args) >= 2 && args[0] == "-manifest" {
		manifestFile, args = args[1], args[2:]
	}
	name := "SAMPLE_URL"
	if len(args) == 1 {
		name = args[0]
	} else if len(args) > 1 {
		ts.Fatalf("usage: sampleplugin [-manifest file] [VAR]")
	}
	secret := ts.Getenv("ENVOY_CLIENT_SECRET")
	if secret == "" {
		ts.Fatalf("sampleplugin: set ENVOY_CLIENT_SECRET first")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	srv := &http.Server{Handler: sample.New(sample.Options{Secret: secret})}
	go func() { _ = srv.Serve(l) }()
	ts.Defer(func() { _ = srv.Close() })
	url := "http://" + l.Addr().String()
	ts.Setenv(name, url)
	if manifestFile != "" {
		ts.Check(os.WriteFile(ts.MkAbs(manifestFile), sample.Manifest(url), 0o644))
	}
}

// hostile <mode> [VAR]
//
// Starts a misbehaving plugin (modes: see deliverytest.Modes) and sets VAR
// (default HOSTILE_URL) to its URL and VAR_HOST to its host:port. It stops
// when the script ends.
func scriptHostile(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! hostile")
	}
	if len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: hostile <%s> [VAR]", strings.Join(deliverytest.Modes(), "|"))
	}
	s, err := deliverytest.NewHostile(args[0])
	ts.Check(err)
	ts.Defer(s.Close)
	name := "HOSTILE_URL"
	if len(args) == 2 {
		name = args[1]
	}
	ts.Setenv(name, s.URL)
	ts.Setenv(name+"_HOST", strings.TrimPrefix(s.URL, "http://"))
}

// jobplugin <complete|bad-status|silent|odd-attachment> [VAR]
//
// Starts a plugin that answers every delivery 202 and then, in the
// background, updates the job through the API simulator of the
// `envoy-plugin dev` running in $WORK (its URL from .envoy-plugin/dev.json,
// the token from meta.auth): complete sends status done; bad-status sends
// status "complete" (refused); silent never updates; odd-attachment
// attaches an unknown type and completes. VAR (default JOB_URL) is set to
// its base URL. It stops when the script ends.
func scriptJobPlugin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 2 {
		ts.Fatalf("usage: jobplugin <complete|bad-status|silent|odd-attachment> [VAR]")
	}
	mode := args[0]
	var update map[string]any
	switch mode {
	case "complete":
		update = map[string]any{"status": "done", "status_message": "Greeted", "attachments": []any{}}
	case "bad-status":
		update = map[string]any{"status": "complete", "attachments": []any{}}
	case "odd-attachment":
		update = map[string]any{"status": "done", "attachments": []any{map[string]any{"type": "image", "label": "Photo", "value": "x.png"}}}
	case "silent":
	default:
		ts.Fatalf("jobplugin: unknown mode %q", mode)
	}
	work := ts.Getenv("WORK")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	var wg sync.WaitGroup
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b struct {
			Meta struct {
				Job  struct{ ID string } `json:"job"`
				Auth *struct {
					AccessToken string `json:"access_token"`
				} `json:"auth"`
			} `json:"meta"`
		}
		_ = json.NewDecoder(r.Body).Decode(&b)
		w.WriteHeader(http.StatusAccepted)
		if update == nil || b.Meta.Auth == nil {
			return
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			time.Sleep(20 * time.Millisecond)
			d, err := simstate.ReadDevInfo(work)
			if err != nil {
				return
			}
			body, _ := json.Marshal(update)
			req, _ := http.NewRequest(http.MethodPatch, d.URL+"/api/v2/plugin-services/jobs/"+b.Meta.Job.ID, bytes.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+b.Meta.Auth.AccessToken)
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}()
	})}
	go func() { _ = srv.Serve(l) }()
	ts.Defer(func() { _ = srv.Close(); wg.Wait() })
	name := "JOB_URL"
	if len(args) == 2 {
		name = args[1]
	}
	ts.Setenv(name, "http://"+l.Addr().String())
}
