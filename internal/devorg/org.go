// Package devorg is a local, in-memory Okta-compatible org: the management
// API (/api/v1) and the OAuth 2.0 / OIDC endpoints (/oauth2/...), served over
// HTTP so that the real okta-sdk-golang/v2 client and real OIDC clients can
// talk to it. It backs every test, the demo and `apicenter dev-org`.
//
// The package never imports the bootstrapper.
package devorg

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Options configure an Org.
type Options struct {
	// APIToken is the SSWS token the management API accepts. Required.
	APIToken string
	// StatePath, if set, is a JSON file the org is loaded from at start and
	// written to (atomically, 0600) after each change.
	StatePath string
	// BaseURL is the org URL clients use (https://host:port, no trailing
	// slash). Issuers and links are built from it. If empty, it is taken from
	// each request's Host header.
	BaseURL string
	// Clock returns the current time; time.Now if nil.
	Clock func() time.Time
	// Latency, RateLimit and Faults are knobs for tests and benchmarks.
	Latency   LatencyModel
	RateLimit int
	Faults    FaultOptions
	// RateLimitWindow is the period RateLimit counts over (one minute if
	// zero, as Okta's limits are per minute). Tests shorten it so that a
	// client waiting for X-Rate-Limit-Reset is not slow.
	RateLimitWindow time.Duration
}

// LatencyModel returns the delay to add before answering a request to the
// given method and endpoint pattern (as in latency-recorded.json, e.g.
// "/api/v1/groups/{id}"). nil means no delay.
type LatencyModel func(method, pattern string) time.Duration

// FaultOptions inject faults into a seeded fraction of requests.
type FaultOptions struct {
	// Rate is the fraction (0..1) of requests that get a fault.
	Rate float64
	// Seed makes the choice of requests reproducible.
	Seed int64
	// Kinds are the faults to pick from: "429", "500", "close" (connection
	// closed before the request is applied), "close-after" (connection
	// closed after the request was applied). Empty means all four.
	Kinds []string
}

// ErrBadState is in the error New returns for a state file that is not a
// saved org.
var ErrBadState = errors.New("not a saved org")

// Org is a local Okta org. It is safe for concurrent use.
type Org struct {
	opts Options
	now  func() time.Time
	// newKey makes an RS256 signing key (newSigningKey); always called
	// outside mu, as it is slow.
	newKey func(now time.Time) (*SigningKey, error)

	mu sync.Mutex
	st *State

	handler http.Handler
}

// New makes an org: loaded from opts.StatePath when that file exists, else a
// fresh developer org (the Everyone group, the "default" authorization
// server with its default policy).
func New(opts Options) (*Org, error) {
	if opts.APIToken == "" {
		return nil, errors.New("devorg: an API token is required")
	}
	o := &Org{opts: opts, now: opts.Clock, newKey: newSigningKey}
	if o.now == nil {
		o.now = time.Now
	}
	loaded, err := o.load()
	if err != nil {
		return nil, err
	}
	if !loaded {
		o.st = newState()
		if err := o.seed(); err != nil {
			return nil, err
		}
		if err := o.saveLocked(); err != nil {
			return nil, err
		}
	}
	o.handler = o.routes()
	return o, nil
}

// Handler returns the org's HTTP handler.
func (o *Org) Handler() http.Handler { return o.handler }

// APIToken returns the SSWS token the org accepts.
func (o *Org) APIToken() string { return o.opts.APIToken }

// SetBaseURL sets the org URL (for a server whose address is known only
// after it starts, such as an httptest.Server).
func (o *Org) SetBaseURL(u string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.opts.BaseURL = orgURL(strings.TrimSuffix(u, "/"))
}

// orgURL drops the scheme's default port from an org URL
// (https://127.0.0.1:443 is https://127.0.0.1), as Okta's org URLs and
// issuers never carry one: a client that normalises URLs would otherwise
// fail its issuer comparison.
func orgURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return u
	}
	if p.Scheme == "https" && p.Port() == "443" || p.Scheme == "http" && p.Port() == "80" {
		p.Host = strings.TrimSuffix(p.Host, ":"+p.Port())
		return p.String()
	}
	return u
}

// baseURL returns the org URL for a request.
func (o *Org) baseURL(r *http.Request) string {
	o.mu.Lock()
	b := o.opts.BaseURL
	o.mu.Unlock()
	if b != "" {
		return b
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return orgURL(scheme + "://" + r.Host)
}

func newState() *State {
	return &State{
		Groups:         map[string]*Group{},
		Users:          map[string]*User{},
		Members:        map[string]map[string]bool{},
		AuthServers:    map[string]*AuthServer{},
		Apps:           map[string]*App{},
		TrustedOrigins: map[string]*TrustedOrigin{},
		Codes:          map[string]*AuthCode{},
		RefreshTokens:  map[string]*RefreshToken{},
		Revoked:        map[string]time.Time{},
		Sessions:       map[string]*SignInSession{},
	}
}

// nextMeta returns the Meta of a new object: a fresh id, the next sequence
// number, and the current time. Call with o.mu held.
func (o *Org) nextMeta(prefix, status string) Meta {
	o.st.Seq++
	now := o.now().UTC().Truncate(time.Millisecond)
	return Meta{ID: newID(prefix), Seq: o.st.Seq, Status: status, Created: now, LastUpdated: now}
}

// update runs fn with the state locked and, if fn succeeds, persists the
// state. Every mutating handler goes through it.
func (o *Org) update(fn func(st *State) error) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if err := fn(o.st); err != nil {
		return err
	}
	return o.saveLocked()
}

// locked runs fn with the state locked: for a change (saved after) when
// update, for reading otherwise.
func (o *Org) locked(update bool, fn func(st *State) error) error {
	if update {
		return o.update(fn)
	}
	var err error
	o.view(func(st *State) { err = fn(st) })
	return err
}

// withNamed runs fn on the value of m that the request's path value param
// names, or answers Okta's 404 naming the id.
func withNamed[T any](r *http.Request, param string, m map[string]T, fn func(T) error) error {
	v, ok := m[r.PathValue(param)]
	if !ok {
		return errNotFound(r.PathValue(param))
	}
	return fn(v)
}

// view runs fn with the state locked for reading.
func (o *Org) view(fn func(st *State)) {
	o.mu.Lock()
	defer o.mu.Unlock()
	fn(o.st)
}

func (o *Org) load() (bool, error) {
	if o.opts.StatePath == "" {
		return false, nil
	}
	b, err := os.ReadFile(o.opts.StatePath)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("devorg: reading state: %w", err)
	}
	st := newState()
	if err := json.Unmarshal(b, st); err != nil {
		return false, fmt.Errorf("devorg: state file %s: %w: %w", o.opts.StatePath, ErrBadState, err)
	}
	o.st = st
	return true, nil
}

// saveLocked writes the state file atomically (temp file + rename), 0600.
// Call with o.mu held.
func (o *Org) saveLocked() error {
	if o.opts.StatePath == "" {
		return nil
	}
	b, err := json.MarshalIndent(o.st, "", " ")
	if err == nil {
		err = writeFileAtomic(o.opts.StatePath, b)
	}
	if err != nil {
		return fmt.Errorf("devorg: writing state file %s: %w", o.opts.StatePath, err)
	}
	return nil
}

// writeFileAtomic writes b to path through a temporary file (0600) in the
// same directory, synced and renamed over path: a reader or a crash sees
// the old file or the new one, never a part.
func writeFileAtomic(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".devorg-state-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // after a successful rename, a no-op
	err = f.Chmod(0o600)
	if err == nil {
		_, err = f.Write(b)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return os.Rename(f.Name(), path)
}

// apiError is Okta's error body.
type apiError struct {
	Status       int          `json:"-"`
	ErrorCode    string       `json:"errorCode"`
	ErrorSummary string       `json:"errorSummary"`
	ErrorLink    string       `json:"errorLink"`
	ErrorID      string       `json:"errorId"`
	ErrorCauses  []errorCause `json:"errorCauses"`
}

type errorCause struct {
	ErrorSummary string `json:"errorSummary"`
}

func (e *apiError) Error() string { return e.ErrorCode + ": " + e.ErrorSummary }

// newAPIError returns an Okta error with the given status, code, summary and
// causes.
func newAPIError(status int, code, summary string, causes ...string) *apiError {
	e := &apiError{Status: status, ErrorCode: code, ErrorSummary: summary, ErrorLink: code, ErrorID: "oae" + randomString(19, idAlphabet), ErrorCauses: []errorCause{}}
	for _, c := range causes {
		e.ErrorCauses = append(e.ErrorCauses, errorCause{ErrorSummary: c})
	}
	return e
}

// Common Okta errors.
func errNotFound(what string) *apiError {
	return newAPIError(http.StatusNotFound, "E0000007", "Not found: Resource not found: "+what+" (...)")
}

func errMethodNotAllowed() *apiError {
	return newAPIError(http.StatusMethodNotAllowed, "E0000022", "The endpoint does not support the provided HTTP method")
}

func errValidation(field string, causes ...string) *apiError {
	return newAPIError(http.StatusBadRequest, "E0000001", "Api validation failed: "+field, causes...)
}

func errInvalidToken() *apiError {
	return newAPIError(http.StatusUnauthorized, "E0000011", "Invalid token provided")
}

// writeJSON writes v as JSON with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	if v != nil {
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		_ = enc.Encode(v)
	}
}

// writeError writes err as Okta does: an *apiError as its JSON body, anything
// else as a 500 E0000009.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = newAPIError(http.StatusInternalServerError, "E0000009", "Internal Server Error")
	}
	writeJSON(w, ae.Status, ae)
}
