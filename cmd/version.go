package cmd

import (
	"fmt"
	"io"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

type versionResult struct{ build.Info }

func (v versionResult) WriteText(w io.Writer, _ *iostreams.ColorScheme) error {
	_, err := fmt.Fprintf(w, "envoy-plugin %s\n", v.Info.String())
	return err
}

func newCmdVersion(f *Factory) *cobra.Command {
	var asJSON bool
	c := &cobra.Command{
		Use:   "version",
		Short: "Print the version of envoy-plugin",
		Example: `  $ envoy-plugin version
  $ envoy-plugin version --json`,
		Args: exactArgs(0, ""),
		RunE: func(c *cobra.Command, args []string) error {
			return f.Printer(asJSON).Print(versionResult{f.Build})
		},
	}
	c.Flags().BoolVar(&asJSON, "json", false, "print as JSON")
	return c
}
