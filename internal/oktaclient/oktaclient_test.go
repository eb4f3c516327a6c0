package oktaclient

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
)

func TestNormalizeOrgURL(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{"https://dev-1.okta.com/", "https://dev-1.okta.com", ""},
		{"https://dev-1.okta.com", "https://dev-1.okta.com", ""},
		{"http://127.0.0.1:8080/", "http://127.0.0.1:8080", ""},
		{"http://localhost:1", "http://localhost:1", ""},
		{"http://[::1]:9", "http://[::1]:9", ""},
		{"http://dev-1.okta.com", "", "plain http is accepted only for loopback"},
		{"http://10.0.0.1", "", "plain http is accepted only for loopback"},
		{"dev-1.okta.com", "", "is not a URL"},
		{"ftp://dev-1.okta.com", "", "is not a URL"},
		{"https://dev-1.okta.com/oauth2/default", "", "no path"},
		{"https://u:p@dev-1.okta.com", "", `org URL "https://REDACTED@dev-1.okta.com" must be just scheme://host[:port], with no path, query or user`},
		{"http://u:s3cret@example.com", "", `org URL "http://REDACTED@example.com"`},
		{"http://u:s3cret@ex ample.com", "", `org URL "http://REDACTED@ex ample.com" is not a URL`},
		{"https://dev-1-admin.okta.com", "", `org URL "https://dev-1-admin.okta.com" is the admin console's: use the org's own, https://dev-1.okta.com`},
		{"https://acme-admin.oktapreview.com/", "", "use the org's own, https://acme.oktapreview.com"},
	}
	for _, tt := range tests {
		got, err := NormalizeOrgURL(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("NormalizeOrgURL(%q) err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("NormalizeOrgURL(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// TestClientSettings checks what the SDK sends: SSWS auth, no cache (a
// list after a create is fetched again), no redirects followed.
func TestClientSettings(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	var lists atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "SSWS tok" {
			w.WriteHeader(401)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Rate-Limit-Remaining", "10")
		w.Header().Set("X-Rate-Limit-Reset", strconv.FormatInt(time.Now().Add(time.Minute).Unix(), 10))
		lists.Add(1)
		w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	c, err := New(context.Background(), Config{OrgURL: srv.URL + "/", Token: "tok"})
	if err != nil {
		t.Fatal(err)
	}
	if c.OrgURL != srv.URL {
		t.Errorf("OrgURL = %q", c.OrgURL)
	}
	for i := 0; i < 2; i++ {
		if _, _, err := c.Group.ListGroups(context.Background(), nil); err != nil {
			t.Fatal(err)
		}
	}
	if lists.Load() != 2 {
		t.Errorf("2 identical lists made %d requests: the cache is on", lists.Load())
	}
	if _, err := New(context.Background(), Config{OrgURL: "http://example.com", Token: "t"}); err == nil {
		t.Error("http to a non-loopback host was accepted")
	}
}

// TestRateLimiterWaitsForReset checks that the limiter counts requests
// against what the last answer said is left in the bucket, and holds the
// request that would overrun it until the reset; other buckets, and a
// bucket past its reset, are not held.
func TestRateLimiterWaitsForReset(t *testing.T) {
	tests := []struct {
		name      string
		first     string
		remaining string
		reset     int64 // seconds after now
		then      []string
		want      int // requests sent after the first one, before one is held
	}{
		{"room for two", "/api/v1/groups", "2", 60, []string{"/api/v1/groups", "/api/v1/groups", "/api/v1/groups"}, 2},
		{"empty bucket", "/api/v1/groups", "0", 60, []string{"/api/v1/groups"}, 0},
		{"ids share a bucket", "/api/v1/groups/00g1234567890abcdefg/users", "1", 60, []string{"/api/v1/groups/00gabcdefghij1234567/users", "/api/v1/groups/00gzzzzzzzzzzzzzzzzz/users"}, 1},
		{"other buckets are free", "/api/v1/groups", "0", 60, []string{"/api/v1/users", "/api/v1/apps", "/api/v1/groups"}, 2},
		{"past its reset", "/api/v1/groups", "0", 0, []string{"/api/v1/groups", "/api/v1/groups"}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			now := time.Unix(1000, 0)
			sent := 0
			rl := &rateLimiter{now: func() time.Time { return now }, next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
				sent++
				h := http.Header{}
				h.Set("Date", now.UTC().Format(http.TimeFormat))
				h.Set("X-Rate-Limit-Remaining", tt.remaining)
				h.Set("X-Rate-Limit-Reset", fmt.Sprint(now.Unix()+tt.reset))
				if sent > 1 {
					h.Set("X-Rate-Limit-Remaining", "100") // not taken: the smaller count wins
				}
				return &http.Response{StatusCode: 200, Header: h, Body: http.NoBody}, nil
			})}
			first, _ := http.NewRequest("GET", "http://127.0.0.1"+tt.first, nil)
			if _, err := rl.RoundTrip(first); err != nil {
				t.Fatal(err)
			}
			// A held request waits until its context ends: end it at once.
			ctx, cancel := context.WithCancel(context.Background())
			cancel()
			for _, p := range tt.then {
				req, _ := http.NewRequestWithContext(ctx, "GET", "http://127.0.0.1"+p, nil)
				if _, err := rl.RoundTrip(req); err != nil {
					break
				}
			}
			if got := sent - 1; got != tt.want {
				t.Errorf("sent %d requests after the first, want %d", got, tt.want)
			}
		})
	}
}

// TestConcurrentRequestsStayUnderTheRateLimit sends a burst of concurrent
// requests through the client to an org enforcing a small limit: after the
// first answer announced the limit, none of them meets a 429.
func TestConcurrentRequestsStayUnderTheRateLimit(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t, devorg.Options{RateLimit: 4, RateLimitWindow: time.Second})
	statuses := &statusCounter{next: http.DefaultTransport, n: map[int]int{}}
	var waitsMu sync.Mutex
	var waits []string
	onWait := func(endpoint string, wait time.Duration) {
		waitsMu.Lock()
		defer waitsMu.Unlock()
		if wait <= 0 || wait > 2*time.Second {
			t.Errorf("told of a wait of %v for a window of 1s", wait)
		}
		waits = append(waits, endpoint)
	}
	c, err := New(context.Background(), Config{OrgURL: srv.URL, Token: srv.Token, Transport: statuses, OnRateLimitWait: onWait})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	if _, _, err := c.Group.ListGroups(ctx, nil); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make(chan error, 10)
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, err := c.Group.ListGroups(ctx, nil)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Error(err)
		}
	}
	// 11 requests at 4 a window wait, and a window's wait is told at most
	// once, however many requests it holds.
	waitsMu.Lock()
	if len(waits) < 1 || len(waits) > 3 {
		t.Errorf("told of waits %v, want one per window held (1 to 3)", waits)
	}
	for _, w := range waits {
		if w != "GET /api/v1/groups" {
			t.Errorf("told of a wait for %q, want GET /api/v1/groups", w)
		}
	}
	waitsMu.Unlock()
	statuses.mu.Lock()
	defer statuses.mu.Unlock()
	if statuses.n[http.StatusTooManyRequests] != 0 || statuses.n[http.StatusOK] != 11 {
		t.Errorf("answers by status: %v, want 11 OK and no 429", statuses.n)
	}
}

type statusCounter struct {
	next http.RoundTripper
	mu   sync.Mutex
	n    map[int]int
}

func (s *statusCounter) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := s.next.RoundTrip(r)
	if err == nil {
		s.mu.Lock()
		s.n[resp.StatusCode]++
		s.mu.Unlock()
	}
	return resp, err
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestMaxInFlight checks that no more than MaxInFlight requests are in
// flight at once.
func TestMaxInFlight(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	var cur, peak atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := cur.Add(1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		time.Sleep(20 * time.Millisecond)
		cur.Add(-1)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`[]`))
	}))
	defer srv.Close()
	c, err := New(context.Background(), Config{OrgURL: srv.URL, Token: "tok", MaxInFlight: 2})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error)
	for i := 0; i < 8; i++ {
		go func() {
			_, _, err := c.Group.ListGroups(context.Background(), nil)
			done <- err
		}()
	}
	for i := 0; i < 8; i++ {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	if p := peak.Load(); p != 2 {
		t.Errorf("peak requests in flight %d, want 2", p)
	}
}

// TestBucketKey checks the rate-limit buckets: ids are generalised, the
// names of collections are kept, even one as long as an id.
func TestBucketKey(t *testing.T) {
	tests := []struct{ method, path, want string }{
		{"GET", "/api/v1/groups", "GET /api/v1/groups"},
		{"GET", "/api/v1/users/00ub0oNGTSWTBKOLGLNR", "GET /api/v1/users/{id}"},
		{"PUT", "/api/v1/apps/0oabkvBLDEKCNXBGYUAS/groups/00gbkkGFFWZDLCNTAGQR", "PUT /api/v1/apps/{id}/groups/{id}"},
		{"POST", "/api/v1/authorizationServers/ausain6z9zIedDCxB0h7/scopes", "POST /api/v1/authorizationServers/{id}/scopes"},
		{"GET", "/api/v1/authorizationServers/default/policies", "GET /api/v1/authorizationServers/default/policies"},
	}
	for _, tt := range tests {
		req, err := http.NewRequest(tt.method, "http://127.0.0.1:1"+tt.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if got := bucketKey(req); got != tt.want {
			t.Errorf("bucketKey(%s %s) = %q, want %q", tt.method, tt.path, got, tt.want)
		}
	}
}
