package cmd

import (
	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
)

func newCmdSchema(f *Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "schema",
		Short: "Print the JSON Schema of envoy-plugin.toml",
		Long: `Print the JSON Schema of envoy-plugin.toml, generated from the same Go
types that envoy-plugin reads the manifest into.

Editors with a TOML language server (Taplo, Even Better TOML, Tombi) validate
and complete the manifest from it: ` + "`envoy-plugin init`" + ` writes the line

  ` + manifest.SchemaDirective + `

at the top of the file, which points them at the published copy. Point it at
a local file instead to pin the schema of the envoy-plugin you run.`,
		Example: `  $ envoy-plugin schema > envoy-plugin.schema.json
  # then, as the first line of envoy-plugin.toml:
  #:schema ./envoy-plugin.schema.json`,
		Args: exactArgs(0, ""),
		RunE: func(c *cobra.Command, args []string) error {
			b, err := manifest.Schema()
			if err != nil {
				return err
			}
			_, err = f.IO.Out.Write(b)
			return err
		},
	}
}
