// Package exitcode maps errors to the documented process exit codes of apicenter.
package exitcode

import (
	"context"
	"errors"
)

// The exit codes of every apicenter command. They are documented in
// `apicenter --help`; scripts may rely on them.
const (
	OK          = 0   // success
	Failure     = 1   // any other error
	Usage       = 2   // a bad flag, argument or setting
	Input       = 3   // a malformed input file, or a value that is missing or invalid
	Org         = 4   // the Okta org refused or failed a request (auth, 4xx, 5xx, 429, network)
	Quit        = 5   // the user answered (q)uit at a prompt; progress is kept in the output file
	Changes     = 6   // apicenter plan: a bootstrap would create or change something (not an error)
	Interrupted = 130 // Ctrl-C or SIGINT/SIGTERM; progress is kept in the output file
)

// Help is the exit-code table shown in `apicenter --help`.
const Help = `Exit codes:
  0    success
  1    any other error
  2    a bad flag, argument or setting
  3    a malformed input file, or a value that is missing or invalid
  4    the Okta org refused or failed a request (auth, 4xx, 5xx, 429, network)
  5    quit at a prompt (what was created is kept in the output file)
  6    plan: a bootstrap would create or change something (0: nothing to do)
  130  interrupted by Ctrl-C or a signal (what was created is kept in the output file)`

// Error carries an exit code with an error.
type Error struct {
	Code int
	Err  error
}

func (e *Error) Error() string { return e.Err.Error() }
func (e *Error) Unwrap() error { return e.Err }

// Wrap returns err with the given exit code, or nil if err is nil.
func Wrap(code int, err error) error {
	if err == nil {
		return nil
	}
	return &Error{Code: code, Err: err}
}

// Of returns the exit code for err: OK for nil, the code of the outermost
// *Error in its chain, Interrupted for a cancelled context, else Failure.
func Of(err error) int {
	if err == nil {
		return OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	if errors.Is(err, context.Canceled) {
		return Interrupted
	}
	return Failure
}
