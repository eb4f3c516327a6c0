package bootstrap

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"golang.org/x/term"
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

func (p *progress) summary(nodes []*node, outPath string, saveErr error) {
	p.stop()
	p.mu.Lock()
	defer p.mu.Unlock()
	counts := map[string]int{}
	var table strings.Builder
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	any := false
	for _, n := range nodes {
		if n.it.Obj == nil {
			continue
		}
		l, ok := p.state[n]
		if !ok {
			l.status = "not run"
		}
		counts[l.status]++
		if !any {
			if saveErr != nil {
				fmt.Fprintf(p.w, "\nSummary (NOT all recorded: writing %s failed: %v):\n", outPath, saveErr)
			} else if _, err := os.Stat(outPath); err == nil {
				fmt.Fprintf(p.w, "\nSummary (recorded in %s):\n", outPath)
			} else {
				fmt.Fprintf(p.w, "\nSummary (nothing was recorded):\n")
			}
			any = true
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", l.status, n.it.Obj.Kind, n.it.Name, l.name, l.id)
	}
	tw.Flush()
	for _, l := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
		// Objects not run have no name or id: no padding after them.
		if l != "" {
			fmt.Fprintln(p.w, strings.TrimRight(l, " "))
		}
	}
	if any {
		fmt.Fprintf(p.w, "%d created, %d found, %d failed, %d not run\n", counts["created"], counts["found"], counts["failed"], counts["not run"])
	}
}
