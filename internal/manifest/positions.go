package manifest

import (
	"sort"
	"strconv"
	"strings"
)

// Pos is a 1-based line and column (columns count bytes, as
// BurntSushi/toml's do). The zero Pos means unknown.
type Pos struct {
	Line int
	Col  int
}

// positions maps key paths such as `steps[1].fields[0].type` to where they
// are in the source. BurntSushi/toml's MetaData knows no positions for the
// keys it did not decode (and merges array-of-tables elements), so the
// manifest package scans the source itself, once it is known to be valid
// TOML.
type positions struct {
	// key is where a key (or a table header, or an array element) starts.
	key map[string]Pos
	// val is where the value of a key starts; for tables it is the header.
	val map[string]Pos
}

// keyPos returns where path's key is, falling back to its closest known
// parent, and then to the top of the file.
func (p *positions) keyPos(path string) Pos {
	if p == nil {
		return Pos{Line: 1, Col: 1}
	}
	return p.lookup(p.key, path)
}

// valPos returns where path's value is, with the same fallbacks.
func (p *positions) valPos(path string) Pos {
	if p == nil {
		return Pos{Line: 1, Col: 1}
	}
	return p.lookup(p.val, path)
}

func (p *positions) lookup(m map[string]Pos, path string) Pos {
	for {
		if pos, ok := m[path]; ok {
			return pos
		}
		if pos, ok := p.key[path]; ok {
			return pos
		}
		if path == "" {
			return Pos{Line: 1, Col: 1}
		}
		path = parentPath(path)
	}
}

// parentPath strips the last element (a key or an [index]) from path.
func parentPath(path string) string {
	if strings.HasSuffix(path, "]") {
		if i := strings.LastIndexByte(path, '['); i >= 0 {
			return path[:i]
		}
	}
	// Walk back over a possibly quoted last key.
	if strings.HasSuffix(path, `"`) {
		for i := len(path) - 2; i >= 0; i-- {
			if path[i] == '"' && (i == 0 || path[i-1] == '.') && validQuoted(path[i:]) {
				if i == 0 {
					return ""
				}
				return path[:i-1]
			}
		}
	}
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[:i]
	}
	return ""
}

func validQuoted(s string) bool {
	_, err := strconv.Unquote(s)
	return err == nil
}

// joinKey appends key to path, quoting keys that are not bare.
func joinKey(path, key string) string {
	k := key
	if !isBareKey(key) {
		k = strconv.Quote(key)
	}
	if path == "" {
		return k
	}
	return path + "." + k
}

// joinIndex appends [i] to path.
func joinIndex(path string, i int) string {
	return path + "[" + strconv.Itoa(i) + "]"
}

func isBareKey(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if !(r >= 'A' && r <= 'Z' || r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_' || r == '-') {
			return false
		}
	}
	return true
}

// scanPositions records the position of every key, header and array
// element of src, which must be valid TOML (it never panics on invalid
// input, but the positions are then best effort).
func scanPositions(src []byte) *positions {
	s := &scanner{
		src:    src,
		p:      &positions{key: map[string]Pos{}, val: map[string]Pos{}},
		arrays: map[string]int{},
	}
	for i, c := range src {
		if c == '\n' {
			s.lineStarts = append(s.lineStarts, i+1)
		}
	}
	if strings.HasPrefix(string(src[:min(3, len(src))]), "\ufeff") {
		s.i = 3 // a UTF-8 byte order mark
	}
	s.run()
	return s.p
}

type scanner struct {
	src        []byte
	i          int
	lineStarts []int // offsets of the starts of lines 2, 3, ...
	p          *positions
	arrays     map[string]int // array-of-tables path -> number of elements
	table      string         // current table path
}

func (s *scanner) pos(off int) Pos {
	// Number of line starts at or before off.
	n := sort.Search(len(s.lineStarts), func(i int) bool { return s.lineStarts[i] > off })
	start := 0
	if n > 0 {
		start = s.lineStarts[n-1]
	}
	return Pos{Line: n + 1, Col: off - start + 1}
}

func (s *scanner) eof() bool { return s.i >= len(s.src) }

func (s *scanner) peek() byte {
	if s.eof() {
		return 0
	}
	return s.src[s.i]
}

func (s *scanner) hasPrefix(p string) bool {
	return strings.HasPrefix(string(s.src[s.i:min(len(s.src), s.i+len(p))]), p)
}

// skipSpace skips blanks on the current line.
func (s *scanner) skipSpace() {
	for !s.eof() && (s.src[s.i] == ' ' || s.src[s.i] == '\t') {
		s.i++
	}
}

// skipAll skips blanks, newlines and comments.
func (s *scanner) skipAll() {
	for !s.eof() {
		switch s.src[s.i] {
		case ' ', '\t', '\r', '\n':
			s.i++
		case '#':
			s.skipLine()
		default:
			return
		}
	}
}

// skipLine moves past the next newline.
func (s *scanner) skipLine() {
	for !s.eof() && s.src[s.i] != '\n' {
		s.i++
	}
	if !s.eof() {
		s.i++
	}
}

func (s *scanner) setKey(path string, at int) {
	if _, ok := s.p.key[path]; !ok {
		s.p.key[path] = s.pos(at)
	}
}

func (s *scanner) setVal(path string, at int) {
	if _, ok := s.p.val[path]; !ok {
		s.p.val[path] = s.pos(at)
	}
}

func (s *scanner) run() {
	for {
		s.skipAll()
		if s.eof() {
			return
		}
		start := s.i
		if s.peek() == '[' {
			s.header()
		} else {
			s.keyValue(s.table)
		}
		if s.i == start { // never loop on input we do not understand
			s.skipLine()
		}
		// Whatever follows on the line (a comment) is skipped by skipAll.
	}
}

// header reads [a.b] or [[a.b]] and makes it the current table.
func (s *scanner) header() {
	at := s.i
	array := s.hasPrefix("[[")
	if array {
		s.i += 2
	} else {
		s.i++
	}
	s.skipSpace()
	parts := s.key()
	s.skipSpace()
	if array && s.hasPrefix("]]") {
		s.i += 2
	} else if !array && s.peek() == ']' {
		s.i++
	}
	path := ""
	for n, part := range parts {
		path = joinKey(path, part)
		last := n == len(parts)-1
		if last && array {
			s.setKey(path, at)
			s.setVal(path, at)
			idx := s.arrays[path]
			s.arrays[path] = idx + 1
			path = joinIndex(path, idx)
			break
		}
		if c, ok := s.arrays[path]; ok && c > 0 {
			path = joinIndex(path, c-1)
		}
		s.setKey(path, at)
	}
	if !array {
		s.setVal(path, at)
	}
	s.p.key[path] = s.pos(at) // an explicit header wins over implicit ones
	s.p.val[path] = s.pos(at)
	s.table = path
}

// key reads a dotted key and returns its parts.
func (s *scanner) key() []string {
	var parts []string
	for !s.eof() {
		s.skipSpace()
		part, ok := s.keyPart()
		if !ok {
			break
		}
		parts = append(parts, part)
		s.skipSpace()
		if s.peek() != '.' {
			break
		}
		s.i++
	}
	return parts
}

func (s *scanner) keyPart() (string, bool) {
	switch s.peek() {
	case '"':
		start := s.i
		s.basicString()
		v, err := strconv.Unquote(string(s.src[start:s.i]))
		if err != nil {
			// TOML escapes that Go lacks (\e, \xHH are the same; \U with
			// 8 digits is too): fall back to the raw text.
			return string(s.src[start+1 : max(start+1, s.i-1)]), true
		}
		return v, true
	case '\'':
		start := s.i
		s.literalString()
		return string(s.src[start+1 : max(start+1, s.i-1)]), true
	}
	start := s.i
	for !s.eof() {
		c := s.src[s.i]
		if c == ' ' || c == '\t' || c == '=' || c == '.' || c == ']' || c == '[' || c == '#' || c == '\n' || c == '\r' || c == ',' || c == '}' || c == '{' || c == '"' || c == '\'' {
			break
		}
		s.i++
	}
	if s.i == start {
		return "", false
	}
	return string(s.src[start:s.i]), true
}

// keyValue reads key = value, recording positions under table.
func (s *scanner) keyValue(table string) {
	at := s.i
	parts := s.key()
	if len(parts) == 0 {
		return
	}
	path := table
	for n, part := range parts {
		path = joinKey(path, part)
		if n < len(parts)-1 {
			s.setKey(path, at)
			s.setVal(path, at)
		}
	}
	s.p.key[path] = s.pos(at)
	s.skipSpace()
	if s.peek() == '=' {
		s.i++
	}
	s.skipSpace()
	s.p.val[path] = s.pos(s.i)
	s.value(path)
}

// value reads one value of any kind, recording the positions of the
// elements of arrays and the keys of inline tables under path.
func (s *scanner) value(path string) {
	switch {
	case s.hasPrefix(`"""`):
		s.multiString(`"""`, true)
	case s.hasPrefix(`'''`):
		s.multiString(`'''`, false)
	case s.peek() == '"':
		s.basicString()
	case s.peek() == '\'':
		s.literalString()
	case s.peek() == '[':
		s.i++
		for idx := 0; ; idx++ {
			s.skipAll()
			if s.eof() || s.peek() == ']' {
				break
			}
			start := s.i
			el := joinIndex(path, idx)
			s.setKey(el, start)
			s.setVal(el, start)
			s.value(el)
			s.skipAll()
			if s.peek() == ',' {
				s.i++
			}
			if s.i == start {
				break
			}
		}
		if s.peek() == ']' {
			s.i++
		}
	case s.peek() == '{':
		s.i++
		for {
			s.skipAll()
			if s.eof() || s.peek() == '}' {
				break
			}
			start := s.i
			s.keyValue(path)
			s.skipAll()
			if s.peek() == ',' {
				s.i++
			}
			if s.i == start {
				break
			}
		}
		if s.peek() == '}' {
			s.i++
		}
	default:
		s.scalar()
	}
}

func (s *scanner) basicString() {
	s.i++ // opening quote
	for !s.eof() {
		switch s.src[s.i] {
		case '\\':
			s.i += 2
			continue
		case '"':
			s.i++
			return
		case '\n':
			return
		}
		s.i++
	}
	s.i = min(s.i, len(s.src))
}

func (s *scanner) literalString() {
	s.i++
	for !s.eof() {
		switch s.src[s.i] {
		case '\'':
			s.i++
			return
		case '\n':
			return
		}
		s.i++
	}
}

func (s *scanner) multiString(delim string, escapes bool) {
	s.i += len(delim)
	for !s.eof() {
		if escapes && s.src[s.i] == '\\' {
			s.i += 2
			continue
		}
		if s.hasPrefix(delim) {
			s.i += len(delim)
			// Up to two more quotes may close the string (""""" is legal).
			for n := 0; n < 2 && !s.eof() && s.src[s.i] == delim[0]; n++ {
				s.i++
			}
			return
		}
		s.i++
	}
	s.i = min(s.i, len(s.src))
}

// scalar reads a number, boolean or date-time.
func (s *scanner) scalar() {
	start := s.i
	for !s.eof() {
		c := s.src[s.i]
		if c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == ',' || c == ']' || c == '}' || c == '#' {
			// A date and a time may be separated by one space.
			if c == ' ' && s.i-start == 10 && isDate(s.src[start:s.i]) && s.i+1 < len(s.src) && isDigit(s.src[s.i+1]) {
				s.i++
				continue
			}
			return
		}
		s.i++
	}
}

func isDate(b []byte) bool {
	if len(b) != 10 || b[4] != '-' || b[7] != '-' {
		return false
	}
	for i, c := range b {
		if i != 4 && i != 7 && !isDigit(c) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
