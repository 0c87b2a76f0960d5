package selectcheck

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

func TestCheckOption(t *testing.T) {
	tests := []struct {
		raw     string
		problem string // "" = valid
		label   string
	}{
		{`{"label":"A","value":"a"}`, "", "A"},
		{`{"label":"A","value":1}`, "", "A"},
		{`{"label":"A","value":-1.5e3,"isDisabled":true}`, "", "A"},
		{` { "value" : "a" , "label" : "Ä \"q\"" , "other": {"x": "}]"} } `, "", `Ä "q"`},
		{`{"\u006cabel":"escaped key","value":"a"}`, "", "escaped key"},
		{`{"Label":"A","value":"a"}`, "label is missing", ""},
		{`{"label":"","value":"a"}`, "label is empty", ""},
		{`{"label":"   ","value":"a"}`, "label is empty", ""},
		{`{"label":null,"value":"a"}`, "label is null, not a string", ""},
		{`{"label":["A"],"value":"a"}`, "label is an array", ""},
		{`{"label":"A"}`, "value is missing", ""},
		{`{"label":"A","value":null}`, "value is null, not a string or a number", ""},
		{`{"label":"A","value":true}`, "value is a boolean (true), not a string or a number", ""},
		{`{"label":"A","value":{"id":1}}`, `value is an object {"id":1}`, ""},
		{`{"label":"A","value":"a","isDisabled":"yes"}`, `isDisabled is a string "yes", not a boolean`, ""},
		{`{"label":"A","value":"a","isDisabled":null}`, "isDisabled is null", ""},
		{`{"label":"A","value":"a","isDisabled":0}`, "isDisabled is a number (0)", ""},
		{`"A"`, "the option is not an object", ""},
		{`{}`, "label is missing; value is missing", ""},
	}
	for _, tt := range tests {
		o := checkOption([]byte(tt.raw))
		if tt.problem == "" && o.problem != "" || tt.problem != "" && !strings.Contains(o.problem, tt.problem) {
			t.Errorf("%s: problem %q, want %q", tt.raw, o.problem, tt.problem)
		}
		if tt.problem == "" && o.label != tt.label {
			t.Errorf("%s: label %q, want %q", tt.raw, o.label, tt.label)
		}
	}
}

// Values are compared as JavaScript compares them: 1 and 1.0 are one
// value, "1" and 1 are two.
func TestValueKeys(t *testing.T) {
	k := func(raw string) uint64 { return checkOption([]byte(`{"label":"x","value":` + raw + `}`)).key }
	if k(`1`) != k(`1.0`) || k(`1`) != k(`1e0`) {
		t.Error("1, 1.0 and 1e0 differ")
	}
	if k(`1`) == k(`"1"`) {
		t.Error(`1 and "1" are the same`)
	}
	if k(`"a"`) != k(`"\u0061"`) {
		t.Error("escapes change the value")
	}
	if k(`"a"`) != valueKey("a") || k(`2`) != valueKey(json.Number("2")) {
		t.Error("valueKey disagrees with the walk")
	}
}

func TestParsePage(t *testing.T) {
	tests := []struct {
		name    string
		body    string
		cursor  bool
		options int
		state   cursorState
		next    any
		end     string
		err     string
	}{
		{name: "array", body: `[{"label":"A","value":"a"},{"label":"B","value":2}]`, options: 2},
		{name: "empty array", body: " [ ] \n", options: 0},
		{name: "object without cursor pagination", body: `{"data":[]}`, err: "expected a JSON array of options, got an object (is the field's pagination \"cursor\"?"},
		{name: "null", body: `null`, err: "got null"},
		{name: "string", body: `"x"`, err: "got a string"},
		{name: "trailing data", body: `[] []`, err: "more data after"},
		{name: "empty body", body: ``, err: "the answer is empty"},
		{name: "truncated", body: `[{"label":"A",`, err: "invalid JSON: the answer ends early (after 14 bytes, in the middle of a value)"},
		{name: "truncated in a string", body: `[{"label":"A`, err: "the answer ends early (after 12 bytes"},
		{name: "blank body", body: " \n ", err: "invalid JSON: the answer is empty"},
		// A cut object is a cut answer, not an object of the wrong shape.
		{name: "truncated object without cursor pagination", body: `{"message": "oops", `, err: "invalid JSON: the answer ends early (after 20 bytes"},
		{name: "truncated object with cursor pagination", cursor: true, body: `{"message": "oops", `, err: "invalid JSON: the answer ends early (after 20 bytes"},
		{name: "truncated array with cursor pagination", cursor: true, body: `[{"a":1}`, err: "invalid JSON: the answer ends early (after 8 bytes"},
		{name: "truncated cursor data", cursor: true, body: `{"data":[{"label":"A","value":"a"}`, err: "the answer ends early (after 34 bytes"},
		{name: "syntax", body: `[{label:"A"}]`, err: "invalid JSON at byte"},
		{name: "cursor string", cursor: true, body: `{"data":[{"label":"A","value":"a"}],"cursor":"abc"}`, options: 1, state: cursorNext, next: "abc"},
		{name: "cursor first", cursor: true, body: `{"cursor":7,"extra":{"a":[1,{"b":2}]},"data":[]}`, state: cursorNext, next: json.Number("7")},
		{name: "cursor null", cursor: true, body: `{"data":[],"cursor":null}`, state: cursorDone, end: "null"},
		{name: "cursor absent", cursor: true, body: `{"data":[]}`, state: cursorDone, end: "absent"},
		{name: "cursor empty", cursor: true, body: `{"data":[],"cursor":""}`, state: cursorDone, end: "empty"},
		{name: "cursor bool", cursor: true, body: `{"data":[],"cursor":true}`, state: cursorBad},
		{name: "cursor array", cursor: true, body: `{"data":[],"cursor":[1]}`, state: cursorBad},
		{name: "cursor mode array", cursor: true, body: `[]`, err: "expected an object {data, cursor}"},
		{name: "no data", cursor: true, body: `{"cursor":null}`, err: "no data array"},
		{name: "data null", cursor: true, body: `{"data":null}`, err: "data must be an array of options, got null"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			ans, err := parsePage(strings.NewReader(tt.body), tt.cursor, func(*option) { n++ })
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("error %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ans.options != tt.options || n != tt.options {
				t.Fatalf("options %d (visited %d), want %d", ans.options, n, tt.options)
			}
			if tt.cursor {
				if ans.cursor != tt.state || (tt.next != nil && ans.cursorVal != tt.next) || (tt.end != "" && ans.cursorEnd != tt.end) {
					t.Fatalf("cursor %v %#v %q", ans.cursor, ans.cursorVal, ans.cursorEnd)
				}
			}
		})
	}
}

// A connection closed in the middle of the answer (Content-Length not
// reached) is said so.
func TestParsePageConnectionClosed(t *testing.T) {
	r := io.MultiReader(strings.NewReader(`[{"label":"A"`), iotest.ErrReader(io.ErrUnexpectedEOF))
	_, err := parsePage(r, false, nil)
	want := "invalid JSON: the connection closed before the end of the answer (after 13 bytes, in the middle of a value)"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %q", err, want)
	}
}

func TestParseSelectedTruncated(t *testing.T) {
	_, err := parseSelected([]byte(`{"label":"A","value":`))
	if err == nil || !strings.Contains(err.Error(), "the answer ends early (after 21 bytes") {
		t.Fatalf("%v", err)
	}
	_, err = parseSelected([]byte(`{"label":"A" x}`))
	if err == nil || strings.Contains(err.Error(), "ends early") {
		t.Fatalf("%v", err)
	}
}

// Reader errors (timeouts, the body bound) come back as they are, not as
// JSON errors, wherever they happen.
func TestParsePageKeepsReaderErrors(t *testing.T) {
	body := `[{"label":"A","value":"a"},{"label":"B","value":"b"}]`
	for i := 0; i < len(body); i += 7 {
		r := io.MultiReader(strings.NewReader(body[:i]), iotest.ErrReader(&sim.BodyTooLargeError{Limit: 10}))
		_, err := parsePage(r, false, nil)
		if !errors.Is(err, sim.ErrBodyTooLarge) {
			t.Fatalf("cut at %d: %v", i, err)
		}
	}
}

// Same pages give the same digest; order and content matter.
func TestPageDigest(t *testing.T) {
	d := func(body string) uint64 {
		a, err := parsePage(strings.NewReader(body), false, nil)
		if err != nil {
			t.Fatal(err)
		}
		return a.digest
	}
	a := d(`[{"label":"A","value":"a"},{"label":"B","value":"b"}]`)
	if a != d(`[ {"value":"a","label":"A"}, {"label":"B","value":"b"} ]`) {
		t.Error("formatting changes the digest")
	}
	if a == d(`[{"label":"B","value":"b"},{"label":"A","value":"a"}]`) {
		t.Error("order does not change the digest")
	}
}

func FuzzParsePage(f *testing.F) {
	for _, s := range []string{
		`[{"label":"A","value":"a"},{"label":"B","value":2,"isDisabled":false}]`,
		`{"data":[{"label":"A","value":"a"}],"cursor":"abc"}`,
		`{"data":[],"cursor":null,"x":[{"y":"}"}]}`,
		`[{"label":"","value":{}}]`,
		`[{"\u006cabel":"x","value":"\ud800"}]`,
		`[1, "a", null, []]`,
		`[`, `{`, ``, `nul`,
	} {
		f.Add([]byte(s), false)
		f.Add([]byte(s), true)
	}
	f.Fuzz(func(t *testing.T, data []byte, cursorMode bool) {
		var visited []option
		ans, err := parsePage(bytes.NewReader(data), cursorMode, func(o *option) {
			c := *o
			c.raw = append([]byte(nil), o.raw...)
			visited = append(visited, c)
		})
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		// Cross-check every option against a plain decode.
		var list []json.RawMessage
		if cursorMode {
			var obj struct {
				Data []json.RawMessage `json:"data"`
			}
			if json.Unmarshal(data, &obj) != nil {
				return // e.g. data given twice; the plain decode disagrees on which
			}
			list = obj.Data
		} else if err := json.Unmarshal(data, &list); err != nil {
			t.Fatalf("accepted %q: %v", data, err)
		}
		if len(list) != ans.options && !cursorMode {
			t.Fatalf("%d options, plain decode %d", ans.options, len(list))
		}
		for _, o := range visited {
			var m map[string]any
			dec := json.NewDecoder(bytes.NewReader(o.raw))
			dec.UseNumber()
			valid := dec.Decode(&m) == nil && m != nil
			if valid {
				label, ok := m["label"].(string)
				valid = ok && strings.TrimSpace(label) != ""
				switch m["value"].(type) {
				case string, json.Number:
				default:
					valid = false
				}
				if d, ok := m["isDisabled"]; ok {
					if _, isBool := d.(bool); !isBool {
						valid = false
					}
				}
			}
			if valid != (o.problem == "") {
				t.Fatalf("option %s: problem %q, plain decode says valid=%v", o.raw, o.problem, valid)
			}
		}
	})
}

// FuzzParseSelected: a selected-values answer (one option, an array of
// options or null) never panics the parser, and what it accepts is valid
// JSON whose options all passed the option checks.
func FuzzParseSelected(f *testing.F) {
	for _, s := range []string{
		`null`, `{"label":"A","value":"a"}`, `[{"label":"A","value":1},{"label":"","value":"b"}]`,
		`[]`, `"a"`, `1`, `[null]`, `{`, ``, `  null  `, `[{"label":"x","value":{"id":1}}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		l, err := parseSelected(data)
		if err != nil {
			return
		}
		if !json.Valid(data) {
			t.Fatalf("accepted invalid JSON %q", data)
		}
		for _, o := range l.options {
			if o.problem != "" || strings.TrimSpace(o.label) == "" {
				t.Fatalf("kept an invalid option %+v from %q", o, data)
			}
		}
	})
}
