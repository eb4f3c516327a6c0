package ptytest_test

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"golang.org/x/term"

	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/ptytest"
)

func TestPtyStartBinary(t *testing.T) {
	tests := []struct {
		name   string
		script string
		expect string
		send   string
		then   string
		code   int
	}{
		{"a line typed in cooked mode", `printf "name? "; read x; echo "hello $x"; exit 3`, "name? ", "world" + ptytest.Enter, "hello world", 3},
		{"Ctrl-C in cooked mode is SIGINT", `echo ready; exec sleep 30`, "ready", ptytest.CtrlC, "", 128 + 2},
		{"stdin and stdout are a terminal", `test -t 0 && test -t 1 && echo both-ttys`, "both-ttys", "", "", 0},
		{"stdin from a pipe, stdout a terminal", `test -t 0 || { test -t 1 && read x && echo "piped $x"; }`, "piped hello", "", "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ptytest.New(t)
			cmd := exec.Command("/bin/sh", "-c", tt.script)
			if strings.Contains(tt.name, "pipe") {
				cmd.Stdin = strings.NewReader("hello\n")
			}
			p := c.Start(cmd)
			c.Expect(tt.expect)
			if tt.send != "" {
				c.Send(tt.send)
			}
			if tt.then != "" {
				c.Expect(tt.then)
			}
			p.ExpectExit(tt.code)
		})
	}
}

func TestPtyRunInProcess(t *testing.T) {
	c := ptytest.New(t)
	p := c.Run(func(ios *iostreams.IOStreams) int {
		if !ios.CanPrompt() {
			return 1
		}
		in := ios.In.(*os.File)
		// A prompt reads keys in raw mode: Ctrl-C is then a byte, not a signal.
		old, err := term.MakeRaw(int(in.Fd()))
		if err != nil {
			return 2
		}
		defer term.Restore(int(in.Fd()), old)
		fmt.Fprint(ios.Out, "press a key: ")
		b, err := bufio.NewReader(in).ReadByte()
		if err != nil {
			return 3
		}
		fmt.Fprintf(ios.Out, "\r\ngot %q\r\n", b)
		return 7
	})
	c.Expect("press a key: ")
	c.Answer(ptytest.CtrlC)
	c.Expect(`got '\x03'`)
	c.WaitFor("press a key") // anywhere in the output, before Expect's position too
	p.ExpectExit(7)
	if got := c.Screen(); got != "press a key:\ngot '\\x03'" {
		t.Errorf("screen = %q", got)
	}
}

// TestPtySize runs stty, which asks the kernel for the terminal's size, on
// terminals of the default and of a set size; a program wider than the
// screen is cut at its edge on the screen, not in the transcript.
func TestPtySize(t *testing.T) {
	tests := []struct {
		name string
		opts []ptytest.Option
		want string
	}{
		{"default", nil, "50 160"},
		{"60 columns", []ptytest.Option{ptytest.Size(60, 20)}, "20 60"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c := ptytest.New(t, tt.opts...)
			c.Start(exec.Command("/bin/sh", "-c", `stty size; printf '%070d\n' 7`)).ExpectExit(0)
			c.Expect(tt.want)
			c.WaitScreen(tt.want)
			long := fmt.Sprintf("%070d", 7)
			if !strings.Contains(c.Transcript(), long) {
				t.Errorf("the transcript lacks the 70 columns written")
			}
			if onOneLine := strings.Contains(c.Screen(), long); onOneLine != (tt.opts == nil) {
				t.Errorf("70 columns on one screen line: %v, want %v\n%s", onOneLine, tt.opts == nil, c.Screen())
			}
		})
	}
}
