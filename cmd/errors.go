package cmd

import (
	"errors"
	"fmt"
)

// Exit codes; documented in the root command's help and in the README.
const (
	ExitOK        = 0
	ExitFailure   = 1
	ExitUsage     = 2
	ExitCancelled = 130
)

// UsageError is a mistake in how the command was called: exit 2, and the
// command's usage is printed after the message.
type UsageError struct{ Err error }

func (e *UsageError) Error() string { return e.Err.Error() }
func (e *UsageError) Unwrap() error { return e.Err }

// usageErrorf builds a *UsageError.
func usageErrorf(format string, a ...any) error {
	return &UsageError{Err: fmt.Errorf(format, a...)}
}

// SilentError means the command already reported the failure: exit 1 and
// print nothing more.
var SilentError = errors.New("SilentError")

// CancelError is returned when the user cancels at a prompt: exit 130.
var CancelError = errors.New("cancelled")

// ExitError makes the process exit with Code (e.g. a child's exit status),
// printing Err first when it is not nil.
type ExitError struct {
	Code int
	Err  error
}

func (e *ExitError) Error() string {
	if e.Err == nil {
		return fmt.Sprintf("exit status %d", e.Code)
	}
	return e.Err.Error()
}
func (e *ExitError) Unwrap() error { return e.Err }

// noInputError is the error for a value that would have been asked for at a
// prompt when prompting is not possible.
func noInputError(flag string) error {
	return usageErrorf("%s is required when not running interactively (no terminal, --no-input, or CI set)", flag)
}
