package manifest

import (
	"fmt"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// Severity tells errors from warnings.
type Severity string

const (
	SevError   Severity = "error"
	SevWarning Severity = "warning"
)

// Finding is one problem found in a manifest. Line and Col are 1-based; 0
// means unknown.
type Finding struct {
	File     string   `json:"file"`
	Line     int      `json:"line"`
	Col      int      `json:"col"`
	Severity Severity `json:"severity"`
	Key      string   `json:"key,omitempty"`
	Message  string   `json:"message"`
	Hint     string   `json:"hint,omitempty"`
}

// String renders file:line:col: severity: message (hint).
func (f Finding) String() string {
	var b strings.Builder
	b.WriteString(f.File)
	if f.Line > 0 {
		fmt.Fprintf(&b, ":%d", f.Line)
		if f.Col > 0 {
			fmt.Fprintf(&b, ":%d", f.Col)
		}
	}
	fmt.Fprintf(&b, ": %s: %s", f.Severity, f.Message)
	if f.Hint != "" {
		fmt.Fprintf(&b, " (%s)", f.Hint)
	}
	return b.String()
}

// Error is returned by Load when a manifest has errors; it carries every
// finding, warnings included.
type Error struct {
	Findings []Finding
}

func (e *Error) Error() string {
	var lines []string
	for _, f := range e.Findings {
		if f.Severity == SevError {
			lines = append(lines, f.String())
		}
	}
	return strings.Join(lines, "\n")
}

// HasErrors reports whether any finding is an error.
func HasErrors(fs []Finding) bool {
	for _, f := range fs {
		if f.Severity == SevError {
			return true
		}
	}
	return false
}

// Load reads and validates the manifest at path. It returns the manifest and
// its warnings, or an *Error listing every finding when there is any error.
func Load(path string) (*Manifest, []Finding, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	m, findings := Parse(path, data)
	if HasErrors(findings) {
		return nil, findings, &Error{Findings: findings}
	}
	return m, findings, nil
}

// Parse decodes and validates data read from path. It never panics, and
// returns every finding it can.
func Parse(path string, data []byte) (*Manifest, []Finding) {
	var m Manifest
	if _, err := toml.Decode(string(data), &m); err != nil {
		return nil, []Finding{{File: path, Severity: SevError, Message: err.Error()}}
	}
	m.Path = path
	return &m, nil
}
