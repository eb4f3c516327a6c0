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
	"regexp"
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
	// OnRateLimitWait, if set, is told when a request is held because the
	// org's rate limit for its endpoint ("GET /api/v1/groups") is used up,
	// and for how long at most: once per endpoint and rate-limit window, so
	// that a user is not left looking at a silent terminal.
	OnRateLimitWait func(endpoint string, wait time.Duration)
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
	shown := redactUserinfo(raw)
	s = strings.TrimRight(s, "/")
	u, err := url.Parse(s)
	if err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https") {
		return "", fmt.Errorf("org URL %q is not a URL like https://dev-123456.okta.com", shown)
	}
	if u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return "", fmt.Errorf("org URL %q must be just scheme://host[:port], with no path, query or user", shown)
	}
	if first, rest, ok := strings.Cut(u.Hostname(), "."); ok && strings.HasSuffix(first, "-admin") {
		return "", fmt.Errorf("org URL %q is the admin console's: use the org's own, %s://%s.%s", shown, u.Scheme, strings.TrimSuffix(first, "-admin"), rest)
	}
	if u.Scheme == "http" && !IsLoopback(u.Hostname()) {
		return "", fmt.Errorf("org URL %q: plain http is accepted only for loopback addresses (127.0.0.1, ::1, localhost); use https", shown)
	}
	return u.Scheme + "://" + u.Host, nil
}

// userinfo is the user[:password]@ part of a URL.
var userinfo = regexp.MustCompile(`//[^/?#]*@`)

// redactUserinfo replaces the user and password of a URL by "REDACTED",
// so that an error never echoes a password given in the org URL.
func redactUserinfo(raw string) string {
	return userinfo.ReplaceAllString(raw, "//REDACTED@")
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
		Transport: &rateLimiter{next: base, now: time.Now, slots: slots(cfg.MaxInFlight), onWait: cfg.OnRateLimitWait},
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

// rateLimiter honours X-Rate-Limit-Remaining and -Reset before the org
// answers 429: it keeps, for each endpoint bucket (the method and the path
// with ids generalised, as Okta counts them), how many requests the org
// said are left until the reset, counts every request it sends against
// that, and holds a request while its bucket is empty until the reset. So
// concurrent requests never overrun a limit the org has announced.
type rateLimiter struct {
	next  http.RoundTripper
	now   func() time.Time
	slots chan struct{} // nil: no bound on requests in flight
	// onWait, if set, is told of a wait once per bucket window.
	onWait func(endpoint string, wait time.Duration)

	mu      sync.Mutex
	buckets map[string]*bucket
	// inFlight counts, per bucket, the requests sent and not yet answered:
	// when a window passes, those may still land in the next one.
	inFlight map[string]int
}

// bucket is what the org last said about one endpoint's rate limit, less
// the requests sent since.
type bucket struct {
	limit     int
	remaining int
	reset     time.Time
	// provisional: the window the org announced is over, and the bucket
	// counts against the limit until an answer tells the new reset.
	provisional bool
	// told: onWait was told of a wait in this window.
	told bool
}

// maxRateWait bounds one wait before the bucket is looked at again.
const maxRateWait = time.Second

func slots(n int) chan struct{} {
	if n <= 0 {
		return nil
	}
	return make(chan struct{}, n)
}

func (r *rateLimiter) RoundTrip(req *http.Request) (*http.Response, error) {
	key := bucketKey(req)
	if err := r.reserve(req.Context(), key); err != nil {
		return nil, err
	}
	answered := func() {
		r.mu.Lock()
		r.inFlight[key]--
		r.mu.Unlock()
	}
	if r.slots != nil {
		select {
		case r.slots <- struct{}{}:
		case <-req.Context().Done():
			answered()
			return nil, req.Context().Err()
		}
		// The slot is held until the answer's headers arrive (the SDK
		// reads the body right after); it is never leaked.
		defer func() { <-r.slots }()
	}
	resp, err := r.next.RoundTrip(req)
	if err != nil {
		answered()
		if req.Method != http.MethodGet && req.Method != http.MethodHead {
			// The SDK sends a request again after io.EOF. A create whose
			// connection dropped may have been applied: hide the EOF so the
			// SDK gives up, and let the caller look before trying again.
			return nil, &writeError{method: req.Method, path: req.URL.Path, msg: err.Error()}
		}
		return resp, err
	}
	r.observe(key, resp.Header)
	answered()
	if resp.StatusCode == http.StatusTooManyRequests {
		r.tellWait(key) // the SDK waits for the reset before it retries
	}
	return resp, nil
}

// tellWait tells onWait, once per window, that requests to the bucket key
// wait for its reset. A provisional window's reset is a guess: only the
// org's own is told.
func (r *rateLimiter) tellWait(key string) {
	if r.onWait == nil {
		return
	}
	r.mu.Lock()
	b := r.buckets[key]
	if b == nil || b.told || b.provisional {
		r.mu.Unlock()
		return
	}
	b.told = true
	wait := b.reset.Sub(r.now())
	r.mu.Unlock()
	if wait > 0 {
		r.onWait(key, wait)
	}
}

// reserve takes one request from the bucket, waiting while it is empty. An
// unknown bucket lets it go; one past its reset starts again from the
// limit.
func (r *rateLimiter) reserve(ctx context.Context, key string) error {
	for {
		r.mu.Lock()
		b := r.buckets[key]
		now := r.now()
		if b != nil && !now.Before(b.reset) {
			if b.limit <= 0 {
				delete(r.buckets, key)
				b = nil
			} else {
				// Requests sent in the past window and not yet answered
				// may be counted in this one.
				b.remaining, b.reset, b.provisional, b.told = b.limit-r.inFlight[key], now.Add(time.Minute), true, false
			}
		}
		if b == nil || b.remaining > 0 {
			if b != nil {
				b.remaining--
			}
			if r.inFlight == nil {
				r.inFlight = map[string]int{}
			}
			r.inFlight[key]++
			r.mu.Unlock()
			return nil
		}
		wait := min(b.reset.Sub(now), maxRateWait)
		r.mu.Unlock()
		r.tellWait(key)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
	}
}

// observe records what a response says about its bucket. The reset is
// taken relative to the response's Date, as the SDK does, so that a skewed
// local clock does not matter. Within one window the smaller count wins:
// answers to concurrent requests arrive in any order.
func (r *rateLimiter) observe(key string, h http.Header) {
	rem, err1 := strconv.Atoi(h.Get("X-Rate-Limit-Remaining"))
	resetSec, err2 := strconv.ParseInt(h.Get("X-Rate-Limit-Reset"), 10, 64)
	if err1 != nil || err2 != nil {
		return
	}
	limit, _ := strconv.Atoi(h.Get("X-Rate-Limit-Limit"))
	now := r.now()
	reset := time.Unix(resetSec, 0)
	if date, err := http.ParseTime(h.Get("Date")); err == nil {
		reset = now.Add(reset.Sub(date))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.buckets == nil {
		r.buckets = map[string]*bucket{}
	}
	b := r.buckets[key]
	switch {
	case b == nil || !now.Before(b.reset) || (!b.provisional && reset.Sub(b.reset) > time.Second):
		r.buckets[key] = &bucket{limit: limit, remaining: rem, reset: reset}
	default:
		b.remaining = min(b.remaining, rem)
		if b.provisional {
			b.reset, b.provisional = reset, false
		}
		if limit > 0 {
			b.limit = limit
		}
	}
}

// oktaID matches a path segment that is an Okta object id.
var oktaID = regexp.MustCompile(`^[0-9A-Za-z]{20}$`)

// bucketKey is the rate-limit bucket of a request: its method and path,
// with ids generalised ("GET /api/v1/apps/{id}/groups"). Management paths
// alternate collection and id after /api/v1 ("/api/v1/authorizationServers/
// {id}/scopes/{id}"): only the id places are looked at, as a collection
// name can look like an id (authorizationServers has 20 letters).
func bucketKey(req *http.Request) string {
	parts := strings.Split(req.URL.Path, "/")
	for i, p := range parts {
		if i >= 4 && i%2 == 0 && oktaID.MatchString(p) {
			parts[i] = "{id}"
		}
	}
	return req.Method + " " + strings.Join(parts, "/")
}

// writeError is a failed write request. It deliberately does not unwrap to
// the transport's error (see rateLimiter.RoundTrip).
type writeError struct{ method, path, msg string }

func (e *writeError) Error() string {
	return fmt.Sprintf("%s %s: connection failed, the request may or may not have been applied: %s", e.method, e.path, e.msg)
}
