// Package gateway is the reference API gateway: a reverse proxy that lets a
// request through to the upstream API only with a valid OAuth 2.0 access
// token carrying the scopes its route needs.
//
// How it checks tokens and answers depends on its profile (see Profile):
// the reference profile, described here, or the emulation of a gateway
// product. The reference's answers follow RFC 6750 section 3.1: a request
// with no bearer credentials (no Authorization header, or another scheme)
// gets 401 with `WWW-Authenticate: Bearer realm="apicenter"` and no error
// attribute; a malformed bearer request (`Bearer` without a token, two
// Authorization headers) gets 400 invalid_request; a bad, expired or
// foreign token gets 401 invalid_token; a valid token without the route's
// scopes gets 403 insufficient_scope with the scopes needed. Every error
// body is JSON {"error", "error_description"} (only error_description
// without credentials).
//
// In introspect mode an answer is reused for at most the cache TTL (30 s by
// default) and never past the token's exp, so a revocation takes effect
// within the TTL. In jwt mode a verified token is reused the same way (by
// the SHA-256 of the token, at most the cache TTL, never past its exp), and
// a revoked token stays good until it expires: that is the price of checking
// tokens without asking the issuer.
package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// SubjectHeader carries the verified subject (the token's sub) to the
// upstream. The gateway always overwrites it.
const SubjectHeader = "X-Apicenter-Subject"

// Realm is the realm of the gateway's WWW-Authenticate challenges.
const Realm = "apicenter"

// Token is what the gateway learned about a valid access token.
type Token struct {
	Subject  string
	Scopes   []string
	ClientID string
	Expiry   time.Time
	// Claims are all the token's claims (or the introspection answer's
	// members), for profiles that read more than the scopes. Shared
	// between requests: read only.
	Claims map[string]any
}

// verifier checks a raw access token. It returns an *invalidTokenError when
// the token is not acceptable, and any other error when it could not tell.
type verifier interface {
	verify(ctx context.Context, raw string) (Token, error)
}

// invalidTokenError says why a token is refused; its text goes into the
// error_description the client sees.
type invalidTokenError struct {
	kind   RefusalKind
	reason string
}

func (e *invalidTokenError) Error() string { return e.reason }

func invalidToken(kind RefusalKind, format string, args ...any) error {
	return &invalidTokenError{kind: kind, reason: fmt.Sprintf(format, args...)}
}

// Gateway is the gateway's http.Handler.
type Gateway struct {
	mux      *http.ServeMux
	verifier verifier
	// profile is the config's, with the reference's Allows, Refuse and
	// Credentials where it has none.
	profile Profile
	logf    func(string, ...any)
	// access is the access log; nil: none (and no formatting cost).
	access func(string, ...any)
}

type subjectKey struct{}

// New builds a gateway from c, behaving as c's profile says.
func New(c Config) (*Gateway, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	p, err := LookupProfile(c.Profile)
	if err != nil {
		return nil, err
	}
	ref := referenceProfile()
	if p.Allows == nil {
		p.Allows = ref.Allows
	}
	if p.Refuse == nil {
		p.Refuse = ref.Refuse
	}
	if p.Credentials == nil {
		p.Credentials = BearerToken
	}
	upstream, err := url.Parse(c.Upstream)
	if err != nil {
		return nil, fmt.Errorf("upstream: %w", err)
	}
	if c.HTTPClient == nil {
		c.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	logf := c.ErrorLog
	if logf == nil {
		logf = func(string, ...any) {}
	}
	g := &Gateway{mux: http.NewServeMux(), profile: p, logf: logf, access: c.AccessLog}
	switch c.Mode {
	case ModeIntrospect:
		g.verifier = newIntrospector(c, p.Checks)
	case ModeJWT:
		g.verifier = newJWTVerifier(c, p.Checks)
	}

	proxy := newProxy(upstream, c.StripPrefix, func(w http.ResponseWriter, r *http.Request, err error) {
		logf("gateway: %s %s: upstream: %v", r.Method, r.URL.Path, err)
		p.Refuse(w, r, Refusal{Kind: UpstreamFailed, Description: "the upstream API did not answer"})
	})

	for i, rt := range c.Routes {
		if err := register(g.mux, rt.pattern(), g.protect(rt, proxy)); err != nil {
			return nil, fmt.Errorf("routes[%d]: %w", i, err)
		}
	}
	g.mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		g.refuse(w, r, Refusal{Kind: NotFound, Description: fmt.Sprintf("no route for %s %s", r.Method, r.URL.Path)}, "")
	})
	return g, nil
}

// register adds a pattern, turning ServeMux's panic on a bad or duplicate
// pattern into a one-line error (without ServeMux's "registered at" source
// locations, which would name our code, not the user's config).
func register(mux *http.ServeMux, pattern string, h http.Handler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			msg := registeredAt.ReplaceAllString(fmt.Sprint(p), "")
			err = errors.New(strings.Join(strings.Fields(msg), " "))
		}
	}()
	mux.Handle(pattern, h)
	return nil
}

// ServeHTTP implements http.Handler.
func (g *Gateway) ServeHTTP(w http.ResponseWriter, r *http.Request) { g.mux.ServeHTTP(w, r) }

func (g *Gateway) protect(rt Route, next *proxy) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		raw, err := g.profile.Credentials(r)
		switch {
		case errors.Is(err, ErrNoToken):
			g.refuse(w, r, Refusal{Kind: NoToken, Description: "no token", Route: rt}, "")
			return
		case err != nil:
			g.refuse(w, r, Refusal{Kind: BadRequest, Description: err.Error(), Route: rt}, "")
			return
		}
		tok, err := g.verifier.verify(r.Context(), raw)
		var bad *invalidTokenError
		switch {
		case errors.As(err, &bad):
			g.refuse(w, r, Refusal{Kind: bad.kind, Description: bad.reason, Route: rt}, "")
			return
		case err != nil:
			g.logf("gateway: %s %s: checking the token: %v", r.Method, r.URL.Path, err)
			desc := "the authorization server could not be reached to check the token"
			var ase *authServerError
			if errors.As(err, &ase) {
				desc = ase.Answer()
			}
			g.refuse(w, r, Refusal{Kind: Unreachable, Description: desc, Route: rt}, "")
			return
		}
		if !g.profile.Allows(rt, tok) {
			desc := fmt.Sprintf("%s %s needs the scope %s; the token has: %s", rt.Method, rt.Path,
				strings.Join(rt.Scopes, " "), strings.Join(tok.Scopes, " "))
			g.refuse(w, r, Refusal{Kind: InsufficientScope, Description: desc, Route: rt, Token: tok}, "sub="+tok.Subject+": ")
			return
		}
		if g.access != nil {
			g.access("gateway: %s %s -> forwarded for sub=%s", r.Method, r.URL.Path, tok.Subject)
		}
		next.forward(w, r, tok.Subject)
	})
}

// refuse answers a refused request as the profile does and logs the status
// and the reason (prefixed with who, if known).
func (g *Gateway) refuse(w http.ResponseWriter, r *http.Request, why Refusal, who string) {
	sw := &statusWriter{ResponseWriter: w}
	g.profile.Refuse(sw, r, why)
	if g.access != nil {
		g.access("gateway: %s %s -> %d %s%s", r.Method, r.URL.Path, sw.status, who, why.Description)
	}
}

// statusWriter remembers the status a profile's Refuse wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

var registeredAt = regexp.MustCompile(` \(registered at [^)]*\)`)

// bearerScheme reports whether r's Authorization header uses the Bearer
// scheme (RFC 6750 section 2.1), well formed or not.
func bearerScheme(r *http.Request) bool {
	for _, v := range r.Header.Values("Authorization") {
		scheme, _, _ := strings.Cut(strings.TrimSpace(v), " ")
		if strings.EqualFold(scheme, "Bearer") {
			return true
		}
	}
	return false
}

// ErrNoToken is a request without a token, for a Profile's Credentials.
var ErrNoToken = errors.New("no token")

// BearerToken returns the token of an `Authorization: Bearer` header
// (RFC 6750 section 2.1), ErrNoToken without an Authorization header.
func BearerToken(r *http.Request) (string, error) {
	vals := r.Header.Values("Authorization")
	if len(vals) == 0 {
		return "", ErrNoToken
	}
	if len(vals) > 1 {
		return "", errors.New("more than one Authorization header")
	}
	scheme, tok, ok := strings.Cut(strings.TrimSpace(vals[0]), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return "", errors.New("the Authorization header is not \"Bearer <token>\"")
	}
	tok = strings.TrimSpace(tok)
	if tok == "" || strings.ContainsAny(tok, " \t") {
		return "", errors.New("the Authorization header is not \"Bearer <token>\"")
	}
	return tok, nil
}

// challenge writes an RFC 6750 error: the WWW-Authenticate header and a JSON
// body saying the same.
func challenge(w http.ResponseWriter, status int, code, description string, scopes []string) {
	v := fmt.Sprintf("Bearer realm=%q, error=%q, error_description=%q", Realm, code, quoteSafe(description))
	if len(scopes) > 0 {
		v += fmt.Sprintf(", scope=%q", strings.Join(scopes, " "))
	}
	w.Header().Set("WWW-Authenticate", v)
	writeJSONError(w, status, code, description)
}

// quoteSafe keeps a description inside RFC 6750's allowed characters
// (%x20-21 / %x23-5B / %x5D-7E): no quotes, backslashes or control bytes.
func quoteSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r > 0x7e {
			return '\''
		}
		return r
	}, s)
}

func writeJSONError(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": description})
}

// scopesOf reads the scopes of a token's claims: scp (an array, or a
// space-separated string), else scope (a space-separated string).
func scopesOf(scp, scope any) []string {
	for _, v := range []any{scp, scope} {
		switch t := v.(type) {
		case string:
			if f := strings.Fields(t); len(f) > 0 {
				return f
			}
		case []any:
			var out []string
			for _, e := range t {
				if s, ok := e.(string); ok && s != "" {
					out = append(out, s)
				}
			}
			if len(out) > 0 {
				return out
			}
		}
	}
	return nil
}
