package cmd

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sample"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/delivery"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/events"
)

type demoOptions struct {
	JSON    bool
	Keep    bool
	Dir     string
	Seed    uint64
	SeedSet bool
	Timeout time.Duration
}

func newCmdDemo(f *Factory) *cobra.Command {
	opts := &demoOptions{}
	c := &cobra.Command{
		Use:   "demo",
		Short: "Run the built-in sample plugin through every event and check, in one report",
		Long: `Start the built-in sample plugin on a loopback port, scaffold its manifest
(envoy-plugin.toml) and credentials (.env) in a temporary folder, and play
Envoy against it: send every event it subscribes to and check that each
outcome is the one the manifest's comments promise (200 done, 202 ongoing,
400 ignored, 412 failed), probe its signature checks, and put it under a
short load. Nothing outside the temporary folder is touched; --keep keeps
the folder (or --dir DIR writes it where you say) so that you can go on by
hand: run the sample plugin under the local Envoy API with
  envoy-plugin dev -- envoy-plugin sample
and then walk its setup steps with envoy-plugin install.

Exits 1 when any check fails.`,
		Example: `  $ envoy-plugin demo
  $ envoy-plugin demo --json
  $ envoy-plugin demo --keep --seed 42
  $ envoy-plugin demo --dir sample-plugin && cd sample-plugin && envoy-plugin dev -- envoy-plugin sample`,
		Args: maxArgs(0),
		RunE: func(c *cobra.Command, args []string) error {
			opts.SeedSet = c.Flags().Changed("seed")
			if opts.Dir != "" {
				opts.Keep = true
			}
			if opts.Timeout <= 0 {
				return usageErrorf("invalid --timeout %s: use a positive duration, e.g. 10s", opts.Timeout)
			}
			return demoRun(c.Context(), f, opts, demoSections())
		},
	}
	fl := c.Flags()
	fl.BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	fl.BoolVar(&opts.Keep, "keep", false, "keep the temporary folder with the sample plugin's manifest and .env")
	fl.StringVar(&opts.Dir, "dir", "", "write the sample plugin's manifest and .env into this folder (created; must not hold a manifest or .env yet) and keep it")
	fl.Uint64Var(&opts.Seed, "seed", 0, "seed for the fake events (default: random)")
	fl.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "per-request timeout")
	return c
}

// demoEnv is what every report section works with.
type demoEnv struct {
	Dir      string
	URL      string // the sample plugin's base URL
	Manifest *manifest.Manifest
	// Text is the manifest file as written: its comments say what each
	// worker answers.
	Text    []byte
	Secret  string
	Client  *sim.Client
	Builder *delivery.Builder
}

// demoSection is one part of the demo's report. A feature that wants its
// place in the demo (test-select, install) adds a section to demoSections.
type demoSection struct {
	Name  string
	Title string
	Run   func(ctx context.Context, env *demoEnv) demoSectionResult
}

func demoSections() []demoSection {
	return []demoSection{
		{Name: "events", Title: "Events: every subscribed event, outcome as the manifest's comments promise", Run: demoEvents},
		{Name: "signing", Title: "Signature: badly signed requests are refused", Run: demoSigning},
		{Name: "select", Title: "Selects: options URLs walked with page, search and cursor params (test-select)", Run: demoSelect},
		{Name: "load", Title: "Load: 200 fresh events, 8 at a time", Run: demoLoad},
	}
}

// demoCheck is one line of a section.
type demoCheck struct {
	Name     string `json:"name"`
	Expected string `json:"expected,omitempty"`
	Got      string `json:"got"`
	OK       bool   `json:"ok"`
	Detail   string `json:"detail,omitempty"`
}

type demoSectionResult struct {
	Name   string      `json:"name"`
	Title  string      `json:"title"`
	OK     bool        `json:"ok"`
	Checks []demoCheck `json:"checks"`
	Error  string      `json:"error,omitempty"`
}

type demoReport struct {
	Plugin    string              `json:"plugin"`
	PluginURL string              `json:"plugin_url"`
	Folder    string              `json:"folder"`
	Kept      bool                `json:"kept"`
	Seed      uint64              `json:"seed"`
	Sections  []demoSectionResult `json:"sections"`
	Passed    int                 `json:"passed"`
	Failed    int                 `json:"failed"`
	OK        bool                `json:"ok"`
}

func (r demoReport) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s on %s\n", cs.Bold(r.Plugin), r.PluginURL)
	where := "removed at the end; --keep keeps it"
	if r.Kept {
		where = "kept; the sample plugin stopped with the demo"
	}
	fmt.Fprintf(&b, "manifest and credentials in %s (%s), seed %d\n", r.Folder, where, r.Seed)
	for _, s := range r.Sections {
		fmt.Fprintf(&b, "\n%s %s\n", demoIcon(cs, s.OK), cs.Bold(s.Title))
		if s.Error != "" {
			fmt.Fprintf(&b, "  %s %s\n", cs.FailureIcon(), s.Error)
		}
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for _, c := range s.Checks {
			got := c.Got
			if c.Expected != "" && !c.OK {
				got += " (expected " + c.Expected + ")"
			}
			if c.Detail == "" {
				fmt.Fprintf(tw, "  %s %s\t%s\n", demoIcon(cs, c.OK), c.Name, got)
				continue
			}
			fmt.Fprintf(tw, "  %s %s\t%s\t%s\n", demoIcon(cs, c.OK), c.Name, got, c.Detail)
		}
		_ = tw.Flush()
	}
	fmt.Fprintln(&b)
	if r.Kept {
		fmt.Fprintf(&b, "\nGo on by hand in %s:\n", r.Folder)
		fmt.Fprintf(&b, "  envoy-plugin dev -- envoy-plugin sample   # the sample plugin under the local Envoy API\n")
		fmt.Fprintf(&b, "  envoy-plugin install                      # walk its setup steps (another terminal)\n")
		fmt.Fprintf(&b, "  envoy-plugin send-event entry_sign_in     # events now carry the install's config\n")
	}
	if r.OK {
		fmt.Fprintf(&b, "%s all %d checks passed\n", cs.SuccessIcon(), r.Passed)
	} else {
		fmt.Fprintf(&b, "%s %d of %d checks failed\n", cs.FailureIcon(), r.Failed, r.Passed+r.Failed)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func demoIcon(cs *iostreams.ColorScheme, ok bool) string {
	if ok {
		return cs.SuccessIcon()
	}
	return cs.FailureIcon()
}

func demoNoEnv(string) (string, bool) { return "", false }

// demoFolder is where the demo writes its manifest and .env: a new
// temporary folder, or dir (created when missing) when it holds neither.
func demoFolder(dir string) (string, error) {
	if dir == "" {
		d, err := os.MkdirTemp("", "envoy-plugin-demo-")
		if err != nil {
			return "", fmt.Errorf("creating a temporary folder: %w", err)
		}
		return d, nil
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", err
	}
	for _, name := range []string{manifest.FileName, ".env"} {
		if _, err := os.Lstat(filepath.Join(abs, name)); err == nil {
			return "", fmt.Errorf("%s already holds %s: the demo writes its own; pick an empty or new folder", dir, name)
		}
	}
	if err := os.MkdirAll(abs, 0o755); err != nil {
		return "", fmt.Errorf("creating %s: %w", dir, err)
	}
	return abs, nil
}

func demoRun(ctx context.Context, f *Factory, o *demoOptions, sections []demoSection) error {
	if ctx == nil {
		ctx = context.Background()
	}
	dir, err := demoFolder(o.Dir)
	if err != nil {
		return err
	}
	if !o.Keep {
		defer os.RemoveAll(dir)
	}

	// Credentials, the way `envoy-plugin creds generate` makes them, read
	// back the way every command reads them (the process environment left
	// out: it could hold another plugin's secret).
	envFile := filepath.Join(dir, ".env")
	if _, err := creds.Generate(creds.GenerateOptions{EnvFile: envFile, LookupEnv: demoNoEnv}); err != nil {
		return fmt.Errorf("writing the demo's credentials: %w", err)
	}
	// The sample's OAuth2 step reads its client secret from the env file,
	// so that `envoy-plugin install` works in a kept folder.
	if _, err := creds.SetVars(envFile, map[string]string{sample.OAuthSecretEnv: sample.OAuthClientSecret}); err != nil {
		return fmt.Errorf("writing the demo's credentials: %w", err)
	}
	cr, _, err := creds.Load(creds.LoadOptions{EnvFile: envFile, LookupEnv: demoNoEnv})
	if err != nil {
		return fmt.Errorf("reading the demo's credentials back: %w", err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return fmt.Errorf("starting the sample plugin: %w", err)
	}
	srv := &http.Server{Handler: sample.New(sample.Options{Secret: cr.ClientSecret}), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = srv.Serve(l) }()
	defer srv.Close()
	url := "http://" + l.Addr().String()

	text := sample.Manifest(url)
	mpath := filepath.Join(dir, manifest.FileName)
	if err := os.WriteFile(mpath, text, 0o644); err != nil {
		return fmt.Errorf("writing the sample manifest: %w", err)
	}
	m, _, err := manifest.Load(mpath)
	if err != nil {
		return fmt.Errorf("the sample plugin's manifest is invalid (a bug in envoy-plugin): %w", err)
	}

	seed := o.Seed
	if !o.SeedSet {
		seed = sendRandomSeed()
	}
	gen := events.NewGenerator(seed, time.Time{})
	env := &demoEnv{
		Dir: dir, URL: url, Manifest: m, Text: text, Secret: cr.ClientSecret,
		Client: f.HTTPClient(o.Timeout, false),
		Builder: &delivery.Builder{
			Gen: gen, Install: gen.Install(sim.InstallOptions{Config: m.Defaults(), Scopes: len(m.Plugin.Scopes) > 0}),
			Secret: cr.ClientSecret, UserAgent: f.Build.UserAgent(),
		},
	}
	rep := demoReport{Plugin: m.Plugin.Name, PluginURL: url, Folder: dir, Kept: o.Keep, Seed: seed, OK: true}
	for _, s := range sections {
		res := s.Run(ctx, env)
		res.Name, res.Title = s.Name, s.Title
		res.OK = res.Error == ""
		for _, c := range res.Checks {
			if c.OK {
				rep.Passed++
			} else {
				rep.Failed++
				res.OK = false
			}
		}
		if res.Error != "" {
			rep.Failed++
		}
		rep.OK = rep.OK && res.OK
		rep.Sections = append(rep.Sections, res)
	}
	if err := f.Printer(o.JSON).Print(rep); err != nil {
		return err
	}
	if !rep.OK {
		return SilentError
	}
	return nil
}

// demoExpectation is what the manifest's comment says a worker answers.
type demoExpectation struct {
	Status int
	Kind   delivery.Kind
}

// expectedFromComments reads the comments of the sample manifest's events:
//
//	name = "entry_sign_in"          # 200: done
func expectedFromComments(text []byte) map[string]demoExpectation {
	re := regexp.MustCompile(`(?m)^\s*name\s*=\s*"([^"]+)"\s*#\s*(\d{3})\s*:\s*([a-z]+)`)
	out := map[string]demoExpectation{}
	for _, m := range re.FindAllStringSubmatch(string(text), -1) {
		k, err := delivery.ParseKind(m[3])
		if err != nil {
			continue
		}
		st, _ := strconv.Atoi(m[2])
		out[m[1]] = demoExpectation{Status: st, Kind: k}
	}
	return out
}

func demoEvents(ctx context.Context, env *demoEnv) demoSectionResult {
	var res demoSectionResult
	want := expectedFromComments(env.Text)
	if len(env.Manifest.Events) == 0 {
		res.Error = "the sample manifest subscribes to no events"
		return res
	}
	for _, ev := range env.Manifest.Events {
		c := demoCheck{Name: ev.Name}
		exp, ok := want[ev.Name]
		if ok {
			c.Expected = fmt.Sprintf("%d %s", exp.Status, exp.Kind)
		}
		url, _, err := env.Manifest.EventURL(ev.Name)
		if err != nil {
			c.Got, c.Detail = "not sent", err.Error()
			res.Checks = append(res.Checks, c)
			continue
		}
		d, err := env.Builder.Build(ev.Name, url)
		if err != nil {
			c.Got, c.Detail = "not sent", err.Error()
			res.Checks = append(res.Checks, c)
			continue
		}
		r := delivery.Send(ctx, env.Client, d)
		c.Got = r.Label()
		if r.Status != 0 {
			c.Got = fmt.Sprintf("%d %s", r.Status, r.Label())
		}
		c.OK = ok && r.Status == exp.Status && r.Kind == exp.Kind
		c.Detail = r.Message
		switch {
		case !ok:
			c.Detail = "the manifest's comment does not say what this worker answers"
		case !c.OK || c.Detail == "":
			c.Detail = r.Diagnosis
		}
		res.Checks = append(res.Checks, c)
	}
	return res
}

func demoSigning(ctx context.Context, env *demoEnv) demoSectionResult {
	var res demoSectionResult
	if len(env.Manifest.Events) == 0 {
		res.Error = "no event to probe"
		return res
	}
	ev := env.Manifest.Events[0]
	url, _, err := env.Manifest.EventURL(ev.Name)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	d, err := env.Builder.Build(ev.Name, url)
	if err != nil {
		res.Error = err.Error()
		return res
	}
	rep := delivery.CheckSigning(ctx, env.Client, d, env.Secret)
	res.Checks = append(res.Checks, demoCheck{
		Name: ev.Name + ", signed", Expected: "accepted", Got: fmt.Sprintf("%d %s", rep.Baseline.Status, rep.Baseline.Label()),
		OK: rep.Baseline.Accepted(), Detail: rep.Baseline.Diagnosis,
	})
	for _, p := range rep.Probes {
		got := p.Verdict
		if p.Status != 0 {
			got = fmt.Sprintf("%d %s", p.Status, p.Verdict)
		}
		res.Checks = append(res.Checks, demoCheck{Name: ev.Name + ", " + p.Name, Expected: delivery.Rejected, Got: got, OK: p.Pass, Detail: p.Diagnosis})
	}
	return res
}

func demoLoad(ctx context.Context, env *demoEnv) demoSectionResult {
	var res demoSectionResult
	ev := "entry_sign_in"
	url, ok, err := env.Manifest.EventURL(ev)
	if err != nil || !ok {
		res.Error = fmt.Sprintf("the sample manifest does not subscribe to %s", ev)
		return res
	}
	sum, err := delivery.RunLoad(ctx, delivery.LoadOptions{
		Count: 200, Concurrency: 8, Client: env.Client, Expect: delivery.Done,
		Next: func() (delivery.Preparer, error) { return env.Builder.Generate(ev, url) },
	})
	if err != nil {
		res.Error = err.Error()
		return res
	}
	c := demoCheck{
		Name: fmt.Sprintf("%d × %s", sum.Count, ev), Expected: fmt.Sprintf("%d done", sum.Count),
		Got: fmt.Sprintf("%d done", sum.Outcomes.Done), OK: sum.OK,
		Detail: fmt.Sprintf("%.0f/s, latency p50 %gms p99 %gms max %gms", sum.Throughput, sum.LatencyMS.P50, sum.LatencyMS.P99, sum.LatencyMS.Max),
	}
	if len(sum.Errors) > 0 {
		c.Detail = fmt.Sprintf("%d× %s", sum.Errors[0].Count, sum.Errors[0].Diagnosis)
	}
	res.Checks = append(res.Checks, c)
	return res
}
