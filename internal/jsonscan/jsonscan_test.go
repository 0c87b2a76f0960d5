package jsonscan

import "testing"

func TestValueEnd(t *testing.T) {
	for _, tt := range []struct {
		in   string
		at   int
		want int
	}{
		{`"a\"b",1`, 0, 6},
		{`{"x":[1,{"y":"]"}]} tail`, 0, 19},
		{`[[[`, 0, 3},     // cut: the end of the input
		{`12.5e3,`, 0, 6}, // a scalar ends at a delimiter
		{`true}`, 0, 4},
		{`"open`, 0, 5},
		{``, 0, 0},
	} {
		if got := ValueEnd([]byte(tt.in), tt.at); got != tt.want {
			t.Errorf("ValueEnd(%q, %d) = %d, want %d", tt.in, tt.at, got, tt.want)
		}
	}
	if got := SkipSpace([]byte(" \t\r\n x"), 0); got != 5 {
		t.Errorf("SkipSpace = %d", got)
	}
}

func FuzzValueEnd(f *testing.F) {
	for _, s := range []string{`{"a":[1,"]"]}`, `"\`, `[[[[`, `nul`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		for i := 0; i <= len(b); i++ {
			if e := ValueEnd(b, i); e < i || e > len(b) {
				t.Fatalf("ValueEnd(%q, %d) = %d", s, i, e)
			}
			if e := SkipSpace(b, i); e < i || e > len(b) {
				t.Fatalf("SkipSpace = %d", e)
			}
		}
	})
}
