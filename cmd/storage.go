package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/api"
	"github.com/envoy-plugin/envoy-plugin/internal/simstate"
)

type storageOptions struct {
	Install string
	Global  bool
	JSON    bool
	Page    int
}

func (o *storageOptions) flags(c *cobra.Command) {
	c.Flags().StringVar(&o.Install, "install", "", "the install whose storage to use (default: the simulated install)")
	c.Flags().BoolVar(&o.Global, "global", false, "use the plugin's global storage (shared by all installs) instead")
	c.Flags().BoolVar(&o.JSON, "json", false, "print JSON")
}

func (o *storageOptions) check() error {
	return mutuallyExclusive("--install and --global cannot be used together", o.Install != "", o.Global)
}

func (o *storageOptions) scope() string {
	if o.Global {
		return "global storage"
	}
	return "install storage"
}

func newCmdStorage(f *Factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "storage <command>",
		Short: "Read and seed the simulated plugin storage",
		Long: `Read and change the storage that plugins use through installStorage
(per install) and globalStorage (shared, --global) in the simulated Envoy API.
Goes through the running simulator when there is one, else edits
.envoy-plugin/state.json.`,
		Example: `  $ envoy-plugin storage set greeting '"hello"'
  $ envoy-plugin storage get greeting
  $ envoy-plugin storage list --global --json`,
	}
	c.AddCommand(newCmdStorageGet(f), newCmdStorageSet(f), newCmdStorageUnset(f), newCmdStorageList(f))
	c.Args = subcommandArgs
	c.RunE = func(c *cobra.Command, args []string) error { return nil }
	return c
}

// storageExec opens the simulated install and runs commands on it.
func storageExec(f *Factory, o *storageOptions, name string, create bool, cmds ...api.StorageCommand) ([]json.RawMessage, simstate.Inspector, error) {
	if err := o.check(); err != nil {
		return nil, nil, err
	}
	st, err := openSim(f, name, create)
	if err != nil {
		return nil, nil, err
	}
	res, err := storageRun(st, o, cmds...)
	return res, st, err
}

// storageRun runs commands on an open store and returns the raw results.
func storageRun(st simstate.Inspector, o *storageOptions, cmds ...api.StorageCommand) ([]json.RawMessage, error) {
	ctx, cancel := context.WithTimeout(context.Background(), simTimeout)
	defer cancel()
	res, err := st.Storage(ctx, api.AdminStorageRequest{Global: o.Global, InstallID: o.Install, Commands: cmds})
	if err != nil {
		return nil, err
	}
	if len(res) != len(cmds) {
		return nil, fmt.Errorf("%s answered %d results for %d commands", st.Where(), len(res), len(cmds))
	}
	return res, nil
}

func decodeItem(raw json.RawMessage) (*api.Item, error) {
	if string(raw) == "null" {
		return nil, nil
	}
	var it api.Item
	if err := json.Unmarshal(raw, &it); err != nil {
		return nil, err
	}
	return &it, nil
}

func newCmdStorageGet(f *Factory) *cobra.Command {
	o := &storageOptions{}
	c := &cobra.Command{
		Use:   "get <key>",
		Short: "Print one stored value",
		Long: `Print one stored value (strings as they are, other values as JSON; --json
prints the item {key, value}). A key that is not set is an error: that is the
case where Envoy's SDK throws "The data you are looking for may not exist".`,
		Example: `  $ envoy-plugin storage get greeting
  $ envoy-plugin storage get counter --global --json`,
		Args: exactArgs(1, "give the key to read"),
		RunE: func(c *cobra.Command, args []string) error {
			res, _, err := storageExec(f, o, "storage get", false, api.StorageCommand{Action: api.ActionGet, Key: args[0]})
			if err != nil {
				return err
			}
			it, err := decodeItem(res[0])
			if err != nil {
				return err
			}
			if it == nil {
				return fmt.Errorf("%q is not set in the %s (a plugin's get would throw %q); set it with `envoy-plugin storage set`", args[0], o.scope(), api.EmptyDataMessage)
			}
			if o.JSON {
				return f.Printer(true).Print(it)
			}
			var v any
			if err := jsonDecoder(it.Value).Decode(&v); err != nil {
				return err
			}
			_, err = fmt.Fprintln(f.IO.Out, rawText(v))
			return err
		},
	}
	o.flags(c)
	return c
}

func newCmdStorageSet(f *Factory) *cobra.Command {
	o := &storageOptions{}
	c := &cobra.Command{
		Use:   "set <key> <value>",
		Short: "Store a value",
		Long: `Store a value under a key. VALUE is JSON when it parses as JSON (42, true,
null, {"a":1}, "quoted"), else the string as given. Creates the state file
when no simulator has run yet.`,
		Example: `  $ envoy-plugin storage set greeting hello
  $ envoy-plugin storage set counter 41 --global
  $ envoy-plugin storage set settings '{"lang":"en"}'`,
		Args: exactArgs(2, "give the key and the value"),
		RunE: func(c *cobra.Command, args []string) error {
			val, err := json.Marshal(parseValue(args[1]))
			if err != nil {
				return err
			}
			res, st, err := storageExec(f, o, "storage set", true, api.StorageCommand{Action: api.ActionSet, Key: args[0], Value: val})
			if err != nil {
				return err
			}
			it, err := decodeItem(res[0])
			if err != nil || it == nil {
				return fmt.Errorf("%s did not answer the stored item", st.Where())
			}
			fmt.Fprintf(f.IO.ErrOut, "%s set %s = %s in the %s (%s)\n", f.IO.ColorScheme().SuccessIcon(), it.Key, it.Value, o.scope(), st.Where())
			if o.JSON {
				return f.Printer(true).Print(it)
			}
			return nil
		},
	}
	o.flags(c)
	return c
}

func newCmdStorageUnset(f *Factory) *cobra.Command {
	o := &storageOptions{}
	c := &cobra.Command{
		Use:     "unset <key>",
		Short:   "Remove a stored value",
		Long:    "Remove a stored value. --json prints the removed item, or null when the key was not set.",
		Example: `  $ envoy-plugin storage unset greeting`,
		Args:    exactArgs(1, "give the key to remove"),
		RunE: func(c *cobra.Command, args []string) error {
			res, st, err := storageExec(f, o, "storage unset", false, api.StorageCommand{Action: api.ActionUnset, Key: args[0]})
			if err != nil {
				return err
			}
			it, err := decodeItem(res[0])
			if err != nil {
				return err
			}
			if it == nil {
				fmt.Fprintf(f.IO.ErrOut, "%q was not set in the %s\n", args[0], o.scope())
			} else {
				fmt.Fprintf(f.IO.ErrOut, "%s removed %s from the %s (%s)\n", f.IO.ColorScheme().SuccessIcon(), it.Key, o.scope(), st.Where())
			}
			if o.JSON {
				return f.Printer(true).Print(it)
			}
			return nil
		},
	}
	o.flags(c)
	return c
}

func newCmdStorageList(f *Factory) *cobra.Command {
	o := &storageOptions{}
	c := &cobra.Command{
		Use:   "list",
		Short: "List stored keys and values",
		Long: `List stored items sorted by key, every page (or one page with --page, as
the storage "list" command pages them).`,
		Example: `  $ envoy-plugin storage list
  $ envoy-plugin storage list --global --json`,
		Args: exactArgs(0, ""),
		RunE: func(c *cobra.Command, args []string) error {
			if o.Page < 0 {
				return usageErrorf("--page must be 1 or more")
			}
			if err := o.check(); err != nil {
				return err
			}
			st, err := openSim(f, "storage list", false)
			if err != nil {
				return err
			}
			var all []api.Item
			for page := max(o.Page, 1); ; page++ {
				res, err := storageRun(st, o, api.StorageCommand{Action: api.ActionList, Page: page})
				if err != nil {
					return err
				}
				var items []api.Item
				if err := json.Unmarshal(res[0], &items); err != nil {
					return fmt.Errorf("unexpected list result %s: %w", res[0], err)
				}
				all = append(all, items...)
				if o.Page > 0 || len(items) == 0 {
					break
				}
			}
			if all == nil {
				all = []api.Item{}
			}
			return f.Printer(o.JSON).Print(itemList(all))
		},
	}
	o.flags(c)
	c.Flags().IntVar(&o.Page, "page", 0, "print only this page (the first is 1)")
	return c
}

// itemList is storage items; text is one "key = value" line each.
type itemList []api.Item

func (l itemList) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	if len(l) == 0 {
		_, err := fmt.Fprintln(w, cs.Gray("(no items)"))
		return err
	}
	for _, it := range l {
		if _, err := fmt.Fprintf(w, "%s = %s\n", cs.Bold(it.Key), it.Value); err != nil {
			return err
		}
	}
	return nil
}
