package prompter

import (
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/AlecAivazis/survey/v2"
	"github.com/AlecAivazis/survey/v2/terminal"
	"golang.org/x/term"

	"github.com/apicenter/apicenter/internal/iostreams"
)

// ChooseQuestion is the question Choose asks after showing a value: each
// choice is one key, without Enter. Tests of commands that prompt wait for
// it before answering.
const ChooseQuestion = "(C)ontinue, (p)rovide, (a)uto-accept, (q)uit"

// ErrNotTerminal is returned by the Prompter of streams that are not terminals.
var ErrNotTerminal = errors.New("cannot prompt: stdin and stdout are not both terminals")

// New returns the terminal Prompter for ios, built on survey. Use it only
// when ios.CanPrompt() is true; with streams that are not terminal files its
// methods return ErrNotTerminal.
func New(ios *iostreams.IOStreams) Prompter {
	in, inOK := ios.In.(terminal.FileReader)
	out, outOK := ios.Out.(terminal.FileWriter)
	if !inOK || !outOK || !ios.CanPrompt() {
		return notTerminal{}
	}
	// The terminal as it is before any prompt, to put back if the program
	// stops while a prompt has it in raw mode.
	state, _ := term.GetState(int(in.Fd()))
	return &surveyPrompter{in: byteReader{in}, out: out, errOut: ios.ErrOut, fd: int(in.Fd()), state: state}
}

// byteReader reads the terminal one byte at a time. Before reading keys,
// survey asks the terminal for the cursor position and reads the answer
// through a fresh bufio.Reader, dropping whatever that reader took beyond
// the answer: keys typed ahead would be lost. Reading a byte at a time
// leaves them in the terminal for the next read.
type byteReader struct{ terminal.FileReader }

func (r byteReader) Read(p []byte) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return r.FileReader.Read(p)
}

// surveyPrompter asks through survey on the terminal streams of a command.
type surveyPrompter struct {
	in     terminal.FileReader
	out    terminal.FileWriter
	errOut io.Writer
	fd     int
	state  *term.State
}

// Restore puts the terminal back in the mode it had before any prompt and
// ends the line a waiting prompt left open. A program that stops while a
// prompt waits (SIGTERM) calls it; the prompt itself is abandoned.
func (p *surveyPrompter) Restore() {
	if p.state != nil {
		_ = term.Restore(p.fd, p.state)
	}
	fmt.Fprintln(p.out)
}

// Choose shows the value as
//
//	  hint
//	? NAME = shown  (C)ontinue, (p)rovide, (a)uto-accept, (q)uit
//
// and reads one key: c, p, a or q (any case), Enter for c, Ctrl-D for q.
// Any other letter is refused and the question repeats. The answered line
// names the choice, or says what it did (answered): "? NAME = shown  continue".
func (p *surveyPrompter) Choose(name, hint, shown string, answered Words) (Choice, error) {
	var answer string
	q := &choiceQuestion{message: name + " = " + shown, hint: hint, answered: answered}
	err := survey.AskOne(q, &answer, p.opts(survey.WithValidator(validateChoice))...)
	if err != nil {
		return Quit, p.askError(name, err)
	}
	c, _ := parseChoice(answer)
	return c, nil
}

// Input asks for a new value of name. A secret is read without echo
// (a mask character per key instead). Ctrl-D returns an error wrapping
// ErrQuit.
func (p *surveyPrompter) Input(name, hint string, secret bool, validate func(string) error) (string, error) {
	msg := "New value for " + name
	if hint != "" {
		msg += " (" + hint + ")"
	}
	q := &lineQuestion{message: msg + ":", short: "New value for " + name + ":", secret: secret}
	opts := p.opts()
	if validate != nil {
		opts = append(opts, survey.WithValidator(func(ans interface{}) error {
			s, _ := ans.(string)
			return validate(s)
		}))
	}
	var answer string
	if err := survey.AskOne(q, &answer, opts...); err != nil {
		return "", p.askError(name, err)
	}
	return answer, nil
}

func (p *surveyPrompter) opts(extra ...survey.AskOpt) []survey.AskOpt {
	return append([]survey.AskOpt{survey.WithStdio(p.in, p.out, p.errOut), survey.WithShowCursor(true)}, extra...)
}

// askError maps survey's errors: Ctrl-C is ErrInterrupted; Ctrl-D, and
// the end of input (the terminal went away), are ErrQuit.
func (p *surveyPrompter) askError(name string, err error) error {
	switch {
	case errors.Is(err, terminal.InterruptErr):
		return ErrInterrupted
	case errors.Is(err, errEndOfInput), errors.Is(err, io.EOF):
		return fmt.Errorf("prompt for %s: end of input: %w", name, ErrQuit)
	default:
		return fmt.Errorf("prompt for %s: %w", name, err)
	}
}

// parseChoice reads an answer to ChooseQuestion.
func parseChoice(answer string) (Choice, bool) {
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "", "c", "continue":
		return Continue, true
	case "p", "provide":
		return Provide, true
	case "a", "auto", "auto-accept":
		return AutoAccept, true
	case "q", "quit":
		return Quit, true
	}
	return Quit, false
}

func validateChoice(ans interface{}) error {
	s, _ := ans.(string)
	if _, ok := parseChoice(s); !ok {
		return fmt.Errorf("press c (or Enter) to continue, p to provide a new value, a to auto-accept this and the rest, or q to quit; not %q", s)
	}
	return nil
}

// notTerminal is the Prompter of streams that cannot prompt.
type notTerminal struct{}

var _ Prompter = notTerminal{}

func (notTerminal) Choose(string, string, string, Words) (Choice, error) {
	return Quit, ErrNotTerminal
}

func (notTerminal) Input(string, string, bool, func(string) error) (string, error) {
	return "", ErrNotTerminal
}
