package cmd

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

// docsDate is fixed so that regenerating the man pages changes nothing
// unless the commands change.
var docsDate = time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC)

// genDocs writes the Markdown reference and man pages of the whole tree.
func genDocs(root *cobra.Command, dir string) error {
	root.DisableAutoGenTag = true
	// Flags and commands cobra adds lazily at Execute time, so that the
	// result is the same from a test and from the binary.
	root.InitDefaultHelpFlag()
	root.InitDefaultVersionFlag()
	root.InitDefaultCompletionCmd()
	md := filepath.Join(dir, "cli")
	man := filepath.Join(dir, "man")
	for _, d := range []string{md, man} {
		if err := os.RemoveAll(d); err != nil {
			return err
		}
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	if err := doc.GenMarkdownTree(root, md); err != nil {
		return err
	}
	return doc.GenManTree(root, &doc.GenManHeader{Title: "ENVOY-PLUGIN", Section: "1", Source: "envoy-plugin", Manual: "envoy-plugin manual", Date: &docsDate}, man)
}

func newCmdGenDocs(f *Factory) *cobra.Command {
	var dir string
	c := &cobra.Command{
		Use:    "gen-docs",
		Short:  "Generate the Markdown reference and man pages",
		Hidden: true,
		Args:   exactArgs(0, ""),
		RunE: func(c *cobra.Command, args []string) error {
			if err := genDocs(c.Root(), dir); err != nil {
				return err
			}
			fmt.Fprintf(f.IO.ErrOut, "wrote %s and %s\n", filepath.Join(dir, "cli"), filepath.Join(dir, "man"))
			return nil
		},
	}
	c.Flags().StringVar(&dir, "dir", "docs", "output folder")
	return c
}
