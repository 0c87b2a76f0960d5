package cmd

import "github.com/spf13/cobra"

type devOptions struct{}

// Not built yet: returns nil so that the command is not registered.
func newCmdDev(f *Factory, runF func(*devOptions) error) *cobra.Command { return nil }
