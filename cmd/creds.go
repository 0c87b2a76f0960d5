package cmd

import "github.com/spf13/cobra"

// Not built yet: returns nil so that the command is not registered.
func newCmdCreds(f *Factory) *cobra.Command { return nil }
