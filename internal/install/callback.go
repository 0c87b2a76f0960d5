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
	// replyWait bounds how long the browser's request waits for the
	// step's outcome (the token exchange and the validation call).
	replyWait time.Duration
	closed    chan struct{}
	closeOnce sync.Once
}

type pendingCallback struct {
	state string
	what  string // "authorization" or "popup", for messages
	ch    chan callbackResult
	// reply carries the step's outcome to the browser's waiting request.
	reply chan callbackReply
}

// callbackReply is the step's outcome, shown on the callback page.
type callbackReply struct {
	ok  bool
	msg string
}

// finish tells the browser's waiting request how the step ended (once;
// later calls do nothing).
func (p *pendingCallback) finish(ok bool, msg string) {
	if p == nil {
		return
	}
	select {
	case p.reply <- callbackReply{ok: ok, msg: msg}:
	default:
	}
}

type callbackResult struct {
	values url.Values
	err    error
}

// startCallbackServer listens on addr; replyWait bounds how long the
// callback page waits for the step's outcome before it says "return to
// your terminal".
func startCallbackServer(addr string, replyWait time.Duration) (*callbackServer, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("callback listener on %s: %w (choose another port with --callback-port)", addr, err)
	}
	s := &callbackServer{ln: ln, replyWait: replyWait, closed: make(chan struct{})}
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	return s, nil
}

// URL is the callback URL to register with the provider.
func (s *callbackServer) URL() string {
	return "http://" + s.ln.Addr().String() + CallbackPath
}

func (s *callbackServer) Close() error {
	s.closeOnce.Do(func() { close(s.closed) })
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	return s.srv.Shutdown(ctx)
}

// expect registers the state of the next completion.
func (s *callbackServer) expect(state, what string) *pendingCallback {
	p := &pendingCallback{state: state, what: what, ch: make(chan callbackResult, 1), reply: make(chan callbackReply, 1)}
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
	p.ch <- callbackResult{values: q}
	// Answer only once the step's outcome is known (token exchange,
	// validation), so that the page never says done for a step that then
	// failed; bounded, since those calls are.
	t := time.NewTimer(s.replyWait)
	defer t.Stop()
	select {
	case rep := <-p.reply:
		if rep.ok {
			page(w, http.StatusOK, "Done", "This step is complete. You can close this window and return to the terminal.")
		} else {
			page(w, http.StatusOK, "Failed", "This step failed: "+rep.msg+" Return to the terminal.")
		}
	case <-t.C:
		page(w, http.StatusOK, "Received", "Received: return to your terminal for the result.")
	case <-s.closed:
		page(w, http.StatusOK, "Received", "Received: return to your terminal for the result.")
	case <-r.Context().Done():
	}
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

// awaitCallback opens u (an authorize or popup URL carrying state) as the
// installer would, says how to skip the flow in a walk from answers, and
// waits for the browser to come back with the same state. The callback's
// page then waits for the step's outcome (w.awaiting).
func (w *walker) awaitCallback(ctx context.Context, cb *callbackServer, state, what, openLabel, u, title, skipWith string) (url.Values, error) {
	pending := cb.expect(state, what)
	w.openURL(openLabel, u)
	if !w.interactive() {
		fmt.Fprintf(w.o.Log, "  (to skip this flow, give %s in [steps.%q] of the answers file)\n", skipWith, title)
	}
	fmt.Fprintf(w.o.Log, "  Waiting for the callback…\n")
	q, err := cb.wait(ctx, pending, w.o.CallbackTimeout)
	if err != nil {
		return nil, err
	}
	w.awaiting = pending
	return q, nil
}
