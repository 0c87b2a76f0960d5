package cmd

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/output"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/api"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

// DefaultDevPort is the simulator's fixed default port: stable, so that
// ENVOY_BASE_URL in .env stays valid, and away from the ports dev servers
// usually take (3000, 4200, 5000, 5173, 8000, 8080...).
const DefaultDevPort = 4848

type devOptions struct {
	Port         int
	Listen       string
	WriteEnv     bool
	NoWriteEnv   bool
	InstallID    string
	PluginID     string
	Config       map[string]any
	Reset        bool
	TokenTTL     time.Duration
	JSON         bool
	Then         string
	ReadyTimeout time.Duration
	StopTimeout  time.Duration
	// Command is the plugin's start command (after --).
	Command []string
}

func newCmdDev(f *Factory, runF func(*devOptions) error) *cobra.Command {
	opts := &devOptions{}
	var configPairs []string
	c := &cobra.Command{
		Use:   "dev [flags] [-- <plugin start command>...]",
		Short: "Play the Envoy API that plugins call (token, jobs, storage, config)",
		Long: `Start a local Envoy plugin API on 127.0.0.1 so that a plugin built on
Envoy's SDK runs unchanged: its middleware logs in at ENVOY_BASE_URL, and
job.attach/complete, storage and install config calls all land here. A live
log of everything the plugin does against the API is printed on stderr
(--json: NDJSON on stdout); password attachments are masked in the text log.

The simulated install (plugin id, install id, config, storage, jobs and the
issued tokens) persists in .envoy-plugin/state.json (added to .gitignore);
--reset starts clean. Once ready, dev writes .envoy-plugin/dev.json (its URL
and pid; removed on exit): other commands (send-event, jobs, storage, config)
find it there, and scripts that start dev in the background can wait for it.

After --, the plugin's start command is run with ENVOY_BASE_URL,
ENVOY_CLIENT_ID, ENVOY_CLIENT_SECRET and PORT (from plugin.base_url) in its
environment; its output is prefixed with [plugin]. dev waits until it
accepts connections, forwards Ctrl-C and stops its whole process group
(SIGINT, then SIGTERM after --stop-timeout, then SIGKILL, each escalation
reported; a second Ctrl-C kills it at once); if
the plugin exits, dev exits with its code. --then runs a shell command once
everything is ready, then stops everything and exits with that command's
status: the shape of a CI check. With --then, a plugin that exits before it
accepts connections fails dev even with code 0 (exit 1: --then did not run).
At exit, dev warns when something still listens on the plugin's port (a
child that left its process group). Ctrl-C stops the plugin and the simulator
and exits 0.

The token endpoint accepts the project's credentials (flags > environment >
env file, as every command reads them), in Basic auth and in the body, as
Envoy's SDK sends them.`,
		Example: `  # the API only; start the plugin yourself with ENVOY_BASE_URL from .env
  $ envoy-plugin dev --write-env

  # start the plugin too, and keep both running
  $ envoy-plugin dev -- npm start

  # CI: run a check once both are up, exit with its status
  $ envoy-plugin dev --then 'envoy-plugin send-event entry_sign_in --expect done' -- node index.js

  # seed the install and make tokens expire quickly (tests the SDK's re-login)
  $ envoy-plugin dev --config HELLO=hi --token-ttl 11m -- npm start`,
		RunE: func(c *cobra.Command, args []string) error {
			if dash := c.ArgsLenAtDash(); len(args) > 0 && dash != 0 {
				return usageErrorf("unexpected argument %q: put the plugin's start command after --, e.g. envoy-plugin dev -- npm start", args[0])
			}
			if len(args) > 0 {
				opts.Command = args
			}
			if err := mutuallyExclusive("--write-env and --no-write-env cannot be used together", opts.WriteEnv, opts.NoWriteEnv); err != nil {
				return err
			}
			if opts.Port < 0 || opts.Port > 65535 {
				return usageErrorf("--port %d is not a TCP port (0-65535)", opts.Port)
			}
			if opts.Listen != "" {
				if _, _, err := net.SplitHostPort(opts.Listen); err != nil {
					return usageErrorf("--listen %q is not ADDR:PORT (e.g. 127.0.0.1:4848)", opts.Listen)
				}
			}
			if opts.TokenTTL < time.Second {
				return usageErrorf("--token-ttl must be at least 1s (Envoy's SDK logs in again when a token is within 10 minutes of expiry)")
			}
			cfg, err := parseConfigPairs(configPairs, "--config")
			if err != nil {
				return err
			}
			opts.Config = cfg
			if runF != nil {
				return runF(opts)
			}
			return devRun(f, opts)
		},
	}
	fl := c.Flags()
	fl.IntVar(&opts.Port, "port", DefaultDevPort, "port on 127.0.0.1 (0 picks a free one)")
	fl.StringVar(&opts.Listen, "listen", "", "ADDR:PORT to listen on; wins over --port")
	fl.BoolVar(&opts.WriteEnv, "write-env", false, "write ENVOY_BASE_URL into the env file without asking")
	fl.BoolVar(&opts.NoWriteEnv, "no-write-env", false, "never write ENVOY_BASE_URL into the env file")
	fl.StringVar(&opts.InstallID, "install-id", "", "the simulated install's id (default: generated once and kept)")
	fl.StringVar(&opts.PluginID, "plugin-id", "", "the simulated plugin's id (default: generated once and kept)")
	fl.StringArrayVar(&configPairs, "config", nil, "seed the install config: KEY=VALUE (VALUE is JSON when it parses, else a string; null deletes); repeatable")
	fl.BoolVar(&opts.Reset, "reset", false, "start from a clean state: new ids, no config, storage, jobs or tokens")
	fl.DurationVar(&opts.TokenTTL, "token-ttl", api.DefaultTokenTTL, "lifetime of issued tokens (expires_in)")
	fl.BoolVar(&opts.JSON, "json", false, "stream the live log as NDJSON on stdout")
	fl.StringVar(&opts.Then, "then", "", "shell command to run once the simulator (and plugin) are ready; dev then stops and exits with its status")
	fl.DurationVar(&opts.ReadyTimeout, "ready-timeout", 30*time.Second, "how long to wait for the plugin to accept connections")
	fl.DurationVar(&opts.StopTimeout, "stop-timeout", 5*time.Second, "how long the plugin gets to stop after Ctrl-C (SIGINT) before it gets SIGTERM, and again before it is killed (SIGKILL)")
	return c
}

// parseConfigPairs reads KEY=VALUE pairs: VALUE is JSON when it parses as
// JSON (42, true, null, {"a":1}, "quoted"), else the string as given. flag
// names where they came from in errors ("" for arguments).
func parseConfigPairs(pairs []string, flag string) (map[string]any, error) {
	out := map[string]any{}
	for _, p := range pairs {
		k, v, ok := strings.Cut(p, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, usageErrorf("%s is not KEY=VALUE", strings.TrimSpace(flag+" "+strconv.Quote(p)))
		}
		out[k] = parseValue(v)
	}
	return out, nil
}

// parseValue is JSON when v parses as one JSON value, else the string v.
func parseValue(v string) any {
	dec := jsonDecoder([]byte(v))
	var x any
	if err := dec.Decode(&x); err == nil && !dec.More() {
		return x
	}
	return v
}

// devLog writes the live log and every other line dev prints, one writer at
// a time.
//
// In text, repeated identical logins (a plugin that logs in before each
// request: no token cache, or tokens shorter than the SDK's 10-minute
// refresh margin) are collapsed: the first is printed, then at most one
// summary line per loginWindow ("(×24 more since 10:00:01)"), and what is
// left at close. NDJSON keeps one event per login.
type devLog struct {
	mu   sync.Mutex
	io   *iostreams.IOStreams
	json bool

	loginWindow time.Duration // 0: defaultLoginWindow
	logins      *loginGroup
	hinted      bool
	closed      bool
}

// defaultLoginWindow is how often a run of repeated logins is summarised.
const defaultLoginWindow = 5 * time.Second

// loginGroup is a run of identical logins after the one printed.
type loginGroup struct {
	key   string
	start time.Time // when the group (or its last summary) started
	since time.Time // first login counted in n
	last  api.Event // the latest login counted
	n     int       // logins counted and not printed yet
	timer *time.Timer
}

func (l *devLog) event(e api.Event) {
	if e.Time.IsZero() {
		e.Time = time.Now()
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.json {
		_ = output.WriteJSON(l.io.Out, e, false)
		return
	}
	if e.Kind == api.KindLogin && l.collapseLogin(e) {
		return
	}
	_ = e.WriteText(l.io.ErrOut, l.io.ColorScheme())
}

// collapseLogin counts e in the current run of identical logins and reports
// whether it is not to be printed now. Called with l.mu held.
func (l *devLog) collapseLogin(e api.Event) bool {
	window := l.loginWindow
	if window <= 0 {
		window = defaultLoginWindow
	}
	key := fmt.Sprintf("%s\x00%d", e.ClientID, e.ExpiresIn)
	if g := l.logins; g != nil && g.key == key && e.Time.Sub(g.start) < window && !l.closed {
		if g.n == 0 {
			g.since = e.Time
			g.timer = time.AfterFunc(window-e.Time.Sub(g.start), l.summariseLogins)
		}
		g.n++
		g.last = e
		return true
	}
	l.flushLoginsLocked()
	l.logins = &loginGroup{key: key, start: e.Time}
	return false
}

// summariseLogins prints the summary of the current run when its window
// ends; the run goes on (its next logins are summarised a window later).
func (l *devLog) summariseLogins() {
	l.mu.Lock()
	defer l.mu.Unlock()
	g := l.logins
	if g == nil || g.n == 0 || l.closed {
		return
	}
	l.writeLoginSummary(g)
	g.start, g.n, g.timer = time.Now(), 0, nil
}

// flushLoginsLocked prints what the current run has not printed and ends
// it. Called with l.mu held.
func (l *devLog) flushLoginsLocked() {
	g := l.logins
	l.logins = nil
	if g == nil {
		return
	}
	if g.timer != nil {
		g.timer.Stop()
	}
	if g.n > 0 {
		l.writeLoginSummary(g)
	}
}

func (l *devLog) writeLoginSummary(g *loginGroup) {
	cs := l.io.ColorScheme()
	var b bytes.Buffer
	_ = g.last.WriteText(&b, cs)
	line := strings.TrimSuffix(b.String(), "\n")
	fmt.Fprintf(l.io.ErrOut, "%s %s\n", line, cs.Gray(fmt.Sprintf("(×%d more since %s)", g.n, g.since.Local().Format("15:04:05"))))
	if !l.hinted {
		l.hinted = true
		hint := "the plugin logs in before its requests: does it keep its token until it expires?"
		if g.last.ExpiresIn > 0 && g.last.ExpiresIn <= 600 {
			hint = "tokens that last 10 minutes or less make Envoy's SDK log in before every request: raise --token-ttl above 10m"
		}
		fmt.Fprintf(l.io.ErrOut, "%s%s\n", strings.Repeat(" ", 18), cs.Gray(hint))
	}
}

// close prints what is left of a run of logins; later logins are printed
// one by one.
func (l *devLog) close() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.flushLoginsLocked()
	l.closed = true
}

func (l *devLog) infof(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	fmt.Fprintf(l.io.ErrOut, format+"\n", a...)
}

func (l *devLog) warnf(format string, a ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	cs := l.io.ColorScheme()
	fmt.Fprintf(l.io.ErrOut, "%s %s\n", cs.WarningIcon(), fmt.Sprintf(format, a...))
}

// lockedWriter serialises writes to w with the log's lock.
type lockedWriter struct {
	l *devLog
	w io.Writer
}

func (lw lockedWriter) Write(p []byte) (int, error) {
	lw.l.mu.Lock()
	defer lw.l.mu.Unlock()
	return lw.w.Write(p)
}

// prefixWriter writes complete lines to the log with a prefix; Flush writes
// what is left.
type prefixWriter struct {
	l      *devLog
	prefix string
	tail   *lineTail // keeps the last lines; nil: none
	mu     sync.Mutex
	buf    []byte
}

func (p *prefixWriter) Write(b []byte) (int, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.buf = append(p.buf, b...)
	for {
		i := bytes.IndexByte(p.buf, '\n')
		if i < 0 {
			break
		}
		p.emit(p.buf[:i])
		p.buf = p.buf[i+1:]
	}
	return len(b), nil
}

func (p *prefixWriter) emit(line []byte) {
	line = bytes.TrimRight(line, "\r")
	if p.tail != nil {
		p.tail.add(string(line))
	}
	p.l.mu.Lock()
	defer p.l.mu.Unlock()
	fmt.Fprintf(p.l.io.ErrOut, "%s %s\n", p.l.io.ColorScheme().Gray(p.prefix), line)
}

func (p *prefixWriter) Flush() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.buf) > 0 {
		p.emit(p.buf)
		p.buf = nil
	}
}

// pluginTarget is where the plugin listens, from plugin.base_url.
type pluginTarget struct {
	Port string // for PORT; "" when unknown
	Addr string // host:port to wait for; "" when not local
}

func devPluginTarget(f *Factory, log *devLog) pluginTarget {
	p, found, err := f.ManifestPath()
	if err != nil || !found {
		log.warnf("no manifest: PORT is not set for the plugin and dev does not wait for it to listen; run `envoy-plugin init` to create one")
		return pluginTarget{}
	}
	m, err := f.Manifest()
	if err != nil {
		log.warnf("%s: %v; PORT is not set for the plugin", f.rel(p), err)
		return pluginTarget{}
	}
	if m.Plugin.BaseURL == "" {
		log.warnf("plugin.base_url is not set: PORT is not set for the plugin and dev does not wait for it to listen")
		return pluginTarget{}
	}
	u, err := url.Parse(m.Plugin.BaseURL)
	if err != nil || u.Host == "" {
		log.warnf("plugin.base_url %q is not a URL: PORT is not set for the plugin", m.Plugin.BaseURL)
		return pluginTarget{}
	}
	port := u.Port()
	if port == "" {
		port = "80"
		if u.Scheme == "https" {
			port = "443"
		}
	}
	t := pluginTarget{Port: port}
	if isLocalHost(u.Hostname()) {
		t.Addr = net.JoinHostPort(u.Hostname(), port)
	} else {
		log.warnf("plugin.base_url %s is not on this machine (a tunnel?): PORT=%s is set, but dev does not wait for the plugin to listen", m.Plugin.BaseURL, port)
	}
	return t
}

func isLocalHost(h string) bool {
	if h == "localhost" || strings.HasSuffix(h, ".localhost") {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && (ip.IsLoopback() || ip.IsUnspecified())
}

func newAdminKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func devRun(f *Factory, opts *devOptions) error {
	log := &devLog{io: f.IO, json: opts.JSON}
	projectDir := f.ProjectDir()

	// One dev per project: the lock is held until this process ends (the
	// system drops it even on SIGKILL); dev.json names the holder.
	lock, holder, err := simstate.LockDev(projectDir)
	for try := 0; errors.Is(err, simstate.ErrLocked) && try < 20; try++ {
		// A jobs/storage/config command holds it for a moment while it
		// edits the state file; a dev holds it until it stops.
		time.Sleep(50 * time.Millisecond)
		lock, holder, err = simstate.LockDev(projectDir)
	}
	if err != nil {
		if errors.Is(err, simstate.ErrLocked) {
			return runningDevError(projectDir, holder)
		}
		return err
	}
	defer lock.Release()
	if d, err := simstate.ReadDevInfo(projectDir); err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		alive := simstate.Probe(ctx, d) == nil
		cancel()
		if alive {
			return runningDevError(projectDir, d.PID)
		}
	}

	// The plugin's port must be free: else dev would wait on (and send
	// events to) whatever listens there, while the new plugin fails with
	// EADDRINUSE.
	var target pluginTarget
	if len(opts.Command) > 0 {
		target = devPluginTarget(f, log)
		if err := checkPortFree(target); err != nil {
			return err
		}
	}

	cr, err := f.Credentials("", "")
	if err != nil {
		return err
	}
	if cr.ClientID == "" {
		return fmt.Errorf("%s is not set (looked in the environment and in %s); run `envoy-plugin creds generate` to create credentials", creds.EnvClientID, f.EnvFile())
	}

	statePath := simstate.StatePath(projectDir)
	db, err := api.Open(statePath, api.OpenOptions{Create: true, Reset: opts.Reset})
	if err != nil {
		return err
	}
	if added, tracked, err := creds.EnsureGitignored(projectDir, simstate.Dir+"/"); err != nil {
		log.warnf("could not add %s/ to .gitignore: %v", simstate.Dir, err)
	} else {
		if added {
			log.infof("added %s/ to .gitignore", simstate.Dir)
		}
		if tracked {
			log.warnf("%s/ is tracked by git: run `git rm -r --cached %s` so that tokens and state are not committed", simstate.Dir, simstate.Dir)
		}
	}
	if err := db.SetIDs(opts.PluginID, opts.InstallID); err != nil {
		return err
	}
	if err := db.SetTokenTTL(opts.TokenTTL); err != nil {
		return err
	}
	if len(opts.Config) > 0 {
		if _, err := db.MergeConfig("", opts.Config); err != nil {
			return err
		}
	}

	addr := opts.Listen
	if addr == "" {
		addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port))
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		if isAddrInUse(err) {
			return fmt.Errorf("%s is already in use (another envoy-plugin dev?); choose another port with --port or --listen", addr)
		}
		return fmt.Errorf("listening on %s: %w", addr, err)
	}
	baseURL := listenURL(ln.Addr())

	ctx, stop := signal.NotifyContext(context.Background(), devSignals()...)
	defer stop()

	adminKey := newAdminKey()
	srv := &http.Server{
		Handler: api.New(api.Options{
			DB: db, ClientID: cr.ClientID, ClientSecret: cr.ClientSecret,
			ClientIDSource: f.rel(cr.ClientIDSource), ClientSecretSource: f.rel(cr.ClientSecretSource),
			AdminKey: adminKey, PID: os.Getpid(), Version: f.Build.Version, Log: log.event,
		}),
		// A plugin that drips a request (or leaves connections open)
		// cannot hold the simulator's goroutines forever.
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()
	defer func() {
		_ = simstate.RemoveDevInfo(projectDir, os.Getpid())
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
		log.close()
		log.event(api.Event{Kind: api.KindStopped, Message: "simulator stopped"})
	}()
	in := db.Install()
	log.event(api.Event{Kind: api.KindReady, URL: baseURL, InstallID: in.InstallID, PID: os.Getpid()})
	log.infof("ENVOY_BASE_URL=%s", baseURL)
	if err := devEnvFile(f, log, opts, baseURL, len(opts.Command) > 0); err != nil {
		return err
	}

	env := append(os.Environ(),
		creds.EnvBaseURL+"="+baseURL,
		creds.EnvClientID+"="+cr.ClientID,
		creds.EnvClientSecret+"="+cr.ClientSecret,
	)

	var plugin *devProcess
	if len(opts.Command) > 0 {
		if target.Addr != "" && sameListenPort(target.Addr, ln.Addr()) {
			return fmt.Errorf("plugin.base_url's port %s is the simulator's own port: change [plugin].base_url, or give the simulator another port with --port", target.Port)
		}
		penv := env
		if target.Port != "" {
			penv = append(penv, "PORT="+target.Port)
		}
		plugin, err = startDevProcess(opts.Command, penv, projectDir, log)
		if err != nil {
			return err
		}
		log.event(api.Event{Kind: api.KindPlugin, Message: fmt.Sprintf("started %s (pid %d)", strings.Join(opts.Command, " "), plugin.cmd.Process.Pid), PID: plugin.cmd.Process.Pid})
		defer func() {
			// Every return below has stopped the plugin's process group, or
			// seen it exit.
			select {
			case <-plugin.done:
				warnLeftoverListener(log, target.Addr)
			default:
			}
		}()
		if target.Addr != "" {
			switch err := waitListening(ctx, target.Addr, opts.ReadyTimeout, plugin.done); {
			case errors.Is(err, errPluginExited):
				return pluginExitedEarly(log, plugin, target.Addr, opts.Then != "")
			case errors.Is(err, context.Canceled):
				plugin.stop(opts.StopTimeout)
				if opts.Then != "" {
					// A cancelled CI step must not pass without its checks.
					return &ExitError{Code: ExitCancelled, Err: fmt.Errorf("interrupted before the plugin accepted connections on %s: --then did not run", target.Addr)}
				}
				return nil
			case err != nil:
				plugin.stop(opts.StopTimeout)
				return fmt.Errorf("the plugin did not accept connections on %s within %s; does it listen on $PORT (%s)? raise --ready-timeout if it starts slowly", target.Addr, opts.ReadyTimeout, target.Port)
			}
			log.event(api.Event{Kind: api.KindPlugin, Message: "plugin accepts connections on " + target.Addr})
		}
	}

	// Ready: the simulator answers and the plugin (if any) accepts
	// connections. Only now do other processes see dev.json.
	if err := simstate.WriteDevInfo(projectDir, simstate.DevInfo{
		URL: baseURL, PID: os.Getpid(), AdminKey: adminKey, StateFile: statePath,
		StartedAt: f.Now().UTC().Format(time.RFC3339),
	}); err != nil {
		if plugin != nil {
			plugin.stop(opts.StopTimeout)
		}
		return fmt.Errorf("writing %s: %w", simstate.DevInfoPath(projectDir), err)
	}

	if opts.Then != "" {
		code, err := runThen(ctx, opts, env, projectDir, log)
		if plugin != nil {
			select {
			case <-plugin.done:
				// It exited on its own while the command ran.
				log.event(pluginExitEvent(plugin))
			default:
				plugin.stop(opts.StopTimeout)
			}
		}
		if err != nil {
			return err
		}
		if code != 0 {
			return &ExitError{Code: code, Err: fmt.Errorf("--then command exited with status %d", code)}
		}
		return nil
	}

	var pluginDone <-chan struct{}
	if plugin != nil {
		pluginDone = plugin.done
	}
	select {
	case <-ctx.Done():
		stop()
		if plugin != nil {
			log.infof("stopping the plugin…")
			plugin.stop(opts.StopTimeout)
		}
		return nil
	case <-pluginDone:
		return pluginExited(log, plugin)
	case err := <-serveErr:
		if plugin != nil {
			plugin.stop(opts.StopTimeout)
		}
		return fmt.Errorf("the simulator stopped: %w", err)
	}
}

// runningDevError says that another dev runs for the project, with its
// URL when its dev.json is readable.
func runningDevError(projectDir string, pid int) error {
	if d, err := simstate.ReadDevInfo(projectDir); err == nil && (pid == 0 || d.PID == pid) {
		return fmt.Errorf("envoy-plugin dev already runs for this project at %s (pid %d): stop it first (Ctrl-C in its terminal, or kill %d), or use it: ENVOY_BASE_URL=%s", d.URL, d.PID, d.PID, d.URL)
	}
	if pid > 0 {
		return fmt.Errorf("envoy-plugin dev already runs for this project (pid %d, still starting: %s does not exist yet): stop it first (kill %d), or wait for it", pid, simstate.DevInfoPath(projectDir), pid)
	}
	return fmt.Errorf("envoy-plugin dev already runs for this project (it holds %s): stop it first", simstate.LockPath(projectDir))
}

// listenURL is the base URL for a listener: an unspecified address
// (0.0.0.0, ::) is reached through the loopback address.
func listenURL(a net.Addr) string {
	host, port, err := net.SplitHostPort(a.String())
	if err != nil {
		return "http://" + a.String()
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
		if ip.To4() == nil {
			host = "::1"
		}
	}
	return "http://" + net.JoinHostPort(host, port)
}

// envWriteDecision says whether to write ENVOY_BASE_URL into the env file.
type envWriteDecision int

const (
	envSkip   envWriteDecision = iota // leave it, and say how to write it
	envWrite                          // write it
	envAsk                            // ask on the terminal
	envAlways                         // nothing to do: already there
)

func decideEnvWrite(current string, has bool, url string, writeEnv, noWriteEnv, canPrompt bool) envWriteDecision {
	switch {
	case has && current == url:
		return envAlways
	case writeEnv:
		return envWrite
	case noWriteEnv:
		return envSkip
	case canPrompt:
		return envAsk
	}
	return envSkip
}

// devEnvFile writes ENVOY_BASE_URL into the env file when it is missing or
// different: with --write-env, or after asking on a terminal.
func devEnvFile(f *Factory, log *devLog, opts *devOptions, baseURL string, startsPlugin bool) error {
	envFile := f.EnvFile()
	shown := f.rel(envFile)
	current, has := "", false
	if data, err := os.ReadFile(envFile); err == nil {
		ef, _ := creds.ParseEnv(data)
		if e, ok := ef.Lookup(creds.EnvBaseURL); ok {
			current, has = e.Value, true
		}
	}
	if v := f.Getenv(creds.EnvBaseURL); v != "" && v != baseURL {
		log.warnf("%s is set in the environment to %s: a plugin started from this shell calls that, not this simulator", creds.EnvBaseURL, v)
	}
	state := fmt.Sprintf("%s has no %s", shown, creds.EnvBaseURL)
	if has {
		state = fmt.Sprintf("%s in %s is %s", creds.EnvBaseURL, shown, current)
	}
	write := false
	switch decideEnvWrite(current, has, baseURL, opts.WriteEnv, opts.NoWriteEnv, f.IO.CanPrompt()) {
	case envAlways:
		return nil
	case envWrite:
		write = true
	case envAsk:
		log.mu.Lock()
		ok, err := f.Prompter.Confirm(fmt.Sprintf("%s; write %s=%s there?", state, creds.EnvBaseURL, baseURL), true)
		log.mu.Unlock()
		if err != nil {
			return err
		}
		write = ok
	case envSkip:
		if opts.NoWriteEnv {
			return nil
		}
		how := "run with --write-env to write it"
		if startsPlugin {
			how = "the plugin started here gets it in its environment; --write-env also writes it there"
		}
		log.infof("%s; %s", state, how)
		return nil
	}
	if !write {
		return nil
	}
	if _, err := creds.SetVars(envFile, map[string]string{creds.EnvBaseURL: baseURL}); err != nil {
		return fmt.Errorf("writing %s to %s: %w", creds.EnvBaseURL, shown, err)
	}
	log.infof("%s wrote %s=%s to %s", f.IO.ColorScheme().SuccessIcon(), creds.EnvBaseURL, baseURL, shown)
	return nil
}

// devProcess is a child process dev started in its own process group.
type devProcess struct {
	cmd      *exec.Cmd
	done     chan struct{} // closed when it exited
	exitCode int
	waitErr  error
	outs     []*prefixWriter
	tail     *lineTail
	log      *devLog
	stopping bool
	mu       sync.Mutex
}

func startDevProcess(argv []string, env []string, dir string, log *devLog) (*devProcess, error) {
	c := exec.Command(argv[0], argv[1:]...)
	c.Env = env
	c.Dir = dir
	tail := &lineTail{max: pluginTailLines}
	out := &prefixWriter{l: log, prefix: "[plugin]", tail: tail}
	errOut := &prefixWriter{l: log, prefix: "[plugin]", tail: tail}
	c.Stdout, c.Stderr = out, errOut
	c.WaitDelay = 2 * time.Second
	setProcessGroup(c)
	if err := c.Start(); err != nil {
		return nil, fmt.Errorf("starting the plugin (%s): %w", strings.Join(argv, " "), err)
	}
	p := &devProcess{cmd: c, done: make(chan struct{}), outs: []*prefixWriter{out, errOut}, tail: tail, log: log}
	go func() {
		p.waitErr = c.Wait()
		for _, w := range p.outs {
			w.Flush()
		}
		p.exitCode = exitCodeOf(c.ProcessState)
		close(p.done)
	}()
	return p, nil
}

// stop asks the plugin's process group to stop (see stopGroup).
func (p *devProcess) stop(timeout time.Duration) {
	select {
	case <-p.done:
		return
	default:
	}
	p.mu.Lock()
	p.stopping = true
	p.mu.Unlock()
	stopGroup(p.cmd, p.done, timeout, "the plugin", p.log.infof)
}

// stopGroup stops c's process group, which has exited once done is
// closed: SIGINT first (as Ctrl-C in a terminal), SIGTERM when it has not
// stopped within timeout, SIGKILL after another timeout, or at once on a
// second Ctrl-C. Each escalation is reported with say, so that a plugin
// which ignores signals is not killed silently.
func stopGroup(c *exec.Cmd, done <-chan struct{}, timeout time.Duration, what string, say func(format string, a ...any)) {
	again := make(chan os.Signal, 1)
	signal.Notify(again, devSignals()...)
	defer signal.Stop(again)
	wait := func() (stopped, urgent bool) {
		t := time.NewTimer(timeout)
		defer t.Stop()
		select {
		case <-done:
			return true, false
		case <-again:
			return false, true
		case <-t.C:
			return false, false
		}
	}
	_ = interruptProcess(c)
	stopped, urgent := wait()
	if stopped {
		return
	}
	if !urgent {
		_ = terminateProcess(c)
		say("%s did not stop within %s of SIGINT: sent SIGTERM", what, timeout)
		if stopped, urgent = wait(); stopped {
			return
		}
	}
	_ = killProcess(c)
	if urgent {
		say("%s: killed (SIGKILL) on a second interrupt", what)
	} else {
		say("%s did not stop within %s of SIGTERM: killed (SIGKILL)", what, timeout)
	}
	<-done // c.WaitDelay bounds the wait for its output
}

var errPluginExited = errors.New("the plugin exited")

// waitListening polls addr until it accepts a TCP connection.
func waitListening(ctx context.Context, addr string, timeout time.Duration, exited <-chan struct{}) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(50 * time.Millisecond)
	defer tick.Stop()
	for {
		conn, err := net.DialTimeout("tcp", addr, 250*time.Millisecond)
		if err == nil {
			conn.Close()
			return nil
		}
		select {
		case <-exited:
			return errPluginExited
		case <-ctx.Done():
			return context.Canceled
		case <-deadline.C:
			return context.DeadlineExceeded
		case <-tick.C:
		}
	}
}

func pluginExitEvent(p *devProcess) api.Event {
	code := p.exitCode
	return api.Event{Kind: api.KindPlugin, Message: fmt.Sprintf("plugin exited with code %d", code), ExitCode: &code, PID: p.cmd.Process.Pid}
}

// pluginExited reports that the plugin stopped on its own and exits with
// its code.
func pluginExited(log *devLog, p *devProcess) error {
	log.event(pluginExitEvent(p))
	if p.exitCode == 0 {
		return nil
	}
	return &ExitError{Code: p.exitCode, Err: fmt.Errorf("the plugin exited with code %d", p.exitCode)}
}

// runThen runs the --then command through the shell with the plugin's
// environment and returns its exit status.
func runThen(ctx context.Context, opts *devOptions, env []string, dir string, log *devLog) (int, error) {
	c := shellCmd(opts.Then)
	c.Env = env
	c.Dir = dir
	out := log.io.Out
	if opts.JSON {
		out = log.io.ErrOut // stdout carries the NDJSON log
	}
	c.Stdout = lockedWriter{l: log, w: out}
	c.Stderr = lockedWriter{l: log, w: log.io.ErrOut}
	c.WaitDelay = 2 * time.Second
	setProcessGroup(c)
	log.event(api.Event{Kind: api.KindPlugin, Message: "running --then: " + opts.Then})
	if err := c.Start(); err != nil {
		return 0, fmt.Errorf("starting --then %q: %w", opts.Then, err)
	}
	done := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			stopGroup(c, done, opts.StopTimeout, "the --then command", log.infof)
		case <-done:
		}
	}()
	_ = c.Wait()
	close(done)
	if ctx.Err() != nil {
		return ExitCancelled, nil
	}
	return exitCodeOf(c.ProcessState), nil
}

// checkPortFree fails when something already accepts connections where
// the plugin is to listen (an old plugin still running, another server).
func checkPortFree(t pluginTarget) error {
	if t.Addr == "" {
		return nil
	}
	conn, err := net.DialTimeout("tcp", t.Addr, time.Second)
	if err != nil {
		return nil
	}
	conn.Close()
	return fmt.Errorf("something already listens on %s (an old plugin?): stop it, or change [plugin].base_url", t.Addr)
}

// sameListenPort reports whether addr (host:port of a local host) is the
// port the simulator listens on.
func sameListenPort(addr string, ln net.Addr) bool {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	_, lport, err := net.SplitHostPort(ln.String())
	return err == nil && port == lport
}

// pluginTailLines is how many of the plugin's last output lines dev shows
// when it exits before it accepts connections.
const pluginTailLines = 10

// lineTail keeps the last max lines written to it.
type lineTail struct {
	mu    sync.Mutex
	max   int
	lines []string
}

func (t *lineTail) add(line string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.lines = append(t.lines, line)
	if len(t.lines) > t.max {
		t.lines = append(t.lines[:0], t.lines[len(t.lines)-t.max:]...)
	}
}

func (t *lineTail) get() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]string(nil), t.lines...)
}

// pluginExitedEarly reports a plugin that exited before it accepted
// connections on addr, with its last output lines, and exits with its code.
// With --then (then), which never ran, it fails even when the code is 0.
func pluginExitedEarly(log *devLog, p *devProcess, addr string, then bool) error {
	code := p.exitCode
	log.event(api.Event{Kind: api.KindPlugin, Message: fmt.Sprintf("plugin exited with code %d before it accepted connections on %s", code, addr), ExitCode: &code, PID: p.cmd.Process.Pid})
	var b strings.Builder
	if lines := p.tail.get(); len(lines) > 0 {
		fmt.Fprintf(&b, "; its last output:")
		for _, l := range lines {
			b.WriteString("\n  " + l)
		}
	} else {
		b.WriteString(" (it printed nothing)")
	}
	if then {
		// A CI step must not pass without its checks: the plugin's code, or
		// 1 when it exited 0.
		exit := code
		if exit == 0 {
			exit = 1
		}
		return &ExitError{Code: exit, Err: fmt.Errorf("the plugin exited (code %d) before it accepted connections on %s: --then did not run%s", code, addr, b.String())}
	}
	if code == 0 {
		log.infof("the plugin exited (code 0) before it listened on %s%s", addr, b.String())
		return nil
	}
	return &ExitError{Code: code, Err: fmt.Errorf("the plugin exited with code %d before it accepted connections on %s%s", code, addr, b.String())}
}

// leftoverDialTimeout bounds the check for a listener left behind by the
// plugin.
const leftoverDialTimeout = 200 * time.Millisecond

// warnLeftoverListener warns when something still accepts connections on
// addr once the plugin's process group has stopped: a child that left the
// group (daemonised, setsid) and keeps the port, which the next dev would
// find busy.
func warnLeftoverListener(log *devLog, addr string) {
	if addr == "" {
		return
	}
	conn, err := net.DialTimeout("tcp", addr, leftoverDialTimeout)
	if err != nil {
		return
	}
	conn.Close()
	port := addr
	if _, p, err := net.SplitHostPort(addr); err == nil {
		port = p
	}
	log.warnf("something still listens on %s after the plugin stopped (a detached child process?): find it with `lsof -i :%s`", addr, port)
}
