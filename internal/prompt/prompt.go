// Package prompt is the only place where interactive forms (charmbracelet/huh)
// are built. Callers must ask iostreams.CanPrompt first; the Prompter never
// decides on its own to open a terminal.
package prompt

import (
	"errors"
	"io"
	"os"

	"github.com/charmbracelet/huh"
)

// ErrCancelled is returned when the user aborts a prompt (Ctrl-C, Esc).
var ErrCancelled = errors.New("cancelled")

// Option is one choice of Select and MultiSelect.
type Option struct {
	Label string
	Value string
}

// Prompter asks questions. Tests use a fake; the real one uses huh.
type Prompter interface {
	Input(title, description, def string, validate func(string) error) (string, error)
	Confirm(title string, def bool) (bool, error)
	Select(title string, options []Option, def string) (string, error)
	MultiSelect(title string, options []Option, defs []string) ([]string, error)
}

// HuhPrompter runs huh forms on the given streams. Accessible mode (plain
// line-based prompts) is used when ACCESSIBLE is set or Accessible is true;
// tests drive it with a strings.Reader.
type HuhPrompter struct {
	In         io.Reader
	Out        io.Writer
	Accessible bool
}

// New returns a huh-backed Prompter writing to out (stderr, normally).
func New(in io.Reader, out io.Writer) *HuhPrompter {
	return &HuhPrompter{In: in, Out: out, Accessible: os.Getenv("ACCESSIBLE") != ""}
}

func (p *HuhPrompter) run(field huh.Field) error {
	form := huh.NewForm(huh.NewGroup(field)).
		WithInput(p.In).
		WithOutput(p.Out).
		WithAccessible(p.Accessible).
		WithShowHelp(false)
	err := form.Run()
	if errors.Is(err, huh.ErrUserAborted) {
		return ErrCancelled
	}
	return err
}

func (p *HuhPrompter) Input(title, description, def string, validate func(string) error) (string, error) {
	v := def
	f := huh.NewInput().Title(title).Value(&v)
	if description != "" {
		f = f.Description(description)
	}
	if validate != nil {
		// Accessible mode hands the raw line to the validator: an empty
		// answer means "keep the default", so validate that instead.
		f = f.Validate(func(s string) error {
			if s == "" && def != "" {
				s = def
			}
			return validate(s)
		})
	}
	if err := p.run(f); err != nil {
		return "", err
	}
	if v == "" {
		v = def
	}
	// When input ends early huh may return an unvalidated value.
	if validate != nil {
		if err := validate(v); err != nil {
			return "", err
		}
	}
	return v, nil
}

func (p *HuhPrompter) Confirm(title string, def bool) (bool, error) {
	v := def
	if err := p.run(huh.NewConfirm().Title(title).Value(&v)); err != nil {
		return false, err
	}
	return v, nil
}

func (p *HuhPrompter) Select(title string, options []Option, def string) (string, error) {
	v := def
	opts := make([]huh.Option[string], len(options))
	for i, o := range options {
		opts[i] = huh.NewOption(o.Label, o.Value)
	}
	if err := p.run(huh.NewSelect[string]().Title(title).Options(opts...).Value(&v)); err != nil {
		return "", err
	}
	return v, nil
}

func (p *HuhPrompter) MultiSelect(title string, options []Option, defs []string) ([]string, error) {
	v := append([]string(nil), defs...)
	opts := make([]huh.Option[string], len(options))
	for i, o := range options {
		opts[i] = huh.NewOption(o.Label, o.Value)
	}
	if err := p.run(huh.NewMultiSelect[string]().Title(title).Options(opts...).Value(&v)); err != nil {
		return nil, err
	}
	return v, nil
}
