package bootstrap

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// The actions of a plan entry.
const (
	// ActionCreate: the object is not in the org; a bootstrap creates it.
	ActionCreate = "create"
	// ActionFound: the object is in the org as the input describes it.
	ActionFound = "found"
	// ActionDiffers: the object is in the org but differs from the input
	// in a field apicenter checks.
	ActionDiffers = "differs"
)

// PlanEntry is what a bootstrap would do with one object of the input.
type PlanEntry struct {
	// Item is the object's name in the input, Kind its kind.
	Item string `json:"item"`
	Kind string `json:"kind"`
	// Key is the natural key ("" when it refers to an object to create).
	Key    string `json:"key,omitempty"`
	Action string `json:"action"`
	// ID is the object's id in the org, when it is there.
	ID string `json:"id,omitempty"`
	// After names the object to create first, when Key is unknown.
	After string `json:"after,omitempty"`
	// Differences say, for ActionDiffers, each field as the org has it and
	// as the input says.
	Differences []string `json:"differences,omitempty"`
}

// PlanResult is the outcome of a plan: an entry per object, in input
// order.
type PlanResult struct {
	Input   string      `json:"input"`
	OrgURL  string      `json:"orgUrl"`
	Objects []PlanEntry `json:"objects"`
}

// Changes reports whether a bootstrap would create or change anything.
func (p *PlanResult) Changes() bool {
	for _, e := range p.Objects {
		if e.Action != ActionFound {
			return true
		}
	}
	return false
}

// planWriteSummary marks a plan's transport's answer to a write: the
// write never leaves the machine. The answer is Okta's "already exists"
// (400 E0000001), so that the find-or-create code of each kind looks the
// object up by its natural key, read-only, as it does after a duplicate.
const planWriteSummary = "Api validation failed: already exists (apicenter plan only reads)"

// errPlanWrite stands for that answer (see isPlanWrite).
var errPlanWrite = errors.New("apicenter plan only reads")

// isPlanWrite reports whether err is a plan's transport refusing a write.
func isPlanWrite(err error) bool {
	var oe *okta.Error
	return errors.Is(err, errPlanWrite) || (errors.As(err, &oe) && oe.ErrorSummary == planWriteSummary)
}

// readOnlyTransport refuses every request that is not a read, answering it
// itself, so that a plan cannot change the org whatever path the
// find-or-create code takes.
type readOnlyTransport struct{ base http.RoundTripper }

func (t readOnlyTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if r.Body != nil {
			r.Body.Close()
		}
		body := `{"errorCode":"E0000001","errorSummary":"` + planWriteSummary + `","errorCauses":[]}`
		return &http.Response{
			Status: "400 Bad Request", StatusCode: http.StatusBadRequest,
			Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
			Header:  http.Header{"Content-Type": {"application/json"}},
			Body:    io.NopCloser(strings.NewReader(body)),
			Request: r, ContentLength: int64(len(body)),
		}, nil
	}
	base := t.base
	if base == nil {
		base = http.DefaultTransport
	}
	return base.RoundTrip(r)
}

// plan records e for n.
func (r *run) plan(n *node, e PlanEntry) {
	e.Item, e.Kind = n.it.Name, string(n.it.Obj.Kind)
	r.mu.Lock()
	r.planned[n] = e
	r.mu.Unlock()
}

// PlanOrg reads the org and says, for each object of opts.Input, whether a
// bootstrap would create it, finds it as the input describes it, or finds
// it differing. It never writes to the org nor the output file; it uses
// the output file, if there is one, to find the recorded objects and
// values, and the outputs of what the input needs. Values are settled as
// with --yes, without asking. Its errors carry the exit codes of Run.
func PlanOrg(ctx context.Context, opts Options) (*PlanResult, error) {
	if opts.Input == nil {
		return nil, exitcode.Wrap(exitcode.Usage, errors.New("no input: pass --mulesoft, --mulesoft_policy or --input FILE"))
	}
	opts = withDefaults(opts)
	opts.Yes, opts.Prompter = true, nil
	// Progress lines are a bootstrap's: the plan is the result.
	opts.IO = &iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}
	r, err := newRun(opts)
	if err != nil {
		return nil, err
	}
	r.planning = true
	r.planned = map[*node]PlanEntry{}
	defer r.progress.stop()
	if err := r.prepare(ctx); err != nil {
		return nil, err
	}
	if err := r.apply(ctx); err != nil {
		return nil, err
	}
	res := &PlanResult{Input: r.f.Name, OrgURL: r.out.OrgURL, Objects: []PlanEntry{}}
	for _, n := range r.nodes {
		if e, ok := r.planned[n]; ok {
			res.Objects = append(res.Objects, e)
		}
	}
	return res, nil
}

// WritePlan writes p as a table (format "text"), each difference on a
// line of its own under its object, or as JSON ("json").
func WritePlan(w io.Writer, p *PlanResult, format string) error {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	rows := make([][]string, len(p.Objects))
	widths := make([]int, 4)
	counts := map[string]int{}
	for i, e := range p.Objects {
		counts[e.Action]++
		key := e.Key
		if key == "" && e.After != "" {
			key = "(after " + e.After + ")"
		}
		rows[i] = []string{e.Action, e.Kind, e.Item, key, e.ID}
		for j := range widths {
			widths[j] = max(widths[j], len(rows[i][j]))
		}
	}
	var b strings.Builder
	for i, e := range p.Objects {
		line := ""
		for j, cell := range rows[i] {
			if j < len(widths) {
				cell += strings.Repeat(" ", widths[j]-len(cell)+2)
			}
			line += cell
		}
		b.WriteString(strings.TrimRight(line, " ") + "\n")
		for _, d := range e.Differences {
			b.WriteString("    ~ " + d + "\n")
		}
	}
	fmt.Fprintf(&b, "Plan for %s on %s: %d to create, %d differ, %d found\n", p.Input, p.OrgURL, counts[ActionCreate], counts[ActionDiffers], counts[ActionFound])
	_, err := io.WriteString(w, b.String())
	return err
}
