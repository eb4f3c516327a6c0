package gateway

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/solarsystem"
)

// BenchmarkGateway measures requests per second through the gateway with a
// valid token (introspection answers cached), and the same requests made
// straight to the upstream, so the gateway's overhead reads as a ratio.
func BenchmarkGateway(b *testing.B) {
	for _, mode := range []Mode{ModeIntrospect, ModeJWT} {
		b.Run(string(mode), func(b *testing.B) {
			as := newAuthServer(b)
			api := httptest.NewServer(solarsystem.Handler())
			b.Cleanup(api.Close)
			c := MulesoftConfig(api.URL, as.issuer(), "api://test", as.clientID, as.secret, silver, gold)
			c.Mode = mode
			g, err := New(c)
			if err != nil {
				b.Fatal(err)
			}
			gw := newServer(b, g)
			auth := "Bearer " + as.mint(as.claims(silver), nil, as.kid)
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
			do := func(url string) {
				req, _ := http.NewRequest(http.MethodGet, url, nil)
				req.Header.Set("Authorization", auth)
				resp, err := client.Do(req)
				if err != nil {
					b.Fatal(err)
				}
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: %s", url, resp.Status)
				}
			}
			do(gw + "/planets") // warm the cache and the JWKS
			do(api.URL + "/planets")

			b.ResetTimer()
			start := time.Now()
			for i := 0; i < b.N; i++ {
				do(gw + "/planets")
			}
			viaGateway := time.Since(start)
			start = time.Now()
			for i := 0; i < b.N; i++ {
				do(api.URL + "/planets")
			}
			direct := time.Since(start)
			b.StopTimer()

			gwRate := float64(b.N) / viaGateway.Seconds()
			directRate := float64(b.N) / direct.Seconds()
			b.ReportMetric(gwRate, "gateway-req/s")
			b.ReportMetric(directRate, "direct-req/s")
			b.ReportMetric(directRate/gwRate, "overhead-x")
		})
	}
}
