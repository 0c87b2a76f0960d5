package cmd

import (
	"fmt"
	"strings"
	"testing"

	"github.com/envoy-plugin/envoy-plugin/internal/prompt"
)

// fakePrompter answers prompts from a script, in order. Each answer names
// the kind of prompt and a fragment of its title, so that a test fails
// when the command asks something else than expected. An Input answer that
// its validator refuses is recorded in Refused and the next answer is used
// for the same prompt, as huh re-asks.
type fakePrompter struct {
	t       *testing.T
	answers []fakeAnswer
	// Refused collects "title: error" for answers a validator refused.
	Refused []string
	// Asked collects "kind title (default)" for every prompt, in order.
	Asked []string
}

type fakeAnswer struct {
	kind  string // input, confirm, select, multiselect
	title string // a fragment of the expected title
	value any    // string, bool, []string, or useDefault
	err   error  // returned instead of a value (e.g. prompt.ErrCancelled)
}

// useDefault answers with the prompt's default.
const useDefault = "\x00use the default"

func newFakePrompter(t *testing.T) *fakePrompter { return &fakePrompter{t: t} }

func (p *fakePrompter) add(kind, title string, v any) *fakePrompter {
	p.answers = append(p.answers, fakeAnswer{kind: kind, title: title, value: v})
	return p
}

func (p *fakePrompter) Input(title string, v any) *fakePrompter   { return p.add("input", title, v) }
func (p *fakePrompter) Confirm(title string, v any) *fakePrompter { return p.add("confirm", title, v) }
func (p *fakePrompter) Select(title string, v any) *fakePrompter  { return p.add("select", title, v) }
func (p *fakePrompter) Multi(title string, v any) *fakePrompter {
	return p.add("multiselect", title, v)
}

// Fail makes the next prompt of kind return err.
func (p *fakePrompter) Fail(kind, title string, err error) *fakePrompter {
	p.answers = append(p.answers, fakeAnswer{kind: kind, title: title, err: err})
	return p
}

// Verify fails the test when scripted answers were not used.
func (p *fakePrompter) Verify() {
	p.t.Helper()
	if len(p.answers) > 0 {
		p.t.Errorf("%d scripted answers not asked for, first: %s %q", len(p.answers), p.answers[0].kind, p.answers[0].title)
	}
}

func (p *fakePrompter) next(kind, title string, def any) fakeAnswer {
	p.t.Helper()
	p.Asked = append(p.Asked, fmt.Sprintf("%s %s (%v)", kind, title, def))
	if len(p.answers) == 0 {
		p.t.Fatalf("unexpected %s prompt %q", kind, title)
	}
	a := p.answers[0]
	p.answers = p.answers[1:]
	if a.kind != kind || !strings.Contains(title, a.title) {
		p.t.Fatalf("got %s prompt %q, scripted %s %q", kind, title, a.kind, a.title)
	}
	return a
}

func (p *fakePrompter) asInput(title, def string, validate func(string) error) (string, error) {
	for {
		a := p.next("input", title, def)
		if a.err != nil {
			return "", a.err
		}
		v := def
		if a.value != useDefault {
			v = a.value.(string)
		}
		if validate != nil {
			if err := validate(v); err != nil {
				p.Refused = append(p.Refused, fmt.Sprintf("%s: %v", title, err))
				continue
			}
		}
		return v, nil
	}
}

var _ prompt.Prompter = (*fakePrompterAdapter)(nil)

// fakePrompterAdapter implements prompt.Prompter (its method names clash
// with the scripting helpers above).
type fakePrompterAdapter struct{ p *fakePrompter }

func (p *fakePrompter) Prompter() prompt.Prompter { return &fakePrompterAdapter{p} }

func (a *fakePrompterAdapter) Input(title, description, def string, validate func(string) error) (string, error) {
	return a.p.asInput(title, def, validate)
}

func (a *fakePrompterAdapter) Confirm(title string, def bool) (bool, error) {
	ans := a.p.next("confirm", title, def)
	if ans.err != nil {
		return false, ans.err
	}
	if ans.value == useDefault {
		return def, nil
	}
	return ans.value.(bool), nil
}

func (a *fakePrompterAdapter) Select(title string, options []prompt.Option, def string) (string, error) {
	ans := a.p.next("select", title, def)
	if ans.err != nil {
		return "", ans.err
	}
	v := def
	if ans.value != useDefault {
		v = ans.value.(string)
	}
	if !hasOption(options, v) {
		a.p.t.Fatalf("select %q: %q is not an option", title, v)
	}
	return v, nil
}

func (a *fakePrompterAdapter) MultiSelect(title string, options []prompt.Option, defs []string) ([]string, error) {
	ans := a.p.next("multiselect", title, defs)
	if ans.err != nil {
		return nil, ans.err
	}
	v := defs
	if ans.value != useDefault {
		v = ans.value.([]string)
	}
	for _, x := range v {
		if !hasOption(options, x) {
			a.p.t.Fatalf("multiselect %q: %q is not an option", title, x)
		}
	}
	return v, nil
}

func hasOption(options []prompt.Option, v string) bool {
	for _, o := range options {
		if o.Value == v {
			return true
		}
	}
	return false
}
