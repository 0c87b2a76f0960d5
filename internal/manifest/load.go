package manifest

import (
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"sort"
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
	data, err := ReadFile(path)
	if err != nil {
		return nil, nil, err
	}
	m, findings := Parse(path, data)
	if HasErrors(findings) {
		return nil, findings, &Error{Findings: findings}
	}
	return m, findings, nil
}

// MaxFileSize bounds the manifests read: a real one is a few kB.
const MaxFileSize = 4 << 20

// ReadFile reads a manifest, refusing anything that is not a regular file
// of at most MaxFileSize bytes (a device or a FIFO would never end).
func ReadFile(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file; pass the path of envoy-plugin.toml", path)
	}
	data, err := io.ReadAll(io.LimitReader(fh, MaxFileSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("%s is over %d MB, too big for a manifest; check the path", path, MaxFileSize>>20)
	}
	return data, nil
}

// Parse decodes and validates data read from path. It never panics, and
// returns every finding it can, sorted by position. The manifest is nil
// when data is not valid TOML; otherwise it holds what could be decoded,
// even when there are errors.
func Parse(path string, data []byte) (m *Manifest, findings []Finding) {
	defer func() {
		if r := recover(); r != nil {
			m = nil
			findings = []Finding{{File: path, Severity: SevError, Message: fmt.Sprintf("internal error while reading the manifest: %v", r),
				Hint: "please report this bug at https://github.com/envoy-plugin/envoy-plugin/issues with the manifest"}}
		}
	}()
	var tree map[string]any
	if _, err := toml.Decode(string(data), &tree); err != nil {
		return nil, recoverSyntax(path, data, err)
	}
	pos := scanPositions(data)
	d := &decoder{file: path, pos: pos, present: map[string]bool{}, bad: map[string]bool{}}
	m = &Manifest{Path: path, pos: pos}
	d.decodeTable("", tree, reflect.ValueOf(m).Elem())
	c := &checker{decoder: d, m: m}
	c.run()
	SortFindings(d.findings)
	return m, d.findings
}

// maxSyntaxErrors bounds how many syntax errors recoverSyntax reports.
const maxSyntaxErrors = 10

// recoverSyntax reports the TOML syntax error err of data and, so that one
// typo does not hide every other problem, tries to go on: it blanks the
// offending line (or renames an offending table header to a placeholder
// table, so that its keys do not land in the table above) and parses again,
// up to maxSyntaxErrors times. When the rest parses, the other findings are
// reported too, except those that the blanked lines may have caused: a
// finding on a blanked line, about a placeholder table, or a missing key of
// a table that lost a line.
func recoverSyntax(path string, data []byte, err error) []Finding {
	findings := []Finding{syntaxFinding(path, data, err)}
	lines := strings.SplitAfter(string(data), "\n")
	blanked := map[int]bool{} // 1-based line numbers
	for {
		line := findings[len(findings)-1].Line
		if line < 1 || line > len(lines) || blanked[line] || len(findings) >= maxSyntaxErrors {
			return findings
		}
		blanked[line] = true
		eol := lines[line-1][len(strings.TrimRight(lines[line-1], "\r\n")):]
		if t := strings.TrimSpace(lines[line-1]); strings.HasPrefix(t, "[") && !strings.Contains(t, "=") {
			lines[line-1] = fmt.Sprintf("[%s%d]%s", recoveredTable, line, eol)
		} else {
			// A value that opens a bracket goes on until it closes: blank
			// its other lines too, or each would be one more (made-up)
			// syntax error.
			depth := bracketDepth(lines[line-1])
			lines[line-1] = eol
			for l := line + 1; depth > 0 && l <= len(lines); l++ {
				if isHeaderLine(lines[l-1]) {
					break // a value never closed: the next table starts anyway
				}
				depth += bracketDepth(lines[l-1])
				blanked[l] = true
				lines[l-1] = lines[l-1][len(strings.TrimRight(lines[l-1], "\r\n")):]
			}
		}
		src := strings.Join(lines, "")
		var tree map[string]any
		if _, err := toml.Decode(src, &tree); err != nil {
			f := syntaxFinding(path, []byte(src), err)
			if f.Line == line {
				return findings // blanking did not help (e.g. an unclosed string or array)
			}
			if strings.Contains(f.Key, recoveredTable) {
				f.Key = ""
			}
			findings = append(findings, f)
			continue
		}
		rest := restFindings(path, []byte(src), tree, blanked)
		findings = append(findings, rest...)
		SortFindings(findings)
		return findings
	}
}

// isHeaderLine reports whether line starts a [table] or [[array]] at its
// first column, as opposed to a nested array value.
func isHeaderLine(line string) bool {
	t := strings.TrimPrefix(line, "[")
	if len(t) == len(line) {
		return false
	}
	t = strings.TrimPrefix(t, "[")
	return t != "" && (t[0] == '_' || t[0] == '-' || t[0] >= 'a' && t[0] <= 'z' || t[0] >= 'A' && t[0] <= 'Z')
}

// bracketDepth counts the [ and { that line opens minus those it closes,
// outside strings and comments (roughly: enough to find where a broken
// multi-line array or inline table ends).
func bracketDepth(line string) int {
	depth := 0
	var quote byte
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quote != 0:
			if c == '\\' && quote == '"' {
				i++
			} else if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '#':
			return depth
		case c == '[' || c == '{':
			depth++
		case c == ']' || c == '}':
			depth--
		}
	}
	return depth
}

// recoveredTable prefixes the placeholder tables of recoverSyntax.
const recoveredTable = "envoy_plugin_unreadable_line_"

// restFindings validates what recoverSyntax could read and drops the
// findings that its blanking may have caused.
func restFindings(path string, src []byte, tree map[string]any, blanked map[int]bool) []Finding {
	pos := scanPositions(src)
	d := &decoder{file: path, pos: pos, present: map[string]bool{}, bad: map[string]bool{}}
	m := &Manifest{Path: path, pos: pos}
	d.decodeTable("", tree, reflect.ValueOf(m).Elem())
	(&checker{decoder: d, m: m}).run()
	// The lines that start a table: a missing key of the table starting
	// at line h is an artefact when a line of that table was blanked.
	lines := strings.Split(string(src), "\n")
	var headers []int
	for i, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "[") && !strings.Contains(l, "=") {
			headers = append(headers, i+1)
		}
	}
	lostLine := func(table int) bool {
		end := len(lines) + 1
		for _, h := range headers {
			if h > table {
				end = h
				break
			}
		}
		for l := range blanked {
			if l >= table && l < end {
				return true
			}
		}
		return false
	}
	var out []Finding
	for _, f := range d.findings {
		switch {
		case blanked[f.Line], strings.Contains(f.Key, recoveredTable), strings.Contains(f.Message, recoveredTable):
			continue
		case strings.HasPrefix(f.Message, "missing"):
			// Top-level findings sit at 1:1: any blanked line or renamed
			// header may have held what is missing.
			if f.Line <= 1 || lostLine(f.Line) {
				continue
			}
		}
		out = append(out, f)
	}
	return out
}

// syntaxFinding turns a TOML syntax error into a finding with its position.
func syntaxFinding(path string, data []byte, err error) Finding {
	var pe toml.ParseError
	if !errors.As(err, &pe) {
		return Finding{File: path, Severity: SevError, Message: err.Error(), Hint: "check the TOML syntax (https://toml.io)"}
	}
	hint := "this is not valid TOML; see https://toml.io/en/v1.0.0"
	switch {
	case strings.Contains(pe.Message, "invalid escape"):
		hint = `write \\ for a backslash, or use a 'literal string' in single quotes`
	case strings.Contains(pe.Message, "already been defined"), strings.Contains(pe.Message, "already created"):
		hint = "each key and table may be defined only once; use [[...]] for a list of tables"
	case strings.Contains(pe.Message, "strings cannot contain newlines"):
		hint = `close the string on the same line, or use """ for text over several lines`
	case strings.Contains(pe.Message, "table name") || strings.Contains(pe.Message, "table array name"):
		hint = "close the section header on its line: [table] or [[array.of.tables]]"
	case strings.Contains(pe.Message, "to end with a newline"):
		hint = "put one key = value per line; quote values that contain spaces"
	}
	line, col := pe.Position.Line, pe.Position.Col
	// An unclosed [table] header is reported where the lexer stood after
	// reading its newline: the start of the next line. Point at its end.
	if (strings.Contains(pe.Message, "table name") || strings.Contains(pe.Message, "table array name")) &&
		strings.Contains(pe.Message, `'\n'`) && line > 1 {
		lines := strings.Split(string(data), "\n")
		if line-2 < len(lines) {
			line, col = line-1, len(strings.TrimRight(lines[line-2], "\r"))+1
		}
	}
	return Finding{File: path, Line: line, Col: col, Severity: SevError, Key: pe.LastKey,
		Message: "TOML syntax: " + pe.Message, Hint: hint}
}

// SortFindings orders findings by position (stable, so that findings at
// the same place keep the order they were found in).
func SortFindings(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		if fs[i].Line != fs[j].Line {
			return fs[i].Line < fs[j].Line
		}
		return fs[i].Col < fs[j].Col
	})
}

// Pos returns the line and column of the value of key (a path such as
// "plugin.live" or "steps[1].title"), or of the closest table that holds
// it; 1:1 when unknown.
func (m *Manifest) Pos(key string) (line, col int) {
	p := m.pos.valPos(key)
	return p.Line, p.Col
}
