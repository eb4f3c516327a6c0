package gateway

import (
	"context"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// minRefresh is the least time between two JWKS fetches caused by unknown
// key ids, so that tokens with made-up kids cannot hammer the issuer.
const minRefresh = 10 * time.Second

// jwtVerifier checks RS256 access tokens against the issuer's JWKS, the
// claims its profile's Checks name, and caches the tokens it accepted by the
// SHA-256 of the token, never past their exp.
type jwtVerifier struct {
	issuer    string
	audiences []string
	checks    Checks
	jwksURL   string // empty: from the issuer's discovery document
	client    *http.Client
	now       func() time.Time
	ttl       time.Duration
	cache     *answerCache

	mu          sync.Mutex
	keys        map[string]*rsa.PublicKey // by kid
	algs        []jose.SignatureAlgorithm
	lastFetch   time.Time
	fetchedOnce bool
}

func newJWTVerifier(c Config, checks Checks) *jwtVerifier {
	return &jwtVerifier{
		issuer:    c.Issuer,
		audiences: audiences(c),
		checks:    checks,
		jwksURL:   c.JWKSURL,
		client:    c.HTTPClient,
		now:       c.Now,
		ttl:       cacheTTL(c),
		cache:     newAnswerCache(cacheSize(c)),
	}
}

// audiences are the audiences a token may carry.
func audiences(c Config) []string {
	var out []string
	if c.Audience != "" {
		out = append(out, c.Audience)
	}
	return append(out, c.Audiences...)
}

// accessClaims are the claims of an access token the gateway reads beyond
// the registered ones.
type accessClaims struct {
	Scp      any    `json:"scp"`
	Scope    any    `json:"scope"`
	Cid      string `json:"cid"`
	ClientID string `json:"client_id"`
}

func (v *jwtVerifier) verify(ctx context.Context, raw string) (Token, error) {
	key := sha256.Sum256([]byte(raw))
	now := v.now()
	if a, ok := v.cache.get(key, now); ok {
		return a.result()
	}
	tok, err := v.check(ctx, raw, now)
	if err != nil {
		return Token{}, err
	}
	// Never reused past exp: a cached token expires on time, without
	// the leeway a fresh check allows.
	until := now.Add(v.ttl)
	if !tok.Expiry.IsZero() && tok.Expiry.Before(until) {
		until = tok.Expiry
	}
	if now.Before(until) {
		v.cache.put(key, answer{token: tok}, until)
	}
	return tok, nil
}

// check verifies the token's signature and claims.
func (v *jwtVerifier) check(ctx context.Context, raw string, now time.Time) (Token, error) {
	algs, err := v.algorithms(ctx)
	if err != nil {
		return Token{}, err
	}
	tok, err := jwt.ParseSigned(raw, algs)
	if err != nil {
		if other, err2 := jwt.ParseSigned(raw, allAlgorithms()); err2 == nil && len(other.Headers) > 0 {
			return Token{}, invalidToken(WrongAlgorithm, "the token is signed with %s, not %s", other.Headers[0].Algorithm, algNames(algs))
		}
		return Token{}, invalidToken(Malformed, "the token is not a JWT signed with %s: %v", algNames(algs), err)
	}
	if len(tok.Headers) != 1 {
		return Token{}, invalidToken(Malformed, "the token has %d signatures", len(tok.Headers))
	}
	kid := tok.Headers[0].KeyID
	pub, err := v.key(ctx, kid)
	if err != nil {
		return Token{}, err
	}
	var std jwt.Claims
	var extra accessClaims
	var all map[string]any
	if err := tok.Claims(pub, &std, &extra, &all); err != nil {
		return Token{}, invalidToken(BadSignature, "the token's signature does not verify with the issuer's key %s", kid)
	}
	if std.Expiry == nil && v.checks.RequireExpiry {
		return Token{}, invalidToken(Expired, "the token has no exp")
	}
	expected := jwt.Expected{Time: now}
	if v.checks.Issuer {
		expected.Issuer = v.issuer
	}
	err = std.ValidateWithLeeway(expected, v.checks.Leeway)
	switch {
	case errors.Is(err, jwt.ErrInvalidIssuer):
		return Token{}, invalidToken(WrongIssuer, "the token's issuer %s is not %s", std.Issuer, v.issuer)
	case errors.Is(err, jwt.ErrExpired):
		return Token{}, invalidToken(Expired, "the token has expired")
	case errors.Is(err, jwt.ErrNotValidYet):
		return Token{}, invalidToken(NotYetValid, "the token is not valid yet (nbf)")
	case errors.Is(err, jwt.ErrIssuedInTheFuture):
		return Token{}, invalidToken(NotYetValid, "the token is issued in the future (iat)")
	case err != nil:
		return Token{}, invalidToken(Malformed, "the token's claims are not valid: %v", err)
	}
	if v.checks.Audience {
		if err := v.checkAudience(std.Audience, extra.ClientID); err != nil {
			return Token{}, err
		}
	}
	clientID := extra.Cid
	if clientID == "" {
		clientID = extra.ClientID
	}
	var expiry time.Time
	if std.Expiry != nil {
		expiry = std.Expiry.Time()
	}
	return Token{
		Subject:  std.Subject,
		Scopes:   scopesOf(extra.Scp, extra.Scope),
		ClientID: clientID,
		Expiry:   expiry,
		Claims:   all,
	}, nil
}

// checkAudience accepts a token whose aud holds one of the audiences, or,
// with Checks.AudienceElseClientID, a token without aud whose client_id is
// one of them.
func (v *jwtVerifier) checkAudience(aud jwt.Audience, clientID string) error {
	for _, want := range v.audiences {
		if aud.Contains(want) {
			return nil
		}
	}
	if len(aud) == 0 && v.checks.AudienceElseClientID && clientID != "" && slices.Contains(v.audiences, clientID) {
		return nil
	}
	if len(aud) == 0 {
		return invalidToken(WrongAudience, "the token has no audience; want %s", strings.Join(v.audiences, " or "))
	}
	return invalidToken(WrongAudience, "the token's audience %s is not %s", strings.Join(aud, " "), strings.Join(v.audiences, " or "))
}

// allAlgorithms are the JWS algorithms go-jose knows, to name the one a
// refused token uses.
func allAlgorithms() []jose.SignatureAlgorithm {
	return []jose.SignatureAlgorithm{
		jose.EdDSA, jose.HS256, jose.HS384, jose.HS512, jose.RS256, jose.RS384, jose.RS512,
		jose.ES256, jose.ES384, jose.ES512, jose.PS256, jose.PS384, jose.PS512,
	}
}

func algNames(algs []jose.SignatureAlgorithm) string {
	s := make([]string, len(algs))
	for i, a := range algs {
		s[i] = string(a)
	}
	return strings.Join(s, " or ")
}

// algorithms returns the algorithms the JWKS offers that the gateway
// supports (RS256 only), fetching the JWKS the first time.
func (v *jwtVerifier) algorithms(ctx context.Context) ([]jose.SignatureAlgorithm, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if !v.fetchedOnce {
		if !v.lastFetch.IsZero() && v.now().Sub(v.lastFetch) < minRefresh {
			return nil, fmt.Errorf("the issuer's JWKS could not be fetched; next try in at most %s", minRefresh)
		}
		if err := v.fetchLocked(ctx); err != nil {
			return nil, err
		}
	}
	if len(v.algs) == 0 {
		return nil, fmt.Errorf("the issuer's JWKS offers no RS256 key")
	}
	return v.algs, nil
}

// key returns the key with id kid, refetching the JWKS once (rate-limited)
// when the id is unknown: the issuer may have rotated its keys.
func (v *jwtVerifier) key(ctx context.Context, kid string) (*rsa.PublicKey, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	if v.now().Sub(v.lastFetch) >= minRefresh {
		if err := v.fetchLocked(ctx); err != nil {
			return nil, err
		}
		if k, ok := v.keys[kid]; ok {
			return k, nil
		}
	}
	return nil, invalidToken(UnknownKey, "the token's key id %q is not in the issuer's JWKS", kid)
}

func (v *jwtVerifier) fetchLocked(ctx context.Context) error {
	v.lastFetch = v.now()
	jwksURL := v.jwksURL
	if jwksURL == "" {
		var disc struct {
			Issuer  string `json:"issuer"`
			JWKSURI string `json:"jwks_uri"`
		}
		u := strings.TrimRight(v.issuer, "/") + "/.well-known/openid-configuration"
		if err := v.getJSON(ctx, "discovery", u, &disc); err != nil {
			return err
		}
		if disc.Issuer != v.issuer {
			return fmt.Errorf("%s: issuer %q is not %q", u, disc.Issuer, v.issuer)
		}
		if disc.JWKSURI == "" {
			return fmt.Errorf("%s: no jwks_uri", u)
		}
		jwksURL = disc.JWKSURI
	}
	var set jose.JSONWebKeySet
	if err := v.getJSON(ctx, "JWKS", jwksURL, &set); err != nil {
		return err
	}
	keys := make(map[string]*rsa.PublicKey)
	for _, k := range set.Keys {
		pub, ok := k.Key.(*rsa.PublicKey)
		if !ok || (k.Use != "" && k.Use != "sig") {
			continue
		}
		if k.Algorithm != "" && k.Algorithm != string(jose.RS256) {
			continue
		}
		keys[k.KeyID] = pub
	}
	v.keys = keys
	v.algs = nil
	if len(keys) > 0 {
		v.algs = []jose.SignatureAlgorithm{jose.RS256}
	}
	v.fetchedOnce = true
	return nil
}

// getJSON reads u's JSON answer into dst; what names the request in errors.
func (v *jwtVerifier) getJSON(ctx context.Context, what, u string, dst any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := v.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
		return &authServerError{What: what, URL: u, Status: resp.StatusCode, Body: string(body)}
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(dst); err != nil {
		return fmt.Errorf("GET %s: %w", u, err)
	}
	return nil
}
