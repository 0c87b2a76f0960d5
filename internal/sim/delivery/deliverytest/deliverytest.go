// Package deliverytest has servers for testing senders against plugins that
// misbehave: they hang, drip, never end a body, answer garbage, reset the
// connection or redirect in a loop; and a plugin that records whether every
// body it got was signed with the secret.
package deliverytest

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/envoy-plugin/envoy-plugin/internal/creds"
)

// Server is a test server on 127.0.0.1 with a random port.
type Server struct {
	URL  string
	hits atomic.Int64
	stop chan struct{}
	srv  *httptest.Server
	once sync.Once
}

// Hits counts the requests the server received.
func (s *Server) Hits() int { return int(s.hits.Load()) }

// Close unblocks every handler and shuts the server down.
func (s *Server) Close() {
	s.once.Do(func() {
		close(s.stop)
		s.srv.CloseClientConnections()
		s.srv.Close()
	})
}

// Modes returns the hostile behaviours NewHostile knows.
func Modes() []string {
	m := []string{}
	for k := range hostileHandlers(nil, nil) {
		m = append(m, k)
	}
	sort.Strings(m)
	return m
}

func hostileHandlers(s *Server, stop <-chan struct{}) map[string]http.HandlerFunc {
	wait := func(r *http.Request, d time.Duration) bool {
		select {
		case <-stop:
			return false
		case <-r.Context().Done():
			return false
		case <-time.After(d):
			return true
		}
	}
	return map[string]http.HandlerFunc{
		// hang: reads the request and never answers.
		"hang": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-stop:
			case <-r.Context().Done():
			}
		},
		// drip: sends 200 and then one byte of body every 20ms, forever.
		"drip": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			fl, _ := w.(http.Flusher)
			for wait(r, 20*time.Millisecond) {
				if _, err := w.Write([]byte(" ")); err != nil {
					return
				}
				if fl != nil {
					fl.Flush()
				}
			}
		},
		// endless: sends 200 and a body that never ends, as fast as it can.
		"endless": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/plain")
			w.WriteHeader(http.StatusOK)
			chunk := []byte(strings.Repeat("endless body ", 2520))
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := w.Write(chunk); err != nil {
					return
				}
			}
		},
		// big-412: a 412 whose valid JSON body (1.5 MiB) ends, with its
		// message after the read bound.
		"big-412": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusPreconditionFailed)
			_, _ = io.WriteString(w, `{"pad":"`+strings.Repeat("x", 3<<19)+`","message":"too late to read"}`)
		},
		// bad-length: a 200 with Content-Length: -5.
		"bad-length": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			hj, ok := w.(http.Hijacker)
			if !ok {
				panic("no hijacker")
			}
			conn, buf, err := hj.Hijack()
			if err != nil {
				return
			}
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: -5\r\n\r\n{}")
			_ = buf.Flush()
			_ = conn.Close()
		},
		// not-modified: 304 with no Location.
		"not-modified": func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusNotModified)
		},
		// invalid-json: a 412 whose body claims JSON and is not.
		"invalid-json": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusPreconditionFailed)
			_, _ = io.WriteString(w, `{"message": "half a JSON object`+"\x1b[31m")
		},
		// reset: closes the TCP connection with a RST instead of answering.
		"reset": func(w http.ResponseWriter, r *http.Request) {
			hj, ok := w.(http.Hijacker)
			if !ok {
				panic("no hijacker")
			}
			conn, _, err := hj.Hijack()
			if err != nil {
				return
			}
			if tc, ok := conn.(*net.TCPConn); ok {
				_ = tc.SetLinger(0)
			}
			_ = conn.Close()
		},
		// not-http: answers bytes that are not HTTP at all (another
		// service on the port).
		"not-http": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			hj, ok := w.(http.Hijacker)
			if !ok {
				panic("no hijacker")
			}
			conn, buf, err := hj.Hijack()
			if err != nil {
				return
			}
			_, _ = buf.WriteString("SSH-2.0-OpenSSH_9.6\r\n\r\n")
			_ = buf.Flush()
			_ = conn.Close()
		},
		// redirect: 307 to itself, a loop for a client that follows.
		"redirect": func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, r.URL.Path, http.StatusTemporaryRedirect)
		},
		// accept: 200 to anything, signed or not (a plugin that never
		// verifies the signature).
		"accept": func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			_, _ = io.WriteString(w, `{"message":"thanks"}`)
		},
		// crash: 500 with the SDK's error middleware's body.
		"crash": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusInternalServerError)
			_, _ = io.WriteString(w, `{"message":"Cannot read properties of undefined (reading 'id')"}`)
		},
	}
}

// NewHostile starts a server that misbehaves as mode says (see Modes).
func NewHostile(mode string) (*Server, error) {
	s := &Server{stop: make(chan struct{})}
	h, ok := hostileHandlers(s, s.stop)[mode]
	if !ok {
		return nil, fmt.Errorf("unknown hostile mode %q; known: %s", mode, strings.Join(Modes(), ", "))
	}
	s.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.hits.Add(1)
		h(w, r)
	}))
	s.URL = s.srv.URL
	return s, nil
}

// Received is one request a Verifier got.
type Received struct {
	Path      string
	Body      []byte
	Header    http.Header
	Signature string
	Verified  bool
}

// Verifier is a plugin that answers 200 to every request and records
// whether each body verifies against the secret.
type Verifier struct {
	*Server
	secret string
	mu     sync.Mutex
	got    []Received
	// Status, when set, is the answer for every request (default 200).
	Status atomic.Int64
}

// NewVerifier starts a Verifier for secret.
func NewVerifier(secret string) *Verifier {
	v := &Verifier{Server: &Server{stop: make(chan struct{})}, secret: secret}
	v.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		v.hits.Add(1)
		body, _ := io.ReadAll(r.Body)
		sig := r.Header.Get(creds.SignatureHeader)
		rec := Received{Path: r.URL.Path, Body: body, Header: r.Header.Clone(), Signature: sig, Verified: creds.Verify(v.secret, body, sig)}
		v.mu.Lock()
		v.got = append(v.got, rec)
		v.mu.Unlock()
		status := int(v.Status.Load())
		if status == 0 {
			status = http.StatusOK
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"message":"recorded"}`)
	}))
	v.URL = v.srv.URL
	return v
}

// Received returns what the Verifier got so far.
func (v *Verifier) Received() []Received {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]Received(nil), v.got...)
}
