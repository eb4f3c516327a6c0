package prompter_test

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/prompter"
	"github.com/apicenter/apicenter/internal/ptytest"
)

// destroyWords are what destroy's question says its choices did.
var destroyWords = prompter.Words{prompter.Continue: "delete", prompter.Provide: "keep", prompter.AutoAccept: "delete it and the rest"}

type chooseResult struct {
	choice prompter.Choice
	err    error
}

// TestChooseThroughPty answers Choose in a real pseudo-terminal. Each key
// is sent alone, without Enter: Choose returning proves that one key is
// an answer. The screen afterwards holds only the answered line, naming
// the choice.
func TestChooseThroughPty(t *testing.T) {
	const arrowUp, arrowLeft = "\x1b[A", "\x1bOD"
	tests := []struct {
		name    string
		keys    []string // each typed once the prompt reads the terminal
		want    prompter.Choice
		wantErr error
		screen  string // the last line on the screen afterwards
		refusal string // on the screen afterwards
		words   prompter.Words
	}{
		{"Enter continues", []string{ptytest.Enter}, prompter.Continue, nil, "? SILVER_GROUP = silver-users (default)  continue", "", prompter.Words{}},
		{"c continues", []string{"c"}, prompter.Continue, nil, "? SILVER_GROUP = silver-users (default)  continue", "", prompter.Words{}},
		{"p provides", []string{"p"}, prompter.Provide, nil, "? SILVER_GROUP = silver-users (default)  provide", "", prompter.Words{}},
		{"P in capitals provides", []string{"P"}, prompter.Provide, nil, "? SILVER_GROUP = silver-users (default)  provide", "", prompter.Words{}},
		{"a auto-accepts", []string{"a"}, prompter.AutoAccept, nil, "? SILVER_GROUP = silver-users (default)  auto-accept", "", prompter.Words{}},
		{"q quits", []string{"q"}, prompter.Quit, nil, "? SILVER_GROUP = silver-users (default)  quit", "", prompter.Words{}},
		{"Ctrl-D quits, it does not accept the default", []string{ptytest.CtrlD}, prompter.Quit, nil, "? SILVER_GROUP = silver-users (default)  quit", "", prompter.Words{}},
		{"Ctrl-C interrupts", []string{ptytest.CtrlC}, prompter.Quit, prompter.ErrInterrupted, "? SILVER_GROUP = silver-users (default)  " + prompter.ChooseQuestion, "", prompter.Words{}},
		{"a wrong letter asks again", []string{"x", "a"}, prompter.AutoAccept, nil, "? SILVER_GROUP = silver-users (default)  auto-accept", `X Sorry, your reply was invalid: press c (or Enter) to continue, p to provide a new value, a to auto-accept this and the rest, or q to quit; not "x"`, prompter.Words{}},
		{"arrow keys are not letters", []string{arrowUp + arrowLeft + "q"}, prompter.Quit, nil, "? SILVER_GROUP = silver-users (default)  quit", "", prompter.Words{}},
		// A question about a change (destroy, drift) says what was done.
		{"a change: p keeps", []string{"p"}, prompter.Provide, nil, "? SILVER_GROUP = silver-users (default)  keep", "", destroyWords},
		{"a change: Enter deletes", []string{ptytest.Enter}, prompter.Continue, nil, "? SILVER_GROUP = silver-users (default)  delete", "", destroyWords},
		{"a change: q still quits", []string{"q"}, prompter.Quit, nil, "? SILVER_GROUP = silver-users (default)  quit", "", destroyWords},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			term := ptytest.New(t)
			p := prompter.New(term.IOStreams())
			done := make(chan chooseResult, 1)
			go func() {
				c, err := p.Choose("SILVER_GROUP", "the silver group's name", "silver-users (default)", tt.words)
				done <- chooseResult{c, err}
			}()
			term.Expect("the silver group's name")
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
			term.Expect("\n") // the answered line is ended
			screen := term.Screen()
			lines := strings.Split(screen, "\n")
			if last := lines[len(lines)-1]; last != tt.screen {
				t.Errorf("the answered line is %q, want %q\n%s", last, tt.screen, screen)
			}
			if tt.wantErr == nil && strings.Contains(screen, "the silver group's name") {
				t.Errorf("the hint is left on the screen after the answer:\n%s", screen)
			}
			if tt.refusal != "" && !strings.Contains(screen, tt.refusal) {
				t.Errorf("the screen does not say %q:\n%s", tt.refusal, screen)
			}
		})
	}
}

// TestChooseThenNextQuestionPty answers two questions in a row: one key
// answers one question only, and the screen keeps one line per answer.
func TestChooseThenNextQuestionPty(t *testing.T) {
	term := ptytest.New(t)
	p := prompter.New(term.IOStreams())
	done := make(chan []prompter.Choice, 1)
	go func() {
		var got []prompter.Choice
		for _, name := range []string{"A", "B", "C"} {
			c, err := p.Choose(name, "the value "+name, strings.ToLower(name), prompter.Words{})
			if err != nil {
				break
			}
			got = append(got, c)
		}
		done <- got
	}()
	for _, k := range []string{"c", "p", ptytest.Enter} {
		term.Expect(prompter.ChooseQuestion)
		term.Answer(k)
	}
	got := receive(t, done)
	if want := []prompter.Choice{prompter.Continue, prompter.Provide, prompter.Continue}; !slices.Equal(got, want) {
		t.Errorf("choices = %v, want %v", got, want)
	}
	term.WaitScreen("C = c  continue")
	if want := "? A = a  continue\n? B = b  provide\n? C = c  continue"; term.Screen() != want {
		t.Errorf("screen:\n%s\nwant:\n%s", term.Screen(), want)
	}
}

// TestPromptWrapsPty asks with a long hint and a long refusal in a
// terminal 60 columns wide: every line fits, and each is broken between
// words (every word of the hint and of the refusal is whole on one line).
func TestPromptWrapsPty(t *testing.T) {
	const (
		cols    = 60
		hint    = "redirect URI of the web app (give the same to Mulesoft when it creates the app's client, in Exchange)"
		refusal = "must not be empty: the web app needs a redirect URI that Okta accepts for its client, an absolute URL"
	)
	term := ptytest.New(t, ptytest.Size(cols, 30))
	p := prompter.New(term.IOStreams())
	notEmpty := func(s string) error {
		if s == "" {
			return errors.New(refusal)
		}
		return nil
	}
	type answers struct {
		choice prompter.Choice
		value  string
		err    error
	}
	done := make(chan answers, 1)
	go func() {
		c, err := p.Choose("REDIRECT_URI", hint, "http://localhost:8080/cb (default)", prompter.Words{})
		if err != nil {
			done <- answers{err: err}
			return
		}
		v, err := p.Input("REDIRECT_URI", hint, false, notEmpty)
		done <- answers{c, v, err}
	}()
	term.Expect(prompter.ChooseQuestion)
	checkWrapped(t, term.Screen(), hint)
	term.Answer("x")
	term.Expect("Sorry, your reply was invalid")
	term.Expect(prompter.ChooseQuestion)
	checkWrapped(t, term.Screen(), hint, `press c (or Enter) to continue, p to provide a new value, a to auto-accept this and the rest, or q to quit; not "x"`)
	term.Answer("p")
	term.Expect("New value for REDIRECT_URI")
	term.AnswerLine("")
	term.Expect("Sorry, your reply was invalid")
	term.Expect("New value for REDIRECT_URI")
	term.Expect("):")
	checkWrapped(t, term.Screen(), "New value for REDIRECT_URI ("+hint+"):", refusal)
	// An answer that runs onto a second row: the answered line replaces
	// the question, and only it (the line above stays).
	const long = "http://localhost:9090/authorization-code/callback/of/the/solar-system/web/app"
	term.AnswerLine(long)
	r := receive(t, done)
	if r.err != nil || r.choice != prompter.Provide || r.value != long {
		t.Fatalf("answers = %+v", r)
	}
	term.WaitScreen("? New value for REDIRECT_URI: ")
	screen := term.Screen()
	checkWrapped(t, screen, "? REDIRECT_URI = http://localhost:8080/cb (default) provide", refusal, "? New value for REDIRECT_URI:")
	if strings.Contains(screen, "New value for REDIRECT_URI (") {
		t.Errorf("the question is left on the screen after its answer:\n%s", screen)
	}
}

// checkWrapped fails unless every word of each text is whole on a line of
// the screen, in order.
func checkWrapped(t *testing.T, screen string, texts ...string) {
	t.Helper()
	// The screen is cols wide: a line the program wrote wider than that is
	// cut there, and the word cut no longer shows whole.
	var words []string
	for _, l := range strings.Split(screen, "\n") {
		words = append(words, strings.Fields(l)...)
	}
	for _, text := range texts {
		want := strings.Fields(text)
		found := false
		for i := range words {
			if i+len(want) <= len(words) && slices.Equal(words[i:i+len(want)], want) {
				found = true
				break
			}
		}
		if !found {
			t.Errorf("the screen does not show %q with its words whole:\n%s", text, screen)
		}
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
		{"Ctrl-D quits, it does not take the line", false, nil, []string{"half" + ptytest.CtrlD}, "", prompter.ErrQuit},
		{"Ctrl-D at a secret quits", true, nil, []string{ptytest.CtrlD}, "", prompter.ErrQuit},
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
				if strings.HasSuffix(line, ptytest.CtrlC) || strings.HasSuffix(line, ptytest.CtrlD) {
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
			// The answered line: the value (a secret as a fixed mask, ^D
			// for Ctrl-D), without the hint.
			answered := "? New value for GOLD_GROUP: " + tt.want
			switch {
			case errors.Is(tt.wantErr, prompter.ErrQuit):
				answered = "? New value for GOLD_GROUP: ^D"
			case tt.secret:
				answered = "? New value for GOLD_GROUP: ********"
			}
			if tt.wantErr != prompter.ErrInterrupted {
				term.WaitScreen(answered)
				if lines := strings.Split(term.Screen(), "\n"); lines[len(lines)-1] != answered {
					t.Errorf("the last line is %q, want the answered line %q\n%s", lines[len(lines)-1], answered, term.Screen())
				}
			}
			if tt.secret && tt.wantErr == nil {
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
	if _, err := p.Choose("X", "", "x", prompter.Words{}); !errors.Is(err, prompter.ErrNotTerminal) {
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
