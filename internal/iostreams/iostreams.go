// Package iostreams holds the terminal streams and the decisions that depend
// on them: which stream is a terminal, whether to use colour, whether a
// prompt may be shown. stdout carries data; stderr carries prompts, progress,
// warnings and status lines.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"github.com/fatih/color"
	"github.com/mattn/go-isatty"
)

// IOStreams is passed to every command instead of os.Stdin/Stdout/Stderr.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	stdinTTY  bool
	stdoutTTY bool
	stderrTTY bool
	color     bool
	noInput   bool
	getenv    func(string) string
}

// System returns streams bound to the process's stdio, with colour decided
// from NO_COLOR, CLICOLOR_FORCE, TERM and whether stdout is a terminal.
func System() *IOStreams {
	io := &IOStreams{
		In:        os.Stdin,
		Out:       color.Output, // colorable on Windows, os.Stdout elsewhere
		ErrOut:    color.Error,
		stdinTTY:  isTerminal(os.Stdin),
		stdoutTTY: isTerminal(os.Stdout),
		stderrTTY: isTerminal(os.Stderr),
		getenv:    os.Getenv,
	}
	io.color = decideColor(io.getenv, io.stdoutTTY)
	io.noInput = io.getenv("CI") != ""
	color.NoColor = !io.color
	return io
}

func isTerminal(f *os.File) bool {
	return isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd())
}

func decideColor(getenv func(string) string, stdoutTTY bool) bool {
	if getenv("NO_COLOR") != "" {
		return false
	}
	if v := getenv("CLICOLOR_FORCE"); v != "" && v != "0" {
		return true
	}
	if getenv("TERM") == "dumb" {
		return false
	}
	return stdoutTTY
}

// Test returns streams backed by buffers, all non-TTY, colour off.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut, getenv: func(string) string { return "" }}, in, out, errOut
}

// SetStdinTTY, SetStdoutTTY and SetStderrTTY let tests pretend.
func (s *IOStreams) SetStdinTTY(v bool)  { s.stdinTTY = v }
func (s *IOStreams) SetStdoutTTY(v bool) { s.stdoutTTY = v }
func (s *IOStreams) SetStderrTTY(v bool) { s.stderrTTY = v }

// IsStdinTTY reports whether stdin is a terminal.
func (s *IOStreams) IsStdinTTY() bool { return s.stdinTTY }

// IsStdoutTTY reports whether stdout is a terminal.
func (s *IOStreams) IsStdoutTTY() bool { return s.stdoutTTY }

// IsStderrTTY reports whether stderr is a terminal.
func (s *IOStreams) IsStderrTTY() bool { return s.stderrTTY }

// SetColorEnabled forces colour on or off (--no-color, tests).
func (s *IOStreams) SetColorEnabled(v bool) {
	s.color = v
	color.NoColor = !v
}

// ColorEnabled reports whether output may carry ANSI colour.
func (s *IOStreams) ColorEnabled() bool { return s.color }

// SetNoInput forbids prompting (--no-input).
func (s *IOStreams) SetNoInput(v bool) { s.noInput = s.noInput || v }

// CanPrompt is true only when stdin, stdout and stderr are terminals and input is
// allowed (no --no-input, no ENVOY_PLUGIN_NO_INPUT, no CI). Prompts are
// drawn on stderr, so a redirected stderr (init 2>log) counts as no
// terminal too: an invisible prompt would look like a hang.
func (s *IOStreams) CanPrompt() bool {
	return s.stdinTTY && s.stdoutTTY && s.stderrTTY && !s.noInput
}

// ShowProgress is true when progress bars and spinners may be drawn on stderr.
func (s *IOStreams) ShowProgress() bool { return s.stderrTTY && s.stdoutTTY }

// ColorScheme returns helpers that colour only when colour is enabled.
func (s *IOStreams) ColorScheme() *ColorScheme { return &ColorScheme{enabled: s.color} }
