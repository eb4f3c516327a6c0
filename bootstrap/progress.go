package bootstrap

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/apicenter/apicenter/internal/iostreams"
)

// progress prints one line per value and object on stderr as it is
// settled, and a summary in input-file order at the end.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	state map[*node]line
	// asking is set while a prompt waits for an answer: lines are queued in
	// held, not written into the question, and written once it is answered.
	asking bool
	held   []string

	// On a terminal, a spinner line names the objects being found or
	// created; it is cleared before any other line and while a prompt
	// waits. working holds those objects; drawn says the line is shown.
	spin    bool
	width   func() int // the terminal's width in columns, 0 if unknown
	working map[*node]string
	frame   int
	drawn   bool
	done    chan struct{}
}

// spinnerFrames are drawn in turn, one per spinnerTick.
const (
	spinnerFrames = `|/-\`
	spinnerTick   = 120 * time.Millisecond
)

type line struct {
	status string // created, found, failed, not run
	key    string
	name   string // what to show: the key, or its last part
	id     string
	err    error
}

func newProgress(w io.Writer) *progress {
	p := &progress{w: w, state: map[*node]line{}, working: map[*node]string{}, done: make(chan struct{})}
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		p.spin = true
		p.width = func() int {
			w, _, err := term.GetSize(int(f.Fd()))
			if err != nil {
				return 0
			}
			return w
		}
		go p.spinner()
	}
	return p
}

func (p *progress) spinner() {
	t := time.NewTicker(spinnerTick)
	defer t.Stop()
	for {
		select {
		case <-p.done:
			return
		case <-t.C:
		}
		p.mu.Lock()
		p.draw()
		p.mu.Unlock()
	}
}

// draw shows the next spinner frame with the first object being worked on,
// unless a prompt waits or nothing is. Call with p.mu held.
func (p *progress) draw() {
	if p.asking || len(p.working) == 0 {
		return
	}
	var first *node
	for n := range p.working {
		if first == nil || n.index < first.index {
			first = n
		}
	}
	text := "working on " + p.working[first]
	if k := len(p.working) - 1; k > 0 {
		text += fmt.Sprintf(" (and %d more)", k)
	}
	// One line only: a wrapped line would not be erased by \r.
	if w := p.width(); w > 4 && len([]rune(text)) > w-3 {
		text = string([]rune(text)[:w-4]) + "…"
	}
	fmt.Fprintf(p.w, "\r\x1b[K%c %s", spinnerFrames[p.frame%len(spinnerFrames)], text)
	p.frame++
	p.drawn = true
}

// clearSpinner erases the spinner line. Call with p.mu held.
func (p *progress) clearSpinner() {
	if p.drawn {
		io.WriteString(p.w, "\r\x1b[K")
		p.drawn = false
	}
}

// stop ends the spinner and erases its line.
func (p *progress) stop() {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.done:
	default:
		close(p.done)
	}
	p.clearSpinner()
}

// start says an object is being found or created, for the spinner.
func (p *progress) start(n *node, label string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.working[n] = label
}

func (p *progress) note(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.printf(format+"\n", args...)
}

// printf writes a line as soon as it is known, or, while a prompt waits
// (objects are created concurrently with the questions), once it is
// answered. Call with p.mu held.
func (p *progress) printf(format string, args ...any) {
	if p.asking {
		p.held = append(p.held, fmt.Sprintf(format, args...))
		return
	}
	p.clearSpinner()
	fmt.Fprintf(p.w, format, args...)
}

// ask holds the lines printed until answered is called.
func (p *progress) ask() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.clearSpinner()
	p.asking = true
}

// answered writes the lines held since ask.
func (p *progress) answered() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.asking = false
	if len(p.held) > 0 {
		p.clearSpinner()
	}
	for _, l := range p.held {
		io.WriteString(p.w, l)
	}
	p.held = nil
}

func (p *progress) value(name, shown, source string) {
	p.note("value   %s = %s (%s)", name, shown, source)
}

func (p *progress) object(n *node, key, name string, f found) {
	status := "found"
	if f.created {
		status = "created"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.working, n)
	p.state[n] = line{status: status, key: key, name: name, id: f.id}
	p.printf("%-7s %s %q (%s)\n", status, n.it.Obj.Kind, name, f.id)
	for _, d := range f.differs {
		p.printf("warning: %s %q exists but %s; it was left unchanged\n", n.it.Obj.Kind, name, d)
	}
}

func (p *progress) failed(n *node, key, name string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.working, n)
	p.state[n] = line{status: "failed", key: key, name: name, err: err}
	p.printf("failed  %s %s\n", n.it.Obj.Kind, n.it.Name)
}

func (p *progress) skipped(n *node) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.working, n)
	p.state[n] = line{status: "not run"}
}

// counts returns how many objects were created and found.
func (p *progress) counts() (created, found int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for _, l := range p.state {
		switch l.status {
		case "created":
			created++
		case "found":
			found++
		}
	}
	return created, found
}

// summaryWidth is the widest the summary may be: 80 columns, or the
// terminal's width when that is narrower (but not below 40).
const summaryWidth = 80

func (p *progress) summary(nodes []*node, outPath string, saveErr error) {
	p.stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	width, termWidth := summaryWidth, 0
	if p.width != nil {
		termWidth = p.width()
		if termWidth >= 40 && termWidth < width {
			width = termWidth
		}
	}
	counts := map[string]int{}
	var rows [][]string
	for _, n := range nodes {
		if n.it.Obj == nil {
			continue
		}
		l, ok := p.state[n]
		if !ok {
			l.status = "not run"
		}
		counts[l.status]++
		row := []string{l.status, string(n.it.Obj.Kind), n.it.Name}
		if l.name != "" || l.id != "" {
			row = append(row, l.name, l.id)
		}
		rows = append(rows, row)
	}
	if len(rows) == 0 {
		return
	}
	var head string
	switch {
	case saveErr != nil:
		head = fmt.Sprintf("Summary (NOT all recorded: writing %s failed: %v):", outPath, saveErr)
	case fileExists(outPath):
		head = fmt.Sprintf("Summary (recorded in %s):", outPath)
	default:
		head = "Summary (nothing was recorded):"
	}
	// The heading (a path, an error) breaks between words on a terminal;
	// in a log it stays one line, as errors do.
	fmt.Fprintf(p.w, "\n%s\n", iostreams.Wrap(head, termWidth-1, "  "))
	for _, l := range summaryTable(rows, width) {
		fmt.Fprintln(p.w, l)
	}
	fmt.Fprintf(p.w, "%d created, %d found, %d failed, %d not run\n", counts["created"], counts["found"], counts["failed"], counts["not run"])
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// The columns of the summary: status, kind, item (the input's name for the
// object), the object's name (or natural key) and its id.
const (
	colStatus = iota
	colKind
	colItem
	colName
	colID
)

// summaryTable lays out rows (status, kind, item, then name and id when
// known) in aligned columns indented by two spaces, each line at most
// width columns. When the table is wider, names are shortened in the
// middle ("solar sys…ospection"), keeping at least 20 columns of them;
// when that is not enough, the kind column is left out (the item and the
// progress lines above name it); on a narrower terminal still, each name
// goes on a line of its own under its item. Ids are never cut: they are
// what a user copies.
func summaryTable(rows [][]string, width int) []string {
	full := make([]int, colID+1)
	for _, r := range rows {
		for c, cell := range r {
			full[c] = max(full[c], utf8.RuneCountInString(cell))
		}
	}
	total := func(cols []int, w []int) int {
		t := 2 + 2*(len(cols)-1)
		for _, c := range cols {
			t += w[c]
		}
		return t
	}
	minName := min(20, full[colName])
	for _, cols := range [][]int{{colStatus, colKind, colItem, colName, colID}, {colStatus, colItem, colName, colID}} {
		w := slices.Clone(full)
		w[colName] -= max(0, total(cols, w)-width)
		if w[colName] >= minName {
			return summaryLines(rows, cols, w, nil)
		}
	}
	// Names on lines of their own; items shortened only if even the
	// status, item and id do not fit.
	cols := []int{colStatus, colItem, colID}
	w := slices.Clone(full)
	w[colItem] = max(min(8, full[colItem]), w[colItem]-max(0, total(cols, w)-width))
	indent := 2 + w[colStatus] + 2
	w[colName] = max(8, width-indent)
	return summaryLines(rows, cols, w, func(name string) string {
		return strings.Repeat(" ", indent) + iostreams.Shorten(name, w[colName])
	})
}

// summaryLines renders rows in the columns cols of widths w; nameLine, if
// not nil, renders a row's name on a line after it.
func summaryLines(rows [][]string, cols []int, w []int, nameLine func(string) string) []string {
	var lines []string
	for _, r := range rows {
		var b strings.Builder
		b.WriteString("  ")
		for i, c := range cols {
			if c >= len(r) {
				break
			}
			if i > 0 {
				b.WriteString("  ")
			}
			cell := r[c]
			if c != colID {
				cell = iostreams.Shorten(cell, w[c])
			}
			b.WriteString(cell)
			b.WriteString(strings.Repeat(" ", max(0, w[c]-utf8.RuneCountInString(cell))))
		}
		lines = append(lines, strings.TrimRight(b.String(), " "))
		if nameLine != nil && colName < len(r) && r[colName] != "" {
			lines = append(lines, nameLine(r[colName]))
		}
	}
	return lines
}
