package bootstrap

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"text/tabwriter"
)

// progress prints one line per value and object on stderr as it is
// settled, and a summary in input-file order at the end.
type progress struct {
	mu    sync.Mutex
	w     io.Writer
	state map[*node]line
}

type line struct {
	status string // created, found, failed, not run
	key    string
	id     string
	err    error
}

func newProgress(w io.Writer) *progress {
	return &progress{w: w, state: map[*node]line{}}
}

func (p *progress) note(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(p.w, format+"\n", args...)
}

func (p *progress) value(name, shown, source string) {
	p.note("value   %s = %s (%s)", name, shown, source)
}

func (p *progress) object(n *node, key string, f found) {
	status := "found"
	if f.created {
		status = "created"
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state[n] = line{status: status, key: key, id: f.id}
	fmt.Fprintf(p.w, "%-7s %s %q (%s)\n", status, n.it.Obj.Kind, displayKey(key), f.id)
	for _, d := range f.differs {
		fmt.Fprintf(p.w, "warning: %s %q exists but %s; it was left unchanged\n", n.it.Obj.Kind, displayKey(key), d)
	}
}

func (p *progress) failed(n *node, key string, err error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.state[n] = line{status: "failed", key: key, err: err}
	fmt.Fprintf(p.w, "failed  %s %s\n", n.it.Obj.Kind, n.it.Name)
}

func (p *progress) skipped(n *node) {
	p.mu.Lock()
	defer p.mu.Unlock()
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

func displayKey(key string) string {
	if i := strings.LastIndex(key, " / "); i >= 0 {
		return key[i+3:]
	}
	return key
}

func (p *progress) summary(nodes []*node, outPath string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	counts := map[string]int{}
	tw := tabwriter.NewWriter(p.w, 0, 0, 2, ' ', 0)
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
			fmt.Fprintf(p.w, "\nSummary (recorded in %s):\n", outPath)
			any = true
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", l.status, n.it.Obj.Kind, n.it.Name, displayKey(l.key), l.id)
	}
	tw.Flush()
	if any {
		fmt.Fprintf(p.w, "%d created, %d found, %d failed, %d not run\n", counts["created"], counts["found"], counts["failed"], counts["not run"])
	}
}
