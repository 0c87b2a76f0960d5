package cmd

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

func newCmdCreds(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "creds <command>",
		Short: "Create and show the plugin's client credentials (.env)",
		Long: `Manage the plugin's client credentials: ENVOY_CLIENT_ID and ENVOY_CLIENT_SECRET,
kept in the env file (--env-file, default .env beside the manifest) where
Envoy's SDK reads them, plus ENVOY_BASE_URL, the API host the SDK talks to.

Every command reads them the same way: flags > process environment > env
files, with .env.local, .env.<NODE_ENV> and .env.<NODE_ENV>.local overriding
.env as dotenv-flow does (NODE_ENV defaults to development). The secret is
never read from a flag, so that it stays out of shell history.`,
		Example: `  $ envoy-plugin creds generate
  $ envoy-plugin creds generate --api-url http://127.0.0.1:4848
  $ envoy-plugin creds show`,
		// Like config and storage: the group alone is a usage error that
		// names its commands (exit 2).
		Args: subcommandArgs,
		RunE: func(c *cobra.Command, args []string) error { return nil },
	}
	c.AddCommand(newCmdCredsGenerate(f, nil), newCmdCredsShow(f, nil))
	return c
}

// ---- creds generate

type credsGenerateOptions struct {
	EnvFile string
	Rotate  bool
	APIURL  string
	JSON    bool
}

type credsGenerateResult struct{ *creds.GenerateResult }

func (r credsGenerateResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	for _, l := range r.InfoLines() {
		if strings.HasPrefix(l, "✓ ") {
			l = cs.SuccessIcon() + l[len("✓"):]
		}
		if _, err := fmt.Fprintln(w, l); err != nil {
			return err
		}
	}
	return nil
}

func newCmdCredsGenerate(f *Factory, runF func(*credsGenerateOptions) error) *cobra.Command {
	opts := &credsGenerateOptions{}
	c := &cobra.Command{
		Use:   "generate [--rotate] [--api-url URL]",
		Short: "Create a client ID and secret in the env file",
		Long: `Create ENVOY_CLIENT_ID (a UUID v4, like the ones the Integration Builder
issues) and ENVOY_CLIENT_SECRET (256 random bits, base64url) in the env file.

An existing env file is merged, never clobbered: every other line, comment
and quoting stays as it was, and credentials already set are kept unless
--rotate is given (the old file is then first kept as .env.<time>.bak).
--api-url sets ENVOY_BASE_URL, so that a plugin built on Envoy's SDK talks
to the local API simulator; on its own it changes nothing else.

The env file is added to .gitignore when git does not ignore it yet; a file
already tracked by git is reported, with the fix.`,
		Example: `  $ envoy-plugin creds generate
  $ envoy-plugin creds generate --api-url http://127.0.0.1:4848
  $ envoy-plugin creds generate --rotate
  $ envoy-plugin creds generate --env-file ../my-plugin/.env --json`,
		Args: exactArgs(0, ""),
		RunE: func(c *cobra.Command, args []string) error {
			opts.EnvFile = f.EnvFile()
			if opts.APIURL != "" {
				if err := creds.CheckBaseURL(opts.APIURL); err != nil {
					return &UsageError{Err: err}
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return credsGenerateRun(f, opts)
		},
	}
	c.Flags().BoolVar(&opts.Rotate, "rotate", false, "replace credentials already set (the old file is kept as a backup)")
	c.Flags().StringVar(&opts.APIURL, "api-url", "", "also set ENVOY_BASE_URL, the API the plugin's SDK calls (e.g. the simulator's http://127.0.0.1:4848)")
	c.Flags().BoolVar(&opts.JSON, "json", false, "print the result as JSON (never the secret)")
	return c
}

func credsGenerateRun(f *Factory, opts *credsGenerateOptions) error {
	res, err := creds.Generate(creds.GenerateOptions{
		EnvFile:   opts.EnvFile,
		Rotate:    opts.Rotate,
		APIURL:    opts.APIURL,
		Now:       f.Now,
		LookupEnv: credsLookupEnv(f),
	})
	if err != nil {
		return err
	}
	for _, w := range res.Warnings {
		f.Warnf("%s", w.String())
	}
	return f.Printer(opts.JSON).Print(credsGenerateResult{res})
}

// credsLookupEnv adapts f.Getenv; an empty variable counts as unset.
func credsLookupEnv(f *Factory) func(string) (string, bool) {
	return func(k string) (string, bool) {
		v := f.Getenv(k)
		return v, v != ""
	}
}

// ---- creds show

type credsShowOptions struct {
	ClientID string
	Reveal   bool
	JSON     bool
}

type credsShowResult struct {
	ClientID             string   `json:"client_id"`
	ClientIDSource       string   `json:"client_id_source"`
	ClientSecret         string   `json:"client_secret"` // masked unless --reveal
	ClientSecretRevealed bool     `json:"client_secret_revealed"`
	ClientSecretSource   string   `json:"client_secret_source"`
	BaseURL              string   `json:"base_url"`
	BaseURLSource        string   `json:"base_url_source"`
	EnvFile              string   `json:"env_file"`
	EnvFilesRead         []string `json:"env_files_read"`
	NodeEnv              string   `json:"node_env"`
}

func (r credsShowResult) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	rows := [][3]string{
		{creds.EnvClientID, r.ClientID, r.ClientIDSource},
		{creds.EnvClientSecret, r.ClientSecret, r.ClientSecretSource},
		{creds.EnvBaseURL, r.BaseURL, r.BaseURLSource},
	}
	for _, row := range rows {
		val, src := row[1], "from "+row[2]
		if val == "" {
			val, src = cs.Gray("(not set)"), ""
			if row[0] == creds.EnvBaseURL {
				src = "the SDK uses Envoy's production API"
			}
		}
		line := fmt.Sprintf("%-20s %s", row[0], val)
		if src != "" {
			line += "  " + cs.Gray("("+src+")")
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return err
		}
	}
	if !r.ClientSecretRevealed && r.ClientSecret != "" {
		if _, err := fmt.Fprintln(w, cs.Gray("(secret masked; --reveal prints it whole)")); err != nil {
			return err
		}
	}
	return nil
}

func newCmdCredsShow(f *Factory, runF func(*credsShowOptions) error) *cobra.Command {
	opts := &credsShowOptions{}
	c := &cobra.Command{
		Use:   "show [--reveal]",
		Short: "Show the client credentials in use and where each comes from",
		Long: `Show the client ID, the client secret (masked as abcd…wxyz unless --reveal)
and ENVOY_BASE_URL that envoy-plugin and an SDK-based plugin would use, and
where each value comes from: a flag, the environment, or which env file.`,
		Example: `  $ envoy-plugin creds show
  $ envoy-plugin creds show --json
  $ envoy-plugin creds show --reveal`,
		Args: exactArgs(0, ""),
		RunE: func(c *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return credsShowRun(f, opts)
		},
	}
	c.Flags().StringVar(&opts.ClientID, "client-id", "", "client ID to use instead of ENVOY_CLIENT_ID")
	c.Flags().BoolVar(&opts.Reveal, "reveal", false, "print the secret whole")
	c.Flags().BoolVar(&opts.JSON, "json", false, "print as JSON (the secret stays masked unless --reveal)")
	return c
}

func credsShowRun(f *Factory, opts *credsShowOptions) error {
	cr, err := f.Credentials(opts.ClientID, "")
	if err != nil {
		return err
	}
	res := credsShowResult{
		ClientID:             cr.ClientID,
		ClientIDSource:       credsSourceName(f, cr.ClientIDSource),
		ClientSecret:         creds.Mask(cr.ClientSecret),
		ClientSecretRevealed: opts.Reveal,
		ClientSecretSource:   credsSourceName(f, cr.ClientSecretSource),
		BaseURL:              cr.BaseURL,
		BaseURLSource:        credsSourceName(f, cr.BaseURLSource),
		EnvFile:              f.rel(f.EnvFile()),
		EnvFilesRead:         []string{},
		NodeEnv:              cr.NodeEnv,
	}
	if opts.Reveal {
		res.ClientSecret = cr.ClientSecret
	}
	for _, p := range cr.Files {
		res.EnvFilesRead = append(res.EnvFilesRead, f.rel(p))
	}
	return f.Printer(opts.JSON).Print(res)
}

// sourceName shows an env file source relative to the current folder.
func credsSourceName(f *Factory, src string) string {
	if src == "" || src == creds.SourceFlag || src == creds.SourceEnvironment {
		return src
	}
	if filepath.IsAbs(src) {
		return f.rel(src)
	}
	return src
}
