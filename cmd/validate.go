package cmd

import "github.com/spf13/cobra"

type validateOptions struct{}

// Not built yet: returns nil so that the command is not registered.
func newCmdValidate(f *Factory, runF func(*validateOptions) error) *cobra.Command { return nil }
