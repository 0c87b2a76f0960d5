package sim

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"
)

func TestStreamBoundsTheBody(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("User-Agent") != "envoy-plugin/test" || r.Method != http.MethodPost {
			w.WriteHeader(400)
			return
		}
		n := 100
		if r.URL.Path == "/long" {
			n = 101
		}
		_, _ = io.WriteString(w, strings.Repeat("x", n))
	}))
	defer srv.Close()
	c := NewClient(ClientOptions{MaxBody: 100, UserAgent: "envoy-plugin/test", Timeout: time.Second})
	read := func(path string) (int, int, error) {
		var n, status int
		_, err := c.Stream(context.Background(), Request{URL: srv.URL + path}, func(st int, h http.Header, body io.Reader) error {
			status = st
			b, err := io.ReadAll(body)
			n = len(b)
			return err
		})
		return status, n, err
	}
	if st, n, err := read("/exact"); err != nil || n != 100 || st != 200 {
		t.Fatalf("exactly the bound: %d %d %v", st, n, err)
	}
	_, n, err := read("/long")
	var se *StreamError
	if !errors.Is(err, ErrBodyTooLarge) || !errors.As(err, &se) || n != 100 {
		t.Fatalf("past the bound: %d %v", n, err)
	}
}

func TestStreamTimeoutCoversTheBody(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "[")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	c := NewClient(ClientOptions{Timeout: 100 * time.Millisecond})
	_, err := c.Stream(context.Background(), Request{URL: srv.URL}, func(int, http.Header, io.Reader) error { return nil })
	if err != nil {
		t.Fatalf("headers came in time: %v", err)
	}
	_, err = c.Stream(context.Background(), Request{URL: srv.URL}, func(_ int, _ http.Header, body io.Reader) error {
		_, err := io.ReadAll(body)
		return err
	})
	if d, _ := Diagnose(err, srv.URL); d != "timed out" {
		t.Fatalf("diagnosis %q for %v", d, err)
	}
	// A transport failure is not a StreamError.
	_, err = c.Stream(context.Background(), Request{URL: "http://127.0.0.1:1"}, func(int, http.Header, io.Reader) error { return nil })
	var se *StreamError
	if err == nil || errors.As(err, &se) {
		t.Fatalf("%v", err)
	}
}

// A body read that fails because the timeout closed the connection under
// it says timed out, whatever the transport's own error.
func TestBoundedReaderSaysTimedOut(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Nanosecond)
	defer cancel()
	<-ctx.Done()
	closed := &net.OpError{Op: "read", Net: "tcp", Err: net.ErrClosed}
	b := &boundedReader{r: iotest.ErrReader(closed), left: 10, limit: 10, ctx: ctx}
	_, err := b.Read(make([]byte, 4))
	if d, _ := Diagnose(err, "http://127.0.0.1:1"); d != "timed out" || !strings.Contains(err.Error(), "while reading the answer") {
		t.Fatalf("diagnosis %q for %v", d, err)
	}
	// Before the deadline, and at the end of the body, errors are kept.
	b = &boundedReader{r: iotest.ErrReader(closed), left: 10, limit: 10, ctx: context.Background()}
	if _, err := b.Read(make([]byte, 4)); !errors.Is(err, net.ErrClosed) {
		t.Fatalf("%v", err)
	}
	b = &boundedReader{r: strings.NewReader(""), left: 10, limit: 10, ctx: ctx}
	if _, err := b.Read(make([]byte, 4)); err != io.EOF {
		t.Fatalf("%v", err)
	}
}

// Answers that are not HTTP get a diagnosis, not net/http's words.
func TestDiagnoseNotHTTP(t *testing.T) {
	for msg, want := range map[string]string{
		`Post "http://h:1/x": net/http: HTTP/1.x transport connection broken: malformed HTTP response "\x15\x03\x01\x00\x02\x02F"`: "the server answered in TLS (HTTPS) on an http:// URL",
		`Post "http://h:1/x": net/http: HTTP/1.x transport connection broken: malformed HTTP response "SSH-2.0-OpenSSH_9.6"`:       "the answer is not valid HTTP",
		`Post "https://h:1/x": http: server gave HTTP response to HTTPS client`:                                                    "the plugin answered plain HTTP to an https:// URL",
	} {
		if d, h := Diagnose(errors.New(msg), "http://h:1/x"); d != want || h == "" {
			t.Errorf("%s: %q / %q", msg, d, h)
		}
	}
}
