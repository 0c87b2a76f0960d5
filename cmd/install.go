package cmd

import "github.com/spf13/cobra"

type installOptions struct{}

// Not built yet: returns nil so that the command is not registered.
func newCmdInstall(f *Factory, runF func(*installOptions) error) *cobra.Command { return nil }
