package events

import (
	"encoding/json"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

func TestParseSet(t *testing.T) {
	tests := []struct {
		arg     string
		path    []string
		value   any
		raw     bool
		wantErr string
	}{
		{arg: "payload.attributes.full-name=Ada Lovelace", path: []string{"payload", "attributes", "full-name"}, value: "Ada Lovelace"},
		{arg: "meta.config.GREETING=Hola", path: []string{"meta", "config", "GREETING"}, value: "Hola"},
		{arg: "meta.config.EMPTY=", path: []string{"meta", "config", "EMPTY"}, value: ""},
		{arg: "a=b=c", path: []string{"a"}, value: "b=c"},
		{arg: "a=:=x", path: []string{"a"}, value: ":=x"},
		{arg: "a:b=c", path: []string{"a:b"}, value: "c"},
		{arg: `meta.config.a\.b=x`, path: []string{"meta", "config", "a.b"}, value: "x"},
		{arg: `k\=ey=v`, path: []string{"k=ey"}, value: "v"},
		{arg: `k\:=v`, path: []string{"k:"}, value: "v"},
		{arg: `back\\slash=v`, path: []string{`back\slash`}, value: "v"},
		{arg: `keep\nthis=v`, path: []string{`keep\nthis`}, value: "v"},
		{arg: "meta.config.LIMIT:=10", path: []string{"meta", "config", "LIMIT"}, value: json.Number("10"), raw: true},
		{arg: "meta.config.BIG:=12345678901234567890", path: []string{"meta", "config", "BIG"}, value: json.Number("12345678901234567890"), raw: true},
		{arg: "meta.auth:=null", path: []string{"meta", "auth"}, value: nil, raw: true},
		{arg: "x:=true", path: []string{"x"}, value: true, raw: true},
		{arg: `x:="s"`, path: []string{"x"}, value: "s", raw: true},
		{arg: `payload.attributes.user-data:=[{"field":"a","value":null}]`, path: []string{"payload", "attributes", "user-data"},
			value: []any{map[string]any{"field": "a", "value": nil}}, raw: true},
		{arg: `x:= {"a": 1} `, path: []string{"x"}, value: map[string]any{"a": json.Number("1")}, raw: true},
		{arg: "x:=", wantErr: "nothing after :="},
		{arg: "x:=nope", wantErr: "not JSON"},
		{arg: "x:=1 2", wantErr: "not JSON"},
		{arg: "x:={", wantErr: "not JSON"},
		{arg: "no-separator", wantErr: "no = or :="},
		{arg: `only\=escaped`, wantErr: "no = or :="},
		{arg: "", wantErr: "no = or :="},
		{arg: "=value", wantErr: "path before = is empty"},
		{arg: ":=1", wantErr: "path before = is empty"},
		{arg: "a..b=c", wantErr: `path "a..b" has an empty key`},
		{arg: ".a=c", wantErr: "has an empty key"},
		{arg: "a.=c", wantErr: "has an empty key"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			got, err := ParseSet(tt.arg)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseSet(%q) error = %v, want %q", tt.arg, err, tt.wantErr)
				}
				if !strings.Contains(err.Error(), strconv.Quote(tt.arg)) {
					t.Errorf("error %q does not quote the argument", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseSet(%q): %v", tt.arg, err)
			}
			want := Set{Path: tt.path, Value: tt.value, Raw: tt.raw}
			if !reflect.DeepEqual(got, want) {
				t.Fatalf("ParseSet(%q) = %#v, want %#v", tt.arg, got, want)
			}
			back, err := ParseSet(got.String())
			if err != nil || !reflect.DeepEqual(back, got) {
				t.Errorf("String() = %q parses back to %#v, %v", got.String(), back, err)
			}
		})
	}
}

func TestApplySets(t *testing.T) {
	base := func() map[string]any {
		return map[string]any{
			"meta": map[string]any{
				"config": map[string]any{"GREETING": "Hello"},
				"job":    map[string]any{"id": "j1"},
				"auth":   nil,
			},
			"payload": map[string]any{
				"attributes": map[string]any{
					"full-name":  "Bo",
					"legal-docs": []any{map[string]any{"signed-at": "x"}, "scalar"},
				},
			},
		}
	}
	tests := []struct {
		name    string
		sets    []string
		check   func(t *testing.T, b map[string]any)
		wantErr string
	}{
		{name: "string", sets: []string{"payload.attributes.full-name=Ada Lovelace"}, check: func(t *testing.T, b map[string]any) {
			if v, _ := path(b, "payload", "attributes", "full-name"); v != "Ada Lovelace" {
				t.Errorf("full-name = %v", v)
			}
		}},
		{name: "creates objects", sets: []string{"meta.config.NEW.deep.er=1"}, check: func(t *testing.T, b map[string]any) {
			if v, _ := path(b, "meta", "config", "NEW", "deep", "er"); v != "1" {
				t.Errorf("value = %v", v)
			}
			if v, _ := path(b, "meta", "config", "GREETING"); v != "Hello" {
				t.Errorf("sibling lost: %v", v)
			}
		}},
		{name: "null becomes an object", sets: []string{"meta.auth.access_token=t"}, check: func(t *testing.T, b map[string]any) {
			if v, _ := path(b, "meta", "auth", "access_token"); v != "t" {
				t.Errorf("value = %v", v)
			}
		}},
		{name: "raw replaces", sets: []string{`meta.config:={"A":[1,2]}`}, check: func(t *testing.T, b map[string]any) {
			if v, _ := path(b, "meta", "config", "GREETING"); v != nil {
				t.Errorf("old config kept: %v", v)
			}
			if v, ok := path(b, "meta", "config", "A"); !ok || len(v.([]any)) != 2 {
				t.Errorf("A = %v", v)
			}
		}},
		{name: "later wins", sets: []string{"meta.config.GREETING=A", "meta.config.GREETING=B"}, check: func(t *testing.T, b map[string]any) {
			if v, _ := path(b, "meta", "config", "GREETING"); v != "B" {
				t.Errorf("GREETING = %v", v)
			}
		}},
		{name: "array index", sets: []string{"payload.attributes.legal-docs.0.signed-at=2026-11-27 10:00:00"}, check: func(t *testing.T, b map[string]any) {
			docs, _ := path(b, "payload", "attributes", "legal-docs")
			if v := docs.([]any)[0].(map[string]any)["signed-at"]; v != "2026-11-27 10:00:00" {
				t.Errorf("signed-at = %v", v)
			}
		}},
		{name: "array element replaced", sets: []string{"payload.attributes.legal-docs.1:=7"}, check: func(t *testing.T, b map[string]any) {
			docs, _ := path(b, "payload", "attributes", "legal-docs")
			if v := docs.([]any)[1]; v != json.Number("7") {
				t.Errorf("element = %#v", v)
			}
		}},
		{name: "remove payload", sets: []string{"payload:=null"}, check: func(t *testing.T, b map[string]any) {
			if v, ok := b["payload"]; !ok || v != nil {
				t.Errorf("payload = %v, %v", v, ok)
			}
		}},
		{name: "string in the way", sets: []string{"meta.job.id.x=1"},
			wantErr: "cannot set meta.job.id.x: meta.job.id is a string, not an object"},
		{name: "scalar element in the way", sets: []string{"payload.attributes.legal-docs.1.x=1"},
			wantErr: "payload.attributes.legal-docs.1 is a string, not an object"},
		{name: "bad index", sets: []string{"payload.attributes.legal-docs.name=1"},
			wantErr: `payload.attributes.legal-docs is an array of 2, so "name" must be an index from 0 to 1`},
		{name: "index out of range", sets: []string{"payload.attributes.legal-docs.5=1"},
			wantErr: "must be an index from 0 to 1"},
		{name: "first error stops", sets: []string{"meta.job.id.x=1", "meta.config.GREETING=never"},
			wantErr: "meta.job.id is a string"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sets []Set
			for _, a := range tt.sets {
				s, err := ParseSet(a)
				if err != nil {
					t.Fatal(err)
				}
				sets = append(sets, s)
			}
			b := base()
			err := ApplySets(b, sets)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, b)
			if _, err := json.Marshal(b); err != nil {
				t.Errorf("edited body does not encode: %v", err)
			}
		})
	}
	if err := ApplySets(nil, nil); err == nil {
		t.Error("ApplySets(nil) did not fail")
	}
	if err := ApplySets(map[string]any{}, []Set{{}}); err == nil {
		t.Error("an empty path did not fail")
	}
}

func FuzzParseSet(f *testing.F) {
	for _, s := range []string{
		"payload.attributes.full-name=Ada", "meta.config.N:=1", `a\.b=c`, `a\\=b`, "a:b=c", "a=:=b",
		`x:={"a":[1,null,"s"]}`, "=x", "a..b=c", "x:=", `\`, `a\=`, "ü.ö=ß", `x:="\u003c"`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, arg string) {
		s, err := ParseSet(arg)
		if err != nil {
			return
		}
		if len(s.Path) == 0 {
			t.Fatalf("ParseSet(%q) gave an empty path", arg)
		}
		for _, k := range s.Path {
			if k == "" {
				t.Fatalf("ParseSet(%q) gave an empty key: %q", arg, s.Path)
			}
		}
		printed := s.String()
		back, err := ParseSet(printed)
		if err != nil {
			t.Fatalf("ParseSet(%q) ok, but its String %q fails: %v", arg, printed, err)
		}
		if !reflect.DeepEqual(back, s) {
			t.Fatalf("round trip of %q via %q: %#v != %#v", arg, printed, back, s)
		}
		body := map[string]any{}
		if err := ApplySets(body, []Set{s}); err != nil {
			t.Fatalf("applying %q to {}: %v", arg, err)
		}
	})
}
