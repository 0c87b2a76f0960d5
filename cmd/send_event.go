package cmd

import "github.com/spf13/cobra"

type sendEventOptions struct{}

// Not built yet: returns nil so that the command is not registered.
func newCmdSendEvent(f *Factory, runF func(*sendEventOptions) error) *cobra.Command { return nil }
