// Package bench measures the bootstrap of every gateway's flow against the
// local org (internal/devorg) answering with the latencies of real Okta, and
// computes the critical-path bound that no correct tool can beat. `make
// bench` runs it (bench_test.go) and prints the figures beside the targets
// of issues 5, 8 and 10 (plan and destroy).
package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/flow"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/orgenv"
)

// Counter counts the requests an org answers, by method and endpoint
// pattern. Its Latency method wraps the org's latency model, which the org
// consults once per request with the request's endpoint pattern.
type Counter struct {
	mu     sync.Mutex
	counts Requests
}

// Requests counts requests by endpoint.
type Requests map[Endpoint]int

// Latency returns model, counting each request on the way.
func (c *Counter) Latency(model devorg.LatencyModel) devorg.LatencyModel {
	return func(method, pattern string) time.Duration {
		c.mu.Lock()
		if c.counts == nil {
			c.counts = Requests{}
		}
		c.counts[Endpoint{method, pattern}]++
		c.mu.Unlock()
		if model == nil {
			return 0
		}
		return model(method, pattern)
	}
}

// Take returns the requests counted since the last Take and starts again.
func (c *Counter) Take() Requests {
	c.mu.Lock()
	defer c.mu.Unlock()
	r := c.counts
	c.counts = Requests{}
	if r == nil {
		r = Requests{}
	}
	return r
}

// Total is the number of requests.
func (r Requests) Total() int {
	n := 0
	for _, v := range r {
		n += v
	}
	return n
}

// Serial is how long the requests take one after another under the
// latency model: the wall time of a tool that makes the same requests with
// concurrency 1.
func (r Requests) Serial(lat devorg.LatencyModel) time.Duration {
	var d time.Duration
	for e, n := range r {
		d += time.Duration(n) * lat(e.Method, e.Pattern)
	}
	return d
}

// Writes is the number of requests that change the org.
func (r Requests) Writes() int {
	n := 0
	for e, v := range r {
		if e.IsWrite() {
			n += v
		}
	}
	return n
}

// String lists the requests sorted by endpoint, one per line.
func (r Requests) String() string {
	var keys []Endpoint
	for e := range r {
		keys = append(keys, e)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].Pattern != keys[j].Pattern {
			return keys[i].Pattern < keys[j].Pattern
		}
		return keys[i].Method < keys[j].Method
	})
	var b strings.Builder
	for _, e := range keys {
		fmt.Fprintf(&b, "%3d  %s\n", r[e], e)
	}
	return b.String()
}

// Step is one measured step of the flow.
type Step struct {
	Name     string
	Wall     time.Duration
	Requests Requests
	// Bound is the step's critical path.
	Bound Chain
	// Progress is what the bootstrap printed on stderr.
	Progress string
}

// Ratio is wall time over the bound.
func (s Step) Ratio() float64 {
	if s.Bound.Total == 0 {
		return 0
	}
	return float64(s.Wall) / float64(s.Bound.Total)
}

// Flow runs a gateway's flow (its input's demo steps, internal/flow)
// against one org, measuring each step.
type Flow struct {
	// Gateway is the input whose flow runs; "" means mulesoft.
	Gateway string
	// Lone runs Gateway's bootstrap alone (flow.NewBootstrap), for an
	// input without a demo section.
	Lone bool
	// OrgURL and Token reach the org.
	OrgURL, Token string
	// OutputDir holds the output files (kept between runs: a second run
	// reads them, as it would on a user's machine).
	OutputDir string
	// Concurrency is the bootstrap's --concurrency (0: the default).
	Concurrency int
	// Counter counts the org's requests; Latency is the model for the bound.
	Counter *Counter
	Latency devorg.LatencyModel
	// HTTP is the client of the registration requests.
	HTTP *http.Client

	flow *flow.Flow // kept between runs: it remembers the clients registered
}

// Run runs the flow's steps: each bootstrap with --yes, and each client
// registration unless a run before did it. fresh says whether the org is
// expected to hold none of the objects (which bound applies).
func (fl *Flow) Run(ctx context.Context, fresh bool) ([]Step, error) {
	if fl.flow == nil {
		name := fl.Gateway
		if name == "" {
			name = "mulesoft"
		}
		newFlow := flow.New
		if fl.Lone {
			newFlow = flow.NewBootstrap
		}
		f, err := newFlow(name)
		if err != nil {
			return nil, err
		}
		fl.flow = f
	}
	bound := RerunBound
	if fresh {
		bound = FreshBound
	}
	var steps []Step
	var boundErr error
	fl.Counter.Take()
	err := fl.flow.Run(ctx, flow.Options{
		OrgURL: fl.OrgURL, Token: fl.Token, OutputDir: fl.OutputDir, Concurrency: fl.Concurrency, HTTPClient: fl.HTTP,
		Values: map[string]string{"REDIRECT_URI": "http://localhost:8080/authorization-code/callback"},
	}, func(r flow.StepResult) {
		if r.Skipped {
			return
		}
		s := Step{Name: r.Name, Wall: r.Wall, Requests: fl.Counter.Take(), Progress: r.Progress}
		if r.Step.RegisterClient != nil {
			s.Bound = RegisterBound(fl.Latency)
		} else {
			f, err := inputs.LoadEmbedded(r.Step.Bootstrap)
			if err != nil {
				boundErr = err
				return
			}
			s.Bound = bound(f, fl.Latency)
		}
		steps = append(steps, s)
	})
	if err == nil {
		err = boundErr
	}
	return steps, err
}

// PlanAndDestroy runs, on the org of a flow run before, `plan` of each of
// inputs (in order; measured, with no bound), then `destroy --yes` of each
// in reverse order, with its bound (DestroyBound).
func (fl *Flow) PlanAndDestroy(ctx context.Context, inputNames []string) (plans, destroys []Step, err error) {
	env := &orgenv.Env{Getenv: func(k string) (string, bool) {
		v, ok := map[string]string{"OKTA_ORG_URL": fl.OrgURL, "OKTA_API_TOKEN": fl.Token}[k]
		return v, ok
	}}
	opts := func(f *inputs.File, progress *strings.Builder) bootstrap.Options {
		return bootstrap.Options{
			IO:    &iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: progress},
			Input: f, Env: env, Yes: true, OutputDir: fl.OutputDir, Concurrency: fl.Concurrency,
		}
	}
	files := map[string]*inputs.File{}
	for _, name := range inputNames {
		if files[name], err = inputs.LoadEmbedded(name); err != nil {
			return nil, nil, err
		}
	}
	fl.Counter.Take()
	for _, name := range inputNames {
		var progress strings.Builder
		start := time.Now()
		if _, err := bootstrap.PlanOrg(ctx, opts(files[name], &progress)); err != nil {
			return nil, nil, fmt.Errorf("plan --%s: %w", name, err)
		}
		plans = append(plans, Step{Name: "plan --" + name, Wall: time.Since(start), Requests: fl.Counter.Take()})
	}
	for i := len(inputNames) - 1; i >= 0; i-- {
		name := inputNames[i]
		var progress strings.Builder
		start := time.Now()
		if _, err := bootstrap.Destroy(ctx, bootstrap.DestroyOptions{Options: opts(files[name], &progress)}); err != nil {
			return nil, nil, fmt.Errorf("destroy --%s: %w\n%s", name, err, progress.String())
		}
		destroys = append(destroys, Step{Name: "destroy --" + name, Wall: time.Since(start), Requests: fl.Counter.Take(),
			Bound: DestroyBound(files[name], fl.Latency), Progress: progress.String()})
	}
	return plans, destroys, nil
}

// Sum is the total of the steps' wall times and bounds.
func Sum(steps []Step) (wall, bound time.Duration, reqs Requests) {
	reqs = Requests{}
	for _, s := range steps {
		wall += s.Wall
		bound += s.Bound.Total
		for e, n := range s.Requests {
			reqs[e] += n
		}
	}
	return wall, bound, reqs
}
