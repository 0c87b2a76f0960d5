package api

import (
	"encoding/json"
	"errors"
	"testing"
)

// FuzzParseCommands: any body either parses into valid commands that run
// without panicking, or fails with an *InvalidError.
func FuzzParseCommands(f *testing.F) {
	for _, s := range []string{
		`[{"action":"get","key":"k"}]`,
		`[{"action":"set","key":"k","value":{"a":[1,2]}}]`,
		`[{"action":"set_unique","key":"k","chars":"ab","size":3}]`,
		`[{"action":"set_unique_num","key":"k","min":"1","max":2.0}]`,
		`[{"action":"unset","key":"k"},{"action":"list","page":2}]`,
		`[{"action":"list","page":-1}]`,
		`{"action":"get"}`, `null`, `[null]`, `[{"action":7}]`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		cmds, err := ParseCommands(data)
		if err != nil {
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("error %T %v is not an *InvalidError", err, err)
			}
			return
		}
		for _, c := range cmds {
			if c.Action != ActionList && c.Key == "" {
				t.Fatalf("command without key: %+v", c)
			}
			if c.Action == ActionSetUnique && (c.Size < 1 || c.Size > maxUniqueSize || c.Chars == "") {
				t.Fatalf("bad set_unique: %+v", c)
			}
			if c.Action == ActionSetUniqueNum && c.Min > c.Max {
				t.Fatalf("bad set_unique_num: %+v", c)
			}
		}
		// Small sizes only, so that the fuzzer does not spend its time
		// building huge strings.
		for i := range cmds {
			if cmds[i].Size > 16 {
				cmds[i].Size = 16
			}
		}
		db := NewMemory(nil)
		res, ops, err := db.ExecStorage("", true, cmds, 3)
		if err == nil && (len(res) != len(cmds) || len(ops) != len(cmds)) {
			t.Fatalf("%d results for %d commands", len(res), len(cmds))
		}
		if err == nil {
			if _, err := json.Marshal(res); err != nil {
				t.Fatalf("results do not encode: %v", err)
			}
		}
	})
}

// FuzzParseJobUpdate: a PATCH body parses or fails with an *InvalidError.
func FuzzParseJobUpdate(f *testing.F) {
	for _, s := range []string{
		`{"attachments":[]}`,
		`{"status":"done","status_message":"ok","attachments":[{"type":"text","label":"a","value":"b"}]}`,
		`{"status":"failed","failure_reason":"x","attachments":[{"type":"weird"}]}`,
		`{"status":1}`, `[]`, `null`, `{"attachments":[1]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		u, _, err := ParseJobUpdate(data)
		if err != nil {
			var inv *InvalidError
			if !errors.As(err, &inv) {
				t.Fatalf("error %T %v is not an *InvalidError", err, err)
			}
			return
		}
		if u.Status != "" && !jobStatuses[u.Status] {
			t.Fatalf("accepted status %q", u.Status)
		}
		if u.Attachments == nil {
			t.Fatal("nil attachments")
		}
	})
}
