package events

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Set is one --set edit: the value at Path (object keys, or indexes into an
// existing array) becomes Value. Raw says Value came from `:=` (any JSON);
// otherwise it is the string after `=`.
type Set struct {
	Path  []string
	Value any
	Raw   bool
}

// ParseSet reads an edit the way httpie reads request items:
// `payload.attributes.full-name=Ada Lovelace` sets a string and
// `meta.config.LIMIT:=10` sets raw JSON. The path splits on dots; a key
// holding a dot, `=`, `:` or a backslash escapes it with a backslash
// (`meta.config.a\.b=x`). The first unescaped `=` or `:=` ends the path;
// the value is taken as is.
func ParseSet(arg string) (Set, error) {
	var path []string
	var seg strings.Builder
	for i := 0; i < len(arg); i++ {
		c := arg[i]
		switch {
		case c == '\\' && i+1 < len(arg) && strings.IndexByte(`\.=:`, arg[i+1]) >= 0:
			seg.WriteByte(arg[i+1])
			i++
		case c == '.':
			path = append(path, seg.String())
			seg.Reset()
		case c == '=' || (c == ':' && i+1 < len(arg) && arg[i+1] == '='):
			path = append(path, seg.String())
			raw := c == ':'
			value := arg[i+1:]
			if raw {
				value = arg[i+2:]
			}
			return newSet(arg, path, value, raw)
		default:
			seg.WriteByte(c)
		}
	}
	return Set{}, fmt.Errorf("invalid --set %q: no = or := in it; use path=text or path:=json, e.g. payload.attributes.full-name=\"Ada Lovelace\"", arg)
}

func newSet(arg string, path []string, value string, raw bool) (Set, error) {
	for _, p := range path {
		if p == "" {
			if len(path) == 1 {
				return Set{}, fmt.Errorf("invalid --set %q: the path before = is empty; e.g. meta.config.GREETING=Hola", arg)
			}
			return Set{}, fmt.Errorf("invalid --set %q: the path %q has an empty key; separate keys with single dots and escape a dot in a key as \\.", arg, formatPath(path))
		}
	}
	if !raw {
		return Set{Path: path, Value: value}, nil
	}
	v, err := parseJSONValue(value)
	if err != nil {
		return Set{}, fmt.Errorf("invalid --set %q: the value after := is not JSON (%v); use = to set a string", arg, err)
	}
	return Set{Path: path, Value: v, Raw: true}, nil
}

// parseJSONValue decodes exactly one JSON value, numbers as json.Number so
// that large ids keep every digit.
func parseJSONValue(s string) (any, error) {
	if strings.TrimSpace(s) == "" {
		return nil, errors.New("nothing after :=")
	}
	if !json.Valid([]byte(s)) {
		var v any
		err := json.Unmarshal([]byte(s), &v)
		if err == nil {
			err = errors.New("invalid JSON")
		}
		return nil, err
	}
	dec := json.NewDecoder(strings.NewReader(s))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return v, nil
}

// String prints the edit so that ParseSet reads it back.
func (s Set) String() string {
	p := escapePath(s.Path)
	if !s.Raw {
		str, ok := s.Value.(string)
		if !ok {
			b, _ := marshalNoEscape(s.Value)
			return p + ":=" + string(b)
		}
		return p + "=" + str
	}
	b, err := marshalNoEscape(s.Value)
	if err != nil {
		return p + ":=null"
	}
	return p + ":=" + string(b)
}

func escapePath(path []string) string {
	parts := make([]string, len(path))
	for i, k := range path {
		var b strings.Builder
		for j := 0; j < len(k); j++ {
			if strings.IndexByte(`\.=:`, k[j]) >= 0 {
				b.WriteByte('\\')
			}
			b.WriteByte(k[j])
		}
		parts[i] = b.String()
	}
	return strings.Join(parts, ".")
}

// formatPath names a path in messages: keys joined with dots.
func formatPath(path []string) string { return strings.Join(path, ".") }

func marshalNoEscape(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimRight(buf.Bytes(), "\n"), nil
}

// ApplySets applies the edits in order. Missing objects on the way are
// created; a key that holds an array takes an index of an existing element.
// A value of another kind in the way is an error that names its path.
func ApplySets(body map[string]any, sets []Set) error {
	if body == nil {
		return errors.New("no body to edit")
	}
	for _, s := range sets {
		if err := applySet(body, s); err != nil {
			return err
		}
	}
	return nil
}

func applySet(body map[string]any, s Set) error {
	if len(s.Path) == 0 {
		return errors.New("--set needs a path, e.g. meta.config.GREETING=Hola")
	}
	var cur any = body
	for i, key := range s.Path {
		last := i == len(s.Path)-1
		here := formatPath(s.Path[:i])
		switch c := cur.(type) {
		case map[string]any:
			if last {
				c[key] = s.Value
				return nil
			}
			next, ok := c[key]
			if !ok || next == nil {
				next = map[string]any{}
				c[key] = next
			}
			cur = next
		case []any:
			n, err := strconv.Atoi(key)
			if err != nil || n < 0 || n >= len(c) {
				return fmt.Errorf("cannot set %s: %s is an array of %d, so %q must be an index from 0 to %d",
					formatPath(s.Path), here, len(c), key, len(c)-1)
			}
			if last {
				c[n] = s.Value
				return nil
			}
			if c[n] == nil {
				c[n] = map[string]any{}
			}
			cur = c[n]
		default:
			return fmt.Errorf("cannot set %s: %s is %s, not an object; set %s itself or use := to replace it with an object",
				formatPath(s.Path), here, kindOf(cur), here)
		}
	}
	return nil
}

// kindOf names a JSON value's kind with an article, for messages.
func kindOf(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case float64, json.Number, int:
		return "a number"
	case []any:
		return "an array"
	case map[string]any:
		return "an object"
	}
	return fmt.Sprintf("a %T", v)
}

// Marshal encodes a body compactly, as it goes on the wire: no HTML
// escaping (names such as "Ada <Admin>" stay readable) and no trailing
// newline.
func Marshal(body any) ([]byte, error) { return marshalNoEscape(body) }
