package creds

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var goldenVars = map[string]string{
	EnvClientID:     "2f0c8b8e-4a54-4d0e-9c1a-6f3b0d6f9e21",
	EnvClientSecret: "q1w2e3r4t5y6u7i8o9p0-_ASDFGHJKLzxcvbnmQWERT",
	EnvBaseURL:      "http://127.0.0.1:4000",
}

// TestMergeGolden merges goldenVars into every testdata/env/*.env and
// compares with the .golden file beside it (go test -update rewrites them).
// Besides the bytes, it checks the merge's promises: the other variables
// read the same, and the original bytes outside the rewritten values are
// all still there, in order.
func TestMergeGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("..", "..", "testdata", "env", "*.env"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden inputs: %v", err)
	}
	for _, in := range files {
		name := strings.TrimSuffix(filepath.Base(in), ".env")
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(in)
			if err != nil {
				t.Fatal(err)
			}
			out, changed, err := Merge(data, goldenVars)
			if err != nil {
				t.Fatal(err)
			}
			golden := strings.TrimSuffix(in, ".env") + ".golden"
			if *update {
				if err := os.WriteFile(golden, out, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update)", err)
			}
			if !bytes.Equal(out, want) {
				t.Errorf("merge of %s:\n got %q\nwant %q", in, out, want)
			}
			checkMergePromises(t, data, out, goldenVars, changed)
		})
	}
}

// checkMergePromises: other keys unchanged, targets set, and every line of
// the input that held no target key is still in the output.
func checkMergePromises(t *testing.T, in, out []byte, vars map[string]string, changed []string) {
	t.Helper()
	before, _ := ParseEnv(in)
	after, _ := ParseEnv(out)
	bv, av := before.Values(), after.Values()
	for k, v := range bv {
		if _, target := vars[k]; !target && av[k] != v {
			t.Errorf("%s changed from %q to %q", k, v, av[k])
		}
	}
	for k, v := range vars {
		if av[k] != v {
			t.Errorf("%s = %q, want %q", k, av[k], v)
		}
	}
	for k := range av {
		if _, ok := bv[k]; !ok {
			if _, target := vars[k]; !target {
				t.Errorf("new key %s appeared", k)
			}
		}
	}
	var want []string
	for k, v := range vars {
		if cur, ok := bv[k]; !ok || cur != v {
			want = append(want, k)
		}
	}
	keyOrder(want)
	if !reflect.DeepEqual(changed, want) && !(len(changed) == 0 && len(want) == 0) {
		t.Errorf("changed = %v, want %v", changed, want)
	}
	// Bytes outside the rewritten values survive: remove each target
	// entry's value from both and compare what remains as a prefix.
	strip := func(ef *EnvFile) []byte {
		var b []byte
		last := 0
		for _, e := range ef.Entries {
			if _, target := vars[e.Key]; target {
				b = append(b, ef.Data[last:e.ValueStart]...)
				last = e.ValueEnd
			}
		}
		return append(b, ef.Data[last:]...)
	}
	if sb, sa := strip(before), strip(after); !bytes.HasPrefix(sa, sb) {
		t.Errorf("bytes of other lines changed:\nbefore %q\nafter  %q", sb, sa)
	}
}

func TestMergeCases(t *testing.T) {
	tests := []struct {
		name string
		in   string
		vars map[string]string
		want string
	}{
		{"unchanged value writes nothing", "A=1\n", map[string]string{"A": "1"}, "A=1\n"},
		{"keeps single quotes", "A='x' # c\n", map[string]string{"A": "y"}, "A='y' # c\n"},
		{"keeps double quotes", "A=\"x\"\n", map[string]string{"A": "y"}, "A=\"y\"\n"},
		{"quotes a value with a hash", "A=1\n", map[string]string{"A": "a#b"}, "A='a#b'\n"},
		{"quotes a value with spaces at the end", "", map[string]string{"A": "x "}, "A='x '\n"},
		{"double quotes a newline", "", map[string]string{"A": "a\nb"}, "A=\"a\\nb\"\n"},
		{"single quotes a newline next to a literal backslash-n", "", map[string]string{"A": "a\nb\\n"}, "A='a\nb\\n'\n"},
		{"value with both quotes", "", map[string]string{"A": `it's "x"`}, "A=`it's \"x\"`\n"},
		{"value of a quote alone", "", map[string]string{"A": `'`}, "A=\"'\"\n"},
		{"empty value", "A=1\n", map[string]string{"A": ""}, "A=\n"},
		{"fills an empty value before a comment", "A= # c\n", map[string]string{"A": "v"}, "A=v # c\n"},
		{"fills an empty colon value", "A: \n", map[string]string{"A": "v"}, "A: v\n"},
		{"replaces a value taken from the next line", "A=\n'v'\nB=1\n", map[string]string{"A": "w"}, "A=\n'w'\nB=1\n"},
		{"value on next line cannot be appended near", "A=\n", map[string]string{"B": "'x'"}, "A=\nB=\"'x'\"\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, changed, err := Merge([]byte(tt.in), tt.vars)
			if err != nil {
				t.Fatal(err)
			}
			if string(out) != tt.want {
				t.Errorf("got %q, want %q", out, tt.want)
			}
			checkMergePromises(t, []byte(tt.in), out, tt.vars, changed)
		})
	}
}

func TestMergeRefuses(t *testing.T) {
	if _, _, err := Merge(nil, map[string]string{"BAD KEY": "x"}); err == nil || !strings.Contains(err.Error(), "invalid variable name") {
		t.Errorf("bad key: %v", err)
	}
	if _, _, err := Merge(nil, map[string]string{"__proto__": "x"}); err == nil {
		t.Error("__proto__ accepted")
	}
}

func FuzzMerge(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "testdata", "env", "*.env"))
	for _, in := range files {
		data, _ := os.ReadFile(in)
		f.Add(data, "ENVOY_CLIENT_SECRET", "abc")
	}
	for _, c := range parseCases {
		f.Add([]byte(c.in), "A", "x'y\"z")
	}
	f.Fuzz(func(t *testing.T, data []byte, key, value string) {
		vars := map[string]string{key: value}
		out, changed, err := Merge(data, vars)
		if err != nil {
			return // refusing is allowed; changing other keys is not
		}
		checkMergePromises(t, data, out, vars, changed)
	})
}
