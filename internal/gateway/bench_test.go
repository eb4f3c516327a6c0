package gateway

import (
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/solarsystem"
)

// bareProxy names the benchmark's floor: the gateway's reverse proxy alone,
// without any token check, so that the figures tell the cost of the hop
// from the cost of the checks.
const bareProxy = "bare-proxy"

// benchConcurrency is the number of concurrent connections of the
// benchmark, the figure.
const benchConcurrency = 16

// BenchmarkGateway measures GET /planets with a valid token through the
// gateway (introspection answers and verified JWTs cached) and the same
// requests made straight to the upstream, both at 16 concurrent
// connections, for the reference and mulesoft profiles in both modes, and
// through the bare reverse proxy (no token check: the floor of any proxy
// on the same machine). It reports p50 and p99 latencies of each, and the
// ratios gateway/direct of the p50s, p99s and wall-clock times (the issue's
// bound: 1.5x). Keep runs
// short: go test ./internal/gateway -run '^$' -bench Gateway -benchtime 1s.
func BenchmarkGateway(b *testing.B) {
	for _, profile := range []string{"", "mulesoft", bareProxy} {
		for _, mode := range []Mode{ModeIntrospect, ModeJWT} {
			name := string(mode)
			if profile != "" {
				name = profile + "-" + name
			}
			if profile == bareProxy {
				if mode == ModeJWT {
					continue
				}
				name = bareProxy
			}
			b.Run(name, func(b *testing.B) {
				as := newAuthServer(b)
				api := httptest.NewServer(solarsystem.Handler())
				b.Cleanup(api.Close)
				var gw string
				if profile == bareProxy {
					target, _ := url.Parse(api.URL)
					gw = newServer(b, newProxy(target, "", func(w http.ResponseWriter, _ *http.Request, err error) {
						b.Error(err)
						w.WriteHeader(http.StatusBadGateway)
					}))
				} else {
					c := MulesoftConfig(api.URL, as.issuer(), "api://test", as.clientID, as.secret, silver, gold)
					c.Mode = mode
					c.Profile = profile
					g, err := New(c)
					if err != nil {
						b.Fatal(err)
					}
					gw = newServer(b, g)
				}
				auth := "Bearer " + as.mint(as.claims(silver), nil, as.kid)
				client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 2 * benchConcurrency}}
				b.Cleanup(client.CloseIdleConnections)
				do := func(url string) error {
					req, _ := http.NewRequest(http.MethodGet, url, nil)
					req.Header.Set("Authorization", auth)
					resp, err := client.Do(req)
					if err != nil {
						return err
					}
					// Read to the end, so that the connection is reused.
					_, _ = io.Copy(io.Discard, resp.Body)
					resp.Body.Close()
					if resp.StatusCode != http.StatusOK {
						b.Errorf("%s: %s", url, resp.Status)
					}
					return nil
				}
				// Warm the caches, the JWKS and both sides' connections.
				for range benchConcurrency {
					if err := do(gw + "/planets"); err != nil {
						b.Fatal(err)
					}
					if err := do(api.URL + "/planets"); err != nil {
						b.Fatal(err)
					}
				}

				// Both sides run in alternating rounds, so that a change
				// of the machine's load (other processes) weighs on both.
				b.ResetTimer()
				var viaGateway, direct []time.Duration
				var gwWall, directWall time.Duration
				for done := 0; done < b.N; done += benchRound {
					n := min(benchRound, b.N-done)
					lat, wall := loadTest(b, n, func() error { return do(gw + "/planets") })
					viaGateway, gwWall = append(viaGateway, lat...), gwWall+wall
					lat, wall = loadTest(b, n, func() error { return do(api.URL + "/planets") })
					direct, directWall = append(direct, lat...), directWall+wall
				}
				b.StopTimer()

				b.ReportMetric(ms(percentile(direct, 50)), "direct-p50-ms")
				b.ReportMetric(ms(percentile(direct, 99)), "direct-p99-ms")
				b.ReportMetric(ms(percentile(viaGateway, 50)), "gateway-p50-ms")
				b.ReportMetric(ms(percentile(viaGateway, 99)), "gateway-p99-ms")
				b.ReportMetric(float64(percentile(viaGateway, 50))/float64(percentile(direct, 50)), "p50-ratio")
				b.ReportMetric(float64(percentile(viaGateway, 99))/float64(percentile(direct, 99)), "p99-ratio")
				b.ReportMetric(float64(gwWall)/float64(directWall), "time-ratio")
			})
		}
	}
}

// benchRound is the number of requests of one round of one side.
const benchRound = 500

// loadTest makes n requests with benchConcurrency workers and returns each
// request's latency and the wall-clock time of all.
func loadTest(b *testing.B, n int, do func() error) ([]time.Duration, time.Duration) {
	lat := make([]time.Duration, n)
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range benchConcurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := next.Add(1) - 1
				if i >= int64(n) {
					return
				}
				t := time.Now()
				if err := do(); err != nil {
					b.Error(err)
					return
				}
				lat[i] = time.Since(t)
			}
		}()
	}
	wg.Wait()
	return lat, time.Since(start)
}

// percentile returns the p-th percentile of d (sorting it).
func percentile(d []time.Duration, p int) time.Duration {
	slices.Sort(d)
	if len(d) == 0 {
		return 0
	}
	i := (len(d)*p + 99) / 100
	if i > 0 {
		i--
	}
	return d[i]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
