package gateway

import (
	"container/list"
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// introspector checks tokens with the authorization server's introspection
// endpoint (RFC 7662) and caches the answers by the SHA-256 of the token.
type introspector struct {
	endpoint     string
	clientID     string
	clientSecret string
	issuer       string
	audiences    []string
	checks       Checks
	client       *http.Client
	now          func() time.Time
	ttl          time.Duration
	cache        *answerCache
	flight       singleflight.Group
}

func newIntrospector(c Config, checks Checks) *introspector {
	endpoint := c.Introspection.URL
	if endpoint == "" {
		endpoint = strings.TrimRight(c.Issuer, "/") + "/v1/introspect"
	}
	return &introspector{
		endpoint:     endpoint,
		clientID:     c.Introspection.ClientID,
		clientSecret: c.Introspection.ClientSecret,
		issuer:       c.Issuer,
		audiences:    audiences(c),
		checks:       checks,
		client:       c.HTTPClient,
		now:          c.Now,
		ttl:          cacheTTL(c),
		cache:        newAnswerCache(cacheSize(c)),
	}
}

// cacheTTL is how long a checked token may be reused at most.
func cacheTTL(c Config) time.Duration {
	if c.CacheTTL == 0 {
		return DefaultCacheTTL
	}
	return time.Duration(c.CacheTTL)
}

// cacheSize is how many checked tokens are kept at most.
func cacheSize(c Config) int {
	if c.CacheSize == 0 {
		return DefaultCacheSize
	}
	return c.CacheSize
}

// answer is a cached introspection result: a token, or the reason it is
// refused.
type answer struct {
	token  Token
	kind   RefusalKind // non-zero: the token is refused
	reason string
}

func (in *introspector) verify(ctx context.Context, raw string) (Token, error) {
	key := sha256.Sum256([]byte(raw))
	now := in.now()
	if a, ok := in.cache.get(key, now); ok {
		return a.result()
	}
	v, err, _ := in.flight.Do(string(key[:]), func() (any, error) {
		// Other requests with the same token wait for this answer: the
		// first one's client going away must not fail them (the HTTP
		// client's timeout still bounds the call).
		a, err := in.introspect(context.WithoutCancel(ctx), raw)
		if err != nil {
			return nil, err
		}
		until := now.Add(in.ttl)
		if a.kind == 0 && !a.token.Expiry.IsZero() && a.token.Expiry.Before(until) {
			until = a.token.Expiry
		}
		in.cache.put(key, a, until)
		return a, nil
	})
	if err != nil {
		return Token{}, err
	}
	return v.(answer).result()
}

func (a answer) result() (Token, error) {
	if a.kind != 0 {
		return Token{}, &invalidTokenError{kind: a.kind, reason: a.reason}
	}
	return a.token, nil
}

// introspection is the part of an RFC 7662 answer the gateway reads.
type introspection struct {
	Active    bool            `json:"active"`
	Scope     any             `json:"scope"`
	Scp       any             `json:"scp"`
	Sub       string          `json:"sub"`
	Username  string          `json:"username"`
	ClientID  string          `json:"client_id"`
	Exp       json.Number     `json:"exp"`
	Nbf       json.Number     `json:"nbf"`
	Iss       string          `json:"iss"`
	Aud       json.RawMessage `json:"aud"`
	TokenType string          `json:"token_type"`
}

func (in *introspector) introspect(ctx context.Context, raw string) (answer, error) {
	form := url.Values{"token": {raw}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, in.endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return answer{}, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 section 2.3.1: the credentials are form-encoded before basic auth.
	req.SetBasicAuth(url.QueryEscape(in.clientID), url.QueryEscape(in.clientSecret))
	resp, err := in.client.Do(req)
	if err != nil {
		return answer{}, fmt.Errorf("introspection endpoint %s: %w", in.endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return answer{}, fmt.Errorf("introspection endpoint %s: %w", in.endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		return answer{}, &authServerError{What: "introspection", URL: in.endpoint, Status: resp.StatusCode, Body: string(body)}
	}
	var r introspection
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	if err := dec.Decode(&r); err != nil {
		return answer{}, fmt.Errorf("introspection endpoint %s: malformed answer: %w", in.endpoint, err)
	}
	a := in.judge(r)
	if a.kind == 0 {
		_ = json.Unmarshal(body, &a.token.Claims) // decoded above: cannot fail
	}
	return a, nil
}

// judge turns an introspection answer into a token or a refusal. It checks
// what the authorization server already should have, because a gateway
// trusts nothing it can check.
func (in *introspector) judge(r introspection) answer {
	if !r.Active {
		return answer{kind: Inactive, reason: "the token is not active (expired, revoked, or not issued by " + in.issuer + ")"}
	}
	if r.TokenType != "" && !strings.EqualFold(r.TokenType, "Bearer") {
		return answer{kind: Malformed, reason: "the token is not an access token"}
	}
	if in.checks.Issuer && r.Iss != "" && r.Iss != in.issuer {
		return answer{kind: WrongIssuer, reason: fmt.Sprintf("the token's issuer %s is not %s", r.Iss, in.issuer)}
	}
	if in.checks.Audience && len(r.Aud) > 0 {
		var one string
		var many []string
		ok := false
		if json.Unmarshal(r.Aud, &one) == nil {
			ok = slices.Contains(in.audiences, one)
		} else if json.Unmarshal(r.Aud, &many) == nil {
			for _, a := range many {
				ok = ok || slices.Contains(in.audiences, a)
			}
		}
		if !ok {
			return answer{kind: WrongAudience, reason: fmt.Sprintf("the token's audience is not %s", strings.Join(in.audiences, " or "))}
		}
	}
	now := in.now()
	leeway := in.checks.Leeway
	var expiry time.Time
	if exp, err := r.Exp.Int64(); err == nil {
		expiry = time.Unix(exp, 0)
		if !now.Before(expiry.Add(leeway)) {
			return answer{kind: Expired, reason: "the token has expired"}
		}
	} else if in.checks.RequireExpiry {
		return answer{kind: Expired, reason: "the introspection answer has no exp"}
	}
	if nbf, err := r.Nbf.Int64(); err == nil && now.Add(leeway).Before(time.Unix(nbf, 0)) {
		return answer{kind: NotYetValid, reason: "the token is not valid yet (nbf)"}
	}
	sub := r.Sub
	if sub == "" {
		sub = r.Username
	}
	return answer{token: Token{
		Subject:  sub,
		Scopes:   scopesOf(r.Scp, r.Scope),
		ClientID: r.ClientID,
		Expiry:   expiry,
	}}
}

// answerCache is a bounded LRU of introspection answers, each valid until
// its own deadline.
type answerCache struct {
	mu    sync.Mutex
	size  int
	order *list.List // front: most recently used
	items map[[sha256.Size]byte]*list.Element
}

type cacheEntry struct {
	key   [sha256.Size]byte
	a     answer
	until time.Time
}

func newAnswerCache(size int) *answerCache {
	return &answerCache{size: size, order: list.New(), items: make(map[[sha256.Size]byte]*list.Element)}
}

func (c *answerCache) get(key [sha256.Size]byte, now time.Time) (answer, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	el, ok := c.items[key]
	if !ok {
		return answer{}, false
	}
	e := el.Value.(*cacheEntry)
	if !now.Before(e.until) {
		c.order.Remove(el)
		delete(c.items, key)
		return answer{}, false
	}
	c.order.MoveToFront(el)
	return e.a, true
}

func (c *answerCache) put(key [sha256.Size]byte, a answer, until time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if el, ok := c.items[key]; ok {
		el.Value = &cacheEntry{key: key, a: a, until: until}
		c.order.MoveToFront(el)
		return
	}
	c.items[key] = c.order.PushFront(&cacheEntry{key: key, a: a, until: until})
	for c.order.Len() > c.size {
		last := c.order.Back()
		c.order.Remove(last)
		delete(c.items, last.Value.(*cacheEntry).key)
	}
}

func (c *answerCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.order.Len()
}
