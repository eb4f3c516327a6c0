package prompter

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/AlecAivazis/survey/v2"
	"github.com/AlecAivazis/survey/v2/terminal"

	"github.com/apicenter/apicenter/internal/iostreams"
)

// The two questions apicenter asks are survey prompts of their own: survey
// runs them (raw mode, validation, re-asking, the answered line) and its
// Renderer erases what they drew, however many lines that was.

// errEndOfInput is what a question returns when the user presses Ctrl-D.
var errEndOfInput = errors.New("end of input")

// invalidPrefix is how survey's error template starts a refusal.
const invalidPrefix = "X Sorry, your reply was invalid: "

// refusal is the Error of both questions: survey's refusal, wrapped at word
// boundaries to the terminal's width.
func refusal(r *survey.Renderer, config *survey.PromptConfig, invalid error) error {
	width := iostreams.Width(r.Stdio().Out) - 1
	msg := iostreams.Wrap(invalidPrefix+invalid.Error(), width, "  ")
	return r.Error(config, errors.New(strings.TrimPrefix(msg, invalidPrefix)))
}

// choiceQuestion shows a value and takes one key: c, p, a or q (any case),
// Enter for c, Ctrl-D for q. While it waits it shows
//
//	  hint, wrapped to the terminal's width
//	? NAME = value (source)  (C)ontinue, (p)rovide, (a)uto-accept, (q)uit
//
// (the value wrapped at spaces, and the choices on a line of their own,
// when the line would not fit), and once answered only the answered line
// is left:
//
//	? NAME = value (source)  continue
type choiceQuestion struct {
	survey.Renderer
	message  string
	hint     string
	answered Words
}

type choiceData struct {
	Hint       string // wrapped, each line indented
	Message    string
	Sep        string // between the message and the choices (or answer)
	Choices    string
	ShowAnswer bool
	Answer     string
	Config     *survey.PromptConfig
}

const choiceTemplate = `
{{- if and .Hint (not .ShowAnswer)}}{{.Hint}}{{"\n"}}{{end}}
{{- color .Config.Icons.Question.Format}}{{.Config.Icons.Question.Text}} {{color "reset"}}
{{- color "default+hb"}}{{.Message}}{{color "reset"}}
{{- if .ShowAnswer}}{{.Sep}}{{color "cyan"}}{{.Answer}}{{color "reset"}}{{"\n"}}
{{- else}}{{.Sep}}{{color "cyan"}}{{.Choices}}{{color "reset"}} {{end}}`

func (q *choiceQuestion) data(config *survey.PromptConfig, answer string) choiceData {
	width := iostreams.Width(q.Stdio().Out) - 1
	d := choiceData{Config: config, Choices: ChooseQuestion, ShowAnswer: answer != "", Answer: answer}
	if q.hint != "" {
		d.Hint = iostreams.Wrap("  "+q.hint, width, "  ")
	}
	icon := config.Icons.Question.Text + " "
	d.Message = strings.TrimPrefix(iostreams.Wrap(icon+q.message, width, "  "), icon)
	// The choices, or the answer, after two spaces on the message's last
	// line, or on a line of their own when they do not fit there.
	lastLine := d.Message[strings.LastIndex(d.Message, "\n")+1:]
	if !strings.Contains(d.Message, "\n") {
		lastLine = icon + lastLine
	}
	tail := ChooseQuestion + " "
	if d.ShowAnswer {
		tail = answer
	}
	d.Sep = "  "
	if width > 0 && utf8.RuneCountInString(lastLine+d.Sep+tail) > width {
		d.Sep = "\n  "
	}
	return d
}

// Prompt draws the question and returns the key pressed, as a string for
// the validator: "c" for Enter, "q" for Ctrl-D. Keys that are not letters,
// digits or punctuation (arrows, Tab, Esc) are ignored.
func (q *choiceQuestion) Prompt(config *survey.PromptConfig) (interface{}, error) {
	if err := q.Render(choiceTemplate, q.data(config, "")); err != nil {
		return "", err
	}
	rr := q.NewRuneReader()
	_ = rr.SetTermMode()
	defer func() { _ = rr.RestoreTermMode() }()
	for {
		r, _, err := rr.ReadRune()
		if err != nil {
			return "", err
		}
		if r == terminal.KeyEscape {
			// The terminal reader hands over an escape sequence a byte
			// at a time: skip ESC [ ... final or ESC O final (an arrow
			// is ESC [ A: not a). A lone Esc is ignored.
			if r, err = skipEscape(rr); err != nil {
				return "", err
			}
		}
		switch {
		case r == terminal.KeyEscape || r == 0:
		case r == terminal.KeyInterrupt:
			_, _ = fmt.Fprint(q.Stdio().Out, "\r\n")
			return "", terminal.InterruptErr
		case r == terminal.KeyEndTransmission:
			return "q", nil
		case r == terminal.KeyEnter || r == '\n':
			return "c", nil
		case unicode.IsPrint(r) && r < unicode.MaxASCII && r != ' ':
			return string(r), nil
		}
	}
}

// skipEscape reads what follows an Esc: the rest of an escape sequence,
// returning 0, or the key pressed after a lone Esc.
func skipEscape(rr *terminal.RuneReader) (rune, error) {
	r, _, err := rr.ReadRune()
	if err != nil || (r != '[' && r != 'O') {
		return r, err
	}
	introducer := r
	for {
		r, _, err = rr.ReadRune()
		if err != nil {
			return 0, err
		}
		// SS3 (ESC O) has one final byte; CSI (ESC [) parameters are
		// digits and ';' before a final byte in @ to ~.
		if introducer == 'O' || (r >= 0x40 && r <= 0x7e) {
			return 0, nil
		}
	}
}

// Cleanup leaves the answered line.
func (q *choiceQuestion) Cleanup(config *survey.PromptConfig, val interface{}) error {
	s, _ := val.(string)
	c, _ := parseChoice(s)
	return q.Render(choiceTemplate, q.data(config, q.answered.Of(c)))
}

func (q *choiceQuestion) Error(config *survey.PromptConfig, invalid error) error {
	return refusal(&q.Renderer, config, invalid)
}

// lineQuestion reads a line (a secret without echo: one mask character per
// key). While it waits it shows the message wrapped to the terminal's
// width; once answered, the short message and the answer (a secret as a
// fixed mask):
//
//	? New value for NAME: typed value
type lineQuestion struct {
	survey.Renderer
	message string // asked, with the hint
	short   string // on the answered line
	secret  bool
}

type lineData struct {
	Message    string
	ShowAnswer bool
	Answer     string
	Config     *survey.PromptConfig
}

const lineTemplate = `
{{- color .Config.Icons.Question.Format}}{{.Config.Icons.Question.Text}} {{color "reset"}}
{{- color "default+hb"}}{{.Message}} {{color "reset"}}
{{- if .ShowAnswer}}{{color "cyan"}}{{.Answer}}{{color "reset"}}{{"\n"}}{{end}}`

// Prompt reads a line. Ctrl-D ends the input: errEndOfInput.
func (q *lineQuestion) Prompt(config *survey.PromptConfig) (interface{}, error) {
	width := iostreams.Width(q.Stdio().Out) - 1
	msg := iostreams.Wrap(config.Icons.Question.Text+" "+q.message, width, "  ")
	msg = strings.TrimPrefix(msg, config.Icons.Question.Text+" ")
	if err := q.Render(lineTemplate, lineData{Message: msg, Config: config}); err != nil {
		return "", err
	}
	rr := q.NewRuneReader()
	_ = rr.SetTermMode()
	defer func() { _ = rr.RestoreTermMode() }()
	var mask rune
	if q.secret {
		mask = config.HideCharacter
	}
	line, err := rr.ReadLine(mask, func(r rune, line []rune) ([]rune, bool, error) {
		if r == terminal.KeyEndTransmission {
			return line, true, errEndOfInput
		}
		return line, false, nil
	})
	if errors.Is(err, errEndOfInput) {
		// The answered line, so that what follows starts on a line of its own.
		_ = q.Render(lineTemplate, lineData{Message: q.short, ShowAnswer: true, Answer: "^D", Config: config})
		return "", err
	}
	if err != nil {
		return "", err
	}
	shown := string(line)
	if q.secret {
		shown = strings.Repeat(string(mask), utf8.RuneCountInString(shown))
	}
	// ReadLine leaves the cursor at the start of the row after the one the
	// answer started on. The next Render (refusal or answered line) erases
	// upwards from the last row of the question, so go there: up one row,
	// or down when the answer ran onto more rows (survey's own Input
	// always goes up, and then erases the line above the question).
	lastLine := msg[strings.LastIndex(msg, "\n")+1:]
	if !strings.Contains(msg, "\n") {
		lastLine = config.Icons.Question.Text + " " + lastLine
	}
	switch rows := extraRows(lastLine+" "+shown, iostreams.Width(q.Stdio().Out)); {
	case rows == 0:
		q.NewCursor().Up(1)
	case rows > 1:
		q.NewCursor().Down(rows - 1)
	}
	q.AppendRenderedText(shown)
	return string(line), nil
}

// extraRows is how many rows beyond its first a line of text takes on a
// terminal width columns wide, as survey's Renderer counts them.
func extraRows(line string, width int) int {
	n := terminal.StringWidth(line)
	if width <= 0 || n <= width {
		return 0
	}
	if n%width == 0 {
		return n/width - 1
	}
	return n / width
}

// Cleanup leaves the answered line.
func (q *lineQuestion) Cleanup(config *survey.PromptConfig, val interface{}) error {
	answer, _ := val.(string)
	if q.secret {
		answer = strings.Repeat(string(config.HideCharacter), 8)
	}
	return q.Render(lineTemplate, lineData{Message: q.short, ShowAnswer: true, Answer: answer, Config: config})
}

func (q *lineQuestion) Error(config *survey.PromptConfig, invalid error) error {
	return refusal(&q.Renderer, config, invalid)
}
