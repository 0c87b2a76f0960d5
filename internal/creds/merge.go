package creds

import (
	"fmt"
	"regexp"
	"sort"
	"strings"
)

var validKey = regexp.MustCompile(`^[\w.-]+$`)

// keyOrder sorts the platform's variables first, in the order a person
// expects to read them, then the rest alphabetically.
func keyOrder(keys []string) {
	rank := func(k string) int {
		switch k {
		case EnvClientID:
			return 0
		case EnvClientSecret:
			return 1
		case EnvBaseURL:
			return 2
		}
		return 3
	}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := rank(keys[i]), rank(keys[j])
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
}

// Merge returns data with vars set. A key already set to the wanted value
// is left alone; a key already present gets its (last, effective) value
// replaced in place, keeping the quoting style when it can; a new key is
// appended at the end. Every other byte of data is kept. The result is
// parsed again before it is returned: if any other variable would read
// differently (an unterminated quote nearby, say), Merge tries another
// quoting and otherwise fails, so a merge never changes what Node reads
// for the other keys. changed lists the keys written.
func Merge(data []byte, vars map[string]string) (out []byte, changed []string, err error) {
	keys := make([]string, 0, len(vars))
	for k := range vars {
		if !validKey.MatchString(k) || k == "__proto__" {
			return nil, nil, fmt.Errorf("invalid variable name %q: use letters, digits, _ . and -", k)
		}
		keys = append(keys, k)
	}
	keyOrder(keys)
	out = data
	for _, k := range keys {
		v := vars[k]
		ef, _ := ParseEnv(out)
		before := ef.Values()
		if cur, ok := before[k]; ok && cur == v {
			continue
		}
		next, err := setOne(ef, before, k, v)
		if err != nil {
			return nil, nil, err
		}
		out = next
		changed = append(changed, k)
	}
	if changed == nil {
		out = data
	}
	return out, changed, nil
}

// setOne writes key=value into ef, trying each way of quoting the value
// until the file parses back with key=value and every other key unchanged.
func setOne(ef *EnvFile, before map[string]string, key, value string) ([]byte, error) {
	data := ef.Data
	en, exists := ef.Lookup(key)
	var prefer byte
	if exists {
		prefer = en.Quote
	}
	for _, enc := range encodings(value, prefer) {
		var next []byte
		if exists {
			next = make([]byte, 0, len(data)+len(enc))
			next = append(next, data[:en.ValueStart]...)
			next = append(next, enc...)
			next = append(next, data[en.ValueEnd:]...)
		} else {
			next = make([]byte, 0, len(data)+len(key)+len(enc)+4)
			next = append(next, data...)
			if len(data) > 0 && data[len(data)-1] != '\n' && data[len(data)-1] != '\r' {
				next = append(next, ef.Newline...)
			}
			next = append(next, key+"="+enc+ef.Newline...)
		}
		if sameExcept(next, before, key, value) {
			return next, nil
		}
	}
	line := 0
	if exists {
		line = en.Line
	} else {
		_, warns := ParseEnv(data)
		for _, w := range warns {
			line = w.Line
		}
	}
	where := "the quoting in the file"
	if line > 0 {
		where = fmt.Sprintf("the quoting near line %d", line)
	}
	return nil, fmt.Errorf("cannot write %s without changing how other variables are read; fix %s and run again", key, where)
}

// sameExcept reports whether data parses to before with key set to value.
func sameExcept(data []byte, before map[string]string, key, value string) bool {
	ef, _ := ParseEnv(data)
	after := ef.Values()
	if after[key] != value {
		return false
	}
	if _, had := before[key]; !had && len(after) != len(before)+1 {
		return false
	} else if had && len(after) != len(before) {
		return false
	}
	for k, v := range before {
		if k == key {
			continue
		}
		if w, ok := after[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// encodings lists ways to write value: the preferred quote first, then
// the forms that need no escaping trick (plain, '...', "...", `...`; a
// value with a line break prefers "..." with \n), then every form anyway.
// Merge keeps the first one that parses back right.
func encodings(value string, prefer byte) []string {
	multiLine := strings.ContainsAny(value, "\r\n")
	clean := map[byte]bool{
		0:    value == jsTrim(value) && !strings.ContainsAny(value, "#'\"`\r\n\u2028\u2029"),
		'\'': !strings.ContainsRune(value, '\''),
		'"':  !strings.ContainsRune(value, '"') && !strings.Contains(value, `\n`) && !strings.Contains(value, `\r`),
		'`':  !strings.ContainsRune(value, '`'),
	}
	enc := map[byte]string{
		0:    value,
		'\'': "'" + value + "'",
		'"':  `"` + strings.NewReplacer("\n", `\n`, "\r", `\r`).Replace(value) + `"`,
		'`':  "`" + value + "`",
	}
	order := []byte{prefer, 0, '\'', '"', '`'}
	if multiLine {
		order = []byte{prefer, '"', 0, '\'', '`'}
	}
	var out []string
	seen := map[byte]bool{}
	for _, pass := range []bool{true, false} {
		for _, q := range order {
			if !seen[q] && (!pass || clean[q]) {
				seen[q] = true
				out = append(out, enc[q])
			}
		}
	}
	return out
}
