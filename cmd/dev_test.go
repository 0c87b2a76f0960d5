package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/api"
)

func TestNewCmdDev(t *testing.T) {
	tests := []struct {
		name string
		args []string
		err  string
		want *devOptions
	}{
		{name: "defaults", args: nil,
			want: &devOptions{Port: DefaultDevPort, TokenTTL: api.DefaultTokenTTL, ReadyTimeout: 30 * time.Second, StopTimeout: 5 * time.Second, Config: map[string]any{}}},
		{name: "listen and a plugin command", args: []string{"--listen", "127.0.0.1:0", "--port", "9", "--", "npm", "start", "--inspect"},
			want: &devOptions{Port: 9, Listen: "127.0.0.1:0", TokenTTL: api.DefaultTokenTTL, ReadyTimeout: 30 * time.Second, StopTimeout: 5 * time.Second, Config: map[string]any{}, Command: []string{"npm", "start", "--inspect"}}},
		{name: "config values", args: []string{"--config", "A=1", "--config", "B=hello", "--config", "C=null", "--config", `D={"x":[1]}`, "--config", "E=", "--config", `F="quoted"`},
			want: &devOptions{Port: DefaultDevPort, TokenTTL: api.DefaultTokenTTL, ReadyTimeout: 30 * time.Second, StopTimeout: 5 * time.Second,
				Config: map[string]any{"A": jsonNum("1"), "B": "hello", "C": nil, "D": map[string]any{"x": []any{jsonNum("1")}}, "E": "", "F": "quoted"}}},
		{name: "then, ids, ttl, reset, json", args: []string{"--then", "make check", "--install-id", "i", "--plugin-id", "p", "--token-ttl", "11m", "--reset", "--json", "--write-env"},
			want: &devOptions{Port: DefaultDevPort, TokenTTL: 11 * time.Minute, ReadyTimeout: 30 * time.Second, StopTimeout: 5 * time.Second, Config: map[string]any{},
				Then: "make check", InstallID: "i", PluginID: "p", Reset: true, JSON: true, WriteEnv: true}},
		{name: "stray argument", args: []string{"npm", "start"}, err: "put the plugin's start command after --"},
		{name: "both env flags", args: []string{"--write-env", "--no-write-env"}, err: "cannot be used together"},
		{name: "bad config", args: []string{"--config", "=x"}, err: `--config "=x" is not KEY=VALUE`},
		{name: "bad port", args: []string{"--port", "70000"}, err: "not a TCP port"},
		{name: "bad listen", args: []string{"--listen", "4848"}, err: "is not ADDR:PORT"},
		{name: "tiny ttl", args: []string{"--token-ttl", "1ms"}, err: "--token-ttl must be at least 1s"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, _ := iostreams.Test()
			f := NewFactory(ios, build.Info{})
			var got *devOptions
			c := newCmdDev(f, func(o *devOptions) error { got = o; return nil })
			root := &cobra.Command{Use: "envoy-plugin", SilenceErrors: true, SilenceUsage: true}
			root.AddCommand(c)
			root.SetArgs(append([]string{"dev"}, tt.args...))
			root.SetOut(&bytes.Buffer{})
			root.SetErr(&bytes.Buffer{})
			err := root.Execute()
			if tt.err != "" {
				var ue *UsageError
				if err == nil || !strings.Contains(err.Error(), tt.err) || !errors.As(err, &ue) {
					t.Fatalf("err = %v, want a usage error with %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("opts =\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestDecideEnvWrite(t *testing.T) {
	const url = "http://127.0.0.1:4848"
	tests := []struct {
		name                           string
		current                        string
		has, write, noWrite, canPrompt bool
		want                           envWriteDecision
	}{
		{"already there", url, true, false, false, true, envAlways},
		{"already there, --write-env", url, true, true, false, false, envAlways},
		{"missing, --write-env", "", false, true, false, false, envWrite},
		{"different, --write-env", "http://x", true, true, false, true, envWrite},
		{"missing, --no-write-env on a terminal", "", false, false, true, true, envSkip},
		{"missing, terminal", "", false, false, false, true, envAsk},
		{"different, no terminal", "http://x", true, false, false, false, envSkip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decideEnvWrite(tt.current, tt.has, url, tt.write, tt.noWrite, tt.canPrompt); got != tt.want {
				t.Fatalf("= %v, want %v", got, tt.want)
			}
		})
	}
}

// confirmPrompter answers every Confirm with answer and records the titles.
type confirmPrompter struct {
	prompt.Prompter
	answer bool
	asked  []string
}

func (p *confirmPrompter) Confirm(title string, def bool) (bool, error) {
	p.asked = append(p.asked, title)
	return p.answer, nil
}

func TestDevEnvFile(t *testing.T) {
	const url = "http://127.0.0.1:4848"
	tests := []struct {
		name      string
		before    string // "" means no file
		tty       bool
		answer    bool
		opts      devOptions
		wantFile  string
		wantAsked bool
		wantErr   string // a line on stderr
	}{
		{name: "terminal, yes", before: "ENVOY_CLIENT_ID=a\n", tty: true, answer: true, wantAsked: true,
			wantFile: "ENVOY_CLIENT_ID=a\nENVOY_BASE_URL=" + url + "\n", wantErr: "wrote ENVOY_BASE_URL=" + url},
		{name: "terminal, no", before: "ENVOY_CLIENT_ID=a\n", tty: true, answer: false, wantAsked: true,
			wantFile: "ENVOY_CLIENT_ID=a\n"},
		{name: "no terminal says how", before: "ENVOY_BASE_URL=http://old\n",
			wantFile: "ENVOY_BASE_URL=http://old\n", wantErr: "ENVOY_BASE_URL in .env is http://old; run with --write-env"},
		{name: "--write-env replaces", before: "# keep\nENVOY_BASE_URL=http://old\n", opts: devOptions{WriteEnv: true},
			wantFile: "# keep\nENVOY_BASE_URL=" + url + "\n"},
		{name: "--write-env creates", opts: devOptions{WriteEnv: true}, wantFile: "ENVOY_BASE_URL=" + url + "\n"},
		{name: "--no-write-env on a terminal", tty: true, opts: devOptions{NoWriteEnv: true}},
		{name: "already right", before: "ENVOY_BASE_URL=" + url + "\n", tty: true, wantFile: "ENVOY_BASE_URL=" + url + "\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			ios.SetStdinTTY(tt.tty)
			ios.SetStdoutTTY(tt.tty)
			ios.SetStderrTTY(tt.tty)
			f := NewFactory(ios, build.Info{})
			dir := t.TempDir()
			f.Getwd = func() (string, error) { return dir, nil }
			f.Getenv = func(string) string { return "" }
			p := &confirmPrompter{answer: tt.answer}
			f.Prompter = p
			envFile := filepath.Join(dir, ".env")
			if tt.before != "" {
				if err := os.WriteFile(envFile, []byte(tt.before), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			log := &devLog{io: ios}
			if err := devEnvFile(f, log, &tt.opts, url, false); err != nil {
				t.Fatal(err)
			}
			data, err := os.ReadFile(envFile)
			if tt.wantFile == "" {
				if err == nil {
					t.Fatalf(".env was written: %q", data)
				}
			} else if string(data) != tt.wantFile {
				t.Fatalf(".env = %q, want %q", data, tt.wantFile)
			}
			if (len(p.asked) > 0) != tt.wantAsked {
				t.Fatalf("asked = %q", p.asked)
			}
			if tt.wantErr != "" && !strings.Contains(errOut.String(), tt.wantErr) {
				t.Fatalf("stderr = %q, want %q", errOut, tt.wantErr)
			}
		})
	}
}

func TestPrefixWriter(t *testing.T) {
	ios, _, _, errOut := iostreams.Test()
	w := &prefixWriter{l: &devLog{io: ios}, prefix: "[plugin]"}
	for _, chunk := range []string{"hel", "lo\r\nwor", "ld\n", "\n", "tail"} {
		if _, err := w.Write([]byte(chunk)); err != nil {
			t.Fatal(err)
		}
	}
	if got := errOut.String(); got != "[plugin] hello\n[plugin] world\n[plugin] \n" {
		t.Fatalf("before Flush: %q", got)
	}
	w.Flush()
	if got := errOut.String(); !strings.HasSuffix(got, "[plugin] tail\n") {
		t.Fatalf("after Flush: %q", got)
	}
}

func TestListenURL(t *testing.T) {
	tests := []struct {
		addr net.Addr
		want string
	}{
		{&net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 4848}, "http://127.0.0.1:4848"},
		{&net.TCPAddr{IP: net.IPv4zero, Port: 1}, "http://127.0.0.1:1"},
		{&net.TCPAddr{IP: net.IPv6unspecified, Port: 2}, "http://[::1]:2"},
		{&net.TCPAddr{IP: net.IPv6loopback, Port: 3}, "http://[::1]:3"},
	}
	for _, tt := range tests {
		if got := listenURL(tt.addr); got != tt.want {
			t.Errorf("listenURL(%v) = %s, want %s", tt.addr, got, tt.want)
		}
	}
}

func TestWaitListening(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	if err := waitListening(context.Background(), addr, time.Second, nil); err != nil {
		t.Fatalf("listening: %v", err)
	}
	ln.Close()
	exited := make(chan struct{})
	close(exited)
	if err := waitListening(context.Background(), addr, time.Second, exited); !errors.Is(err, errPluginExited) {
		t.Fatalf("exited: %v", err)
	}
	if err := waitListening(context.Background(), addr, 100*time.Millisecond, nil); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("timeout: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := waitListening(ctx, addr, time.Second, nil); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
}

func TestIsLocalHost(t *testing.T) {
	for h, want := range map[string]bool{"localhost": true, "127.0.0.1": true, "::1": true, "0.0.0.0": true, "app.localhost": true, "example.com": false, "10.0.0.1": false} {
		if got := isLocalHost(h); got != want {
			t.Errorf("isLocalHost(%q) = %v", h, got)
		}
	}
}

func jsonNum(s string) json.Number { return json.Number(s) }

func TestDevCheckPortFree(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	err = checkPortFree(pluginTarget{Addr: addr})
	want := "something already listens on " + addr + " (an old plugin?): stop it, or change [plugin].base_url"
	if err == nil || err.Error() != want {
		t.Fatalf("busy port: %v, want %q", err, want)
	}
	ln.Close()
	if err := checkPortFree(pluginTarget{Addr: addr}); err != nil {
		t.Fatalf("free port: %v", err)
	}
	if err := checkPortFree(pluginTarget{}); err != nil {
		t.Fatalf("no address: %v", err)
	}
}

func TestDevLineTail(t *testing.T) {
	tail := &lineTail{max: 3}
	w := &prefixWriter{l: &devLog{io: func() *iostreams.IOStreams { ios, _, _, _ := iostreams.Test(); return ios }()}, prefix: "[plugin]", tail: tail}
	_, _ = w.Write([]byte("1\n2\n3\n4\r\n5"))
	w.Flush()
	if got := tail.get(); !reflect.DeepEqual(got, []string{"3", "4", "5"}) {
		t.Fatalf("tail = %q", got)
	}
}

func loginEvent(at time.Time, ttl int) api.Event {
	return api.Event{Kind: api.KindLogin, ClientID: "cid", ExpiresIn: ttl, Time: at, Source: "plugin"}
}

func TestDevLogCollapsesLogins(t *testing.T) {
	t0 := time.Date(2026, 1, 2, 10, 0, 1, 0, time.Local)
	t.Run("text: first, then a count", func(t *testing.T) {
		ios, _, _, errOut := iostreams.Test()
		l := &devLog{io: ios, loginWindow: time.Hour}
		for i := 0; i < 25; i++ {
			l.event(loginEvent(t0.Add(time.Duration(i)*time.Millisecond), 300))
			l.event(api.Event{Kind: api.KindJobUpdate, JobID: "j", Time: t0})
		}
		l.event(loginEvent(t0, 3600)) // another TTL: not the same login
		l.close()
		l.event(loginEvent(t0, 3600)) // after close: printed
		got := errOut.String()
		if n := strings.Count(got, "plugin logged in as cid (token expires in 5m0s)"); n != 2 {
			t.Errorf("%d lines of the 5m login, want the first and the summary:\n%s", n, got)
		}
		if !strings.Contains(got, "(×24 more since 10:00:01)") {
			t.Errorf("no summary (×24 more since 10:00:01):\n%s", got)
		}
		if !strings.Contains(got, "raise --token-ttl above 10m") {
			t.Errorf("no hint about short tokens:\n%s", got)
		}
		if n := strings.Count(got, "token expires in 1h0m0s"); n != 2 {
			t.Errorf("%d lines of the 1h login, want 2:\n%s", n, got)
		}
		if n := strings.Count(got, "job "); n < 25 {
			t.Errorf("job updates lost:\n%s", got)
		}
	})
	t.Run("NDJSON: one event per login", func(t *testing.T) {
		ios, _, out, _ := iostreams.Test()
		l := &devLog{io: ios, json: true, loginWindow: time.Hour}
		for i := 0; i < 25; i++ {
			l.event(loginEvent(t0, 300))
		}
		l.close()
		if n := strings.Count(out.String(), `"kind":"login"`); n != 25 {
			t.Fatalf("%d login events, want 25", n)
		}
	})
	t.Run("summary when the window ends", func(t *testing.T) {
		ios, _, _, errOut := iostreams.Test()
		l := &devLog{io: ios, loginWindow: 20 * time.Millisecond}
		now := time.Now()
		for i := 0; i < 3; i++ {
			l.event(loginEvent(now, 3600))
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			l.mu.Lock()
			got := errOut.String()
			l.mu.Unlock()
			if strings.Contains(got, "(×2 more since") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("no summary after the window:\n%s", got)
			}
			time.Sleep(10 * time.Millisecond)
		}
		l.close()
		l.mu.Lock()
		got := errOut.String()
		l.mu.Unlock()
		if n := strings.Count(got, "×"); n != 1 {
			t.Fatalf("%d summaries, want 1:\n%s", n, got)
		}
	})
}

// Examples that point at the simulator use the port dev listens on by
// default, and version has an example like every command.
func TestDevExamplesUseDefaultPort(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	root := NewRootCmd(NewFactory(ios, build.Info{Version: "dev"}))
	want := "127.0.0.1:" + strconv.Itoa(DefaultDevPort)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		for _, line := range strings.Split(c.Example, "\n") {
			simulator := strings.Contains(line, "--api-url") || strings.Contains(line, "ENVOY_BASE_URL")
			if i := strings.Index(line, "127.0.0.1:"); simulator && i >= 0 && !strings.HasPrefix(line[i:], want) {
				t.Errorf("%s: example %q: use the dev default %s", c.CommandPath(), strings.TrimSpace(line), want)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	v, _, err := root.Find([]string{"version"})
	if err != nil || strings.TrimSpace(v.Example) == "" {
		t.Errorf("version has no Example (%v)", err)
	}
}

func TestDevPluginExitedEarly(t *testing.T) {
	tests := []struct {
		name     string
		code     int
		then     bool
		wantExit int    // 0: no error
		wantErr  string // the error, or the info line when wantExit is 0
	}{
		{"code 0 without --then", 0, false, 0, "the plugin exited (code 0) before it listened on 127.0.0.1:1 (it printed nothing)"},
		{"code 0 with --then", 0, true, 1, "the plugin exited (code 0) before it accepted connections on 127.0.0.1:1: --then did not run (it printed nothing)"},
		{"code 7 with --then", 7, true, 7, "the plugin exited (code 7) before it accepted connections on 127.0.0.1:1: --then did not run (it printed nothing)"},
		{"code 7 without --then", 7, false, 7, "the plugin exited with code 7 before it accepted connections on 127.0.0.1:1 (it printed nothing)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			log := &devLog{io: ios}
			p := &devProcess{cmd: &exec.Cmd{Process: &os.Process{Pid: 1}}, exitCode: tt.code, tail: &lineTail{max: 3}, log: log}
			err := pluginExitedEarly(log, p, "127.0.0.1:1", tt.then)
			if tt.wantExit == 0 {
				if err != nil {
					t.Fatalf("err = %v, want none", err)
				}
				if !strings.Contains(errOut.String(), tt.wantErr+"\n") {
					t.Fatalf("stderr = %q, want %q", errOut.String(), tt.wantErr)
				}
				return
			}
			var ee *ExitError
			if !errors.As(err, &ee) || ee.Code != tt.wantExit || err.Error() != tt.wantErr {
				t.Fatalf("err = %v (%#v), want exit %d: %q", err, ee, tt.wantExit, tt.wantErr)
			}
		})
	}
}

func TestDevWarnLeftoverListener(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	_, port, _ := net.SplitHostPort(addr)
	ios, _, _, errOut := iostreams.Test()
	warnLeftoverListener(&devLog{io: ios}, addr)
	want := "something still listens on " + addr + " after the plugin stopped (a detached child process?): find it with `lsof -i :" + port + "`"
	if !strings.Contains(errOut.String(), want) {
		t.Fatalf("stderr = %q, want %q", errOut.String(), want)
	}
	ln.Close()
	errOut.Reset()
	warnLeftoverListener(&devLog{io: ios}, addr)
	warnLeftoverListener(&devLog{io: ios}, "")
	if errOut.Len() != 0 {
		t.Fatalf("free port: stderr = %q, want nothing", errOut.String())
	}
}
