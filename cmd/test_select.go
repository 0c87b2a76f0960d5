package cmd

import "github.com/spf13/cobra"

type testSelectOptions struct{}

// Not built yet: returns nil so that the command is not registered.
func newCmdTestSelect(f *Factory, runF func(*testSelectOptions) error) *cobra.Command { return nil }
