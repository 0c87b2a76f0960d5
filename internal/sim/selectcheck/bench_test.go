package selectcheck

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/sim"
)

func page20(offset int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"data":[`)
	for i := 0; i < 20; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"label":"Option %07d","value":"opt-%07d"}`, offset+i, offset+i)
	}
	b.WriteString(`],"cursor":"next"}`)
	return b.Bytes()
}

// BenchmarkParsePage: decoding and checking one page of 20 options.
func BenchmarkParsePage(b *testing.B) {
	body := page20(0)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if _, err := parsePage(bytes.NewReader(body), true, func(*option) {}); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkWalk: a whole cursor walk of 200 pages (4,000 options) over
// local HTTP, per walk.
func BenchmarkWalk(b *testing.B) {
	const pages = 200
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		p := 1
		if c := r.URL.Query().Get("cursor"); c != "" {
			p, _ = strconv.Atoi(strings.TrimPrefix(c, "c"))
		}
		body := page20((p - 1) * 20)
		if p < pages {
			body = bytes.Replace(body, []byte(`"next"`), []byte(`"c`+strconv.Itoa(p+1)+`"`), 1)
		} else {
			body = bytes.Replace(body, []byte(`"next"`), []byte(`null`), 1)
		}
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	opts := Options{Client: sim.NewClient(sim.ClientOptions{Timeout: 5 * time.Second}), Secret: "s", MaxPages: pages + 1}
	opts.defaults()
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		t := &Target{Key: "K", URL: srv.URL, Pagination: manifest.PaginationCursor}
		c := &fieldRun{opts: &opts, t: t, rep: newFieldReport(t)}
		r := c.walk(context.Background(), walkSpec{collect: true})
		if r.options != pages*20 || r.stop != nil {
			b.Fatalf("%d options, %+v", r.options, r.stop)
		}
	}
}
