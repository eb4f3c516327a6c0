package main

import (
	"context"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/prompter"
	"github.com/apicenter/apicenter/internal/ptytest"
	"github.com/apicenter/apicenter/outputs"
)

// progressWords start the lines bootstrap prints as objects and values are
// settled.
var progressWords = []string{"created ", "found ", "failed ", "value ", "warning: "}

// TestBootstrapProgressWaitsForQuestionPty runs the binary in a pty while
// objects are created concurrently with the questions: the authorization
// server is created as soon as its two values are answered, while the
// next question is open. Its progress line waits for that answer (never
// inside the question), and is written before the question after it.
func TestBootstrapProgressWaitsForQuestionPty(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := binary(t)
	srv := devorgtest.Start(t)
	dir := orgEnv(t, srv)
	outPath := filepath.Join(dir, "outputs", "mulesoft.yaml")
	term := ptytest.New(t, ptytest.Size(160, 100))
	cmd := exec.Command(bin, "bootstrap", "--mulesoft")
	cmd.Dir = dir
	proc := term.Start(cmd)
	ask := func(name string) {
		term.Expect(name + " = ")
		term.Expect(prompter.ChooseQuestion)
	}
	ask("AUTH_SERVER_NAME")
	term.Answer(ptytest.Enter)
	ask("AUDIENCE")
	term.Answer("c")
	ask("SILVER_SCOPE")
	// The server needs only AUTH_SERVER_NAME and AUDIENCE: it is created
	// (and recorded) while SILVER_SCOPE is asked.
	waitRecorded(t, outPath, []string{"AUTH_SERVER"})
	const created = `created authorizationServer "solar system API"`
	if strings.Contains(term.Transcript(), created) {
		t.Fatalf("the progress line was written while the question was open:\n%s", term.Screen())
	}
	term.Answer("c")
	ask("GOLD_SCOPE")
	screen := term.Screen()
	answered := strings.Index(screen, "? SILVER_SCOPE = http://myapp.com/scp/silver (default)  continue\n")
	progress := strings.Index(screen, created)
	next := strings.Index(screen, "? GOLD_SCOPE = ")
	if answered < 0 || progress < answered || next < progress {
		t.Errorf("want the answered line, then the held progress line, then the next question; got positions %d, %d, %d:\n%s", answered, progress, next, screen)
	}
	term.Answer("a")
	proc.ExpectExit(exitcode.OK)

	// No progress line broke into any question, from its drawing to its
	// answered line.
	transcript := term.Transcript()
	for i, part := range strings.Split(transcript, prompter.ChooseQuestion)[1:] {
		rest, _, _ := strings.Cut(part, "\n")
		for _, word := range progressWords {
			if strings.Contains(rest, word) {
				t.Errorf("question %d was broken into by a progress line: %q", i+1, rest)
			}
		}
	}
	// Every progress line is a line of its own on the screen.
	for _, l := range strings.Split(term.Screen(), "\n") {
		for _, word := range progressWords {
			if i := strings.Index(l, word); i > 0 && strings.HasPrefix(l, "? ") {
				t.Errorf("a question line holds a progress line: %q", l)
			}
		}
	}
}

// TestBootstrapHintsWrapPty runs the binary in a pty 60 columns wide: the
// long hint of REDIRECT_URI, the refusals, the answered lines and the
// final error are broken between words to fit, Ctrl-D at the new value
// quits (exit 5, what was created kept), and the summary fits in the 60
// columns.
func TestBootstrapHintsWrapPty(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	const cols = 60
	bin := binary(t)
	srv := devorgtest.Start(t)
	dir := orgEnv(t, srv)
	term := ptytest.New(t, ptytest.Size(cols, 100))
	cmd := exec.Command(bin, "bootstrap", "--mulesoft")
	cmd.Dir = dir
	proc := term.Start(cmd)
	for _, v := range mulesoftValues {
		if v == "REDIRECT_URI" {
			break
		}
		term.Expect(v + " =") // a long value may start the next line
		term.Expect(prompter.ChooseQuestion)
		term.Answer(ptytest.Enter)
	}
	const hint = "redirect URI of the web app (give the same to Mulesoft when it creates the app's client)"
	term.Expect("REDIRECT_URI =")
	term.Expect(prompter.ChooseQuestion)
	wrappedOnScreen(t, term.Screen(), hint, "? REDIRECT_URI = http://localhost:8080/authorization-code/callback (default) "+prompter.ChooseQuestion)
	term.Answer("x")
	term.Expect("Sorry, your reply was invalid")
	term.Expect(prompter.ChooseQuestion)
	wrappedOnScreen(t, term.Screen(), hint, `press c (or Enter) to continue, p to provide a new value, a to auto-accept this and the rest, or q to quit; not "x"`)
	term.Answer("p")
	term.Expect("New value for REDIRECT_URI")
	term.AnswerLine("localhost:8080/callback")
	term.Expect("Sorry, your reply was invalid")
	term.Expect("New value for REDIRECT_URI")
	term.Expect("):")
	refusal := regexp.MustCompile(`invalid: ([^\x1b]+)`).FindStringSubmatch(strings.ReplaceAll(term.Transcript()[strings.LastIndex(term.Transcript(), "Sorry"):], "\r\n  ", " "))
	if refusal == nil {
		t.Fatalf("no refusal in the transcript")
	}
	wrappedOnScreen(t, term.Screen(), "New value for REDIRECT_URI ("+hint+"):", refusal[1])
	term.Answer(ptytest.CtrlD)
	proc.ExpectExit(exitcode.Quit)
	term.WaitScreen("? New value for REDIRECT_URI: ^D")
	// The answered lines, and the error that ends the run, too are broken
	// between words.
	wrappedOnScreen(t, term.Screen(), "? SILVER_SCOPE = http://myapp.com/scp/silver (default) continue", "? REDIRECT_URI = http://localhost:8080/authorization-code/callback (default) provide",
		"apicenter: quit: what was created is recorded in outputs/mulesoft.yaml; run the same command again to continue")

	lines := summaryLines(t, term.Transcript())
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > cols {
			t.Errorf("a summary line of %d columns in a terminal of %d: %q", n, cols, l)
		}
	}
	out, err := outputs.Load(filepath.Join(dir, "outputs", "mulesoft.yaml"))
	must(t, err)
	if len(out.Objects) == 0 {
		t.Fatalf("nothing kept in the output file after Ctrl-D")
	}
	summaryShows(t, lines, out)
}

// TestBootstrapSummaryFitsPty bootstraps the Mulesoft input with long
// names (an authorization server, groups, an app label and logins of 50
// to 70 characters) and checks that the summary fits in 80 columns, on a
// terminal and in a log, with every object's item and whole id shown.
func TestBootstrapSummaryFitsPty(t *testing.T) {
	long := []string{
		"--set", "AUTH_SERVER_NAME=solar system API of the astronomy department, production environment",
		"--set", "SILVER_GROUP_NAME=silver subscribers of the solar system API (monthly plan)",
		"--set", "GOLD_GROUP_NAME=gold subscribers of the solar system API (yearly plan, all moons)",
		"--set", "INTROSPECT_CLIENT_LABEL=solar system token introspection for the Mulesoft gateway in production",
		"--set", "SILVER_USERNAME=silver.subscriber.with.a.rather.long.name@astronomy.example.com",
		"--set", "GOLD_SCOPE=https://api.astronomy.example.com/scopes/solar-system/moons.read.gold",
	}
	tests := []struct {
		name     string
		terminal bool // the built binary in an 80-column pty, else in-process with stderr a buffer
	}{
		{"in a log", false},
		{"on a terminal", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var bin string
			if tt.terminal {
				if testing.Short() {
					t.Skip("builds the binary")
				}
				bin = binary(t)
			}
			srv := devorgtest.Start(t)
			dir := orgEnv(t, srv)
			args := append([]string{"bootstrap", "--mulesoft", "--yes"}, long...)
			var stderr string
			if tt.terminal {
				term := ptytest.New(t, ptytest.Size(80, 100))
				cmd := exec.Command(bin, args...)
				cmd.Dir = dir
				term.Start(cmd).ExpectExit(exitcode.OK)
				stderr = term.Transcript()
			} else {
				ios, _, _, errOut := iostreams.Test()
				if code := Execute(context.Background(), args, ios); code != exitcode.OK {
					t.Fatalf("exit %d\n%s", code, errOut)
				}
				stderr = errOut.String()
			}
			lines := summaryLines(t, stderr)
			for _, l := range lines {
				if n := utf8.RuneCountInString(l); n > 80 {
					t.Errorf("a summary line of %d columns: %q", n, l)
				}
			}
			if last := lines[len(lines)-1]; last != "8 created, 0 found, 0 failed, 0 not run" {
				t.Errorf("the summary ends with %q", last)
			}
			out, err := outputs.Load(filepath.Join(dir, "outputs", "mulesoft.yaml"))
			must(t, err)
			summaryShows(t, lines, out)
			// The long names are there, shortened in the middle.
			if !slices.ContainsFunc(lines, func(l string) bool {
				return strings.Contains(l, "AUTH_SERVER") && strings.Contains(l, "solar system") && strings.Contains(l, "…") && strings.Contains(l, "environment")
			}) {
				t.Errorf("the server's long name is not shortened in the middle:\n%s", strings.Join(lines, "\n"))
			}
		})
	}
}

var ansiEscape = regexp.MustCompile(`\x1b(\[[0-9;?]*[A-Za-z]|[78])`)

// summaryLines returns the summary in a run's stderr (escape sequences
// removed): from "Summary (" to the line of counts.
func summaryLines(t *testing.T, stderr string) []string {
	t.Helper()
	var lines []string
	in := false
	for _, l := range strings.Split(ansiEscape.ReplaceAllString(stderr, ""), "\n") {
		l = strings.TrimRight(l, "\r")
		if strings.HasPrefix(l, "Summary (") {
			in = true
		}
		if in {
			lines = append(lines, l)
			if regexp.MustCompile(`^\d+ created, `).MatchString(l) {
				return lines
			}
		}
	}
	t.Fatalf("no summary in:\n%s", stderr)
	return nil
}

// summaryShows fails unless each object recorded in out has a summary
// line with its item name and its whole id.
func summaryShows(t *testing.T, lines []string, out *outputs.File) {
	t.Helper()
	for _, o := range out.Objects {
		if !slices.ContainsFunc(lines, func(l string) bool {
			f := strings.Fields(l)
			return len(f) > 2 && f[1] == o.Name && f[len(f)-1] == o.ID
		}) {
			t.Errorf("no summary line shows %s with its id %s:\n%s", o.Name, o.ID, strings.Join(lines, "\n"))
		}
	}
}

// wrappedOnScreen fails unless every word of each text is whole on a line
// of the screen, in order.
func wrappedOnScreen(t *testing.T, screen string, texts ...string) {
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

// TestBootstrapStdinNotATerminalPty pipes keys into the binary while its
// output is a terminal: it does not prompt (nor read the keys as answers),
// and a value that needs an answer is an error naming --yes and --set.
func TestBootstrapStdinNotATerminalPty(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := binary(t)
	srv := devorgtest.Start(t)
	dir := orgEnv(t, srv)
	term := ptytest.New(t)
	cmd := exec.Command(bin, "bootstrap", "--mulesoft")
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader("c\nc\na\n")
	term.Start(cmd).ExpectExit(exitcode.Input)
	wrappedOnScreen(t, term.Screen(), "AUTH_SERVER_NAME needs an answer and there is no terminal to ask at: pass --yes to accept the defaults, or --set AUTH_SERVER_NAME=VALUE")
	if strings.Contains(term.Transcript(), prompter.ChooseQuestion) {
		t.Errorf("asked with stdin not a terminal:\n%s", term.Screen())
	}
}
