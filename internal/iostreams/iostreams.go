// Package iostreams holds the standard streams of a command, so that commands
// never touch os.Stdin/os.Stdout directly and tests can substitute buffers or
// a pseudo-terminal.
package iostreams

import (
	"bytes"
	"io"
	"os"

	"golang.org/x/term"
)

// IOStreams are the input, output and error streams of a command.
// Results go to Out; progress and chatter go to ErrOut.
type IOStreams struct {
	In     io.Reader
	Out    io.Writer
	ErrOut io.Writer

	// InTTY and OutTTY say whether In and Out are terminals. Prompting
	// happens only when both are.
	InTTY  bool
	OutTTY bool
}

// System returns the process's standard streams.
func System() *IOStreams {
	return &IOStreams{
		In:     os.Stdin,
		Out:    os.Stdout,
		ErrOut: os.Stderr,
		InTTY:  isTerminal(os.Stdin),
		OutTTY: isTerminal(os.Stdout),
	}
}

// Test returns streams backed by buffers: stdin, stdout, stderr.
func Test() (*IOStreams, *bytes.Buffer, *bytes.Buffer, *bytes.Buffer) {
	in, out, errOut := &bytes.Buffer{}, &bytes.Buffer{}, &bytes.Buffer{}
	return &IOStreams{In: in, Out: out, ErrOut: errOut}, in, out, errOut
}

// CanPrompt reports whether both stdin and stdout are terminals.
func (s *IOStreams) CanPrompt() bool { return s.InTTY && s.OutTTY }

func isTerminal(f *os.File) bool { return term.IsTerminal(int(f.Fd())) }
