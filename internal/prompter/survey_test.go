package prompter_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/prompter"
	"github.com/apicenter/apicenter/internal/ptytest"
)

type chooseResult struct {
	choice prompter.Choice
	err    error
}

func TestChooseThroughPty(t *testing.T) {
	tests := []struct {
		name    string
		keys    []string // each typed once the prompt reads the terminal
		want    prompter.Choice
		wantErr error
		screen  string // on the screen afterwards
	}{
		{"Enter continues", []string{ptytest.Enter}, prompter.Continue, nil, ""},
		{"c continues", []string{"c" + ptytest.Enter}, prompter.Continue, nil, ""},
		{"p provides", []string{"p" + ptytest.Enter}, prompter.Provide, nil, ""},
		{"P in capitals provides", []string{"P" + ptytest.Enter}, prompter.Provide, nil, ""},
		{"a auto-accepts", []string{"a" + ptytest.Enter}, prompter.AutoAccept, nil, ""},
		{"q quits", []string{"q" + ptytest.Enter}, prompter.Quit, nil, ""},
		{"quit spelt out quits", []string{"quit" + ptytest.Enter}, prompter.Quit, nil, ""},
		{"Ctrl-C interrupts", []string{ptytest.CtrlC}, prompter.Quit, prompter.ErrInterrupted, ""},
		{"a wrong letter asks again", []string{"x" + ptytest.Enter, "a" + ptytest.Enter}, prompter.AutoAccept, nil, `answer c (or Enter), p, a or q, not "x"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			term := ptytest.New(t)
			p := prompter.New(term.IOStreams())
			done := make(chan chooseResult, 1)
			go func() {
				c, err := p.Choose("SILVER_GROUP", "the silver group's name", "silver-users")
				done <- chooseResult{c, err}
			}()
			term.Expect("SILVER_GROUP: the silver group's name")
			term.Expect("value: silver-users")
			for i, k := range tt.keys {
				if i > 0 {
					term.Expect("Sorry, your reply was invalid")
				}
				term.Expect(prompter.ChooseQuestion)
				term.Answer(k)
			}
			r := receive(t, done)
			if !errors.Is(r.err, tt.wantErr) {
				t.Fatalf("Choose error = %v, want %v", r.err, tt.wantErr)
			}
			if r.choice != tt.want {
				t.Errorf("Choose = %v, want %v", r.choice, tt.want)
			}
			if tt.screen != "" {
				if !strings.Contains(term.Transcript(), tt.screen) {
					t.Errorf("output does not say %q:\n%s", tt.screen, term.Transcript())
				}
			}
		})
	}
}

type inputResult struct {
	value string
	err   error
}

func TestInputThroughPty(t *testing.T) {
	noSpaces := func(s string) error {
		if s == "" || strings.ContainsAny(s, " \t") {
			return fmt.Errorf("a group name without spaces, please")
		}
		return nil
	}
	tests := []struct {
		name     string
		secret   bool
		validate func(string) error
		lines    []string // typed in turn, each answering one rendering of the question
		want     string
		wantErr  error
	}{
		{"a value", false, noSpaces, []string{"gold-users"}, "gold-users", nil},
		{"an invalid value then a valid one", false, noSpaces, []string{"gold users", "gold-users"}, "gold-users", nil},
		{"no validation", false, nil, []string{"any thing"}, "any thing", nil},
		{"a secret", true, noSpaces, []string{"S3cret-Passw0rd"}, "S3cret-Passw0rd", nil},
		{"an invalid secret then a valid one", true, noSpaces, []string{"bad secret", "G00d-Secret"}, "G00d-Secret", nil},
		{"Ctrl-C interrupts", false, noSpaces, []string{ptytest.CtrlC}, "", prompter.ErrInterrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			term := ptytest.New(t)
			p := prompter.New(term.IOStreams())
			done := make(chan inputResult, 1)
			go func() {
				v, err := p.Input("GOLD_GROUP", "the gold group's name", tt.secret, tt.validate)
				done <- inputResult{v, err}
			}()
			for i, line := range tt.lines {
				if i > 0 {
					term.Expect("a group name without spaces, please")
				}
				term.Expect("New value for GOLD_GROUP (the gold group's name):")
				if line == ptytest.CtrlC {
					term.Answer(line)
				} else {
					term.AnswerLine(line)
				}
			}
			r := receive(t, done)
			if !errors.Is(r.err, tt.wantErr) {
				t.Fatalf("Input error = %v, want %v", r.err, tt.wantErr)
			}
			if r.value != tt.want {
				t.Errorf("Input = %q, want %q", r.value, tt.want)
			}
			if tt.secret {
				// Read what the prompt wrote after the last key, then check
				// that no typed secret reached the terminal.
				term.Expect(strings.Repeat("*", len(tt.lines[len(tt.lines)-1])))
				for _, line := range tt.lines {
					if strings.Contains(term.Transcript(), line) || strings.Contains(term.Screen(), line) {
						t.Errorf("the secret %q was echoed:\n%s", line, term.Screen())
					}
				}
			}
		})
	}
}

func TestNewWithoutTerminal(t *testing.T) {
	ios, _, _, _ := iostreams.Test()
	ios.InTTY, ios.OutTTY = true, true // buffers claiming to be terminals still cannot prompt
	p := prompter.New(ios)
	if _, err := p.Choose("X", "", "x"); !errors.Is(err, prompter.ErrNotTerminal) {
		t.Errorf("Choose error = %v, want ErrNotTerminal", err)
	}
	if _, err := p.Input("X", "", false, nil); !errors.Is(err, prompter.ErrNotTerminal) {
		t.Errorf("Input error = %v, want ErrNotTerminal", err)
	}
}

// receive waits for the prompt's result; a prompt still waiting for keys
// after the test sent them all is a failure, not a hang.
func receive[T any](t *testing.T, c <-chan T) T {
	t.Helper()
	select {
	case r := <-c:
		return r
	case <-time.After(ptytest.Timeout):
		t.Fatalf("the prompt did not return within %v", ptytest.Timeout)
	}
	panic("unreachable")
}
