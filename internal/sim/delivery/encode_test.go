package delivery

import (
	"bytes"
	"encoding/json"
	"math"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/sim"
	"github.com/envoy-plugin/envoy-plugin/internal/sim/events"
)

func stdEncode(t testing.TB, v any) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		t.Fatal(err)
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n"))
}

func TestEncodeMatchesEncodingJSON(t *testing.T) {
	values := []any{
		nil, true, false, "", "plain", "quote\" back\\ slash", "<html> & co", "\x00\x01\x1f\b\f\n\r\t\x7f", "\u2028\u2029 é 😀", "bad \xff\xfe utf8",
		0.0, -0.0, 1.0, -1.5, 1e-7, 1e-6, 1e20, 1e21, 123456789012345678.0, 0.1, 3.14159, 5e-324, math.MaxFloat64,
		json.Number("12345678901234567890"), json.Number("1.5e3"), 42, int64(-7),
		map[string]any{"b": 1.0, "a": []any{"x", nil, map[string]any{}}, "é": "\t"},
		[]any{}, map[string]any{}, []string{"typed", "slice"}, map[string]int{"typed": 1},
		struct {
			A string `json:"a"`
		}{"struct"},
	}
	for _, v := range values {
		got, err := Encode(v)
		if err != nil {
			t.Fatalf("%#v: %v", v, err)
		}
		if want := stdEncode(t, v); !bytes.Equal(got, want) {
			t.Errorf("%#v:\n got %s\nwant %s", v, got, want)
		}
	}
	if _, err := Encode(math.Inf(1)); err == nil {
		t.Error("Inf encoded")
	}
}

// Every generated body encodes to the bytes encoding/json gives.
func TestEncodeGeneratedBodies(t *testing.T) {
	gen := events.NewGenerator(5, time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC))
	in := gen.Install(sim.InstallOptions{Scopes: true, Config: map[string]any{"N": int64(3), "L": []any{"a"}}})
	for _, ev := range events.All() {
		body, err := gen.Event(ev.Name, in, events.Variant{With: events.WithNames()})
		if err != nil {
			t.Fatal(err)
		}
		got, err := Encode(body)
		if err != nil {
			t.Fatal(err)
		}
		if want := stdEncode(t, body); !bytes.Equal(got, want) {
			t.Errorf("%s:\n got %s\nwant %s", ev.Name, got, want)
		}
	}
}

func FuzzEncode(f *testing.F) {
	for _, s := range []string{`{"a":[1,2.5,"x",null,true]}`, `"\u2028\ud800"`, `1e-7`, `{"<":"&"}`, `[1e21,-0,0.000001]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, useNumber := range []bool{false, true} {
			dec := json.NewDecoder(bytes.NewReader(data))
			if useNumber {
				dec.UseNumber()
			}
			var v any
			if dec.Decode(&v) != nil {
				return
			}
			got, err := Encode(v)
			if err != nil {
				t.Fatal(err)
			}
			if want := stdEncode(t, v); !bytes.Equal(got, want) {
				t.Fatalf("%q:\n got %s\nwant %s", data, got, want)
			}
		}
	})
}
