package sim

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"
)

// ErrBodyTooLarge is returned by a Stream body reader once more than the
// client's MaxBody bytes would have been read.
var ErrBodyTooLarge = errors.New("response body too large")

// BodyTooLargeError says how far a Stream read went before it stopped.
type BodyTooLargeError struct{ Limit int64 }

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("response body larger than %d bytes; reading stopped there", e.Limit)
}

func (e *BodyTooLargeError) Is(target error) bool { return target == ErrBodyTooLarge }

// StreamFunc reads one answer. body is bounded by the client's MaxBody (a
// read past it fails with an error matching ErrBodyTooLarge) and by the
// per-request timeout.
type StreamFunc func(status int, header http.Header, body io.Reader) error

// Stream sends r like Do but hands the answer's body to fn as it arrives
// instead of reading it into memory, so that a caller can decode a large
// answer in constant memory. The per-request timeout covers fn's reads.
// The returned latency runs until fn returns. A transport failure (fn never
// called) is returned as it is, for Diagnose; fn's own error is returned
// wrapped in a *StreamError.
func (c *Client) Stream(ctx context.Context, r Request, fn StreamFunc) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := newPost(ctx, r, c.userAgent)
	if err != nil {
		return 0, err
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return time.Since(start), err
	}
	defer resp.Body.Close()
	body := &boundedReader{r: resp.Body, left: c.maxBody, limit: c.maxBody, ctx: ctx}
	err = fn(resp.StatusCode, resp.Header, body)
	latency := time.Since(start)
	if err != nil {
		if cerr := ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
			// The timeout closed the connection under fn's reads: say so
			// rather than "use of closed network connection".
			err = fmt.Errorf("%w (%v)", cerr, err)
		}
		return latency, &StreamError{Err: err}
	}
	return latency, nil
}

// StreamError wraps the error a StreamFunc returned (as opposed to a
// transport failure before any answer came).
type StreamError struct{ Err error }

func (e *StreamError) Error() string { return e.Err.Error() }
func (e *StreamError) Unwrap() error { return e.Err }

func newPost(ctx context.Context, r Request, userAgent string) (*http.Request, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.URL, bytes.NewReader(r.Body))
	if err != nil {
		return nil, err
	}
	for k, vs := range r.Header {
		req.Header[k] = append([]string(nil), vs...)
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if userAgent != "" && req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", userAgent)
	}
	return req, nil
}

// boundedReader reads at most limit bytes, then fails with
// *BodyTooLargeError if the body goes on. A read that fails because the
// request's context ended (the per-request timeout closed the connection
// under it) fails with the context's error, so that the caller's
// diagnosis is "timed out" and not "use of closed network connection".
type boundedReader struct {
	r     io.Reader
	left  int64
	limit int64
	ctx   context.Context
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// Probe one byte: a body of exactly limit bytes is fine.
		var one [1]byte
		n, err := b.r.Read(one[:])
		if n > 0 {
			return 0, &BodyTooLargeError{Limit: b.limit}
		}
		return 0, b.ctxErr(err)
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.r.Read(p)
	b.left -= int64(n)
	return n, b.ctxErr(err)
}

func (b *boundedReader) ctxErr(err error) error {
	if err == nil || err == io.EOF || b.ctx == nil {
		return err
	}
	if cerr := b.ctx.Err(); cerr != nil && !errors.Is(err, cerr) {
		return fmt.Errorf("%w while reading the answer (%v)", cerr, err)
	}
	return err
}
