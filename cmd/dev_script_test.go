package cmd

import (
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

// Custom testscript commands of the dev, jobs, storage and config scripts.
func init() {
	registerScriptCmd("dev-ci-needs-node", scriptDevCINeedsNode)
	registerScriptCmd("dev-node-plugin", scriptDevNodePlugin)
	registerScriptCmd("dev-wait", scriptDevWait)
	registerScriptCmd("dev-http", scriptDevHTTP)
	registerScriptCmd("dev-wait-file", scriptDevWaitFile)
	registerScriptCmd("dev-pid-gone", scriptDevPIDGone)
	registerScriptCmd("dev-busy-port", scriptDevBusyPort)
	registerScriptCmd("dev-listen-when", scriptDevListenWhen)
}

// dev-listen-when file
//
// Rewrites envoy-plugin.toml's base_url to a free port of 127.0.0.1 (also
// in $LATE_PORT), and listens there once file exists, until the script
// ends: a plugin's detached child, which outlives its process group.
func scriptDevListenWhen(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: dev-listen-when file")
	}
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	addr := probe.Addr().String()
	probe.Close()
	_, port, _ := net.SplitHostPort(addr)
	rewriteBaseURLPort(ts, port)
	ts.Setenv("LATE_PORT", port)
	file := ts.MkAbs(args[0])
	quit := make(chan struct{})
	done := make(chan struct{})
	ts.Defer(func() { close(quit); <-done })
	go func() {
		defer close(done)
		tick := time.NewTicker(10 * time.Millisecond)
		defer tick.Stop()
		for {
			if _, err := os.Stat(file); err == nil {
				break
			}
			select {
			case <-quit:
				return
			case <-tick.C:
			}
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return // the script's assertions report it
		}
		go func() { <-quit; ln.Close() }()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
}

// rewriteBaseURLPort sets the port of envoy-plugin.toml's base_url.
func rewriteBaseURLPort(ts *testscript.TestScript, port string) {
	manifest := ts.MkAbs("envoy-plugin.toml")
	data, err := os.ReadFile(manifest)
	ts.Check(err)
	re := regexp.MustCompile(`base_url = "http://127\.0\.0\.1:\d+"`)
	if !re.Match(data) {
		ts.Fatalf("envoy-plugin.toml has no base_url to rewrite")
	}
	data = re.ReplaceAll(data, []byte(`base_url = "http://127.0.0.1:`+port+`"`))
	ts.Check(os.WriteFile(manifest, data, 0o644))
}

// dev-busy-port
//
// Listens on a free port of 127.0.0.1 until the script ends (an old plugin
// still running), and rewrites envoy-plugin.toml's base_url to it (also in
// $BUSY_PORT).
func scriptDevBusyPort(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: dev-busy-port")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	ts.Defer(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	rewriteBaseURLPort(ts, port)
	ts.Setenv("BUSY_PORT", port)
}

// dev-wait-file file
//
// Waits until file exists and is not empty.
func scriptDevWaitFile(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: dev-wait-file file")
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		if data, err := os.ReadFile(ts.MkAbs(args[0])); err == nil && len(strings.TrimSpace(string(data))) > 0 {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	ts.Fatalf("%s did not appear", args[0])
}

// dev-pid-gone file
//
// Waits (up to 10 s) until the process whose pid file holds is gone: no
// longer in /proc, or a zombie (dead, not yet reaped). Linux only.
func scriptDevPIDGone(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 1 {
		ts.Fatalf("usage: dev-pid-gone file")
	}
	data, err := os.ReadFile(ts.MkAbs(args[0]))
	ts.Check(err)
	pid := strings.TrimSpace(string(data))
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		stat, err := os.ReadFile("/proc/" + pid + "/stat")
		if err != nil {
			return
		}
		// pid (comm) STATE ...: comm may hold spaces, so look after the last ')'.
		if i := strings.LastIndexByte(string(stat), ')'); i >= 0 && strings.HasPrefix(string(stat[i:]), ") Z") {
			return
		}
		time.Sleep(25 * time.Millisecond)
	}
	ts.Fatalf("process %s (from %s) is still running", pid, args[0])
}

// dev-ci-needs-node
//
// Fails when the test process runs with CI set: there, node must be
// installed and the end-to-end test must not skip. Use it as
// `[!exec:node] dev-ci-needs-node` right before `[!exec:node] skip`.
// (The script's own CI is cleared by Setup; this reads the host's.)
func scriptDevCINeedsNode(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: dev-ci-needs-node")
	}
	if os.Getenv("CI") != "" {
		ts.Fatalf("node is not installed but CI is set: the end-to-end test with the Node.js plugin must run in CI (install Node.js 20)")
	}
}

// dev-node-plugin
//
// Copies testdata/node-plugin into $WORK and rewrites its manifest's
// base_url with a free port (also in $PLUGIN_PORT).
func scriptDevNodePlugin(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 0 {
		ts.Fatalf("usage: dev-node-plugin")
	}
	src := filepath.Join("..", "testdata", "node-plugin")
	entries, err := os.ReadDir(src)
	ts.Check(err)
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		ts.Check(err)
		ts.Check(os.WriteFile(ts.MkAbs(e.Name()), data, 0o644))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	ts.Check(err)
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	manifest := ts.MkAbs("envoy-plugin.toml")
	data, err := os.ReadFile(manifest)
	ts.Check(err)
	re := regexp.MustCompile(`base_url = "http://127\.0\.0\.1:\d+"`)
	if !re.Match(data) {
		ts.Fatalf("testdata/node-plugin/envoy-plugin.toml has no base_url to rewrite")
	}
	data = re.ReplaceAll(data, []byte(`base_url = "http://127.0.0.1:`+port+`"`))
	ts.Check(os.WriteFile(manifest, data, 0o644))
	ts.Setenv("PLUGIN_PORT", port)
}

// dev-wait [dir]
// ! dev-wait [dir]
//
// Waits until a simulator announced in dir/.envoy-plugin/dev.json answers
// (and sets $DEV_URL), or with !, until dev.json is gone.
func scriptDevWait(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) > 1 {
		ts.Fatalf("usage: [!] dev-wait [dir]")
	}
	dir := ts.MkAbs(".")
	if len(args) == 1 {
		dir = ts.MkAbs(args[0])
	}
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		d, err := simstate.ReadDevInfo(dir)
		if neg {
			if os.IsNotExist(err) {
				return
			}
		} else if err == nil {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			perr := simstate.Probe(ctx, d)
			cancel()
			if perr == nil {
				ts.Setenv("DEV_URL", d.URL)
				return
			}
		}
		time.Sleep(25 * time.Millisecond)
	}
	if neg {
		ts.Fatalf("%s is still there", simstate.DevInfoPath(dir))
	}
	ts.Fatalf("no simulator answered in %s", dir)
}

// dev-http [-basic id:secret] [-bearer token] METHOD PATH [BODY]
//
// Sends a request to $DEV_URL and prints "STATUS BODY" to stdout.
func scriptDevHTTP(ts *testscript.TestScript, neg bool, args []string) {
	if neg {
		ts.Fatalf("unsupported: ! dev-http")
	}
	header := http.Header{}
	for len(args) >= 2 && strings.HasPrefix(args[0], "-") {
		switch args[0] {
		case "-basic":
			header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(args[1])))
		case "-bearer":
			header.Set("Authorization", "Bearer "+args[1])
		default:
			ts.Fatalf("unknown flag %s", args[0])
		}
		args = args[2:]
	}
	if len(args) < 2 || len(args) > 3 {
		ts.Fatalf("usage: dev-http [-basic id:secret] [-bearer token] METHOD PATH [BODY]")
	}
	var body io.Reader
	if len(args) == 3 {
		body = strings.NewReader(args[2])
	}
	req, err := http.NewRequest(args[0], ts.Getenv("DEV_URL")+args[1], body)
	ts.Check(err)
	req.Header = header
	req.Header.Set("Content-Type", "application/json")
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Do(req)
	ts.Check(err)
	defer resp.Body.Close()
	out, err := io.ReadAll(resp.Body)
	ts.Check(err)
	fmt.Fprintf(ts.Stdout(), "%d %s", resp.StatusCode, out)
}
