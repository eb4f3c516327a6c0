package oktaclient

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
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
		{"https://u:p@dev-1.okta.com", "", "no path, query or user"},
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

// TestRateLimiterWaitsForReset checks that after a response saying the
// bucket is empty, the next request waits for the reset.
func TestRateLimiterWaitsForReset(t *testing.T) {
	now := time.Unix(1000, 0)
	var sent []time.Time
	rl := &rateLimiter{now: func() time.Time { return now }, next: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent = append(sent, now)
		h := http.Header{}
		h.Set("X-Rate-Limit-Remaining", "0")
		h.Set("X-Rate-Limit-Reset", "1000") // already reset: no wait
		return &http.Response{StatusCode: 200, Header: h, Body: http.NoBody}, nil
	})}
	req, _ := http.NewRequest("GET", "http://127.0.0.1/", nil)
	if _, err := rl.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if _, err := rl.RoundTrip(req); err != nil {
		t.Fatal(err)
	}
	if rl.until.Unix() != 1000 {
		t.Errorf("until = %v, want the reset time", rl.until)
	}
	// a reset in the future blocks until the request's context ends
	rl.until = now.Add(time.Hour)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := rl.RoundTrip(req.WithContext(ctx)); err == nil {
		t.Error("a request went out while the bucket was empty")
	}
	if len(sent) != 2 {
		t.Errorf("sent %d requests, want 2", len(sent))
	}
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
