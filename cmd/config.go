package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

// jsonDecoder decodes with exact numbers.
func jsonDecoder(b []byte) *json.Decoder {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	return dec
}

// rawText prints a JSON value for people: strings without quotes, the rest
// as compact JSON.
func rawText(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}

type configOptions struct {
	Key   string
	Pairs map[string]any
	JSON  bool
}

func newCmdConfig(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "config <command>",
		Short: "Read and change the simulated install's config",
		Long: `Read and change the config of the install that envoy-plugin dev simulates:
the setup answers that events carry in meta.config and that plugins read with
getPluginInstallConfig. Goes through the running simulator when there is one,
else edits .envoy-plugin/state.json.`,
		Example: `  $ envoy-plugin config get
  $ envoy-plugin config set HELLO=hi NOTIFY_HOST=true
  $ envoy-plugin config set HELLO=null`,
	}
	c.AddCommand(newCmdConfigGet(f), newCmdConfigSet(f))
	c.Args = subcommandArgs
	c.RunE = func(c *cobra.Command, args []string) error { return nil }
	return c
}

func newCmdConfigGet(f *Factory) *cobra.Command {
	opts := &configOptions{}
	c := &cobra.Command{
		Use:   "get [key]",
		Short: "Print the install config, or one key",
		Example: `  $ envoy-plugin config get
  $ envoy-plugin config get HELLO
  $ envoy-plugin config get --json | jq .`,
		Args: maxArgs(1),
		RunE: func(c *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Key = args[0]
			}
			ctx, cancel := context.WithTimeout(context.Background(), simTimeout)
			defer cancel()
			st, err := openSim(f, "config get", false)
			if err != nil {
				return err
			}
			in, err := st.Install(ctx)
			if err != nil {
				return err
			}
			if opts.Key == "" {
				return f.Printer(opts.JSON).Print(configView(in.Config))
			}
			v, ok := in.Config[opts.Key]
			if !ok {
				return fmt.Errorf("the install config has no key %q; run `envoy-plugin config get` to see it all", opts.Key)
			}
			if opts.JSON {
				return f.Printer(true).Print(v)
			}
			_, err = fmt.Fprintln(f.IO.Out, rawText(v))
			return err
		},
	}
	c.Flags().BoolVar(&opts.JSON, "json", false, "print JSON")
	return c
}

func newCmdConfigSet(f *Factory) *cobra.Command {
	opts := &configOptions{}
	c := &cobra.Command{
		Use:   "set <KEY=VALUE>...",
		Short: "Merge values into the install config (null deletes a key)",
		Long: `Merge KEY=VALUE pairs into the simulated install's config, as
setPluginInstallConfig does: VALUE is JSON when it parses as JSON (42, true,
null, {"a":1}, "quoted"), else the string as given; null deletes the key.
Creates the state file when no simulator has run yet.`,
		Example: `  $ envoy-plugin config set HELLO=hi
  $ envoy-plugin config set 'LOCATIONS=["1","2"]' SIGN_OFF=null`,
		Args: func(c *cobra.Command, args []string) error {
			if len(args) == 0 {
				return usageErrorf("give at least one KEY=VALUE")
			}
			return nil
		},
		RunE: func(c *cobra.Command, args []string) error {
			pairs, err := parseConfigPairs(args, "")
			if err != nil {
				return err
			}
			opts.Pairs = pairs
			ctx, cancel := context.WithTimeout(context.Background(), simTimeout)
			defer cancel()
			st, err := openSim(f, "config set", true)
			if err != nil {
				return err
			}
			cfg, err := st.MergeConfig(ctx, opts.Pairs)
			if err != nil {
				return err
			}
			cs := f.IO.ColorScheme()
			fmt.Fprintf(f.IO.ErrOut, "%s merged %d key(s) into the install config (%s)\n", cs.SuccessIcon(), len(opts.Pairs), st.Where())
			return f.Printer(opts.JSON).Print(configView(cfg))
		},
	}
	c.Flags().BoolVar(&opts.JSON, "json", false, "print the resulting config as JSON")
	return c
}

// configView is the install config; text is one KEY = value line per key.
type configView map[string]any

func (c configView) MarshalJSON() ([]byte, error) {
	if c == nil {
		return []byte("{}"), nil
	}
	return json.Marshal(map[string]any(c))
}

func (c configView) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	if len(c) == 0 {
		_, err := fmt.Fprintln(w, cs.Gray("(empty config)"))
		return err
	}
	keys := make([]string, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		b, _ := json.Marshal(c[k])
		if _, err := fmt.Fprintf(w, "%s = %s\n", cs.Bold(k), b); err != nil {
			return err
		}
	}
	return nil
}

// subcommandArgs makes a command group called without a known subcommand
// a usage error (exit 2) that lists its subcommands; cobra would print the
// help and exit 0.
func subcommandArgs(c *cobra.Command, args []string) error {
	var names []string
	for _, sub := range c.Commands() {
		if sub.IsAvailableCommand() {
			names = append(names, sub.Name())
		}
	}
	list := strings.Join(names, ", ")
	if len(args) == 0 {
		return usageErrorf("%s needs a command: %s (e.g. %s %s)", c.CommandPath(), list, c.CommandPath(), names[0])
	}
	return usageErrorf("unknown command %q for %s: the commands are %s", args[0], c.CommandPath(), list)
}
