package devorg

import (
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// nominalRateLimit is the X-Rate-Limit-Limit reported when no --rate-limit
// is set; it is never enforced.
const nominalRateLimit = 10000

// middleware adds what Okta adds to every answer (X-Okta-Request-Id,
// X-Rate-Limit-*, a Date header, CORS for trusted origins) and applies the
// test knobs: latency, rate limit and faults.
func (o *Org) middleware(mux *http.ServeMux) http.Handler {
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !canonicalPath(r.URL.Path) {
			writeError(w, errNotFound(r.URL.Path))
			return
		}
		mux.ServeHTTP(w, r)
	})
	k := &knobs{org: o, buckets: map[string]*rateBucket{}}
	if o.opts.Faults.Rate > 0 {
		seed := uint64(o.opts.Faults.Seed)
		k.faultRand = rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		now := o.now()
		hdr := w.Header()
		hdr.Set("X-Okta-Request-Id", randomToken(27))
		hdr.Set("Date", now.UTC().Format(http.TimeFormat))

		// Unknown routes share one bucket and get their method's latency.
		pattern := "/{unknown}"
		if _, p := mux.Handler(r); p != "" && p != "/" && canonicalPath(r.URL.Path) {
			pattern = endpointPattern(p)
		}
		preflight, trusted := o.corsHeaders(w, r)
		if !k.rateLimit(w, r.Method+" "+pattern) {
			return
		}
		if preflight {
			answerPreflight(w, r, trusted)
			return
		}
		if o.opts.Latency != nil {
			if d := o.opts.Latency(r.Method, pattern); d > 0 {
				t := time.NewTimer(d)
				select {
				case <-t.C:
				case <-r.Context().Done():
					t.Stop()
					return
				}
			}
		}
		switch k.fault() {
		case "429":
			writeTooManyRequests(w)
			return
		case "500":
			writeError(w, newAPIError(http.StatusInternalServerError, "E0000009", "Internal Server Error"))
			return
		case "close":
			closeConnection(w)
			return
		case "close-after":
			h.ServeHTTP(discardWriter{header: http.Header{}}, r)
			closeConnection(w)
			return
		}
		h.ServeHTTP(w, r)
	})
}

// knobs is the state of the rate limit and the fault injector.
type knobs struct {
	org *Org

	mu        sync.Mutex
	buckets   map[string]*rateBucket
	faultRand *rand.Rand
}

type rateBucket struct {
	start time.Time
	count int
}

// rateLimit counts the request in its endpoint bucket, sets the
// X-Rate-Limit-* headers and, past the limit, answers 429 E0000047 and
// returns false.
func (k *knobs) rateLimit(w http.ResponseWriter, bucket string) bool {
	window := k.org.opts.RateLimitWindow
	if window <= 0 {
		window = time.Minute
	}
	limit := k.org.opts.RateLimit
	enforce := limit > 0
	if !enforce {
		limit = nominalRateLimit
	}
	now := k.org.now()
	start := now.Truncate(window)
	k.mu.Lock()
	b := k.buckets[bucket]
	if b == nil || !b.start.Equal(start) {
		b = &rateBucket{start: start}
		k.buckets[bucket] = b
	}
	b.count++
	count := b.count
	k.mu.Unlock()

	reset := start.Add(window)
	resetSec := reset.Unix()
	if reset.Truncate(time.Second) != reset {
		resetSec++
	}
	hdr := w.Header()
	hdr.Set("X-Rate-Limit-Limit", strconv.Itoa(limit))
	hdr.Set("X-Rate-Limit-Remaining", strconv.Itoa(max(0, limit-count)))
	hdr.Set("X-Rate-Limit-Reset", strconv.FormatInt(resetSec, 10))
	if enforce && count > limit {
		writeError(w, errRateLimited())
		return false
	}
	return true
}

func errRateLimited() *apiError {
	return newAPIError(http.StatusTooManyRequests, "E0000047", "API call exceeded rate limit due to too many requests.")
}

// writeTooManyRequests answers an injected 429. Its X-Rate-Limit-Reset
// is the one rateLimit set, the end of the bucket's window, as on every
// other answer in that window: Okta's headers are consistent, and a
// client that keeps the latest reset must not be told two things.
func writeTooManyRequests(w http.ResponseWriter) {
	w.Header().Set("X-Rate-Limit-Remaining", "0")
	writeError(w, errRateLimited())
}

// fault draws the fault for one request: "" for none.
func (k *knobs) fault() string {
	f := k.org.opts.Faults
	if k.faultRand == nil || f.Rate <= 0 {
		return ""
	}
	kinds := f.Kinds
	if len(kinds) == 0 {
		kinds = FaultKinds
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.faultRand.Float64() >= f.Rate {
		return ""
	}
	return kinds[k.faultRand.IntN(len(kinds))]
}

// closeConnection drops the client's connection without an answer.
func closeConnection(w http.ResponseWriter) {
	if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
		conn.Close()
		return
	}
	// Not hijackable (HTTP/2): abort the stream; net/http recovers this
	// panic without logging it.
	panic(http.ErrAbortHandler)
}

// discardWriter runs a handler whose answer is never sent (the
// close-after fault).
type discardWriter struct{ header http.Header }

func (d discardWriter) Header() http.Header         { return d.header }
func (d discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d discardWriter) WriteHeader(int)             {}

var wildcard = regexp.MustCompile(`\{[^}]*\}`)

// endpointPattern turns a mux pattern ("GET /api/v1/groups/{groupId}")
// into the endpoint pattern of latency-recorded.json
// ("/api/v1/groups/{id}").
func endpointPattern(p string) string {
	if _, path, ok := strings.Cut(p, " "); ok {
		p = path
	}
	return wildcard.ReplaceAllString(p, "{id}")
}

// corsHeaders adds the CORS headers for a request from a trusted origin
// (ACTIVE, with the CORS scope) to a corsPath. It reports whether
// the request is a preflight and whether its origin is trusted.
func (o *Org) corsHeaders(w http.ResponseWriter, r *http.Request) (preflight, trusted bool) {
	origin := r.Header.Get("Origin")
	if origin == "" || !corsPath(r.URL.Path) {
		return false, false
	}
	preflight = r.Method == http.MethodOptions && r.Header.Get("Access-Control-Request-Method") != ""
	o.view(func(st *State) {
		for _, t := range st.TrustedOrigins {
			if t.Status == "ACTIVE" && strings.EqualFold(t.Origin, origin) && slices.Contains(t.Scopes, "CORS") {
				trusted = true
				return
			}
		}
	})
	hdr := w.Header()
	hdr.Add("Vary", "Origin")
	if trusted {
		hdr.Set("Access-Control-Allow-Origin", origin)
		hdr.Set("Access-Control-Allow-Credentials", "true")
		hdr.Set("Access-Control-Expose-Headers", "X-Okta-Request-Id, X-Rate-Limit-Limit, X-Rate-Limit-Remaining, X-Rate-Limit-Reset, Link")
	}
	return preflight, trusted
}

// corsPath reports whether a browser may call path from a trusted
// origin: the management API, every authorization server's endpoints, and
// the org server's discovery documents at the root.
func corsPath(path string) bool {
	for _, prefix := range []string{"/api/v1/", "/oauth2/", "/.well-known/"} {
		if strings.HasPrefix(path, prefix) {
			return true
		}
	}
	return false
}

// answerPreflight answers a CORS preflight: 200 with the allowed methods
// and headers for a trusted origin, 403 otherwise.
func answerPreflight(w http.ResponseWriter, r *http.Request, trusted bool) {
	if !trusted {
		writeError(w, newAPIError(http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action", "origin "+r.Header.Get("Origin")+" is not a trusted origin"))
		return
	}
	hdr := w.Header()
	hdr.Set("Access-Control-Allow-Methods", "GET, POST, PUT, DELETE, OPTIONS")
	allowHeaders := r.Header.Get("Access-Control-Request-Headers")
	if allowHeaders == "" {
		allowHeaders = "Accept, Authorization, Content-Type, X-Okta-User-Agent-Extended"
	}
	hdr.Set("Access-Control-Allow-Headers", allowHeaders)
	hdr.Set("Access-Control-Max-Age", "3600")
	w.WriteHeader(http.StatusOK)
}
