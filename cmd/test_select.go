package cmd

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/brianvoe/gofakeit/v7"
	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/output"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/selectcheck"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

type testSelectOptions struct {
	Keys []string

	// Without a manifest: one endpoint.
	URL               string
	Pagination        string
	Searchable        bool
	SelectedValuesURL string

	Params       []string // KEY=VALUE sent with every call
	ParamsIn     string
	Search       []string
	MaxPages     int
	Strict       bool
	Slow         time.Duration
	Timeout      time.Duration
	CheckSigning bool
	Insecure     bool
	JSON         bool
	JUnit        string

	// OpenStore reaches the simulated install of `envoy-plugin dev`; tests
	// replace it.
	OpenStore func(projectDir string) (simstate.Store, error)
}

// defaultRoute is meta.route for --url runs without a KEY.
const defaultRoute = "OPTIONS"

func newCmdTestSelect(f *Factory, runF func(*testSelectOptions) error) *cobra.Command {
	opts := &testSelectOptions{OpenStore: func(dir string) (simstate.Store, error) { return simstate.Open(dir, false) }}
	c := &cobra.Command{
		Use:   "test-select [KEY...] [flags]",
		Short: "Exercise options URLs (select and mapping fields) against Envoy's contract",
		Long: `Call the plugin's options URLs the way Envoy's dashboard does and check every
answer against the contract: with no KEY, every select field and both sides of
every mapping field in envoy-plugin.toml; with KEYs, those fields. --url tests
one endpoint without a manifest (KEY is then sent as meta.route, default
` + defaultRoute + `).

Each call is a signed POST {meta: {route, plugin_id, install_id, config, params,
location, company, zone, auth}, payload: {}}, the params (page, cursor, search,
value, parent_resource_id) in meta.params and in the URL's query string
(--params-in). When ` + "`envoy-plugin dev`" + ` has a simulated install, its ids and
config are used; otherwise a generated install with the manifest's defaults.

Checks, one line each:
  walk            answers are 2xx JSON: an array of options, or {data, cursor}
                  with cursor pagination
  pagination      page = 1, 2, ... until an empty page (and the next one empty
                  too; no page repeating an earlier one), or cursor after cursor
                  until null (no loop, string or number cursors); --max-pages
                  bounds every walk (a warning, an error with --strict)
  options         a non-empty string label, a string or number value,
                  isDisabled a boolean when present (errors name page and index)
  unique values   no value repeated within or across pages
  search ...      searchable fields: terms from --search or from labels seen
                  (found again), a term matching nothing (empty list), odd
                  terms (unicode, spaces, %&?=, empty) that must not break it
  selected ...    values from later pages looked up one by one and as an array
                  (same labels), and an unknown value (no crash)
  signing: ...    --check-signing: unsigned, wrongly signed and tampered calls
                  must not be answered with options
  latency         p50, p95, max; a call slower than --slow is a warning
A mapping's right side is called with parent_resource_id set to values of its
left side.

The walk streams: memory grows with the number of distinct values, never with
the size of the pages. Exit status 1 when a check fails (or warns, with
--strict); --junit writes one JUnit testcase per check for CI. Ctrl-C (or
SIGTERM) stops the run: the report so far is printed and written, exit 130.`,
		Example: `  # every select and mapping field of envoy-plugin.toml
  $ envoy-plugin test-select

  # some fields, with search terms of your own, for CI
  $ envoy-plugin test-select HELLO COLOR --search hol --search "o" --strict --junit test-select.xml

  # one endpoint without a manifest
  $ envoy-plugin test-select --url http://localhost:3000/colors --pagination cursor --searchable \
      --selected-values-url http://localhost:3000/colors-selected

  # a mapping's right side by hand, and the signing probes
  $ envoy-plugin test-select --url http://localhost:3000/badge-types --param parent_resource_id=101 --check-signing`,
		ValidArgsFunction: func(c *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
			p, found, err := f.ManifestPath()
			if err != nil || !found {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			m, _, err := manifest.Load(p)
			if err != nil {
				return nil, cobra.ShellCompDirectiveNoFileComp
			}
			return selectcheck.FieldKeys(m), cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(c *cobra.Command, args []string) error {
			opts.Keys = args
			if err := validateTestSelectOptions(c, opts); err != nil {
				return err
			}
			if runF != nil {
				return runF(opts)
			}
			return testSelectRun(c.Context(), f, opts)
		},
	}
	fl := c.Flags()
	fl.StringVar(&opts.URL, "url", "", "test this options URL instead of the manifest's fields")
	fl.StringVar(&opts.Pagination, "pagination", "none", "with --url: none, page or cursor")
	fl.BoolVar(&opts.Searchable, "searchable", false, "with --url: the field is searchable")
	fl.StringVar(&opts.SelectedValuesURL, "selected-values-url", "", "with --url: the selected-values URL (required for paginated selects)")
	fl.StringArrayVar(&opts.Params, "param", nil, "send KEY=VALUE in every call's params, e.g. parent_resource_id=101 (repeatable)")
	fl.StringVar(&opts.ParamsIn, "params-in", "both", "where params go: body (meta.params, what Envoy's SDK reads), query, or both")
	fl.StringArrayVar(&opts.Search, "search", nil, "search term to try (repeatable; default: terms taken from the labels seen)")
	fl.IntVar(&opts.MaxPages, "max-pages", 100, "stop every walk after this many pages")
	fl.BoolVar(&opts.Strict, "strict", false, "warnings fail too (max pages reached, slow pages, search ignored, ...)")
	fl.DurationVar(&opts.Slow, "slow", 2*time.Second, "a call slower than this is a warning")
	fl.DurationVar(&opts.Timeout, "timeout", 10*time.Second, "per-call timeout")
	fl.BoolVar(&opts.CheckSigning, "check-signing", false, "also call unsigned, with a wrong secret and with a tampered body: none may get options")
	fl.BoolVar(&opts.Insecure, "insecure", false, "accept a self-signed TLS certificate")
	fl.BoolVar(&opts.JSON, "json", false, "print the report as JSON")
	fl.StringVar(&opts.JUnit, "junit", "", "also write a JUnit XML report (one testcase per check) to this file")
	_ = c.MarkFlagFilename("junit", "xml")
	_ = c.RegisterFlagCompletionFunc("pagination", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"none", "page", "cursor"}, cobra.ShellCompDirectiveNoFileComp
	})
	_ = c.RegisterFlagCompletionFunc("params-in", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return []string{"both", "body", "query"}, cobra.ShellCompDirectiveNoFileComp
	})
	return c
}

func validateTestSelectOptions(c *cobra.Command, o *testSelectOptions) error {
	fl := c.Flags()
	if o.URL == "" {
		for _, name := range []string{"pagination", "searchable", "selected-values-url"} {
			if fl.Changed(name) {
				return usageErrorf("--%s describes the endpoint given with --url; for manifest fields it comes from envoy-plugin.toml", name)
			}
		}
	} else {
		if len(o.Keys) > 1 {
			return usageErrorf("with --url, give at most one KEY (sent as meta.route), not %d", len(o.Keys))
		}
		if err := checkHTTPURL("--url", o.URL); err != nil {
			return err
		}
		if o.SelectedValuesURL != "" {
			if err := checkHTTPURL("--selected-values-url", o.SelectedValuesURL); err != nil {
				return err
			}
		}
		switch manifest.Pagination(o.Pagination) {
		case manifest.PaginationNone, manifest.PaginationPage, manifest.PaginationCursor:
		default:
			return usageErrorf("invalid --pagination %q: use none, page or cursor", o.Pagination)
		}
	}
	switch selectcheck.ParamsIn(o.ParamsIn) {
	case selectcheck.ParamsBody, selectcheck.ParamsQuery, selectcheck.ParamsBoth:
	default:
		return usageErrorf("invalid --params-in %q: use body, query or both", o.ParamsIn)
	}
	if _, err := parseParamFlags(o.Params); err != nil {
		return usageErrorf("%v", err)
	}
	if o.MaxPages < 1 {
		return usageErrorf("invalid --max-pages %d: use 1 or more", o.MaxPages)
	}
	if o.Timeout <= 0 {
		return usageErrorf("invalid --timeout %s: use a positive duration, e.g. 10s", o.Timeout)
	}
	if o.Slow <= 0 {
		return usageErrorf("invalid --slow %s: use a positive duration, e.g. 2s", o.Slow)
	}
	return nil
}

func checkHTTPURL(flag, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return usageErrorf("invalid %s %q: give an absolute http:// or https:// URL", flag, raw)
	}
	return nil
}

// parseParamFlags reads --param KEY=VALUE; a whole number is sent as a
// number (as Envoy sends ids), anything else as a string.
func parseParamFlags(vals []string) (map[string]any, error) {
	out := map[string]any{}
	for _, v := range vals {
		k, val, ok := strings.Cut(v, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return nil, fmt.Errorf("invalid --param %q: use KEY=VALUE, e.g. parent_resource_id=101", v)
		}
		switch k {
		case "page", "cursor", "search", "value":
			return nil, fmt.Errorf("invalid --param %q: test-select sets %s itself", v, k)
		}
		out[k] = paramValue(val)
	}
	return out, nil
}

func paramValue(s string) any {
	if n, err := strconv.ParseInt(s, 10, 64); err == nil && strconv.FormatInt(n, 10) == s {
		return n
	}
	return s
}

func testSelectRun(ctx context.Context, f *Factory, o *testSelectOptions) error {
	if ctx == nil {
		ctx = context.Background()
	}
	var m *manifest.Manifest
	if o.URL == "" {
		_, found, err := f.ManifestPath()
		if err != nil {
			return err
		}
		if !found && f.ManifestFlag == "" {
			wd, _ := f.Getwd()
			return fmt.Errorf("no %s found in %s or its parents; run `envoy-plugin init`, pass --manifest, or test one endpoint with --url", manifest.FileName, wd)
		}
		m, err = f.Manifest()
		if err != nil {
			return err
		}
	}
	params, _ := parseParamFlags(o.Params)

	var targets []selectcheck.Target
	if m != nil {
		ts, err := selectcheck.Targets(m, o.Keys)
		if err != nil {
			var uk *selectcheck.UnknownKeyError
			if errors.As(err, &uk) {
				return usageErrorf("%v; run `envoy-plugin test-select` without KEY to test them all", err)
			}
			return err
		}
		if len(ts) == 0 {
			return fmt.Errorf("%s has no select or mapping field to test; add one, or test an endpoint with --url", f.rel(m.Path))
		}
		targets = ts
	} else {
		key := defaultRoute
		if len(o.Keys) == 1 {
			key = o.Keys[0]
		}
		targets = []selectcheck.Target{{Key: key, URL: o.URL, Pagination: manifest.Pagination(o.Pagination), Searchable: o.Searchable, SelectedValuesURL: o.SelectedValuesURL}}
	}
	if len(params) > 0 {
		for i := range targets {
			targets[i].Params = params
		}
	}

	c, err := f.Credentials("", "")
	if err != nil {
		return err
	}
	install, err := testSelectInstall(ctx, f, o, m)
	if err != nil {
		return err
	}
	client := sim.NewClient(sim.ClientOptions{Timeout: o.Timeout, Insecure: o.Insecure, UserAgent: f.Build.UserAgent()})
	opts := selectcheck.Options{
		Client:       client,
		Secret:       c.ClientSecret,
		Install:      install,
		ParamsIn:     selectcheck.ParamsIn(o.ParamsIn),
		Search:       o.Search,
		MaxPages:     o.MaxPages,
		Slow:         o.Slow,
		CheckSigning: o.CheckSigning,
		Strict:       o.Strict,
	}
	if f.IO.ShowProgress() && !o.JSON {
		opts.Progress = func(name string) {
			fmt.Fprintf(f.IO.ErrOut, "%s testing %s…\n", f.IO.ColorScheme().Gray("·"), name)
		}
	}
	// Ctrl-C (or a CI runner's SIGTERM) stops the walk: the fields tested
	// so far are still reported and the JUnit file still written.
	runCtx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()
	rep := selectcheck.Run(runCtx, targets, opts)
	interrupted := runCtx.Err() != nil && ctx.Err() == nil
	stop()

	if o.JUnit != "" {
		if err := output.WriteJUnitFile(o.JUnit, rep.JUnit()); err != nil {
			return fmt.Errorf("%w; check that the folder of --junit exists and is writable", err)
		}
	}
	if err := f.Printer(o.JSON).Print(rep); err != nil {
		return err
	}
	if interrupted {
		return CancelError
	}
	if !rep.OK() {
		return SilentError
	}
	return nil
}

// testSelectInstall is the install meta describes: the simulated install
// of `envoy-plugin dev` when there is one, else a generated one whose
// config is the manifest's defaults.
func testSelectInstall(ctx context.Context, f *Factory, o *testSelectOptions, m *manifest.Manifest) (*sim.Install, error) {
	cfg := map[string]any{}
	scopes := false
	if m != nil {
		cfg = m.Defaults()
		scopes = len(m.Plugin.Scopes) > 0
	}
	instOpts := sim.InstallOptions{Config: cfg, Scopes: scopes}
	var store simstate.Store
	if o.OpenStore != nil {
		st, err := o.OpenStore(f.ProjectDir())
		switch {
		case errors.Is(err, simstate.ErrNoSimulator):
		case err != nil:
			f.Warnf("cannot read the simulated install of envoy-plugin dev (%v); using a generated install", err)
		case st != nil:
			in, err := st.Install(ctx)
			if err != nil {
				f.Warnf("cannot read the simulated install of envoy-plugin dev (%v); using a generated install", err)
				break
			}
			store = st
			instOpts.PluginID, instOpts.InstallID = in.PluginID, in.InstallID
			if in.Config != nil {
				instOpts.Config = in.Config
			}
		}
	}
	seed := uint64(1)
	if store != nil {
		// Same location, company and zone as send-event and install use.
		seed = sim.InstallSeed(instOpts.InstallID)
	}
	install := sim.NewInstall(gofakeit.New(seed), instOpts)
	if store != nil && store.Running() && install.Auth != nil {
		if token, exp, err := store.IssueToken(ctx); err == nil {
			install.Auth.AccessToken, install.Auth.ExpiresIn = token, exp
		}
	}
	if store != nil && !o.JSON {
		f.Infof("using the simulated install %s of envoy-plugin dev", install.InstallID)
	}
	return install, nil
}
