package install

import (
	"bytes"
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/manifest"
	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
)

// The callback URL install listens on is the one validate and init tell
// the developer to register with the OAuth2 provider.
func TestCallbackURLIsTheRegisteredOne(t *testing.T) {
	want, _ := url.Parse(manifest.OAuthCallbackURL(manifest.DefaultCallbackPort))
	if DefaultCallbackPort != manifest.DefaultCallbackPort || CallbackPath != want.Path {
		t.Fatalf("install listens on :%d%s, validate prints %s", DefaultCallbackPort, CallbackPath, want)
	}
}

// On a terminal a forged completion is refused and the step can be
// started over; the second, genuine one saves.
func TestRunInteractiveForgedThenRetried(t *testing.T) {
	tp := newTestPlugin(t)
	m := testManifest(tp.URL)
	m.Steps = m.Steps[2:3] // the popup
	st := newFakeStore(nil)
	fp := &fakePrompter{t: t, script: []fakeAnswer{
		{"confirm", "Try to complete the popup again?", true},
	}}
	var mu sync.Mutex
	forged := 0
	b := &browser{manual: true, rewrite: func(q url.Values) {
		mu.Lock()
		defer mu.Unlock()
		if forged == 0 {
			q.Set("state", "forged")
		}
		forged++
	}}
	o := walkOptions(m, st, b)
	o.Prompter = fp
	o.OpenBrowser = func(u string) error {
		b.wg.Add(1)
		go b.visit(u)
		return nil
	}
	_, err := Run(context.Background(), o)
	b.wg.Wait()
	fp.done()
	if err != nil {
		t.Fatalf("%v\n%s", err, b.String())
	}
	if !strings.Contains(b.String(), `forged completion: the popup callback carried state "forged"`) {
		t.Errorf("the forged completion was not shown:\n%s", b.String())
	}
	if cfg := st.config(); cfg["ROOM_CONFIRMED"] != true || st.merges != 1 {
		t.Fatalf("config = %v (%d merges)", cfg, st.merges)
	}
}

// Without a terminal a forged completion still fails the walk.
func TestRunAnswersForgedFails(t *testing.T) {
	tp := newTestPlugin(t)
	m := testManifest(tp.URL)
	m.Steps = m.Steps[2:3]
	st := newFakeStore(map[string]any{"KEEP": "me"})
	b := &browser{rewrite: func(q url.Values) { q.Del("state") }}
	_, err := Run(context.Background(), walkOptions(m, st, b))
	b.wg.Wait()
	var se *StepError
	if !errors.As(err, &se) || se.Reason != "forged" || st.merges != 0 || st.config()["KEEP"] != "me" {
		t.Fatalf("err = %v, merges %d", err, st.merges)
	}
}

// A cancel that lands after the last answer (Ctrl-C caught as a signal)
// still stores nothing.
func TestRunCancelledBeforeStoring(t *testing.T) {
	tp := newTestPlugin(t)
	m := testManifest(tp.URL)
	m.Steps = m.Steps[:1]
	m.Steps[0].ValidationURL = ""
	m.Steps[0].Fields = m.Steps[0].Fields[1:2]
	st := newFakeStore(nil)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	o := walkOptions(m, st, &bytes.Buffer{})
	o.Prompter = cancellingPrompter{cancel}
	if _, err := Run(ctx, o); !errors.Is(err, context.Canceled) || st.merges != 0 {
		t.Fatalf("err = %v, merges %d", err, st.merges)
	}
}

type cancellingPrompter struct{ cancel func() }

func (c cancellingPrompter) Input(string, string, string, func(string) error) (string, error) {
	c.cancel()
	return "Hi", nil
}
func (cancellingPrompter) Confirm(string, bool) (bool, error) { return false, nil }
func (cancellingPrompter) Select(string, []prompt.Option, string) (string, error) {
	return "", nil
}
func (cancellingPrompter) MultiSelect(string, []prompt.Option, []string) ([]string, error) {
	return nil, nil
}

// An answers file's select value, resource id or mapping side that the
// installer could not pick gets a warning naming it; offered ones do not.
func TestRunAnswersWarnsAboutValuesNotOffered(t *testing.T) {
	tp := newTestPlugin(t)
	m := testManifest(tp.URL)
	m.Steps = m.Steps[:1]
	m.Steps[0].ValidationURL = ""
	tests := []struct {
		name    string
		answers string
		warn    []string
	}{
		{"offered", `GREETING = "x"
HELLO = "h25"
COLOR = "black"
VISITOR_TYPE_MAP = { guest = "badge-guest" }`, nil},
		{"not offered", `GREETING = "x"
HELLO = "h99"
COLOR = "purple"
LOCATIONS = ["nowhere"]
VISITOR_TYPE_MAP = { alien = "plain", guest = "badge-visitor" }`, []string{
			`HELLO = "h99": not among the 25 options the options URL offers; an installer could not pick it`,
			`COLOR = "purple": not among the 4 options`,
			`LOCATIONS: "nowhere" is not one of the simulated install's locations`,
			`VISITOR_TYPE_MAP: left value "alien": not among the 2 options`,
			`VISITOR_TYPE_MAP: guest = "badge-visitor": not among the 2 options the options URL offers (with parent_resource_id "guest")`,
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := newFakeStore(nil)
			var log bytes.Buffer
			o := walkOptions(m, st, &log)
			o.Answers = mustAnswers(t, tt.answers)
			if _, err := Run(context.Background(), o); err != nil {
				t.Fatalf("%v\n%s", err, log.String())
			}
			if got := strings.Count(log.String(), "answers file:"); got != len(tt.warn) {
				t.Errorf("%d warnings, want %d:\n%s", got, len(tt.warn), log.String())
			}
			for _, w := range tt.warn {
				if !strings.Contains(log.String(), w) {
					t.Errorf("no warning %q:\n%s", w, log.String())
				}
			}
		})
	}
}
