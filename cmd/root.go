// Package cmd holds the Cobra commands: one file per command, each thin
// (flags, wiring, output); the work happens in internal/.
package cmd

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
)

// envFlags are the flags that may also come from ENVOY_PLUGIN_<FLAG>
// variables. Destructive or secret-revealing flags (--force, --rotate,
// --reveal) and --help/--version are deliberately absent.
var envFlags = []string{"manifest", "env-file", "no-color", "no-input", "timeout", "json", "junit", "wait", "port"}

// EnvVarName returns the environment variable for a flag name.
func EnvVarName(flag string) string {
	return "ENVOY_PLUGIN_" + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

const rootLong = `envoy-plugin is the local workbench for Envoy plugins: it scaffolds the
plugin manifest (envoy-plugin.toml), manages client credentials, sends signed
fake events and setup-route requests exactly as Envoy does, and plays the
Envoy API that plugins call back.

Exit codes:
  0    ok
  1    the check or command failed (an invalid manifest, a failed delivery,
       a contract violation)
  2    usage error, or a value that would be prompted for is missing while
       not running interactively
  130  cancelled at a prompt (Ctrl-C)

Environment:
  ENVOY_CLIENT_ID, ENVOY_CLIENT_SECRET, ENVOY_BASE_URL
       the platform's own variables, read as Envoy's SDK reads them
       (flags > environment > env file)
  ENVOY_PLUGIN_<FLAG>
       default for these flags, where a command has them:
       %s
  NO_COLOR, CLICOLOR_FORCE
       turn colour off / force it on (otherwise colour only on a terminal)
  CI   when set, never prompt (as --no-input)`

// NewRootCmd builds the command tree.
func NewRootCmd(f *Factory) *cobra.Command {
	var noColor, noInput bool
	var allow []string
	for _, n := range envFlags {
		allow = append(allow, fmt.Sprintf("--%s (%s)", n, EnvVarName(n)))
	}
	root := &cobra.Command{
		Use:           "envoy-plugin <command> [flags]",
		Short:         "The local workbench for Envoy plugin developers",
		Long:          fmt.Sprintf(rootLong, strings.Join(allow, ",\n       ")),
		Version:       f.Build.String(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Example: `  $ envoy-plugin demo
  $ envoy-plugin init --no-input --name "Hello World" --event entry_sign_in=/entry-sign-in
  $ envoy-plugin validate
  $ envoy-plugin send-event entry_sign_in --expect done`,
		PersistentPreRunE: func(c *cobra.Command, args []string) error {
			if err := applyEnvFlags(c, f.Getenv); err != nil {
				return err
			}
			if noColor {
				f.IO.SetColorEnabled(false)
			}
			if noInput {
				f.IO.SetNoInput(true)
			}
			return nil
		},
	}
	root.SetVersionTemplate("envoy-plugin {{.Version}}\n")
	pf := root.PersistentFlags()
	pf.StringVar(&f.ManifestFlag, "manifest", "", "path to the plugin manifest (default: envoy-plugin.toml, looked up from the current folder upwards)")
	pf.StringVar(&f.EnvFileFlag, "env-file", "", "env file holding the credentials (default: .env beside the manifest)")
	pf.BoolVar(&noColor, "no-color", false, "disable colour (also NO_COLOR)")
	pf.BoolVar(&noInput, "no-input", false, "never prompt; a value that would be asked for is a usage error")
	_ = root.MarkPersistentFlagFilename("manifest", "toml")
	root.SetOut(f.IO.Out)
	root.SetErr(f.IO.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &UsageError{Err: err}
	})

	for _, c := range []*cobra.Command{
		newCmdVersion(f),
		newCmdGenDocs(f),
		newCmdInit(f, nil),
		newCmdValidate(f, nil),
		newCmdSchema(f),
		newCmdCreds(f),
		newCmdSign(f),
		newCmdVerify(f),
		newCmdSendEvent(f, nil),
		newCmdTestSelect(f, nil),
		newCmdDemo(f),
		newCmdSample(f),
		newCmdDev(f, nil),
		newCmdJobs(f),
		newCmdStorage(f),
		newCmdConfig(f),
		newCmdInstall(f, nil),
		newCmdTestStep(f, nil),
	} {
		if c != nil {
			root.AddCommand(c)
		}
	}
	return root
}

// annotationNoEnvFlags lists (comma-separated) allowlisted flags that a
// command does not take from the environment.
const annotationNoEnvFlags = "envoy-plugin/no-env-flags"

// applyEnvFlags fills allowlisted flags that were not given on the command
// line from their ENVOY_PLUGIN_* variables.
func applyEnvFlags(c *cobra.Command, getenv func(string) string) error {
	skip := map[string]bool{}
	for _, n := range strings.Split(c.Annotations[annotationNoEnvFlags], ",") {
		skip[strings.TrimSpace(n)] = true
	}
	for _, name := range envFlags {
		fl := c.Flags().Lookup(name)
		if fl == nil || fl.Changed || skip[name] {
			continue
		}
		v := getenv(EnvVarName(name))
		if v == "" {
			continue
		}
		if err := fl.Value.Set(v); err != nil {
			return usageErrorf("invalid %s=%q: %v", EnvVarName(name), v, err)
		}
		fl.Changed = true
	}
	return nil
}

// Main runs the CLI on the process's streams and returns the exit code.
func Main(args []string, info build.Info) int {
	return Run(args, NewFactory(iostreams.System(), info))
}

// Run executes args against f and maps the outcome to an exit code.
func Run(args []string, f *Factory) int {
	root := NewRootCmd(f)
	root.SetArgs(args)
	c, err := root.ExecuteC()
	if err == nil {
		return ExitOK
	}
	return handleError(f, c, err)
}

func handleError(f *Factory, c *cobra.Command, err error) int {
	cs := f.IO.ColorScheme()
	var usage *UsageError
	var exitErr *ExitError
	switch {
	case errors.Is(err, SilentError):
		return ExitFailure
	case errors.Is(err, CancelError), errors.Is(err, prompt.ErrCancelled):
		fmt.Fprintln(f.IO.ErrOut, "cancelled")
		return ExitCancelled
	case errors.As(err, &exitErr):
		if exitErr.Err != nil && !errors.Is(exitErr.Err, SilentError) {
			fmt.Fprintf(f.IO.ErrOut, "%s %s\n", cs.Red("error:"), exitErr.Err)
		}
		return exitErr.Code
	case errors.As(err, &usage) || isCobraUsageError(err):
		fmt.Fprintf(f.IO.ErrOut, "%s %s\n", cs.Red("error:"), err)
		if c != nil {
			fmt.Fprintf(f.IO.ErrOut, "\n%s", c.UsageString())
		}
		return ExitUsage
	default:
		fmt.Fprintf(f.IO.ErrOut, "%s %s\n", cs.Red("error:"), err)
		return ExitFailure
	}
}

// isCobraUsageError recognises the errors cobra returns without going
// through FlagErrorFunc (unknown commands, argument-count validators,
// required flags, flag groups).
func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "accepts ", "requires at least", "requires at most", "required flag", "if any flags in the group", "at least one of the flags", "invalid argument"} {
		if strings.HasPrefix(msg, p) {
			return true
		}
	}
	return false
}

// exactArgs is cobra.ExactArgs with a message of our own, as a usage error.
func exactArgs(n int, msg string) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) > n {
			return usageErrorf("too many arguments: %s", strings.Join(args[n:], " "))
		}
		if len(args) < n {
			return usageErrorf("%s", msg)
		}
		return nil
	}
}

// maxArgs allows at most n arguments.
func maxArgs(n int) cobra.PositionalArgs {
	return func(c *cobra.Command, args []string) error {
		if len(args) > n {
			return usageErrorf("too many arguments: %s", strings.Join(args[n:], " "))
		}
		return nil
	}
}

// mutuallyExclusive returns a usage error when more than one condition holds.
func mutuallyExclusive(msg string, conds ...bool) error {
	n := 0
	for _, c := range conds {
		if c {
			n++
		}
	}
	if n > 1 {
		return usageErrorf("%s", msg)
	}
	return nil
}
