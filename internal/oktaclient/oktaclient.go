// Package oktaclient is the one place where apicenter builds an
// okta-sdk-golang/v2 client, with the settings ../shared/OKTA-API.md asks
// for: cache off, explicit retries, backoff and timeout, its own
// *http.Client, https required except on loopback hosts, no trailing slash.
package oktaclient

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
)

// Config says how to reach an org.
type Config struct {
	// OrgURL is https://host[:port], or http:// on a loopback host.
	OrgURL string
	// Token is the SSWS API token.
	Token string
	// Timeout bounds each request (default 30 s).
	Timeout time.Duration
	// MaxRetries is how often a 429 is retried (default 4).
	MaxRetries int32
	// MaxBackoff caps the wait before a 429 retry (default 30 s).
	MaxBackoff time.Duration
	// Transport, if set, is the HTTP transport (tests); default a clone of
	// http.DefaultTransport.
	Transport http.RoundTripper
	// MaxInFlight bounds the requests in flight at once (0: no bound).
	MaxInFlight int
}

// Client is an okta SDK client with the HTTP client it uses.
type Client struct {
	*okta.Client
	// OrgURL is the normalised org URL.
	OrgURL string
	// HTTP is the client the SDK uses; raw requests (the token check) go
	// through it too.
	HTTP  *http.Client
	token string
}

// NormalizeOrgURL checks an org URL and strips a trailing slash: it must be
// an absolute https URL with a host and no path, query or fragment; plain
// http is accepted only for loopback hosts (127.0.0.0/8, ::1, localhost).
func NormalizeOrgURL(raw string) (string, error) {
	s := strings.TrimSpace(raw)
	s = strings.TrimRight(s, "/")
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("org URL %q is not a URL like https://dev-123456.okta.com", raw)
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("org URL %q must be just scheme://host[:port], with no path, query or user", raw)
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return "", fmt.Errorf("org URL %q: plain http is accepted only for loopback addresses (127.0.0.1, ::1, localhost); use https", raw)
	}
	return u.Scheme + "://" + u.Host, nil
}

// IsLoopback reports whether host names the local machine.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// New builds the client. It makes no request.
func New(ctx context.Context, cfg Config) (*Client, error) {
	orgURL, err := NormalizeOrgURL(cfg.OrgURL)
	if err != nil {
		return nil, err
	}
	if cfg.Token == "" {
		return nil, errors.New("no Okta API token")
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxRetries == 0 {
		cfg.MaxRetries = 4
	}
	if cfg.MaxBackoff == 0 {
		cfg.MaxBackoff = 30 * time.Second
	}
	base := cfg.Transport
	if base == nil {
		base = http.DefaultTransport.(*http.Transport).Clone()
	}
	hc := &http.Client{
		Timeout:   cfg.Timeout,
		Transport: &rateLimiter{next: base, now: time.Now, slots: slots(cfg.MaxInFlight)},
		// Okta's management API never redirects; refuse to follow one so
		// that the token is never sent elsewhere.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	secs := int64(cfg.Timeout / time.Second)
	if secs < 1 {
		secs = 1
	}
	_, c, err := okta.NewClient(ctx,
		okta.WithOrgUrl(orgURL),
		okta.WithToken(cfg.Token),
		okta.WithAuthorizationMode("SSWS"),
		okta.WithCache(false),
		okta.WithHttpClientPtr(hc),
		okta.WithRequestTimeout(secs),
		okta.WithRateLimitMaxRetries(cfg.MaxRetries),
		okta.WithRateLimitMaxBackOff(int64(cfg.MaxBackoff/time.Second)),
		okta.WithTestingDisableHttpsCheck(strings.HasPrefix(orgURL, "http://")),
		okta.WithUserAgentExtra("apicenter"),
	)
	if err != nil {
		return nil, fmt.Errorf("okta client: %w", err)
	}
	return &Client{Client: c, OrgURL: orgURL, HTTP: hc, token: cfg.Token}, nil
}

// rateLimiter honours X-Rate-Limit-Remaining and -Reset: when a response
// says the bucket is empty, later requests wait until it resets instead of
// running into a 429.
type rateLimiter struct {
	next  http.RoundTripper
	now   func() time.Time
	slots chan struct{} // nil: no bound on requests in flight

	mu    sync.Mutex
	until time.Time
}

func slots(n int) chan struct{} {
	if n <= 0 {
		return nil
	}
	return make(chan struct{}, n)
}

func (r *rateLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	if r.slots != nil {
		select {
		case r.slots <- struct{}{}:
		case <-req.Context().Done():
			return nil, req.Context().Err()
		}
		// The slot is held until the answer's headers arrive (the SDK
		// reads the body right after); it is never leaked.
		defer func() { <-r.slots }()
	}
	r.mu.Lock()
	wait := r.until.Sub(r.now())
	r.mu.Unlock()
	if wait > 0 {
		if wait > 30*time.Second {
			wait = 30 * time.Second
		}
		t := time.NewTimer(wait)
		select {
		case <-req.Context().Done():
			t.Stop()
			return nil, req.Context().Err()
		case <-t.C:
		}
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			// The SDK sends a request again after io.EOF. A create whose
			// connection dropped may have been applied: hide the EOF so the
			// SDK gives up, and let the caller look before trying again.
			return nil, &writeError{method: req.Method, path: req.URL.Path, msg: err.Error()}
		}
		return resp, err
	}
	rem, err1 := strconv.Atoi(resp.Header.Get("X-Rate-Limit-Remaining"))
	reset, err2 := strconv.ParseInt(resp.Header.Get("X-Rate-Limit-Reset"), 10, 64)
	if err1 == nil && err2 == nil && rem <= 0 {
		until := time.Unix(reset, 0)
		r.mu.Lock()
		if until.After(r.until) {
			r.until = until
		}
		r.mu.Unlock()
	}
	return resp, nil
}

// writeError is a failed write request. It deliberately does not unwrap to
// the transport's error (see rateLimiter.RoundTrip).
type writeError struct{ method, path, msg string }

func (e *writeError) Error() string {
	return fmt.Sprintf("%s %s: connection failed, the request may or may not have been applied: %s", e.method, e.path, e.msg)
}
