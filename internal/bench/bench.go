// Package bench measures the bootstrap of the Mulesoft flow against the
// local org (internal/devorg) answering with the latencies of real Okta, and
// computes the critical-path bound that no correct tool can beat. `make
// bench` runs it (bench_test.go) and prints the figures beside the targets
// of issue 5.
package bench

import (
	"bytes"
	"context"
	"encoding/json"
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

// Flow runs the Mulesoft flow against one org.
type Flow struct {
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
	// HTTP is the client of the registration request.
	HTTP *http.Client

	// registered is the client Mulesoft registered on the first run.
	clientID, clientSecret string
}

// Run runs bootstrap --mulesoft --yes, registers the app's client through
// POST {org}/oauth2/v1/clients (SSWS) unless a run before did, and runs
// bootstrap --mulesoft_policy --yes with AUTHN_CLIENT_ID set. fresh says
// whether the org is expected to hold none of the objects (which bound
// applies).
func (fl *Flow) Run(ctx context.Context, fresh bool) ([]Step, error) {
	first, err := inputs.LoadEmbedded("mulesoft")
	if err != nil {
		return nil, err
	}
	second, err := inputs.LoadEmbedded("mulesoft_policy")
	if err != nil {
		return nil, err
	}
	bound := RerunBound
	if fresh {
		bound = FreshBound
	}
	var steps []Step
	fl.Counter.Take()

	s, err := fl.bootstrap(ctx, first, nil)
	if err != nil {
		return steps, err
	}
	s.Name, s.Bound = "bootstrap --mulesoft", bound(first, fl.Latency)
	steps = append(steps, s)

	if fl.clientID == "" {
		start := time.Now()
		if err := fl.register(ctx); err != nil {
			return steps, err
		}
		steps = append(steps, Step{Name: "Mulesoft client registration", Wall: time.Since(start), Requests: fl.Counter.Take(), Bound: RegisterBound(fl.Latency)})
	}

	s, err = fl.bootstrap(ctx, second, map[string]string{"AUTHN_CLIENT_ID": fl.clientID, "AUTHN_CLIENT_SECRET": fl.clientSecret})
	if err != nil {
		return steps, err
	}
	s.Name, s.Bound = "bootstrap --mulesoft_policy", bound(second, fl.Latency)
	steps = append(steps, s)
	return steps, nil
}

func (fl *Flow) bootstrap(ctx context.Context, f *inputs.File, env map[string]string) (Step, error) {
	vars := map[string]string{"OKTA_ORG_URL": fl.OrgURL, "OKTA_API_TOKEN": fl.Token}
	for k, v := range env {
		vars[k] = v
	}
	var progress bytes.Buffer
	ios := &iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &progress}
	start := time.Now()
	_, err := bootstrap.Run(ctx, bootstrap.Options{
		IO:          ios,
		Input:       f,
		Env:         &orgenv.Env{Getenv: func(k string) (string, bool) { v, ok := vars[k]; return v, ok }},
		Yes:         true,
		OutputDir:   fl.OutputDir,
		Concurrency: fl.Concurrency,
	})
	wall := time.Since(start)
	if err != nil {
		return Step{}, fmt.Errorf("bootstrap %s: %w\n%s", f.Name, err, progress.String())
	}
	return Step{Wall: wall, Requests: fl.Counter.Take(), Progress: progress.String()}, nil
}

// register is what Mulesoft does: dynamic client registration of the web
// app's client with the API token.
func (fl *Flow) register(ctx context.Context) error {
	body, _ := json.Marshal(map[string]any{
		"client_name":                "solar system web app (Mulesoft)",
		"application_type":           "web",
		"redirect_uris":              []string{"http://localhost:8080/authorization-code/callback"},
		"grant_types":                []string{"authorization_code"},
		"response_types":             []string{"code"},
		"token_endpoint_auth_method": "client_secret_basic",
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, fl.OrgURL+"/oauth2/v1/clients", bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "SSWS "+fl.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	hc := fl.HTTP
	if hc == nil {
		hc = http.DefaultClient
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("client registration: %w", err)
	}
	defer resp.Body.Close()
	var out struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if resp.StatusCode != http.StatusCreated && resp.StatusCode != http.StatusOK {
		return fmt.Errorf("client registration: the org answered %s", resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || out.ClientID == "" {
		return fmt.Errorf("client registration: no client_id in the answer (%v)", err)
	}
	fl.clientID, fl.clientSecret = out.ClientID, out.ClientSecret
	return nil
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
