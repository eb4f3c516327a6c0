package devorg

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// BenchmarkTokenClientCredentials measures client-credentials token
// requests over HTTP (policy evaluation and an RS256 signature each), in
// parallel, and reports requests per second.
func BenchmarkTokenClientCredentials(b *testing.B) {
	f := newOAuthFixture(b)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	body := url.Values{"grant_type": {"client_credentials"}, "scope": {"silver gold"}}.Encode()
	tokenURL := f.issuer + "/v1/token"
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, tokenURL, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(f.svcID, f.svcSecret)
			resp, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "req/s")
}
