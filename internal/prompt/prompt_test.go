package prompt

import (
	"bytes"
	"errors"
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
