package bench

import (
	"fmt"
	"strings"
	"time"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg"
)

// Endpoint is a request to the org, as METHOD and endpoint pattern
// (latency-recorded.json's spelling: "/api/v1/groups/{id}").
type Endpoint struct {
	Method, Pattern string
}

func (e Endpoint) String() string { return e.Method + " " + e.Pattern }

// IsWrite reports whether the request changes the org.
func (e Endpoint) IsWrite() bool { return e.Method != "GET" && e.Method != "HEAD" }

// RegisterClient is Mulesoft's dynamic client registration.
var RegisterClient = Endpoint{"POST", "/oauth2/v1/clients"}

// Chain is a critical path: the longest chain of requests that must be
// made one after another, one "step: METHOD /pattern (latency)" per line.
type Chain struct {
	Total time.Duration
	Lines []string
}

// String renders the chain one request per line.
func (c Chain) String() string {
	var b strings.Builder
	for i, l := range c.Lines {
		arrow := "   "
		if i > 0 {
			arrow = "-> "
		}
		fmt.Fprintf(&b, "%s%s\n", arrow, l)
	}
	fmt.Fprintf(&b, "   = %v\n", c.Total.Round(time.Millisecond))
	return b.String()
}

// TokenCheck is the first request of every bootstrap (the first step of
// bootstrap.Plan).
func TokenCheck(f *inputs.File) Endpoint {
	steps := bootstrap.Plan(f)
	if len(steps) == 0 || len(steps[0].Requests) == 0 {
		return Endpoint{}
	}
	m, p, _ := strings.Cut(steps[0].Requests[0], " ")
	return Endpoint{m, p}
}

// FreshBound is the critical path of a bootstrap of f on an org that holds
// none of its objects, from the bootstrapper's own plan (bootstrap.Plan):
// the token check; for each object the lookup that must precede its create
// (none where Okta enforces uniqueness and creating first is safe, none
// under a parent created by the same run), the create, and for a server,
// policy, rule or app the re-read that settles a race with a concurrent
// run (one request each, which a lone run pays too, but beside what
// refers to the object: only the object's own chain waits for it); each
// create after what it refers to, rules and policies one after another in
// priority order. Values cost nothing (--yes).
func FreshBound(f *inputs.File, lat devorg.LatencyModel) Chain {
	total, lines := bootstrap.CriticalPath(bootstrap.Plan(f), lat)
	return Chain{Total: total, Lines: lines}
}

// RerunBound is the critical path of a bootstrap of f run again on the
// same org with its output file, from the bootstrapper's own plan
// (bootstrap.RerunPlan): the token check, then one read per object, all
// independent of one another since the recorded ids are known; no write.
func RerunBound(f *inputs.File, lat devorg.LatencyModel) Chain {
	total, lines := bootstrap.CriticalPath(bootstrap.RerunPlan(f), lat)
	return Chain{Total: total, Lines: lines}
}

// DestroyBound is the critical path of a destroy of f after a bootstrap
// of a fresh org, from the bootstrapper's own plan (bootstrap.DestroyPlan):
// the token check, then each object's deletes once everything that refers
// to it is deleted, independent ones at the same time.
func DestroyBound(f *inputs.File, lat devorg.LatencyModel) Chain {
	total, lines := bootstrap.CriticalPath(bootstrap.DestroyPlan(f), lat)
	return Chain{Total: total, Lines: lines}
}

// RerunReads is the most reads a re-run of f may make: one per object kind
// plus the token check.
func RerunReads(f *inputs.File) int {
	kinds := map[inputs.Kind]bool{}
	for _, s := range bootstrap.Plan(f) {
		if s.Kind != "" {
			kinds[s.Kind] = true
		}
	}
	return len(kinds) + 1
}

// RegisterBound is the one request of Mulesoft's client registration.
func RegisterBound(lat devorg.LatencyModel) Chain {
	d := lat(RegisterClient.Method, RegisterClient.Pattern)
	return Chain{Total: d, Lines: []string{fmt.Sprintf("Mulesoft registers the app's client: %s (%v)", RegisterClient, d)}}
}
