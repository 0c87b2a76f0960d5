package cmd

import "github.com/spf13/cobra"

type initOptions struct{}

// Not built yet: returns nil so that the command is not registered.
func newCmdInit(f *Factory, runF func(*initOptions) error) *cobra.Command { return nil }
