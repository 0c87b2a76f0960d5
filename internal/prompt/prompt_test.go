package prompt

import (
	"bytes"
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

func accessible(input string) (*HuhPrompter, *bytes.Buffer) {
	out := &bytes.Buffer{}
	return &HuhPrompter{In: strings.NewReader(input), Out: out, Accessible: true}, out
}

func TestInputAccessible(t *testing.T) {
	p, out := accessible("my-plugin\n")
	got, err := p.Input("Plugin name", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != "my-plugin" {
		t.Fatalf("got %q", got)
	}
	if !strings.Contains(out.String(), "Plugin name") {
		t.Fatalf("title not shown: %q", out.String())
	}
}

func TestInputKeepsDefaultOnEmptyLine(t *testing.T) {
	p, _ := accessible("\n")
	got, err := p.Input("Base URL", "", "http://localhost:3000", nil)
	if err != nil {
		t.Fatal(err)
	}
	if got != "http://localhost:3000" {
		t.Fatalf("got %q", got)
	}
}

func TestConfirmAccessible(t *testing.T) {
	p, _ := accessible("y\n")
	got, err := p.Confirm("Add a step?", false)
	if err != nil {
		t.Fatal(err)
	}
	if !got {
		t.Fatal("want true")
	}
}

func TestSelectAccessible(t *testing.T) {
	p, _ := accessible("2\n")
	got, err := p.Select("Step type", []Option{{"Form", "form"}, {"OAuth2", "oauth2"}}, "")
	if err != nil {
		t.Fatal(err)
	}
	if got != "oauth2" {
		t.Fatalf("got %q", got)
	}
}

func TestInputValidatedDefaultAccepted(t *testing.T) {
	p, _ := accessible("\n")
	nonEmpty := func(s string) error {
		if s == "" {
			return errors.New("required")
		}
		return nil
	}
	got, err := p.Input("Name", "", "Hello World", nonEmpty)
	if err != nil {
		t.Fatal(err)
	}
	if got != "Hello World" {
		t.Fatalf("got %q", got)
	}
}

func TestInputEndOfInputRevalidates(t *testing.T) {
	p, _ := accessible("")
	nonEmpty := func(s string) error {
		if s == "" {
			return errors.New("required")
		}
		return nil
	}
	if _, err := p.Input("Name", "", "", nonEmpty); err == nil {
		t.Fatal("want an error when input ends without a valid answer")
	}
}

// Accessible mode reads each prompt through its own scanner: a plain
// strings.Reader must still give one line to each prompt.
func TestAccessibleOneLinePerPrompt(t *testing.T) {
	p, _ := accessible("first\nsecond\ny\n")
	a, err := p.Input("A", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := p.Input("B", "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := p.Confirm("C", false)
	if err != nil {
		t.Fatal(err)
	}
	if a != "first" || b != "second" || !c {
		t.Fatalf("got %q %q %v", a, b, c)
	}
}

func TestAccessibleEndOfInput(t *testing.T) {
	tests := []struct {
		name  string
		bound bool
		input string
		want  string
		err   error
	}{
		{"unbound keeps the default", false, "", "dflt", nil},
		{"bound cancels (Ctrl-D)", true, "", "", ErrCancelled},
		{"bound takes a last line without newline", true, "typed", "typed", nil},
		{"bound takes a line", true, "typed\n", "typed", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hp, _ := accessible(tt.input)
			var p Prompter = hp
			if tt.bound {
				p = Bind(hp, context.Background())
			}
			got, err := p.Input("Name", "", "dflt", nil)
			if !errors.Is(err, tt.err) || got != tt.want {
				t.Fatalf("got %q, %v; want %q, %v", got, err, tt.want, tt.err)
			}
		})
	}
}

// A cancelled context (Ctrl-C caught as a signal) ends an accessible prompt
// blocked on its input, and a full prompt never starts.
func TestAccessibleCancelWhileBlocked(t *testing.T) {
	r, w := io.Pipe()
	defer w.Close()
	ctx, cancel := context.WithCancel(context.Background())
	p := Bind(&HuhPrompter{In: r, Out: io.Discard, Accessible: true}, ctx)
	done := make(chan error, 1)
	go func() {
		_, err := p.Select("Pick", []Option{{"A", "a"}, {"B", "b"}}, "a")
		done <- err
	}()
	cancel()
	if err := <-done; !errors.Is(err, ErrCancelled) {
		t.Fatalf("err = %v", err)
	}
	if _, err := p.Confirm("again?", true); !errors.Is(err, ErrCancelled) {
		t.Fatalf("after cancel: %v", err)
	}
	if _, err := Bind(&HuhPrompter{In: r, Out: io.Discard}, ctx).Input("x", "", "", nil); !errors.Is(err, ErrCancelled) {
		t.Fatalf("full-screen after cancel: %v", err)
	}
}

// Accessible mode prints only the title: it must say what Enter keeps.
func TestAccessibleShowsDefaults(t *testing.T) {
	p, out := accessible("\n\n")
	if v, err := p.Input("Greeting", "e.g. Hello", "Hi", nil); err != nil || v != "Hi" {
		t.Fatalf("got %q, %v", v, err)
	}
	if v, err := p.Select("Colour", []Option{{"Red", "r"}, {"Blue", "b"}}, "b"); err != nil || v != "b" {
		t.Fatalf("got %q, %v", v, err)
	}
	for _, want := range []string{"Greeting (e.g. Hello) [Enter: Hi]", "Colour [Enter: Blue]"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// A multi-select says how to toggle and confirm (answered prompts leave no
// help on the screen).
func TestMultiSelectSaysHowToToggle(t *testing.T) {
	p, out := accessible("2\n0\n")
	got, err := p.MultiSelect("Events", []Option{{"entry_sign_in", "in"}, {"entry_sign_out", "out"}}, []string{"in"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(got, ",") != "in,out" {
		t.Fatalf("got %q", got)
	}
	if !strings.Contains(out.String(), "Events ("+MultiSelectHelpAccessible+")") {
		t.Fatalf("no toggle help: %q", out.String())
	}
	if !strings.Contains(MultiSelectHelp, "x or space") || !strings.Contains(MultiSelectHelp, "enter") {
		t.Fatalf("full-screen help %q", MultiSelectHelp)
	}
}
