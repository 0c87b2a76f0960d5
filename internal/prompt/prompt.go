// Package prompt is the only place where interactive forms (charmbracelet/huh)
// are built. Callers must ask iostreams.CanPrompt first; the Prompter never
// decides on its own to open a terminal.
package prompt

import (
	"context"
	"errors"
	"io"
	"os"

	"github.com/charmbracelet/huh"
)

// ErrCancelled is returned when the user aborts a prompt (Ctrl-C, Esc).
var ErrCancelled = errors.New("cancelled")

// MultiSelectHelp is the description line of a multi-select: how to toggle
// an option and how to confirm.
const MultiSelectHelp = "x or space toggles an option, enter confirms"

// MultiSelectHelpAccessible says the same for accessible mode, where
// options are toggled by number.
const MultiSelectHelpAccessible = "type an option's number to toggle it, 0 to confirm"

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

	// ctx, when set (WithContext), interrupts a prompt: a cancelled ctx
	// (Ctrl-C caught as a signal) and, in accessible mode, the end of the
	// input (Ctrl-D) answer ErrCancelled instead of keeping the defaults.
	ctx context.Context
	// line hands accessible mode its input one line at a time (huh reads
	// each prompt through its own bufio.Scanner, which would swallow the
	// lines of the following prompts), so that it can be interrupted.
	line *lineInput
}

// ContextPrompter is a Prompter that can be bound to a context: a prompt in
// progress ends with ErrCancelled when the context is cancelled, in
// accessible mode too, where a blocked read would otherwise never notice.
type ContextPrompter interface {
	Prompter
	WithContext(ctx context.Context) Prompter
}

// WithContext returns a copy of p bound to ctx (see ContextPrompter). The
// copy also reads the end of the input in accessible mode as a cancel
// (Ctrl-D), where huh alone would silently keep every default.
func (p *HuhPrompter) WithContext(ctx context.Context) Prompter {
	if p.Accessible && p.In != nil && p.line == nil {
		p.line = newLineInput(p.In) // shared: one reader of the input
	}
	return &HuhPrompter{In: p.In, Out: p.Out, Accessible: p.Accessible, ctx: ctx, line: p.line}
}

// Bind returns p bound to ctx when it supports it, else p itself.
func Bind(p Prompter, ctx context.Context) Prompter {
	if cp, ok := p.(ContextPrompter); ok && ctx != nil {
		return cp.WithContext(ctx)
	}
	return p
}

// New returns a huh-backed Prompter writing to out (stderr, normally).
func New(in io.Reader, out io.Writer) *HuhPrompter {
	return &HuhPrompter{In: in, Out: out, Accessible: os.Getenv("ACCESSIBLE") != ""}
}

func (p *HuhPrompter) run(field huh.Field) error {
	ctx := p.ctx
	if ctx == nil {
		ctx = context.Background()
	}
	if err := ctx.Err(); err != nil {
		return ErrCancelled
	}
	in := p.In
	if p.Accessible && in != nil {
		if p.line == nil || p.line.src != in {
			p.line = newLineInput(in)
		}
		p.line.begin(ctx)
		in = p.line
	}
	form := huh.NewForm(huh.NewGroup(field)).
		WithInput(in).
		WithOutput(p.Out).
		WithAccessible(p.Accessible).
		WithShowHelp(false)
	err := form.RunWithContext(ctx)
	if errors.Is(err, huh.ErrUserAborted) || ctx.Err() != nil {
		return ErrCancelled
	}
	if p.Accessible && p.line != nil && p.line.ended() && p.ctx != nil {
		// The input ended (Ctrl-D) before an answer: huh kept the
		// default; a bound prompter reads it as a cancel.
		return ErrCancelled
	}
	return err
}

func (p *HuhPrompter) Input(title, description, def string, validate func(string) error) (string, error) {
	v := def
	if p.Accessible {
		// Accessible mode prints only the title: say what a bare Enter keeps.
		if description != "" {
			title += " (" + description + ")"
		}
		if def != "" {
			title += " [Enter: " + def + "]"
		}
	}
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
	dl := ""
	for i, o := range options {
		opts[i] = huh.NewOption(o.Label, o.Value)
		if o.Value == def || i == 0 && dl == "" {
			dl = o.Label
		}
	}
	if p.Accessible && dl != "" && len(options) > 1 {
		title += " [Enter: " + dl + "]"
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
	// Say how to toggle and confirm: help lines are off, and an answered
	// prompt leaves no trace of its keys.
	f := huh.NewMultiSelect[string]().Options(opts...).Value(&v)
	if p.Accessible {
		f = f.Title(title + " (" + MultiSelectHelpAccessible + ")")
	} else {
		f = f.Title(title).Description(MultiSelectHelp)
	}
	if err := p.run(f); err != nil {
		return nil, err
	}
	return v, nil
}
