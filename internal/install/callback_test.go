package install

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestCallbackServer(t *testing.T) {
	s, err := startCallbackServer("127.0.0.1:0", time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if !strings.HasPrefix(s.URL(), "http://127.0.0.1:") || !strings.HasSuffix(s.URL(), CallbackPath) {
		t.Fatalf("URL %s", s.URL())
	}
	get := func(q string) int {
		resp, err := http.Get(s.URL() + q)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ctx := context.Background()

	if code := get("?state=x"); code != http.StatusConflict {
		t.Errorf("nothing pending: %d", code)
	}

	p := s.expect("good-state", "popup")
	if code := get("?state=good-state&ROOM=1&ROOM=2"); code != 200 {
		t.Errorf("completion: %d", code)
	}
	q, err := s.wait(ctx, p, time.Second)
	if err != nil || q["ROOM"][1] != "2" {
		t.Fatalf("%v %v", q, err)
	}
	if code := get("?state=good-state"); code != http.StatusConflict {
		t.Errorf("a replay must find nothing pending: %d", code)
	}

	for _, tt := range []struct{ q, want string }{
		{"?state=bad", `carried state "bad", not the one handed out`},
		{"?code=1", "carried no state"},
	} {
		p := s.expect("good-state", "authorization")
		if code := get(tt.q); code != http.StatusBadRequest {
			t.Errorf("%s: %d", tt.q, code)
		}
		_, err := s.wait(ctx, p, time.Second)
		if !errors.Is(err, ErrForged) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v", tt.q, err)
		}
	}

	if code := get("/../other"); code != 404 && code != http.StatusConflict {
		t.Errorf("other path: %d", code)
	}

	p = s.expect("s", "popup")
	if _, err := s.wait(ctx, p, 20*time.Millisecond); err == nil || !strings.Contains(err.Error(), "no popup callback arrived") {
		t.Errorf("timeout: %v", err)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	p = s.expect("s", "popup")
	if _, err := s.wait(cctx, p, time.Second); !errors.Is(err, context.Canceled) {
		t.Errorf("cancel: %v", err)
	}

	if _, err := startCallbackServer(strings.TrimPrefix(strings.TrimSuffix(s.URL(), CallbackPath), "http://"), time.Second); err == nil || !strings.Contains(err.Error(), "--callback-port") {
		t.Errorf("a busy port must say how to choose another: %v", err)
	}
}

func TestNewState(t *testing.T) {
	a, _ := newState(nil)
	b, _ := newState(nil)
	if len(a) != 32 || a == b {
		t.Fatalf("%q %q", a, b)
	}
	if _, err := newState(strings.NewReader("short")); err == nil {
		t.Fatal("a short random source must fail")
	}
}
