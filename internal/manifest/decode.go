package manifest

import (
	"fmt"
	"reflect"
	"sort"
	"strings"
	"time"
)

// decoder fills the Go types from the generic tree that BurntSushi/toml
// decodes, so that every unknown key and every value of the wrong type is
// reported (with its position) instead of stopping at the first one.
type decoder struct {
	file    string
	pos     *positions
	present map[string]bool
	// bad holds the paths whose value had the wrong type (already
	// reported, so that later checks do not report them again).
	bad      map[string]bool
	findings []Finding
}

func (d *decoder) add(sev Severity, p Pos, key, msg, hint string) {
	d.findings = append(d.findings, Finding{File: d.file, Line: p.Line, Col: p.Col, Severity: sev, Key: key, Message: msg, Hint: hint})
}

// tomlFields lists the TOML key names of a struct type, mapped to the field
// index.
func tomlFields(t reflect.Type) (map[string]int, []string) {
	byName := map[string]int{}
	var names []string
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("toml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		byName[name] = i
		names = append(names, name)
	}
	return byName, names
}

// decodeTable decodes table into the struct rv, reporting unknown keys.
func (d *decoder) decodeTable(path string, table map[string]any, rv reflect.Value) {
	byName, names := tomlFields(rv.Type())
	keys := make([]string, 0, len(table))
	for k := range table {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		kp := joinKey(path, k)
		i, ok := byName[k]
		if !ok {
			d.add(SevError, d.pos.keyPos(kp), kp, fmt.Sprintf("unknown key %q %s", k, inTable(path)), unknownKeyHint(k, path, names))
			continue
		}
		d.decodeValue(kp, k, table[k], rv.Field(i))
	}
}

// decodeValue decodes v into rv (a settable field), or reports its type.
func (d *decoder) decodeValue(path, name string, v any, rv reflect.Value) {
	d.present[path] = true
	wrong := func(want, hint string) {
		d.bad[path] = true
		d.add(SevError, d.pos.valPos(path), path, fmt.Sprintf("%s must be %s, not %s", name, want, tomlTypeName(v)), hint)
	}
	switch rv.Kind() {
	case reflect.String:
		s, ok := v.(string)
		if !ok {
			hint := "put the value in double quotes"
			if _, isMap := v.(map[string]any); isMap || tomlTypeName(v) == "an array" {
				hint = fmt.Sprintf(`write %s = "..."`, name)
			}
			wrong("a string", hint)
			return
		}
		rv.SetString(s)
	case reflect.Bool:
		b, ok := v.(bool)
		if !ok {
			wrong("a boolean", "write true or false, without quotes")
			return
		}
		rv.SetBool(b)
	case reflect.Int, reflect.Int64:
		n, ok := v.(int64)
		if !ok {
			wrong("an integer", "write a whole number, without quotes")
			return
		}
		rv.SetInt(n)
	case reflect.Interface:
		if v != nil {
			rv.Set(reflect.ValueOf(v))
		}
	case reflect.Struct:
		m, ok := v.(map[string]any)
		if !ok {
			wrong("a table", fmt.Sprintf("write it as a [%s] section", headerName(path)))
			return
		}
		d.decodeTable(path, m, rv)
	case reflect.Pointer:
		m, ok := v.(map[string]any)
		if !ok {
			wrong("a table", fmt.Sprintf("write it as a [%s] section", headerName(path)))
			return
		}
		nv := reflect.New(rv.Type().Elem())
		d.decodeTable(path, m, nv.Elem())
		rv.Set(nv)
	case reflect.Slice:
		d.decodeSlice(path, name, v, rv)
	default:
		// Not reachable with the manifest's types.
		wrong(rv.Kind().String(), "")
	}
}

func (d *decoder) decodeSlice(path, name string, v any, rv reflect.Value) {
	var items []any
	switch x := v.(type) {
	case []any:
		items = x
	case []map[string]any:
		for _, m := range x {
			items = append(items, m)
		}
	default:
		d.bad[path] = true
		if rv.Type().Elem().Kind() == reflect.Struct {
			d.add(SevError, d.pos.valPos(path), path, fmt.Sprintf("%s must be an array of tables, not %s", name, tomlTypeName(v)),
				fmt.Sprintf("write each one as a [[%s]] section", headerName(path)))
		} else {
			d.add(SevError, d.pos.valPos(path), path, fmt.Sprintf("%s must be an array, not %s", name, tomlTypeName(v)),
				`write a list such as ["a", "b"]`)
		}
		return
	}
	if len(items) == 0 {
		return // keep nil, so that an empty list and no list agree
	}
	out := reflect.MakeSlice(rv.Type(), 0, len(items))
	elemType := rv.Type().Elem()
	for i, it := range items {
		ep := joinIndex(path, i)
		ev := reflect.New(elemType).Elem()
		if elemType.Kind() == reflect.Struct {
			m, ok := it.(map[string]any)
			if !ok {
				d.bad[ep] = true
				d.add(SevError, d.pos.valPos(ep), ep, fmt.Sprintf("each element of %s must be a table, not %s", name, tomlTypeName(it)),
					fmt.Sprintf("write each one as a [[%s]] section", headerName(path)))
				out = reflect.Append(out, ev) // a placeholder keeps the indices aligned with the paths
				continue
			}
			d.present[ep] = true
			d.decodeTable(ep, m, ev)
		} else {
			s, ok := it.(string)
			if !ok || elemType.Kind() != reflect.String {
				d.bad[ep] = true
				d.add(SevError, d.pos.valPos(ep), ep, fmt.Sprintf("each element of %s must be a string, not %s", name, tomlTypeName(it)),
					"put each value in double quotes")
				out = reflect.Append(out, ev)
				continue
			}
			ev.SetString(s)
		}
		out = reflect.Append(out, ev)
	}
	rv.Set(out)
}

// tomlTypeName names the TOML type of a decoded value.
func tomlTypeName(v any) string {
	switch x := v.(type) {
	case string:
		return fmt.Sprintf("a string (%s)", truncate(fmt.Sprintf("%q", x), 40))
	case int64:
		return fmt.Sprintf("an integer (%d)", x)
	case float64:
		return fmt.Sprintf("a float (%v)", x)
	case bool:
		return fmt.Sprintf("a boolean (%v)", x)
	case time.Time:
		return "a date-time"
	case []any, []map[string]any:
		return "an array"
	case map[string]any:
		return "a table"
	case nil:
		return "nothing"
	}
	return fmt.Sprintf("%T", v)
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

// headerName turns steps[1].fields[0] into steps.fields, the way a TOML
// header names it.
func headerName(path string) string {
	var b strings.Builder
	depth := 0
	for _, r := range path {
		switch {
		case r == '[':
			depth++
		case r == ']':
			depth--
		case depth == 0:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// unknownKeyHint suggests the nearest valid key of the table, or the table
// the key belongs to (a key written after a [[steps.fields]] header that
// was meant for its step, say), or lists the valid keys.
func unknownKeyHint(key, path string, names []string) string {
	if s := closest(key, names); s != "" {
		return fmt.Sprintf("did you mean %q?", s)
	}
	for _, t := range []struct {
		header string
		typ    reflect.Type
	}{
		{"[plugin]", reflect.TypeOf(Plugin{})},
		{"[[steps]]", reflect.TypeOf(Step{})},
		{"[[steps.fields]]", reflect.TypeOf(Field{})},
		{"[[events]]", reflect.TypeOf(Event{})},
	} {
		if t.header == tableName(path) {
			continue
		}
		if _, ok := reflectFieldIndex(t.typ, key); ok {
			return fmt.Sprintf("%s is a key of %s: move it into that section, above any sub-section", key, t.header)
		}
	}
	return "valid keys here: " + strings.Join(names, ", ")
}

func reflectFieldIndex(t reflect.Type, key string) (int, bool) {
	byName, _ := tomlFields(t)
	i, ok := byName[key]
	return i, ok
}

// inTable is "in [plugin]", "in [[steps.fields]]" or "at the top level".
func inTable(path string) string {
	if path == "" {
		return "at the top level"
	}
	return "in " + tableName(path)
}

// tableName is how messages name the table at path: [plugin],
// [[steps.fields]], or "the top level".
func tableName(path string) string {
	if path == "" {
		return "the top level"
	}
	if strings.HasSuffix(path, "]") {
		return "[[" + headerName(path) + "]]"
	}
	return "[" + headerName(path) + "]"
}

// tomlFieldsOf is tomlFields of a value's type.
func tomlFieldsOf(v any) (map[string]int, []string) { return tomlFields(reflect.TypeOf(v)) }
