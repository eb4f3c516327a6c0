package devorg_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
)

// TestInjected429ResetIsTheWindowBoundary: a 429 injected by --faults and
// the normal answers of the same window give the same X-Rate-Limit-Reset,
// the end of the window, as Okta's do. (It said "in 1 s" while the others
// said the minute boundary, so a client keeping the later value waited.)
func TestInjected429ResetIsTheWindowBoundary(t *testing.T) {
	now := time.Date(2026, 12, 5, 6, 30, 17, 0, time.UTC)
	srv := devorgtest.Start(t, devorg.Options{Clock: func() time.Time { return now },
		Faults: devorg.FaultOptions{Rate: 0.5, Seed: 7, Kinds: []string{"429"}}})
	want := strconv.FormatInt(now.Truncate(time.Minute).Add(time.Minute).Unix(), 10)
	seen := map[int]bool{}
	for i := 0; i < 40 && !(seen[http.StatusOK] && seen[http.StatusTooManyRequests]); i++ {
		resp, _ := doRaw(t, "GET", srv.URL+"/api/v1/groups", srv.Token, "")
		seen[resp.StatusCode] = true
		if got := resp.Header.Get("X-Rate-Limit-Reset"); got != want {
			t.Fatalf("answer %d: X-Rate-Limit-Reset = %s, want the window boundary %s", resp.StatusCode, got, want)
		}
	}
	if !seen[http.StatusOK] || !seen[http.StatusTooManyRequests] {
		t.Fatalf("statuses seen %v: want both a 200 and an injected 429", seen)
	}
}
