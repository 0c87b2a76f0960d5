package output

import (
	"fmt"
	"io"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/iostreams"
)

type thing struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

func (t thing) WriteText(w io.Writer, cs *iostreams.ColorScheme) error {
	_, err := fmt.Fprintf(w, "%s at %s\n", cs.Bold(t.Name), t.URL)
	return err
}

func TestPrinterFormats(t *testing.T) {
	v := thing{Name: "a<b>", URL: "http://x/?a=1&b=2"}
	tests := []struct {
		format Format
		tty    bool
		want   string
	}{
		{Text, false, "a<b> at http://x/?a=1&b=2\n"},
		{JSON, false, `{"name":"a<b>","url":"http://x/?a=1&b=2"}` + "\n"},
		{JSON, true, "{\n  \"name\": \"a<b>\",\n  \"url\": \"http://x/?a=1&b=2\"\n}\n"},
		{NDJSON, true, `{"name":"a<b>","url":"http://x/?a=1&b=2"}` + "\n"},
	}
	for _, tt := range tests {
		ios, _, out, _ := iostreams.Test()
		ios.SetStdoutTTY(tt.tty)
		if err := (&Printer{IO: ios, Format: tt.format}).Print(v); err != nil {
			t.Fatal(err)
		}
		if out.String() != tt.want {
			t.Errorf("%s tty=%v: got %q, want %q", tt.format, tt.tty, out.String(), tt.want)
		}
	}
}
