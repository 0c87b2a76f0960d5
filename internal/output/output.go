// Package output renders command results. Commands build results as plain
// structs; a Printer turns them into text, JSON or NDJSON so that no command
// formats its own JSON by hand.
package output

import (
	"encoding/json"
	"fmt"
	"io"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

// Format is how results are written to stdout.
type Format string

const (
	Text   Format = "text"
	JSON   Format = "json"
	NDJSON Format = "ndjson"
)

// Texter is implemented by results that know how to print themselves for
// people. The colour scheme is a no-op when colour is off.
type Texter interface {
	WriteText(w io.Writer, cs *iostreams.ColorScheme) error
}

// Printer writes results in one format.
type Printer struct {
	IO     *iostreams.IOStreams
	Format Format
}

// New returns a Printer; json selects JSON, otherwise text.
func New(ios *iostreams.IOStreams, asJSON bool) *Printer {
	f := Text
	if asJSON {
		f = JSON
	}
	return &Printer{IO: ios, Format: f}
}

// Print writes one result. Text needs a Texter (or a fmt.Stringer); JSON is
// indented on a terminal and compact in a pipe; NDJSON is always one line.
func (p *Printer) Print(v any) error {
	switch p.Format {
	case JSON:
		return WriteJSON(p.IO.Out, v, p.IO.IsStdoutTTY())
	case NDJSON:
		return WriteJSON(p.IO.Out, v, false)
	default:
		switch t := v.(type) {
		case Texter:
			return t.WriteText(p.IO.Out, p.IO.ColorScheme())
		case fmt.Stringer:
			_, err := fmt.Fprintln(p.IO.Out, t.String())
			return err
		default:
			return WriteJSON(p.IO.Out, v, true)
		}
	}
}

// WriteJSON encodes v followed by a newline, without HTML escaping.
func WriteJSON(w io.Writer, v any, indent bool) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	if indent {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}
