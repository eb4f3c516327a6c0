package bootstrap

import (
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// Step is an item of an input file as a bootstrap of a fresh org runs it:
// what it waits for, and the requests it makes one after another.
type Step struct {
	Name string
	// Kind is the object's kind, "" for a value.
	Kind inputs.Kind
	// After are the steps it waits for: its references, the previous rule
	// or policy (created one after another), and the token check.
	After []string
	// Requests are "METHOD /pattern" as in latency-recorded.json, in order.
	Requests []string
	// Settle are requests after Requests that the steps waiting for this
	// one do not wait for (the re-read that settles a create race).
	Settle []string
}

// TokenCheck is the name of the first step of every plan.
const TokenCheck = "token check"

// Plan returns the steps of f on a fresh org (one where nothing of f
// exists yet, and the outputs f needs are there), in dependency order. The
// benchmark computes the critical-path bound from it.
func Plan(f *inputs.File) []Step {
	r, err := newRun(Options{Input: f, IO: &iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}})
	if err != nil {
		return nil
	}
	steps := []Step{{Name: TokenCheck, Requests: []string{"GET " + strings.SplitN(checkPath, "?", 2)[0]}}}
	for _, n := range r.order() {
		s := Step{Name: n.it.Name, After: []string{TokenCheck}}
		for _, d := range n.deps {
			s.After = append(s.After, d.it.Name)
		}
		if n.it.Obj != nil {
			s.Kind = n.it.Obj.Kind
			if d := kindDefs[n.it.Obj.Kind]; d.settle != "" {
				s.Settle = []string{d.settle}
			}
			s.Requests = freshRequests(n.it.Obj, func(field string) bool {
				fl := n.it.Obj.Field(field)
				if fl == nil {
					return false
				}
				for _, ref := range fl.Str.Refs() {
					if it := f.Item(ref.Name); it != nil && it.Obj != nil {
						return true // created by this run on a fresh org
					}
				}
				return false
			})
		}
		steps = append(steps, s)
	}
	return steps
}

// RerunPlan returns the steps of f on an org where an earlier run made
// everything and recorded it: each object needs one read to check it, and
// as its record is used at once, nothing waits for anything but the token
// check.
func RerunPlan(f *inputs.File) []Step {
	steps := Plan(f)
	for i := range steps {
		if steps[i].Kind == "" {
			continue
		}
		steps[i].After = []string{TokenCheck}
		steps[i].Requests = []string{checkRequest(steps[i].Kind)}
		steps[i].Settle = nil
	}
	return steps
}

// DestroyPlan returns the steps of a destroy of f after a bootstrap of a
// fresh org (everything created but the groups the input marks as
// existing), in the order they can run: each object after the token check
// and after every object that refers to it; independent ones at the same
// time. The benchmark computes destroy's critical-path bound from it.
func DestroyPlan(f *inputs.File) []Step {
	r, err := newRun(Options{Input: f, IO: &iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}})
	if err != nil {
		return nil
	}
	var objects []*node
	for _, n := range r.order() {
		if n.it.Obj != nil {
			objects = append(objects, n)
		}
	}
	dependents := objectDependents(objects)
	steps := []Step{{Name: TokenCheck, Requests: []string{"GET " + strings.SplitN(checkPath, "?", 2)[0]}}}
	for i := len(objects) - 1; i >= 0; i-- {
		n := objects[i]
		s := Step{Name: n.it.Name, Kind: n.it.Obj.Kind, After: []string{TokenCheck}}
		for _, d := range dependents[n] {
			s.After = append(s.After, d.it.Name)
		}
		if !n.it.Obj.Existing {
			s.Requests = kindDefs[n.it.Obj.Kind].deletes
		}
		steps = append(steps, s)
	}
	return steps
}

// checkRequest is the cheapest read that checks a recorded object.
func checkRequest(k inputs.Kind) string { return kindDefs[k].check }

// freshRequests are the requests an object needs on a fresh org. parentNew
// says whether the object's server or policy field refers to an object of
// the same run. A server, policy, rule or app is then read again, to
// settle a race with a concurrent run (Step.Settle, see race).
func freshRequests(o *inputs.Object, parentNew func(field string) bool) []string {
	if k, ok := kindDefs[o.Kind]; ok {
		return k.fresh(o, parentNew)
	}
	return nil
}

// CriticalPath returns the longest chain of requests through steps, each
// request costing latency(method, pattern), and the chain itself as
// "step: METHOD /pattern (duration)" lines. A step's Settle requests
// lengthen its own chain, not those of the steps after it.
func CriticalPath(steps []Step, latency func(method, pattern string) time.Duration) (time.Duration, []string) {
	finish := map[string]time.Duration{}
	chain := map[string][]string{}
	var best time.Duration
	var bestChain []string
	for _, s := range steps {
		var start time.Duration
		var via []string
		for _, a := range s.After {
			if finish[a] > start || (finish[a] == start && via == nil) {
				start, via = finish[a], chain[a]
			}
		}
		end := start
		c := append([]string(nil), via...)
		for _, req := range s.Requests {
			method, pattern, _ := strings.Cut(req, " ")
			d := latency(method, pattern)
			end += d
			c = append(c, fmt.Sprintf("%s: %s (%v)", s.Name, req, d.Round(time.Millisecond)))
		}
		finish[s.Name], chain[s.Name] = end, c
		for _, req := range s.Settle {
			method, pattern, _ := strings.Cut(req, " ")
			d := latency(method, pattern)
			end += d
			c = append(slices.Clip(c), fmt.Sprintf("%s: %s (%v)", s.Name, req, d.Round(time.Millisecond)))
		}
		if end > best {
			best, bestChain = end, c
		}
	}
	return best, bestChain
}
