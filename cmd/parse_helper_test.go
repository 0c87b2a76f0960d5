package cmd

import (
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/envoy-plugin/envoy-plugin/internal/build"
	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

// parseOpts runs a command's flag and argument handling on args (split on
// spaces) with non-TTY test streams, and returns the options its RunE
// would run with, or the error it stopped on. Flag errors come back as
// *UsageError, as under the root command.
func parseOpts[O any](newCmd func(f *Factory, runF func(*O) error) *cobra.Command, args string) (*O, error) {
	ios, _, _, _ := iostreams.Test()
	f := NewFactory(ios, build.Info{Version: "test"})
	var got *O
	c := newCmd(f, func(o *O) error { got = o; return nil })
	c.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return &UsageError{Err: err} })
	c.SetArgs(strings.Fields(args))
	c.SetOut(io.Discard)
	c.SetErr(io.Discard)
	err := c.Execute()
	return got, err
}
