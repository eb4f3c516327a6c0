package gateway

import (
	"io"
	"net"
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

// benchConcurrency is the number of concurrent connections of the
// benchmark, the figure.
const benchConcurrency = 16

// BenchmarkGateway measures GET /planets with a valid token at 16
// concurrent connections, for the reference and mulesoft profiles in both
// modes and for the profiles loaded from their native artifacts (tyk), on
// four sides: straight to the upstream (direct), through a byte-for-byte
// TCP relay (relay: the floor of any proxy's extra hop on the same CPUs),
// through the gateway (introspection answers and verified JWTs cached),
// and through the gateway's reverse proxy alone, without any check (bare
// proxy, so that the figures tell the cost of the hop from the cost of
// the checks). The sides run in alternating rounds, so that a change of
// the machine's load weighs on all of them. It reports the
// p50 and p99 latencies of each, and the ratios to direct of the p50s, the
// p99s and the wall-clock times (the bound: 1.5x). Keep runs short:
// go test ./internal/gateway -run '^$' -bench Gateway -benchtime 1s.
func BenchmarkGateway(b *testing.B) {
	var cases []benchCase
	for _, profile := range []string{"", "mulesoft"} {
		for _, mode := range []Mode{ModeIntrospect, ModeJWT} {
			name := string(mode)
			if profile != "" {
				name = profile + "-" + name
			}
			cases = append(cases, benchCase{name: name, path: "/planets", config: func(b *testing.B, as *authServer, api string) Config {
				c := MulesoftConfig(api, as.issuer(), "api://test", as.clientID, as.secret, silver, gold)
				c.Mode = mode
				c.Profile = profile
				return c
			}})
		}
	}
	// Profiles loaded from their native artifacts.
	cases = append(cases, benchCase{name: "tyk-jwt", path: "/solar-system/planets", config: tykBenchConfig})
	for _, bc := range cases {
		b.Run(bc.name, func(b *testing.B) {
			as := newAuthServer(b)
			api := httptest.NewServer(solarsystem.Handler())
			b.Cleanup(api.Close)
			c := bc.config(b, as, api.URL)
			g, err := New(c)
			if err != nil {
				b.Fatal(err)
			}
			target, _ := url.Parse(api.URL)
			bare := newProxy(target, "", func(w http.ResponseWriter, _ *http.Request, err error) {
				b.Error(err)
				w.WriteHeader(http.StatusBadGateway)
			})
			sides := []struct {
				name string
				url  string
			}{
				{"direct", api.URL + "/planets"},
				{"relay", newRelay(b, api.Listener.Addr().String()) + "/planets"},
				{"proxy", newServer(b, bare) + "/planets"},
				{"gateway", newServer(b, g) + bc.path},
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
			// Warm the caches, the JWKS and every side's connections.
			for _, sd := range sides {
				if _, _ = loadTest(b, benchConcurrency, func() error { return do(sd.url) }); b.Failed() {
					b.FailNow()
				}
			}

			b.ResetTimer()
			lat := make([][]time.Duration, len(sides))
			wall := make([]time.Duration, len(sides))
			for done := 0; done < b.N; done += benchRound {
				n := min(benchRound, b.N-done)
				for i, sd := range sides {
					l, w := loadTest(b, n, func() error { return do(sd.url) })
					lat[i], wall[i] = append(lat[i], l...), wall[i]+w
				}
			}
			b.StopTimer()

			for i, sd := range sides {
				p50, p99 := percentile(lat[i], 50), percentile(lat[i], 99)
				b.ReportMetric(ms(p50), sd.name+"-p50-ms")
				b.ReportMetric(ms(p99), sd.name+"-p99-ms")
				if i == 0 {
					continue
				}
				b.ReportMetric(float64(p50)/float64(percentile(lat[0], 50)), sd.name+"-p50-x")
				b.ReportMetric(float64(p99)/float64(percentile(lat[0], 99)), sd.name+"-p99-x")
				b.ReportMetric(float64(wall[i])/float64(wall[0]), sd.name+"-time-x")
			}
		})
	}
}

// newRelay starts a byte-for-byte TCP relay to addr on a loopback port
// and returns its URL: no HTTP at all, two copies per connection. It is the
// floor of any proxy's hop on the same CPUs as the client and the API,
// which BenchmarkGateway reports beside the others.
func newRelay(b *testing.B, addr string) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var conns sync.WaitGroup
	b.Cleanup(func() { ln.Close(); conns.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				defer c.Close()
				u, err := net.Dial("tcp", addr)
				if err != nil {
					return
				}
				defer u.Close()
				go func() {
					_, _ = io.Copy(u, c)
					u.(*net.TCPConn).CloseWrite()
				}()
				_, _ = io.Copy(c, u)
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// benchCase is one gateway configuration BenchmarkGateway measures: its
// name, the gateway's path for GET /planets, and its config for an
// authorization server and the upstream's URL.
type benchCase struct {
	name, path string
	config     func(b *testing.B, as *authServer, api string) Config
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
