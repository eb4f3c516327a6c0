// Package ptytest runs programs in a real pseudo-terminal for tests: the
// built binary (with the terminal as its controlling terminal, so Ctrl-C is
// a real SIGINT) or a function in-process (with the terminal as its IO
// streams). A test sends keys and expects text with a timeout; what the
// program wrote is kept as a raw transcript and as a rendered screen
// (vt10x), both shown when an expectation fails.
//
// The Terminal's methods that can fail the test must be called from the
// test's goroutine.
package ptytest

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	expect "github.com/Netflix/go-expect"
	"github.com/creack/pty"
	"github.com/hinshun/vt10x"
	"golang.org/x/sys/unix"

	"github.com/apicenter/apicenter/internal/iostreams"
)

// Keys to Send.
const (
	Enter = "\r"
	CtrlC = "\x03"
	CtrlD = "\x04"
)

// Timeout is how long an expectation waits. It is generous on purpose: it
// only bounds a test that would otherwise hang, it measures nothing.
const Timeout = 10 * time.Second

// The default size of the terminal, wide enough that prompts do not wrap.
const (
	defaultCols = 160
	defaultRows = 50
)

// Option sets up a Terminal.
type Option func(*settings)

type settings struct{ cols, rows int }

// Size makes the terminal cols columns wide and rows rows high (the
// program sees it through TIOCGWINSZ, as from a real terminal).
func Size(cols, rows int) Option {
	return func(s *settings) { s.cols, s.rows = cols, rows }
}

// Terminal is a pseudo-terminal with an expect console on its master side.
// A goroutine reads everything the program writes, as soon as it is
// written, into a transcript and a vt10x screen; the screen answers the
// program's terminal queries (survey asks for the cursor position before
// each prompt and waits for the answer).
type Terminal struct {
	t       testing.TB
	console *expect.Console
	screen  vt10x.Terminal

	mu         sync.Mutex
	transcript bytes.Buffer
	changed    chan struct{} // closed and replaced on each write to transcript
	consumed   int           // how far Expect has matched in transcript
}

// New opens a pseudo-terminal for the duration of the test, 160 by 50
// unless Size says otherwise.
func New(t testing.TB, opts ...Option) *Terminal {
	t.Helper()
	set := settings{cols: defaultCols, rows: defaultRows}
	for _, o := range opts {
		o(&set)
	}
	cols, rows := set.cols, set.rows
	term := &Terminal{t: t, changed: make(chan struct{})}
	term.screen = vt10x.New(vt10x.WithSize(cols, rows), vt10x.WithWriter(consoleWriter{term}))
	c, err := expect.NewConsole(expect.WithStdout(term.screen, transcriptWriter{term}))
	if err != nil {
		t.Fatalf("ptytest: open pseudo-terminal: %v", err)
	}
	term.console = c
	if err := pty.Setsize(c.Tty(), &pty.Winsize{Rows: uint16(rows), Cols: uint16(cols)}); err != nil {
		_ = c.Close()
		t.Fatalf("ptytest: set terminal size: %v", err)
	}
	go func() {
		// Reads until the console is closed; every rune read goes to the
		// screen and the transcript.
		_, _ = c.Expect(expect.EOF, expect.PTSClosed)
	}()
	// Closing does not wait for that reader: a read blocked on the
	// terminal ends only when the kernel says so.
	t.Cleanup(func() { _ = c.Close() })
	return term
}

// Tty is the slave side: the program's terminal.
func (c *Terminal) Tty() *os.File { return c.console.Tty() }

// IOStreams returns streams on the terminal, for running a command
// in-process: stdin, stdout and stderr are the terminal, and both are
// marked as terminals so the command prompts.
func (c *Terminal) IOStreams() *iostreams.IOStreams {
	tty := c.Tty()
	return &iostreams.IOStreams{In: tty, Out: tty, ErrOut: tty, InTTY: true, OutTTY: true}
}

// Send types s as it is.
func (c *Terminal) Send(s string) {
	c.t.Helper()
	if _, err := c.console.Send(s); err != nil {
		c.t.Fatalf("ptytest: send %q: %v", s, err)
	}
}

// Answer waits until the program reads its terminal key by key (raw mode,
// as a prompt does), then types s. Keys sent before that would be handled
// by the line discipline: Ctrl-C would become a signal, letters would be
// echoed twice.
func (c *Terminal) Answer(s string) {
	c.t.Helper()
	c.WaitRaw()
	c.Send(s)
}

// AnswerLine is Answer(s + Enter).
func (c *Terminal) AnswerLine(s string) {
	c.t.Helper()
	c.Answer(s + Enter)
}

// WaitRaw waits until the terminal is in raw mode (no canonical line
// editing, no signals from keys).
func (c *Terminal) WaitRaw() {
	c.t.Helper()
	deadline := time.Now().Add(Timeout)
	for {
		tio, err := unix.IoctlGetTermios(int(c.Tty().Fd()), unix.TCGETS)
		if err != nil {
			c.t.Fatalf("ptytest: read terminal mode: %v", err)
		}
		if tio.Lflag&(unix.ICANON|unix.ISIG) == 0 {
			return
		}
		if time.Now().After(deadline) {
			c.fail("the program did not put the terminal in raw mode (no prompt is reading)")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Expect waits until the program has written s (after what earlier calls
// to Expect matched), and fails the test if it does not within Timeout. It
// returns the output from the previous match to the end of this one.
func (c *Terminal) Expect(s string) string {
	c.t.Helper()
	timeout := time.NewTimer(Timeout)
	defer timeout.Stop()
	for {
		c.mu.Lock()
		rest := c.transcript.String()[c.consumed:]
		changed := c.changed
		if i := strings.Index(rest, s); i >= 0 {
			c.consumed += i + len(s)
			c.mu.Unlock()
			return rest[:i+len(s)]
		}
		c.mu.Unlock()
		select {
		case <-changed:
		case <-timeout.C:
			c.fail(fmt.Sprintf("expected %q within %v", s, Timeout))
		}
	}
}

// WaitFor waits until the program has written s anywhere in its output,
// before or after what Expect matched, without moving Expect's position:
// for lines that other goroutines of the program print at their own pace.
// It fails the test if s does not appear within Timeout.
func (c *Terminal) WaitFor(s string) {
	c.t.Helper()
	timeout := time.NewTimer(Timeout)
	defer timeout.Stop()
	for {
		c.mu.Lock()
		found := strings.Contains(c.transcript.String(), s)
		changed := c.changed
		c.mu.Unlock()
		if found {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			c.fail(fmt.Sprintf("waited for %q for %v", s, Timeout))
		}
	}
}

// WaitScreen waits until the rendered screen shows s (text the program
// may have drawn in pieces, with colours, and redrawn), without moving
// Expect's position. It fails the test if s is not shown within Timeout.
func (c *Terminal) WaitScreen(s string) {
	c.t.Helper()
	timeout := time.NewTimer(Timeout)
	defer timeout.Stop()
	for {
		c.mu.Lock()
		changed := c.changed
		c.mu.Unlock()
		if strings.Contains(c.Screen(), s) {
			return
		}
		select {
		case <-changed:
		case <-timeout.C:
			c.fail(fmt.Sprintf("the screen did not show %q within %v", s, Timeout))
		}
	}
}

// Screen is the rendered terminal screen, trailing blanks trimmed.
func (c *Terminal) Screen() string {
	var lines []string
	for _, l := range strings.Split(c.screen.String(), "\n") {
		lines = append(lines, strings.TrimRight(l, " \x00"))
	}
	return strings.TrimRight(strings.Join(lines, "\n"), "\n")
}

// Transcript is every byte the program has written so far, escape
// sequences included.
func (c *Terminal) Transcript() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.transcript.String()
}

func (c *Terminal) fail(msg string) {
	c.t.Helper()
	c.t.Fatalf("ptytest: %s\n--- screen ---\n%s\n--- transcript ---\n%q", msg, c.Screen(), c.Transcript())
}

// settle waits until the program has written nothing for a moment (at
// most a second), so that the transcript holds the end of its output.
func (c *Terminal) settle() {
	deadline := time.After(time.Second)
	for {
		c.mu.Lock()
		changed := c.changed
		c.mu.Unlock()
		select {
		case <-changed:
		case <-time.After(50 * time.Millisecond):
			return
		case <-deadline:
			return
		}
	}
}

// Process is a program running on a Terminal.
type Process struct {
	term *Terminal
	done chan struct{}
	code int
	kill func()
	// signal sends a signal to a program run by Start; nil for Run.
	signal func(os.Signal) error
}

// Signal sends sig to the program (one run by Start), as kill(1) would.
func (p *Process) Signal(sig os.Signal) {
	p.term.t.Helper()
	if p.signal == nil {
		p.term.t.Fatalf("ptytest: Signal needs a program run by Start")
	}
	if err := p.signal(sig); err != nil {
		p.term.t.Fatalf("ptytest: signal %v: %v", sig, err)
	}
}

// Start runs cmd with the terminal as its stdin, stdout, stderr and
// controlling terminal, in a session of its own: Ctrl-C typed while the
// terminal is in cooked mode is a SIGINT to the program, as in a shell.
// cmd's Env and Dir are the caller's to set, and so is its Stdin: one set
// (a pipe, as in `echo c | apicenter ...`) is kept.
func (c *Terminal) Start(cmd *exec.Cmd) *Process {
	c.t.Helper()
	tty := c.Tty()
	ctty := 0 // the child's fd that is the terminal
	if cmd.Stdin == nil {
		cmd.Stdin = tty
	} else {
		ctty = 1
	}
	cmd.Stdout, cmd.Stderr = tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: ctty}
	if err := cmd.Start(); err != nil {
		c.t.Fatalf("ptytest: start %s: %v", cmd.Path, err)
	}
	p := &Process{term: c, done: make(chan struct{}), kill: func() { _ = cmd.Process.Kill() }, signal: cmd.Process.Signal}
	go func() {
		defer close(p.done)
		err := cmd.Wait()
		p.code = exitCode(cmd, err)
	}()
	c.t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			p.kill()
			<-p.done
		}
	})
	return p
}

// Run runs fn in-process on the terminal's streams (see IOStreams), for
// example the root command's Execute. fn returns the exit code.
func (c *Terminal) Run(fn func(ios *iostreams.IOStreams) int) *Process {
	p := &Process{term: c, done: make(chan struct{}), kill: func() {}}
	ios := c.IOStreams()
	go func() {
		defer close(p.done)
		p.code = fn(ios)
	}()
	return p
}

// Wait waits for the program to end and returns its exit code (128+n for a
// program killed by signal n), once its last output is in the transcript.
// It fails the test if the program has not ended within a few Timeouts.
func (p *Process) Wait() int {
	p.term.t.Helper()
	timeout := time.NewTimer(3 * Timeout)
	defer timeout.Stop()
	select {
	case <-p.done:
	case <-timeout.C:
		p.kill()
		p.term.fail("the program did not end")
	}
	p.term.settle()
	return p.code
}

// ExpectExit waits for the program to end and fails the test unless its
// exit code is want.
func (p *Process) ExpectExit(want int) {
	p.term.t.Helper()
	if got := p.Wait(); got != want {
		p.term.fail(fmt.Sprintf("exit code %d, want %d", got, want))
	}
}

func exitCode(cmd *exec.Cmd, err error) int {
	if err == nil {
		return 0
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return 128 + int(ws.Signal())
		}
		return exitErr.ExitCode()
	}
	return -1
}

// consoleWriter writes terminal answers (from the screen) to the program.
type consoleWriter struct{ term *Terminal }

func (w consoleWriter) Write(b []byte) (int, error) {
	if w.term.console == nil {
		return len(b), nil
	}
	return w.term.console.Write(b)
}

// transcriptWriter appends the program's output to the transcript.
type transcriptWriter struct{ term *Terminal }

func (w transcriptWriter) Write(b []byte) (int, error) {
	w.term.mu.Lock()
	defer w.term.mu.Unlock()
	close(w.term.changed)
	w.term.changed = make(chan struct{})
	return w.term.transcript.Write(b)
}
