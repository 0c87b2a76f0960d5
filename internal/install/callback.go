package install

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/url"
	"sync"
	"time"
)

// CallbackPath is where the local callback listener takes OAuth2 and popup
// completions: the path of manifest.OAuthCallbackURL, the redirect URI that
// `envoy-plugin validate` and `init` tell the developer to register.
const CallbackPath = "/oauth2/callback"

// ErrForged is wrapped by errors for a completion whose state is missing or
// not the one this walk handed out.
var ErrForged = errors.New("forged completion")

// callbackServer plays the "Callback URL" of Envoy's builder: a listener on
// 127.0.0.1 that takes one completion at a time and checks its state.
type callbackServer struct {
	ln  net.Listener
	srv *http.Server

	mu      sync.Mutex
	pending *pendingCallback
}

type pendingCallback struct {
	state string
	what  string // "authorization" or "popup", for messages
	ch    chan callbackResult
}

type callbackResult struct {
	values url.Values
	err    error
}

func startCallbackServer(addr string) (*callbackServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("callback listener on %s: %w (choose another port with --callback-port)", addr, err)
	}
	s := &callbackServer{ln: ln}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the callback URL to register with the provider.
func (s *callbackServer) URL() string {
	return "http://" + s.ln.Addr().String() + CallbackPath
}

func (s *callbackServer) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// expect registers the state of the next completion.
func (s *callbackServer) expect(state, what string) *pendingCallback {
	p := &pendingCallback{state: state, what: what, ch: make(chan callbackResult, 1)}
	s.mu.Lock()
	s.pending = p
	s.mu.Unlock()
	return p
}

func (s *callbackServer) clear(p *pendingCallback) {
	s.mu.Lock()
	if s.pending == p {
		s.pending = nil
	}
	s.mu.Unlock()
}

// wait blocks until the completion arrives, ctx ends or timeout passes.
func (s *callbackServer) wait(ctx context.Context, p *pendingCallback, timeout time.Duration) (url.Values, error) {
	defer s.clear(p)
	t := time.NewTimer(timeout)
	defer t.Stop()
	select {
	case r := <-p.ch:
		return r.values, r.err
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-t.C:
		return nil, fmt.Errorf("no %s callback arrived at %s within %s (raise --callback-timeout, or check that the redirect goes to this URL)", p.what, s.URL(), timeout)
	}
}

func (s *callbackServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != CallbackPath {
		http.NotFound(w, r)
		return
	}
	s.mu.Lock()
	p := s.pending
	if p != nil {
		s.pending = nil // first completion wins; a replay finds nothing pending
	}
	s.mu.Unlock()
	if p == nil {
		page(w, http.StatusConflict, "Nothing is waiting", "No setup step of envoy-plugin install is waiting for a callback right now.")
		return
	}
	q := r.URL.Query()
	got := q.Get("state")
	var err error
	switch {
	case got == "":
		err = fmt.Errorf("%w: the %s callback carried no state; refused (the plugin must send back the state it was given)", ErrForged, p.what)
	case subtle.ConstantTimeCompare([]byte(got), []byte(p.state)) != 1:
		err = fmt.Errorf("%w: the %s callback carried state %q, not the one handed out; refused", ErrForged, p.what, clip(got, 40))
	}
	if err != nil {
		page(w, http.StatusBadRequest, "Refused", "The state of this callback does not match: the step was refused. Return to the terminal.")
		p.ch <- callbackResult{err: err}
		return
	}
	page(w, http.StatusOK, "Done", "This step is complete. You can close this window and return to the terminal.")
	p.ch <- callbackResult{values: q}
}

func page(w http.ResponseWriter, status int, title, msg string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<!doctype html><meta charset=utf-8><title>envoy-plugin: %s</title><h1>%s</h1><p>%s</p>\n",
		html.EscapeString(title), html.EscapeString(title), html.EscapeString(msg))
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// newState returns a fresh, unguessable state value.
func newState(r io.Reader) (string, error) {
	if r == nil {
		r = rand.Reader
	}
	b := make([]byte, 16)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}
