// Package prompter is the one place apicenter asks a user questions. Commands
// use the Prompter interface; only this package imports survey.
package prompter

import (
	"errors"
	"strconv"
)

// Choice is the answer to "what to do with this value".
type Choice int

// The choices offered for each value, as in the original tool:
// (C)ontinue, (p)rovide, (a)uto-accept, (q)uit.
const (
	Continue   Choice = iota // use the value shown (the default: Enter)
	Provide                  // ask for a new value
	AutoAccept               // use this and every remaining value without asking
	Quit                     // stop; what was created so far is kept (also Ctrl-D)
)

// ErrInterrupted is returned when the user presses Ctrl-C at a prompt.
var ErrInterrupted = errors.New("interrupted")

// ErrQuit is returned by Input when the user ends the input (Ctrl-D)
// instead of answering: a quit, as q is at Choose (where Ctrl-D is Quit).
var ErrQuit = errors.New("quit")

// Prompter asks the user about values. Implementations must only be used
// when stdin and stdout are terminals.
type Prompter interface {
	// Choose shows a value (name, a hint saying what it is, and the value
	// as it should be displayed, secrets already masked) and asks what to
	// do: one key, without Enter. answered says what each choice did on
	// the answered line; its zero value says the choices' names.
	Choose(name, hint, shown string, answered Words) (Choice, error)
	// Input asks for a new value for name. validate, if not nil, is run on
	// each answer and the question repeats until it passes. secret hides the
	// typed text.
	Input(name, hint string, secret bool, validate func(string) error) (string, error)
}

// Restorer is a Prompter that can put the terminal back as it found it, for
// a program that stops (a signal) while a prompt waits for a key.
type Restorer interface {
	Restore()
}

// Words are what the answered line says each choice did, indexed by
// Choice: a question about a change keeps the keys c, p, a and q but says
// what they did ({"updated", "left as it is", ...}). An empty word is the
// choice's name (Choice.String).
type Words [4]string

// Of is the word for c.
func (w Words) Of(c Choice) string {
	if c >= 0 && int(c) < len(w) && w[c] != "" {
		return w[c]
	}
	return c.String()
}

// String names the choice as the prompt spells it.
func (c Choice) String() string {
	switch c {
	case Continue:
		return "continue"
	case Provide:
		return "provide"
	case AutoAccept:
		return "auto-accept"
	case Quit:
		return "quit"
	}
	return "Choice(" + strconv.Itoa(int(c)) + ")"
}
