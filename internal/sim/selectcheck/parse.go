package selectcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/envoy-plugin/envoy-plugin/internal/jsonscan"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// option is one option of an answer, as much of it as the checks need.
// Options are visited one at a time and then dropped: the walk keeps only
// digests.
type option struct {
	index    int
	raw      []byte // the option's JSON (valid only during the visit)
	key      uint64 // digest of the value (type-aware: "1" and 1 differ)
	labelSum uint64 // digest of the label
	label    string
	value    any    // string or json.Number
	valueRaw []byte // the value's JSON
	problem  string // non-empty: the option breaks the contract
}

// cursorState is what an answer's cursor says about the walk.
type cursorState int

const (
	cursorDone cursorState = iota // null, absent or empty: the last page
	cursorNext                    // a string or number: call again with it
	cursorBad                     // anything else
)

// answer is what parsePage learned about one page beyond its options.
type answer struct {
	options   int
	digest    uint64 // digest of the page's ordered values
	cursor    cursorState
	cursorVal any    // string or json.Number, when cursorNext
	cursorRaw string // the cursor's JSON (cut), for messages
	cursorEnd string // "null", "absent" or "empty", when cursorDone
}

// shapeError is an answer that is valid JSON but not the expected shape, or
// not valid JSON at all.
type shapeError struct{ msg string }

func (e *shapeError) Error() string { return e.msg }

func shapef(format string, a ...any) error { return &shapeError{msg: fmt.Sprintf(format, a...)} }

// parsePage decodes one options answer from r without holding the page in
// memory: the outer structure is read token by token and each option is
// decoded alone, checked, handed to visit and dropped. cursorMode expects
// {data: [options], cursor}; otherwise an array of options.
func parsePage(r io.Reader, cursorMode bool, visit func(*option)) (ans answer, err error) {
	cr := &countingReader{r: r}
	defer func() {
		// A JSON error says where the answer broke off.
		var te *truncatedError
		if errors.As(err, &te) {
			err = te.shape(cr)
		}
	}()
	dec := json.NewDecoder(cr)
	dec.UseNumber()
	ans.digest = fnvOffset
	tok, err := dec.Token()
	if err != nil {
		return ans, jsonErr(err)
	}
	if !cursorMode {
		if d, ok := tok.(json.Delim); !ok || d != '[' {
			hint := ""
			if d, ok := tok.(json.Delim); ok && d == '{' {
				hint = " (is the field's pagination \"cursor\"? without cursor pagination Envoy expects a bare array)"
			}
			// A cut answer is diagnosed as such, not by its first byte.
			if err := skipRest(dec, tok); err != nil {
				return ans, err
			}
			return ans, shapef("expected a JSON array of options, got %s%s", kindOfToken(tok), hint)
		}
		if err := readOptions(dec, &ans, visit); err != nil {
			return ans, err
		}
		return ans, expectEOF(dec)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		if err := skipRest(dec, tok); err != nil {
			return ans, err
		}
		return ans, shapef("expected an object {data, cursor} (cursor pagination), got %s", kindOfToken(tok))
	}
	sawData, sawCursor := false, false
	ans.cursorEnd = "absent"
	for dec.More() {
		kt, err := dec.Token()
		if err != nil {
			return ans, jsonErr(err)
		}
		key, _ := kt.(string)
		switch key {
		case "data":
			sawData = true
			tok, err := dec.Token()
			if err != nil {
				return ans, jsonErr(err)
			}
			if d, ok := tok.(json.Delim); !ok || d != '[' {
				return ans, shapef("data must be an array of options, got %s", kindOfToken(tok))
			}
			if err := readOptions(dec, &ans, visit); err != nil {
				return ans, err
			}
		case "cursor":
			sawCursor = true
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				return ans, jsonErr(err)
			}
			classifyCursor(raw, &ans)
		default:
			if err := skipValue(dec); err != nil {
				return ans, err
			}
		}
	}
	if _, err := dec.Token(); err != nil { // the closing }
		return ans, jsonErr(err)
	}
	if !sawData {
		return ans, shapef("the object has no data array (cursor pagination answers {data: [options], cursor})")
	}
	_ = sawCursor
	return ans, expectEOF(dec)
}

func readOptions(dec *json.Decoder, ans *answer, visit func(*option)) error {
	i := 0
	for dec.More() {
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			return jsonErr(err)
		}
		o := checkOption(raw)
		o.index = i
		ans.options++
		if o.problem == "" {
			ans.digest = mix(ans.digest, o.key)
		} else {
			ans.digest = mix(ans.digest, fnvString('x', string(raw)))
		}
		if visit != nil {
			visit(&o)
		}
		i++
	}
	if _, err := dec.Token(); err != nil { // the closing ]
		return jsonErr(err)
	}
	return nil
}

func classifyCursor(raw json.RawMessage, ans *answer) {
	raw = bytes.TrimSpace(raw)
	ans.cursorRaw = cut(string(raw), 120)
	switch {
	case len(raw) == 0 || string(raw) == "null":
		ans.cursor, ans.cursorEnd = cursorDone, "null"
	case raw[0] == '"':
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			ans.cursor = cursorBad
			return
		}
		if s == "" {
			ans.cursor, ans.cursorEnd = cursorDone, "empty"
			return
		}
		ans.cursor, ans.cursorVal = cursorNext, s
	case raw[0] == '-' || (raw[0] >= '0' && raw[0] <= '9'):
		ans.cursor, ans.cursorVal = cursorNext, json.Number(raw)
	default:
		ans.cursor = cursorBad
	}
}

// skipRest reads past the rest of a value whose first token was tok, so
// that a cut answer is told from a complete one of the wrong shape.
func skipRest(dec *json.Decoder, tok json.Token) error {
	d, ok := tok.(json.Delim)
	if !ok || (d != '{' && d != '[') {
		return nil
	}
	depth := 1
	for depth > 0 {
		tok, err := dec.Token()
		if err != nil {
			return jsonErr(err)
		}
		if d, ok := tok.(json.Delim); ok {
			if d == '{' || d == '[' {
				depth++
			} else {
				depth--
			}
		}
	}
	return nil
}

// skipValue reads past one JSON value token by token.
func skipValue(dec *json.Decoder) error {
	depth := 0
	for {
		tok, err := dec.Token()
		if err != nil {
			return jsonErr(err)
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				depth++
			default:
				depth--
			}
		}
		if depth == 0 {
			return nil
		}
	}
}

func expectEOF(dec *json.Decoder) error {
	if _, err := dec.Token(); err != io.EOF {
		if err != nil {
			return jsonErr(err)
		}
		return shapef("invalid JSON: more data after the answer's value")
	}
	return nil
}

// jsonErr keeps transport errors (timeouts, the body bound) as they are and
// words JSON errors for a report.
func jsonErr(err error) error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return shapef("invalid JSON at byte %d: %s", se.Offset, se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		// Empty, or cut: parsePage tells which from the bytes read.
		return &truncatedError{err: err}
	}
	return err
}

// truncatedError is an answer that ended before its JSON value did (or
// had none): the connection closed, or the plugin cut its output.
type truncatedError struct{ err error }

func (e *truncatedError) Error() string { return "invalid JSON: the answer ends early" }

func (e *truncatedError) shape(cr *countingReader) error {
	if !cr.content {
		return shapef("invalid JSON: the answer is empty")
	}
	how := "the answer ends early"
	if cr.readErr != nil {
		how = "the connection closed before the end of the answer"
	}
	return shapef("invalid JSON: %s (after %d %s, in the middle of a value)", how, cr.n, plural(int(cr.n), "byte", "bytes"))
}

// countingReader counts the bytes read and notes whether any was not
// white space.
type countingReader struct {
	r       io.Reader
	n       int64
	content bool
	readErr error // the reader's own error other than io.EOF
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if !c.content {
		for _, b := range p[:n] {
			if b != ' ' && b != '\t' && b != '\n' && b != '\r' {
				c.content = true
				break
			}
		}
	}
	if err != nil && err != io.EOF {
		c.readErr = err
	}
	return n, err
}

func kindOfToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '{' {
			return "an object"
		}
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// checkOption checks one option against the contract: an object with a
// non-empty string label, a string or number value, and isDisabled a
// boolean when present. Keys are matched exactly, as JavaScript reads them.
func checkOption(raw []byte) option {
	o := option{raw: raw}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		o.problem = "the option is not an object"
		return o
	}
	var labelRaw, valueRaw, disabledRaw []byte
	hasLabel, hasValue, hasDisabled := false, false, false
	objectFields(raw, func(key, val []byte) {
		switch string(key) {
		case "label":
			labelRaw, hasLabel = val, true
		case "value":
			valueRaw, hasValue = val, true
		case "isDisabled":
			disabledRaw, hasDisabled = val, true
		}
	})
	var problems []string
	switch {
	case !hasLabel:
		problems = append(problems, "label is missing")
	case labelRaw[0] != '"':
		problems = append(problems, "label is "+kindOfRaw(labelRaw)+", not a string")
	default:
		o.label = unquote(labelRaw)
		if strings.TrimSpace(o.label) == "" {
			problems = append(problems, "label is empty")
		}
		o.labelSum = fnvString('l', o.label)
	}
	switch {
	case !hasValue:
		problems = append(problems, "value is missing")
	case valueRaw[0] == '"':
		s := unquote(valueRaw)
		o.value, o.valueRaw = s, valueRaw
		o.key = fnvString('s', s)
	case valueRaw[0] == '-' || (valueRaw[0] >= '0' && valueRaw[0] <= '9'):
		n := json.Number(valueRaw)
		o.value, o.valueRaw = n, valueRaw
		o.key = numberKey(n)
	default:
		problems = append(problems, "value is "+kindOfRaw(valueRaw)+", not a string or a number")
	}
	if hasDisabled && string(disabledRaw) != "true" && string(disabledRaw) != "false" {
		problems = append(problems, "isDisabled is "+kindOfRaw(disabledRaw)+", not a boolean")
	}
	o.problem = strings.Join(problems, "; ")
	return o
}

// valueKey is the digest of a value given as Go data (string or number).
func valueKey(v any) uint64 {
	switch x := v.(type) {
	case string:
		return fnvString('s', x)
	case json.Number:
		return numberKey(x)
	}
	return fnvString('?', fmt.Sprint(v))
}

// numberKey makes 1, 1.0 and 1e0 one value, as JavaScript sees them.
func numberKey(n json.Number) uint64 {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || math.IsInf(f, 0) {
		return fnvString('n', string(n))
	}
	return fnvString('n', strconv.FormatFloat(f, 'g', -1, 64))
}

func kindOfRaw(raw []byte) string {
	if len(raw) == 0 {
		return "empty"
	}
	switch raw[0] {
	case '{':
		return "an object " + cut(string(raw), 60)
	case '[':
		return "an array " + cut(string(raw), 60)
	case '"':
		return "a string " + cut(string(raw), 60)
	case 't', 'f':
		return "a boolean (" + string(raw) + ")"
	case 'n':
		return "null"
	}
	return "a number (" + cut(string(raw), 40) + ")"
}

func unquote(raw []byte) string {
	if bytes.IndexByte(raw, '\\') < 0 && len(raw) >= 2 {
		s := raw[1 : len(raw)-1]
		if utf8.Valid(s) {
			return string(s)
		}
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return string(raw)
	}
	return s
}

// objectFields calls fn with each key (unescaped) and raw value of a valid
// JSON object, without decoding the values.
func objectFields(raw []byte, fn func(key, val []byte)) {
	i := 1 // past {
	n := len(raw)
	for i < n {
		i = jsonscan.SkipSpace(raw, i)
		if i >= n || raw[i] == '}' {
			return
		}
		if raw[i] == ',' {
			i++
			continue
		}
		if raw[i] != '"' {
			return
		}
		end := jsonscan.StringEnd(raw, i)
		key := raw[i+1 : end-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			key = []byte(unquote(raw[i:end]))
		}
		i = jsonscan.SkipSpace(raw, end)
		if i >= n || raw[i] != ':' {
			return
		}
		i = jsonscan.SkipSpace(raw, i+1)
		vEnd := jsonscan.ValueEnd(raw, i)
		if vEnd <= i {
			return
		}
		fn(key, raw[i:vEnd])
		i = vEnd
	}
}

// FNV-1a, 64 bit, written out so that digesting allocates nothing.
const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func fnvString(kind byte, s string) uint64 {
	h := uint64(fnvOffset)
	h ^= uint64(kind)
	h *= fnvPrime
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

func mix(h, v uint64) uint64 {
	for i := 0; i < 8; i++ {
		h ^= v & 0xff
		h *= fnvPrime
		v >>= 8
	}
	return h
}

// cut shortens s to n bytes (on a rune boundary) with an ellipsis.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n] + "…"
}
