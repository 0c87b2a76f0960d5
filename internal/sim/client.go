// Package sim plays Envoy: it builds what Envoy sends to a plugin (events and
// route requests), signs and sends it with one hardened HTTP client, and reads
// the answers the way Envoy would.
package sim

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
)

// DefaultMaxBody bounds how much of a response body is read.
const DefaultMaxBody = 1 << 20

// ClientOptions configure the one outgoing HTTP client.
type ClientOptions struct {
	Timeout   time.Duration // per request, headers and body; default 10s
	Insecure  bool          // accept self-signed TLS certificates
	UserAgent string
	MaxBody   int64 // bytes read from a response body; default 1 MiB
}

// Client sends requests to a plugin: per-request timeout, no redirects
// followed, bounded body reads, a User-Agent naming the tool.
type Client struct {
	http      *http.Client
	userAgent string
	maxBody   int64
	timeout   time.Duration
}

// NewClient builds a Client. Every sender in the tool uses one.
func NewClient(o ClientOptions) *Client {
	if o.Timeout <= 0 {
		o.Timeout = 10 * time.Second
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 256
	tr.MaxIdleConns = 256
	// Send exactly the headers a --dry-run shows: no Accept-Encoding added
	// behind our back (Envoy's requests carry none either).
	tr.DisableCompression = true
	if o.Insecure {
		tr.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // --insecure asks for it
	}
	return &Client{
		http: &http.Client{
			Transport: tr,
			CheckRedirect: func(*http.Request, []*http.Request) error {
				return http.ErrUseLastResponse
			},
		},
		userAgent: o.UserAgent,
		maxBody:   o.MaxBody,
		timeout:   o.Timeout,
	}
}

// Timeout is the per-request timeout the client applies.
func (c *Client) Timeout() time.Duration { return c.timeout }

// Response is what came back, read up to the body bound.
type Response struct {
	Status    int           `json:"status"`
	Header    http.Header   `json:"-"`
	Body      []byte        `json:"-"`
	Truncated bool          `json:"truncated,omitempty"` // the body was longer than the bound
	Latency   time.Duration `json:"-"`
	Location  string        `json:"location,omitempty"` // for 3xx answers
}

// Request is one outgoing POST.
type Request struct {
	URL    string
	Body   []byte
	Header http.Header // extra headers; Content-Type and User-Agent are set unless given
}

// SignedRequest returns a request whose body is signed with secret, as Envoy
// signs every request to a plugin.
func SignedRequest(url string, body []byte, secret string) Request {
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set(creds.SignatureHeader, creds.Sign(secret, body))
	return Request{URL: url, Body: body, Header: h}
}

// Do sends r and reads the answer. Transport failures come back as errors;
// use Diagnose to explain them.
func (c *Client) Do(ctx context.Context, r Request) (*Response, error) {
	return c.do(ctx, r, false)
}

// DoToEnd is Do, except that a body longer than the bound is still read to
// its end (and discarded) within the timeout, as Envoy waits for the whole
// answer: a body still streaming at the deadline comes back Truncated with
// the read error.
func (c *Client) DoToEnd(ctx context.Context, r Request) (*Response, error) {
	return c.do(ctx, r, true)
}

func (c *Client) do(ctx context.Context, r Request, toEnd bool) (*Response, error) {
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
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
	if c.userAgent != "" && req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, c.maxBody+1))
	out := &Response{Status: resp.StatusCode, Header: resp.Header, Latency: time.Since(start)}
	if int64(len(body)) > c.maxBody {
		body = body[:c.maxBody]
		out.Truncated = true
		err = nil
		if toEnd {
			_, err = io.Copy(io.Discard, resp.Body)
			out.Latency = time.Since(start)
		}
	}
	out.Body = body
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		out.Location = resp.Header.Get("Location")
	}
	if err != nil {
		return out, fmt.Errorf("reading the response body: %w", err)
	}
	return out, nil
}

// Diagnose turns a transport error into a one-line diagnosis and a hint.
func Diagnose(err error, target string) (diagnosis, hint string) {
	host := target
	if u, perr := url.Parse(target); perr == nil {
		host = u.Scheme + "://" + u.Host
	}
	var netErr net.Error
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()) || errors.Is(err, os.ErrDeadlineExceeded):
		return "timed out", "the plugin did not answer in time; raise --timeout or check that the handler answers"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused", fmt.Sprintf("is your plugin running on %s?", host)
	case errors.Is(err, syscall.ECONNRESET) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return "connection reset", "the plugin closed the connection without a complete answer; check its logs for a crash"
	case errors.As(err, &certErr):
		return "TLS certificate not trusted", "use --insecure for a self-signed certificate"
	case errors.Is(err, context.Canceled):
		return "cancelled", ""
	}
	var dnsErr *net.DNSError
	if errors.As(err, &dnsErr) {
		return "host not found: " + dnsErr.Name, "check the URL's host name"
	}
	var tlsRecord tls.RecordHeaderError
	if errors.As(err, &tlsRecord) {
		return "TLS handshake failed", "the server does not speak HTTPS here; try http://"
	}
	if d, h := diagnoseNotHTTP(err.Error(), target); d != "" {
		return d, h
	}
	return err.Error(), ""
}

// diagnoseNotHTTP explains an answer that is not HTTP/1.x: a TLS server
// on an http:// URL, garbage or HTTP/0.9, plain HTTP on an https:// URL.
func diagnoseNotHTTP(msg, target string) (diagnosis, hint string) {
	host := target
	if u, perr := url.Parse(target); perr == nil && u.Host != "" {
		host = u.Host
	}
	switch {
	case strings.Contains(msg, `malformed HTTP response "\x15\x03`) || strings.Contains(msg, `malformed HTTP response "\x16\x03`):
		return "the server answered in TLS (HTTPS) on an http:// URL", "use https:// in the URL (with --insecure for a self-signed certificate)"
	case strings.Contains(msg, "malformed HTTP") || strings.Contains(msg, "malformed MIME header"):
		last := msg
		if i := strings.LastIndex(msg, ": "); i >= 0 {
			last = msg[i+2:]
		}
		return "the answer is not valid HTTP", fmt.Sprintf("is an HTTP server listening on %s? (%s)", host, last)
	case strings.Contains(msg, "server gave HTTP response to HTTPS client"):
		return "the plugin answered plain HTTP to an https:// URL", "use http:// in the URL, or serve TLS"
	}
	return "", ""
}
