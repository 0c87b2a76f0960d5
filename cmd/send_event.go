package cmd

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/output"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/delivery"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/events"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

type sendEventOptions struct {
	Event string
	To    string
	All   bool
	List  bool

	SignedOut bool
	Protect   bool
	With      string
	Seed      uint64
	SeedSet   bool
	Now       string

	Sets        []string
	Configs     []string
	PayloadFile string
	BodyFile    string

	Expect   string
	JSON     bool
	Verbose  bool
	DryRun   bool
	Curl     bool
	Timeout  time.Duration
	Insecure bool

	CheckSigning bool
	Replay       bool

	Count       int
	CountSet    bool
	Concurrency int
	Rate        string

	Wait    time.Duration
	WaitSet bool

	// OpenStore reaches the API simulator of `envoy-plugin dev`; tests
	// replace it with a fake.
	OpenStore func(projectDir string) (simstate.Store, error)
}

// defaultOngoingWait is how long send-event waits for a job the plugin
// answered 202 for, when a simulator runs and --wait is not given.
const defaultOngoingWait = 5 * time.Second

func newCmdSendEvent(f *Factory, runF func(*sendEventOptions) error) *cobra.Command {
	opts := &sendEventOptions{OpenStore: func(dir string) (simstate.Store, error) { return simstate.Open(dir, false) }}
	c := &cobra.Command{
		Use:   "send-event <event> [flags]",
		Short: "Send a signed fake event to the plugin's worker, as Envoy does",
		Long: `Send a realistic fake event to the worker URL that envoy-plugin.toml subscribes
to it (resolved against [plugin].base_url), signed with ENVOY_CLIENT_SECRET
exactly as Envoy signs it, and report the job's outcome as Envoy's dashboard
would: 200/201 done, 202 ongoing, 400 ignored, 412 failed, anything else
(another status, a timeout, a refused connection, a TLS failure) failed
(unexpected), with a one-line diagnosis and a hint.

The body is {"meta": ..., "payload": ...}: event meta (plugin, install, job,
location, company, zone, config, auth) and a JSON:API payload built from
seeded fake data. --seed N reproduces every id, name and time (without it a
random seed is used and printed on stderr); --now fixes the clock.

The install's config is, lowest first: the manifest's field defaults, the
stored config of the simulated install of ` + "`envoy-plugin dev`" + ` (whose ids are
used too), --config, and --set edits on the body. meta.auth is null unless
[plugin].scopes asks for API scopes. While ` + "`envoy-plugin dev`" + ` runs, meta.auth
carries a token it accepts, the job is registered there first, and after
the plugin's answer send-event waits (--wait; default 5s after a 202, else
no wait) for the plugin's job updates and reports the job's final status,
message, failure reason and attachments; --expect then checks that final
status.

Exit status: with --expect, 1 when an outcome differs; without it, 1 only on
an unexpected failure. --check-signing exits 1 when a badly signed request
is accepted (2xx).`,
		Example: `  # send one event to the worker the manifest names; expect it done
  $ envoy-plugin send-event entry_sign_in --expect done

  # another URL, a repeatable body, edits
  $ envoy-plugin send-event entry_sign_in --to http://localhost:3000/entry-sign-in --seed 42 \
      --with host,photo --set payload.attributes.full-name="Ada Lovelace" --config GREETING=Hola

  # every subscribed event, one JSON object per line
  $ envoy-plugin send-event --all --json

  # see the request, or get it as curl
  $ envoy-plugin send-event invite_created --dry-run
  $ envoy-plugin send-event invite_created --curl

  # security probes and load
  $ envoy-plugin send-event entry_sign_in --check-signing
  $ envoy-plugin send-event entry_sign_in --count 1000 --concurrency 16 --rate 200/s

  $ envoy-plugin send-event --list`,
		Args: maxArgs(1),
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			if len(args) > 0 {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			var out []string
			for _, e := range events.All() {
				out = append(out, e.Name+"\t"+e.Description)
			}
			return out, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Event = args[0]
			}
			fl := c.Flags()
			opts.SeedSet = fl.Changed("seed")
			opts.WaitSet = fl.Changed("wait")
			opts.CountSet = fl.Changed("count")
			if err := validateSendEventOptions(opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return sendEventRun(c.Context(), f, opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.To, "to", "", "send to this URL instead of the manifest's worker URL (no manifest needed)")
	fl.BoolVar(&opts.All, "all", false, "send every event the manifest subscribes to, in turn")
	fl.BoolVar(&opts.List, "list", false, "list the events Envoy sends, with payload type and description")
	fl.BoolVar(&opts.SignedOut, "signed-out", false, "entries: the visitor has signed out too")
	fl.BoolVar(&opts.Protect, "protect", false, "an employee on the employee screening flow (Envoy Protect)")
	fl.StringVar(&opts.With, "with", "", "add optional data: a comma-separated list of host, email, phone, photo, invite, device, or all")
	fl.Uint64Var(&opts.Seed, "seed", 0, "seed for every id, name and time (default: random, printed on stderr)")
	fl.StringVar(&opts.Now, "now", "", "the clock events are generated at, e.g. 2026-11-27T10:00:00Z (default: derived from the seed)")
	fl.StringArrayVar(&opts.Sets, "set", nil, "edit the body: path=text or path:=json, e.g. payload.attributes.full-name=\"Ada\" (repeatable)")
	fl.StringArrayVar(&opts.Configs, "config", nil, "install config: KEY=VALUE, or KEY:=json (repeatable)")
	fl.StringVar(&opts.PayloadFile, "payload", "", "send this JSON file as the payload (- for stdin); meta is still generated")
	fl.StringVar(&opts.BodyFile, "body", "", "send this file as the exact body (- for stdin); nothing is generated")
	fl.StringVar(&opts.Expect, "expect", "", "exit 1 unless the job ends done, ongoing, ignored or failed")
	fl.BoolVar(&opts.JSON, "json", false, "print one JSON object per delivery (NDJSON with --all)")
	fl.BoolVarP(&opts.Verbose, "verbose", "v", false, "show response headers and the whole response body")
	fl.BoolVar(&opts.DryRun, "dry-run", false, "print the exact request (method, URL, headers, body) without sending it")
	fl.BoolVar(&opts.Curl, "curl", false, "print a curl command that sends the exact request, without sending it")
	fl.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "per-request timeout")
	fl.BoolVar(&opts.Insecure, "insecure", false, "accept a self-signed TLS certificate")
	fl.BoolVar(&opts.CheckSigning, "check-signing", false, "also send badly signed variants (none, wrong secret, tampered body, hex); fail if any is accepted")
	fl.BoolVar(&opts.Replay, "replay", false, "send the identical signed delivery twice and report whether the plugin de-duplicated it")
	fl.IntVar(&opts.Count, "count", 1, "load mode: send N deliveries, each a fresh event with its own job id and signature")
	fl.IntVar(&opts.Concurrency, "concurrency", 1, "load mode: deliveries in flight at once")
	fl.StringVar(&opts.Rate, "rate", "", "load mode: at most this many deliveries per second, e.g. 50 or 50/s or 600/m")
	fl.DurationVar(&opts.Wait, "wait", 0, "while envoy-plugin dev runs: how long to wait for the job's final status (default 5s after a 202, else 0)")
	_ = c.RegisterFlagCompletionFunc("expect", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"done", "ongoing", "ignored", "failed"}, cobra.ShellCompDirectiveNoFileComp
	})
	_ = c.RegisterFlagCompletionFunc("with", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return append(events.WithNames(), "all"), cobra.ShellCompDirectiveNoFileComp
	})
	_ = c.MarkFlagFilename("payload", "json")
	_ = c.MarkFlagFilename("body", "json")
	return c
}

func validateSendEventOptions(o *sendEventOptions) error {
	if o.List {
		if o.Event != "" || o.All {
			return usageErrorf("--list takes no event and no --all")
		}
		return nil
	}
	if o.Event == "" && !o.All {
		return usageErrorf("event name required (e.g. entry_sign_in), or --all; run `envoy-plugin send-event --list` to see the events")
	}
	if o.Event != "" && o.All {
		return usageErrorf("give an event name or --all, not both")
	}
	edits := len(o.Sets) > 0 || o.PayloadFile != "" || o.SignedOut || o.Protect || o.With != "" || len(o.Configs) > 0
	if err := mutuallyExclusive("--body sends the file as it is: it cannot be combined with --set, --payload, --config, --signed-out, --protect or --with", o.BodyFile != "", edits); err != nil {
		return err
	}
	if err := mutuallyExclusive("choose one of --dry-run, --curl, --check-signing, --replay and --count", o.DryRun, o.Curl, o.CheckSigning, o.Replay, o.CountSet); err != nil {
		return err
	}
	if o.CountSet && o.All {
		return usageErrorf("--count sends one event many times: give an event name instead of --all")
	}
	if o.CountSet && o.Count < 1 {
		return usageErrorf("invalid --count %d: send at least 1", o.Count)
	}
	if o.Concurrency < 1 {
		return usageErrorf("invalid --concurrency %d: use 1 or more", o.Concurrency)
	}
	if (o.Rate != "" || o.Concurrency != 1) && !o.CountSet {
		return usageErrorf("--rate and --concurrency shape a load run: add --count N")
	}
	if _, err := delivery.ParseRate(o.Rate); err != nil {
		return usageErrorf("%v", err)
	}
	if o.Expect != "" {
		if _, err := delivery.ParseKind(o.Expect); err != nil {
			return usageErrorf("invalid --expect: %v", err)
		}
	}
	if o.To != "" {
		if err := sendCheckURL(o.To); err != nil {
			return usageErrorf("%v", err)
		}
	}
	if o.Timeout <= 0 {
		return usageErrorf("invalid --timeout %s: use a positive duration, e.g. 10s", o.Timeout)
	}
	if o.Wait < 0 {
		return usageErrorf("invalid --wait %s", o.Wait)
	}
	if o.With != "" {
		if _, err := events.ParseWith(o.With); err != nil {
			return usageErrorf("%v", err)
		}
	}
	if o.Now != "" {
		if _, err := sendParseNow(o.Now); err != nil {
			return usageErrorf("%v", err)
		}
	}
	for _, s := range o.Sets {
		if _, err := events.ParseSet(s); err != nil {
			return usageErrorf("%v", err)
		}
	}
	if _, err := sendParseConfigFlags(o.Configs); err != nil {
		return usageErrorf("%v", err)
	}
	return nil
}

// sendParseNow reads --now: RFC 3339, or the SQL form, or a date (UTC).
func sendParseNow(s string) (time.Time, error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02 15:04", "2006-01-02"} {
		if t, err := time.Parse(layout, strings.TrimSpace(s)); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("invalid --now %q: use a time like 2026-11-27T10:00:00Z or 2026-11-27 10:00:00 (UTC)", s)
}

// sendParseConfigFlags reads --config KEY=VALUE (a string) and KEY:=JSON.
func sendParseConfigFlags(vals []string) (map[string]any, error) {
	out := map[string]any{}
	for _, v := range vals {
		key, val, ok := strings.Cut(v, "=")
		if !ok {
			return nil, fmt.Errorf("invalid --config %q: use KEY=VALUE, or KEY:=JSON for a number, boolean, list or object", v)
		}
		if strings.HasSuffix(key, ":") {
			key = strings.TrimSuffix(key, ":")
			dec := json.NewDecoder(strings.NewReader(val))
			dec.UseNumber()
			var j any
			if err := dec.Decode(&j); err != nil || dec.More() {
				return nil, fmt.Errorf("invalid --config %q: the value after := is not JSON; use = for a string", v)
			}
			out[strings.TrimSpace(key)] = j
		} else {
			out[strings.TrimSpace(key)] = val
		}
		if strings.TrimSpace(key) == "" {
			return nil, fmt.Errorf("invalid --config %q: the key before = is empty", v)
		}
	}
	return out, nil
}

// sendEventListItem is one row of --list.
type sendEventListItem struct {
	Name        string `json:"name"`
	PayloadType string `json:"payload_type"`
	Description string `json:"description"`
}

type sendEventList []sendEventListItem

func (l sendEventList) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, cs.Bold("EVENT")+"\t"+cs.Bold("PAYLOAD")+"\t"+cs.Bold("DESCRIPTION"))
	for _, e := range l {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", e.Name, e.PayloadType, e.Description)
	}
	return tw.Flush()
}

func sendListEvents() sendEventList {
	var out sendEventList
	for _, e := range events.All() {
		pt := e.PayloadType
		if pt == "" {
			pt = "none"
		}
		out = append(out, sendEventListItem{Name: e.Name, PayloadType: pt, Description: e.Description})
	}
	return out
}

// sendTarget is one event and the URL it goes to.
type sendTarget struct{ Event, URL string }

// sendEventManifest loads the manifest when it is needed (no --to, or
// --all) or present; with --to and no manifest it returns nil.
func sendEventManifest(f *Factory, o *sendEventOptions) (*manifest.Manifest, error) {
	_, found, err := f.ManifestPath()
	if o.To != "" && !o.All && (err != nil || !found) {
		return nil, nil
	}
	if err == nil && !found && f.ManifestFlag == "" {
		wd, _ := f.Getwd()
		if o.All {
			return nil, fmt.Errorf("no %s found in %s or its parents: --all sends the events it subscribes to; run `envoy-plugin init` to create one, or pass --manifest", manifest.FileName, wd)
		}
		return nil, fmt.Errorf("no %s found in %s or its parents to name the worker URL of %s; pass --to URL (e.g. --to http://localhost:3000/entry-sign-in), or run `envoy-plugin init` to create one", manifest.FileName, wd, o.Event)
	}
	return f.Manifest()
}

// sendCheckURL refuses a --to the HTTP client cannot use.
func sendCheckURL(raw string) error {
	u, err := url.Parse(raw)
	if err == nil && (u.Scheme == "http" || u.Scheme == "https") && u.Host != "" {
		return nil
	}
	hint := "give the full URL, e.g. http://localhost:3000/entry-sign-in"
	if err == nil && u.Scheme != "http" && u.Scheme != "https" && !strings.Contains(raw, "://") {
		hint = fmt.Sprintf("did you mean http://%s?", raw)
	}
	return fmt.Errorf("invalid --to %q: not an http:// or https:// URL; %s", raw, hint)
}

func sendResolveTargets(m *manifest.Manifest, o *sendEventOptions) ([]sendTarget, error) {
	var names []string
	if o.All {
		if len(m.Events) == 0 {
			return nil, fmt.Errorf("%s subscribes to no events; add [[events]] entries (name and url)", manifest.FileName)
		}
		for _, e := range m.Events {
			names = append(names, e.Name)
		}
	} else {
		names = []string{o.Event}
	}
	var out []sendTarget
	for _, name := range names {
		subscribed := false
		url := o.To
		if m != nil {
			u, ok, err := m.EventURL(name)
			if err != nil {
				return nil, fmt.Errorf("the url of %s in %s: %v", name, manifest.FileName, err)
			}
			subscribed = ok
			if url == "" {
				url = u
			}
		}
		if _, known := events.Find(name); !known && !subscribed {
			hint := ""
			if s := events.Suggest(name); s != "" {
				hint = fmt.Sprintf(" (did you mean %q?)", s)
			}
			return nil, usageErrorf("unknown event %q%s; run `envoy-plugin send-event --list` to see the events (a custom event must be subscribed in %s)", name, hint, manifest.FileName)
		}
		if url == "" {
			return nil, fmt.Errorf("%s does not subscribe to %s; add an [[events]] entry with its url, or pass --to URL", manifest.FileName, name)
		}
		out = append(out, sendTarget{Event: name, URL: url})
	}
	return out, nil
}

func sendReadInput(f *Factory, path string) ([]byte, error) {
	if path == "-" {
		return io.ReadAll(f.IO.In)
	}
	return os.ReadFile(path)
}

func sendRandomSeed() uint64 {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return uint64(time.Now().UnixNano())
	}
	// Keep it short enough to type.
	return binary.BigEndian.Uint64(b[:]) % 1_000_000_000
}

// sendRun is what one send-event run works with once everything is set up.
type sendRun struct {
	f       *Factory
	o       *sendEventOptions
	client  *sim.Client
	builder *delivery.Builder
	store   simstate.Store // nil without a running simulator
	install *sim.Install
	expect  delivery.Kind
	printer *output.Printer
	secret  string
}

func sendEventRun(ctx context.Context, f *Factory, o *sendEventOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	if o.List {
		return f.Printer(o.JSON).Print(sendListEvents())
	}
	expect, _ := delivery.ParseKind(o.Expect)
	if o.Expect == "" {
		expect = ""
	}

	m, err := sendEventManifest(f, o)
	if err != nil {
		return err
	}
	targets, err := sendResolveTargets(m, o)
	if err != nil {
		return err
	}

	b := &delivery.Builder{UserAgent: f.Build.UserAgent()}
	variant := events.Variant{SignedOut: o.SignedOut, Protect: o.Protect}
	variant.With, _ = events.ParseWith(o.With)
	b.Variant = variant
	for _, s := range o.Sets {
		set, _ := events.ParseSet(s)
		b.Sets = append(b.Sets, set)
	}
	if o.PayloadFile != "" {
		raw, err := sendReadInput(f, o.PayloadFile)
		if err != nil {
			return fmt.Errorf("reading --payload: %w", err)
		}
		dec := json.NewDecoder(strings.NewReader(string(raw)))
		var p any
		if err := dec.Decode(&p); err != nil || dec.More() {
			return fmt.Errorf("--payload %s is not one JSON value; fix it, or send an exact body with --body", o.PayloadFile)
		}
		if p == nil {
			return fmt.Errorf("--payload %s is null; an SDK plugin answers 500 without a payload object (use {} for no data)", o.PayloadFile)
		}
		b.Payload = raw
	}
	if o.BodyFile != "" {
		raw, err := sendReadInput(f, o.BodyFile)
		if err != nil {
			return fmt.Errorf("reading --body: %w", err)
		}
		if raw == nil {
			raw = []byte{}
		}
		b.Body = raw
	}

	c, err := f.Credentials("", "")
	if err != nil {
		return err
	}
	b.Secret = c.ClientSecret

	run := &sendRun{f: f, o: o, builder: b, expect: expect, secret: c.ClientSecret}
	sending := !o.DryRun && !o.Curl
	var simInstall *simstate.Install
	// The simulated install's ids and stored config are used whenever there
	// is one (the state file of `envoy-plugin dev`, running or not), for
	// --dry-run and --curl too, so that they show what would be sent. Jobs,
	// tokens and waiting need the simulator running.
	if o.OpenStore != nil {
		store, err := o.OpenStore(f.ProjectDir())
		switch {
		case errors.Is(err, simstate.ErrNoSimulator):
		case err != nil:
			f.Warnf("cannot read the simulated install of envoy-plugin dev (%v); sending without it", err)
		case store != nil:
			simInstall, err = store.Install(ctx)
			if err != nil {
				return fmt.Errorf("reading the simulated install: %w; is `envoy-plugin dev` still running?", err)
			}
			if store.Running() {
				run.store = store
			}
		}
	}

	seed := o.Seed
	if !o.SeedSet {
		seed = sendRandomSeed()
	}
	if !o.SeedSet && o.BodyFile == "" {
		f.Infof("seed %d (repeat this run with --seed %d)", seed, seed)
	}
	var now time.Time
	if o.Now != "" {
		now, _ = sendParseNow(o.Now)
	}
	gen := events.NewGenerator(seed, now)
	b.Gen = gen

	cfg := map[string]any{}
	scopes := false
	if m != nil {
		for k, v := range m.Defaults() {
			cfg[k] = v
		}
		scopes = len(m.Plugin.Scopes) > 0
	}
	instOpts := sim.InstallOptions{Scopes: scopes}
	if simInstall != nil {
		for k, v := range simInstall.Config {
			cfg[k] = v
		}
		instOpts.PluginID, instOpts.InstallID = simInstall.PluginID, simInstall.InstallID
	}
	flagCfg, _ := sendParseConfigFlags(o.Configs)
	for k, v := range flagCfg {
		cfg[k] = v
	}
	instOpts.Config = cfg
	run.install = gen.Install(instOpts)
	if simInstall != nil {
		// Location, company, zone, flows and employees derive from the
		// install id, as in test-select and install (resource_select).
		sim.Adopt(run.install)
	}
	b.Install = run.install
	switch {
	case run.store != nil:
		f.Infof("using the simulated install %s of envoy-plugin dev at %s", run.install.InstallID, run.store.URL())
		if scopes {
			tok, exp, err := run.store.IssueToken(ctx)
			if err != nil {
				return fmt.Errorf("getting a token from the simulator for meta.auth: %w", err)
			}
			run.install.Auth.AccessToken = tok
			run.install.Auth.ExpiresIn = exp
		}
	case simInstall != nil:
		f.Infof("using the ids and config of the simulated install %s (envoy-plugin dev is not running: no job updates)", run.install.InstallID)
	}
	for _, w := range events.Ignored(targets[0].Event, variant) {
		f.Warnf("%s has no effect on %s", w, targets[0].Event)
	}

	run.printer = f.Printer(o.JSON)
	if o.JSON && len(targets) > 1 {
		run.printer.Format = output.NDJSON
	}
	if sending {
		run.client = f.HTTPClient(o.Timeout, o.Insecure)
	}
	switch {
	case o.CountSet:
		return run.load(ctx, targets[0])
	case o.DryRun || o.Curl:
		return run.show(targets)
	case o.CheckSigning:
		return run.checkSigning(ctx, targets)
	case o.Replay:
		return run.replay(ctx, targets)
	default:
		return run.send(ctx, targets)
	}
}

// build makes a delivery and prints the warnings about its body.
func (r *sendRun) build(t sendTarget, warn bool) (delivery.Delivery, error) {
	d, err := r.builder.Build(t.Event, t.URL)
	if err != nil {
		return d, err
	}
	if warn {
		for _, w := range events.Warnings(d.Body) {
			r.f.Warnf("%s: %s", t.Event, w)
		}
	}
	return d, nil
}

func (r *sendRun) show(targets []sendTarget) error {
	for i, t := range targets {
		d, err := r.build(t, true)
		if err != nil {
			return err
		}
		if i > 0 && !r.o.JSON {
			fmt.Fprintln(r.f.IO.Out)
		}
		if r.o.Curl {
			cv, err := d.Curl()
			if err != nil {
				return err
			}
			if err := r.printer.Print(cv); err != nil {
				return err
			}
			continue
		}
		if err := r.printer.Print(d.View()); err != nil {
			return err
		}
	}
	return nil
}

func (r *sendRun) register(ctx context.Context, d delivery.Delivery) {
	if r.store == nil || d.JobID == "" {
		return
	}
	if err := r.store.RegisterJob(ctx, simstate.Job{ID: d.JobID, Event: d.Event, InstallID: r.install.InstallID, Status: "queued"}); err != nil {
		r.f.Warnf("could not register job %s with the simulator (%v): the plugin's job updates will be refused", d.JobID, err)
	}
}

// deliver sends one delivery and follows its job when a simulator runs.
func (r *sendRun) deliver(ctx context.Context, d delivery.Delivery) delivery.Result {
	r.register(ctx, d)
	res := delivery.Send(ctx, r.client, d)
	res.Verbose = r.o.Verbose
	if r.store != nil && d.JobID != "" {
		wait := r.o.Wait
		if !r.o.WaitSet {
			wait = 0
			if res.Kind == delivery.Ongoing {
				wait = defaultOngoingWait
			}
		}
		if err := delivery.RecordAnswer(ctx, r.store, d.JobID, res.Answer()); err != nil {
			r.f.Warnf("could not record the answer of job %s with the simulator: %v", d.JobID, err)
		}
		if wait > 0 && !r.o.JSON {
			r.f.Infof("waiting up to %s for job %s …", wait, d.JobID)
		}
		res.Job = delivery.WaitJob(ctx, r.store, d.JobID, res.Kind, wait, 100*time.Millisecond)
	} else if res.Kind == delivery.Ongoing {
		res.Notes = append(res.Notes, "job completion cannot be observed without `envoy-plugin dev`: run the plugin under it to see the job's final status")
	}
	res.Judge(r.expect)
	return res
}

// sendSummary ends a text report of several deliveries.
type sendSummary struct {
	Results []delivery.Result
}

func (s sendSummary) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	counts := map[delivery.Kind]int{}
	bad := 0
	for _, r := range s.Results {
		counts[r.Final]++
		if !r.OK {
			bad++
		}
	}
	var parts []string
	for _, k := range delivery.Kinds() {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	icon := cs.SuccessIcon()
	tail := "all as expected"
	if bad > 0 {
		icon = cs.FailureIcon()
		tail = fmt.Sprintf("%d not as expected", bad)
	}
	_, err := fmt.Fprintf(w, "%s %d events: %s; %s\n", icon, len(s.Results), strings.Join(parts, ", "), tail)
	return err
}

func (r *sendRun) send(ctx context.Context, targets []sendTarget) error {
	var results []delivery.Result
	ok := true
	for i, t := range targets {
		d, err := r.build(t, true)
		if err != nil {
			return err
		}
		res := r.deliver(ctx, d)
		if i > 0 && !r.o.JSON {
			fmt.Fprintln(r.f.IO.Out)
		}
		if err := r.printer.Print(res); err != nil {
			return err
		}
		results = append(results, res)
		ok = ok && res.OK
	}
	if len(results) > 1 && !r.o.JSON {
		fmt.Fprintln(r.f.IO.Out)
		if err := r.printer.Print(sendSummary{Results: results}); err != nil {
			return err
		}
	}
	if !ok {
		return SilentError
	}
	return nil
}

func (r *sendRun) checkSigning(ctx context.Context, targets []sendTarget) error {
	return r.probeEach(ctx, targets, func(d delivery.Delivery) (any, bool) {
		rep := delivery.CheckSigning(ctx, r.client, d, r.secret)
		rep.Baseline.Judge(r.expect)
		return rep, rep.Pass && (r.expect == "" || rep.Baseline.OK)
	})
}

func (r *sendRun) replay(ctx context.Context, targets []sendTarget) error {
	return r.probeEach(ctx, targets, func(d delivery.Delivery) (any, bool) {
		rep := delivery.Replay(ctx, r.client, d)
		rep.First.Judge(r.expect)
		return rep, rep.First.OK
	})
}

// probeEach builds and registers each target's delivery, runs probe on it
// and prints its report; any report that is not ok makes the run fail.
func (r *sendRun) probeEach(ctx context.Context, targets []sendTarget, probe func(d delivery.Delivery) (report any, ok bool)) error {
	ok := true
	for i, t := range targets {
		d, err := r.build(t, true)
		if err != nil {
			return err
		}
		r.register(ctx, d)
		rep, repOK := probe(d)
		if i > 0 && !r.o.JSON {
			fmt.Fprintln(r.f.IO.Out)
		}
		if err := r.printer.Print(rep); err != nil {
			return err
		}
		ok = ok && repOK
	}
	if !ok {
		return SilentError
	}
	return nil
}

// interruptedRecordBound bounds the recording of a load run's job
// statuses after Ctrl-C (the run's own context is cancelled then).
const interruptedRecordBound = 3 * time.Second

func (r *sendRun) load(ctx context.Context, t sendTarget) error {
	ctx, stop := signal.NotifyContext(ctx, os.Interrupt)
	defer stop()
	rate, _ := delivery.ParseRate(r.o.Rate)
	first := true
	lo := delivery.LoadOptions{
		Count: r.o.Count, Concurrency: r.o.Concurrency, Rate: rate, Client: r.client, Expect: r.expect,
		Next: func() (delivery.Preparer, error) {
			if first {
				// The first is built here, for the warnings about its body.
				first = false
				return r.build(t, true)
			}
			return r.builder.Generate(t.Event, t.URL)
		},
	}
	if r.store != nil {
		lo.Before = func(ctx context.Context, d delivery.Delivery) error {
			return r.store.RegisterJob(ctx, simstate.Job{ID: d.JobID, Event: d.Event, InstallID: r.install.InstallID, Status: "queued"})
		}
	}
	if r.f.IO.IsStderrTTY() {
		lo.Progress = delivery.ProgressBar(r.f.IO.ErrOut)
	}
	sum, err := delivery.RunLoad(ctx, lo)
	switch {
	case r.store != nil && (err != nil || (sum.Interrupted && ctx.Err() != nil)):
		// Cut short: record the answers received (as below) and fail the
		// jobs registered but never answered, with a short context of
		// its own since ctx may be cancelled; no wait for 202 jobs.
		if rerr := delivery.RecordInterrupted(ctx, r.store, &sum, interruptedRecordBound); rerr != nil {
			r.f.Warnf("not every job's status could be recorded with the simulator: %v; `envoy-plugin jobs` may list some as queued", rerr)
		}
	case err != nil || (sum.Interrupted && ctx.Err() != nil):
	case r.store != nil:
		// Count the jobs' final statuses, as in single mode: wait for the
		// jobs answered 202 to be finished through the API.
		wait := r.o.Wait
		if !r.o.WaitSet {
			wait = 0
			if sum.Outcomes.Ongoing > 0 {
				wait = defaultOngoingWait
			}
		}
		if wait > 0 && sum.Outcomes.Ongoing > 0 && !r.o.JSON {
			r.f.Infof("waiting up to %s for the %d jobs answered 202 to end …", wait, sum.Outcomes.Ongoing)
		}
		delivery.FollowJobs(ctx, r.store, &sum, wait, 100*time.Millisecond)
	case r.expect != "" && r.expect != delivery.Ongoing && sum.Outcomes.Ongoing > 0:
		sum.Hint = fmt.Sprintf("%d deliveries were answered 202 (ongoing): job completion cannot be observed without `envoy-plugin dev`; run the plugin under `envoy-plugin dev` and send again to check that the jobs end %s", sum.Outcomes.Ongoing, r.expect)
	}
	if perr := r.printer.Print(sum); perr != nil {
		return perr
	}
	if err != nil {
		return err
	}
	if (sum.Interrupted || sum.Jobs != nil) && ctx.Err() != nil {
		// Ctrl-C: the summary so far is printed; exit 130 as for a prompt.
		return CancelError
	}
	if !sum.OK {
		return SilentError
	}
	return nil
}
