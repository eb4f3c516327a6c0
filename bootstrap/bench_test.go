package bootstrap

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/orgenv"
)

// counter counts requests by method and endpoint pattern.
type counter struct {
	mu sync.Mutex
	n  map[string]int
}

var idSegment = regexp.MustCompile(`/(aus|0oa|00g|00u|scp|00p|0pr|tos)[0-9A-Za-z]{17}`)

func (c *counter) RoundTrip(r *http.Request) (*http.Response, error) {
	p := idSegment.ReplaceAllString(r.URL.Path, "/{id}")
	c.mu.Lock()
	c.n[r.Method+" "+p]++
	c.mu.Unlock()
	return http.DefaultTransport.RoundTrip(r)
}

func (c *counter) report() (string, int, int) {
	var keys []string
	total, writes := 0, 0
	for k, v := range c.n {
		keys = append(keys, fmt.Sprintf("%3d %s", v, k))
		total += v
		if !strings.HasPrefix(k, "GET ") {
			writes += v
		}
	}
	sort.Strings(keys)
	return strings.Join(keys, "\n"), total, writes
}

// runMulesoft runs both Mulesoft steps against srv and reports each run.
func runMulesoft(b *testing.B, srv *devorgtest.Server, dir string, concurrency int, clientID string, lat devorg.LatencyModel, fresh bool) (wall, bound time.Duration) {
	for _, name := range []string{"mulesoft", "mulesoft_policy"} {
		f, err := inputs.LoadEmbedded(name)
		if err != nil {
			b.Fatal(err)
		}
		c := &counter{n: map[string]int{}}
		ios, _, _, errOut := iostreams.Test()
		start := time.Now()
		_, err = Run(context.Background(), Options{
			IO: ios, Input: f, OutputDir: dir, Yes: true, Concurrency: concurrency, Transport: c,
			Set: map[string][]string{"mulesoft_policy": {"AUTHN_CLIENT_ID=" + clientID, "AUTHN_CLIENT_SECRET=x"}}[name],
			Env: &orgenv.Env{Getenv: func(string) (string, bool) { return "", false }, File: map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": srv.Token}},
		})
		took := time.Since(start)
		wall += took
		if err != nil {
			b.Fatalf("%v\n%s", err, errOut)
		}

		detail, total, writes := c.report()
		fmt.Printf("%-16s concurrency %d: %6.2fs, %d requests (%d writes)\n%s\n", name, concurrency, took.Seconds(), total, writes, detail)
		plan := Plan(f)
		if !fresh {
			plan = RerunPlan(f)
		}
		bnd, chain := CriticalPath(plan, lat)
		bound += bnd
		fmt.Printf("  critical-path bound %.2fs, wall/bound %.2f:\n    %s\n", bnd.Seconds(), took.Seconds()/bnd.Seconds(), strings.Join(chain, "\n    "))
	}
	return wall, bound
}

// BenchmarkMulesoftRecordedLatency runs the Mulesoft flow on a local org
// answering with real Okta's median latencies: fresh, then again, at
// concurrency 1 and at the default. It prints wall times and requests.
func BenchmarkMulesoftRecordedLatency(b *testing.B) {
	b.Setenv("HOME", b.TempDir())
	lat, err := devorg.RecordedLatency()
	if err != nil {
		b.Fatal(err)
	}
	type result struct{ fresh, freshBound, again, againBound time.Duration }
	results := map[int]result{}
	for _, conc := range []int{1, DefaultConcurrency} {
		srv := devorgtest.Start(b, devorg.Options{Latency: lat})
		dir := b.TempDir()
		// the client Mulesoft would register: made directly in the org
		clientID := registerForBench(b, srv)
		var r result
		fmt.Printf("== fresh org, concurrency %d\n", conc)
		r.fresh, r.freshBound = runMulesoft(b, srv, dir, conc, clientID, lat, true)
		fmt.Printf("== second run, concurrency %d\n", conc)
		r.again, r.againBound = runMulesoft(b, srv, dir, conc, clientID, lat, false)
		results[conc] = r
	}
	fmt.Printf("\n== both steps       concurrency 1        concurrency %d\n", DefaultConcurrency)
	one, def := results[1], results[DefaultConcurrency]
	fmt.Printf("fresh org      %6.2fs (%.2f x bound)  %6.2fs (%.2f x bound %.2fs)\n", one.fresh.Seconds(), one.fresh.Seconds()/one.freshBound.Seconds(), def.fresh.Seconds(), def.fresh.Seconds()/def.freshBound.Seconds(), def.freshBound.Seconds())
	fmt.Printf("second run     %6.2fs (%.2f x bound)  %6.2fs (%.2f x bound %.2fs)\n", one.again.Seconds(), one.again.Seconds()/one.againBound.Seconds(), def.again.Seconds(), def.again.Seconds()/def.againBound.Seconds(), def.againBound.Seconds())
	fmt.Printf("speed-up of concurrency %d on a fresh org: %.2f x\n", DefaultConcurrency, one.fresh.Seconds()/def.fresh.Seconds())
}

func registerForBench(b *testing.B, srv *devorgtest.Server) string {
	body := `{"client_name":"Solar System Auth","redirect_uris":["http://localhost:8080/authorization-code/callback"],"grant_types":["authorization_code"],"response_types":["code"],"application_type":"web"}`
	req, _ := http.NewRequest("POST", srv.URL+"/oauth2/v1/clients", strings.NewReader(body))
	req.Header.Set("Authorization", "SSWS "+srv.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	var c struct {
		ClientID string `json:"client_id"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || c.ClientID == "" {
		b.Fatalf("registration: %d %v", resp.StatusCode, err)
	}
	return c.ClientID
}
