package prompter

import (
	"errors"

	"github.com/apicenter/apicenter/internal/iostreams"
)

// New returns the terminal Prompter for ios, built on survey. Use it only
// when ios.CanPrompt() is true.
//
// TODO(prompter helper): replace with the survey implementation.
func New(ios *iostreams.IOStreams) Prompter { return notYet{} }

type notYet struct{}

func (notYet) Choose(string, string, string) (Choice, error) {
	return Quit, errors.New("prompter not implemented yet")
}

func (notYet) Input(string, string, bool, func(string) error) (string, error) {
	return "", errors.New("prompter not implemented yet")
}
