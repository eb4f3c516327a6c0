package gateway

import (
	"context"
	"crypto/rsa"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestProfileTable: one profile per name, each loadable and described, the
// reference first; an unknown name is refused with the valid ones.
func TestProfileTable(t *testing.T) {
	seen := map[string]bool{}
	for i, p := range Profiles() {
		if seen[p.Name] {
			t.Errorf("profile %q listed twice", p.Name)
		}
		seen[p.Name] = true
		if p.Load == nil || p.Description == "" {
			t.Errorf("profile %q: no Load or no Description", p.Name)
		}
		if (i == 0) != (p.Name == "") {
			t.Errorf("profile %d is %q; the reference (\"\") comes first", i, p.Name)
		}
	}
	_, err := LookupProfile("nope")
	if err == nil || !strings.Contains(err.Error(), strings.Join(ProfileNames(), ", ")) {
		t.Errorf("LookupProfile(nope) = %v, want an error listing %v", err, ProfileNames())
	}
	c := MulesoftConfig("http://127.0.0.1:1", "http://127.0.0.1:2/oauth2/x", "api://x", "0oa1", "s", silver, gold)
	c.Profile = "nope"
	if err := c.Validate(); err == nil || !strings.HasPrefix(err.Error(), `profile: profile "nope" is not one of`) {
		t.Errorf("Validate with an unknown profile: %v", err)
	}
}

// TestReferenceRefusals: the reference profile answers each refusal as the
// gateway always has: RFC 6750 challenges, JSON bodies.
func TestReferenceRefusals(t *testing.T) {
	route := Route{Method: http.MethodGet, Path: "/moons", Scopes: []string{gold}}
	tests := []struct {
		kind        RefusalKind
		wantStatus  int
		wantError   string // the challenge's error; "" for no challenge
		wantInScope string
	}{
		{NoToken, 401, "", ""},                   // RFC 6750 3.1: no error without bearer credentials
		{BadRequest, 401, "", ""},                // the request below has no Authorization header
		{BadRequest, 400, "invalid_request", ""}, // ... and with a bearer one
		{Malformed, 401, "invalid_token", ""},
		{WrongAlgorithm, 401, "invalid_token", ""},
		{UnknownKey, 401, "invalid_token", ""},
		{BadSignature, 401, "invalid_token", ""},
		{WrongIssuer, 401, "invalid_token", ""},
		{WrongAudience, 401, "invalid_token", ""},
		{Expired, 401, "invalid_token", ""},
		{NotYetValid, 401, "invalid_token", ""},
		{Inactive, 401, "invalid_token", ""},
		{InsufficientScope, 403, "insufficient_scope", gold},
		{NotFound, 404, "", ""},
		{Unreachable, 502, "", ""},
		{UpstreamFailed, 502, "", ""},
	}
	for _, tt := range tests {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/moons", nil)
		if tt.wantStatus == 400 {
			r.Header.Set("Authorization", "Bearer")
		}
		refuseRFC6750(w, r, Refusal{Kind: tt.kind, Description: "why", Route: route})
		if w.Code != tt.wantStatus {
			t.Errorf("kind %d: status %d, want %d", tt.kind, w.Code, tt.wantStatus)
		}
		h := w.Header().Get("WWW-Authenticate")
		if tt.wantError == "" && tt.wantStatus == 401 {
			if h != `Bearer realm="apicenter"` {
				t.Errorf("kind %d: WWW-Authenticate %q, want the bare challenge", tt.kind, h)
			}
		} else if tt.wantError == "" {
			if h != "" {
				t.Errorf("kind %d: WWW-Authenticate %q, want none", tt.kind, h)
			}
		} else if scopeOK := strings.Contains(h, `scope="`+tt.wantInScope+`"`) || (tt.wantInScope == "" && !strings.Contains(h, "scope=")); !scopeOK ||
			!strings.Contains(h, `error="`+tt.wantError+`"`) {
			t.Errorf("kind %d: WWW-Authenticate %q, want error %q and scope %q", tt.kind, h, tt.wantError, tt.wantInScope)
		}
		if ct := w.Header().Get("Content-Type"); ct != "application/json" {
			t.Errorf("kind %d: Content-Type %q", tt.kind, ct)
		}
	}
}

// TestJWTCacheNeverPastExp: a verified JWT is reused from the cache (a fresh
// check would fail once its key is gone) but never past its exp, and a
// token refused once is refused again.
func TestJWTCacheNeverPastExp(t *testing.T) {
	as := newAuthServer(t)
	clock := &fakeClock{now: time.Now()}
	c := MulesoftConfig("http://127.0.0.1:1", as.issuer(), "api://test", as.clientID, as.secret, silver, gold)
	c.HTTPClient, c.Now = http.DefaultClient, clock.Now
	// No leeway, so that "past exp" is the exp itself.
	v := newJWTVerifier(c, Checks{Issuer: true, Audience: true, RequireExpiry: true})
	ctx := context.Background()
	exp := clock.Now().Add(2 * time.Minute)
	short := as.mint(func() map[string]any {
		cl := as.claims(silver)
		cl["exp"] = exp.Unix()
		return cl
	}(), nil, as.kid)
	expired := as.mint(func() map[string]any {
		cl := as.claims(silver)
		cl["exp"] = clock.Now().Add(-time.Second).Unix()
		return cl
	}(), nil, as.kid)

	forgetKeys := func() {
		// A fresh check now fails (unknown kid, refetch rate-limited):
		// only the cache can accept the token.
		v.mu.Lock()
		v.keys, v.lastFetch = map[string]*rsa.PublicKey{}, clock.Now()
		v.mu.Unlock()
	}
	steps := []struct {
		name       string
		before     func()
		at         time.Time // zero: now
		token      string
		wantKind   RefusalKind // 0: accepted
		wantCached int
	}{
		{name: "first check", token: short, wantCached: 1},
		{name: "expired: refused, not cached", token: expired, wantKind: Expired, wantCached: 1},
		{name: "keys gone: from the cache", before: forgetKeys, token: short, wantCached: 1},
		{name: "expired again: checked afresh", token: expired, wantKind: UnknownKey, wantCached: 1},
		{name: "a second before exp: from the cache", at: exp.Add(-time.Second), token: short, wantCached: 1},
		{name: "at exp: checked afresh, expired", at: exp, token: short, wantKind: Expired, wantCached: 0},
	}
	for _, st := range steps {
		if st.before != nil {
			st.before()
		}
		if !st.at.IsZero() {
			clock.advance(st.at.Sub(clock.Now()))
		}
		tok, err := v.verify(ctx, st.token)
		var bad *invalidTokenError
		switch {
		case st.wantKind == 0 && err != nil:
			t.Fatalf("%s: refused: %v", st.name, err)
		case st.wantKind == 0 && tok.Subject != "silver@example.com":
			t.Fatalf("%s: subject %q", st.name, tok.Subject)
		case st.wantKind != 0 && (!errors.As(err, &bad) || bad.kind != st.wantKind):
			t.Fatalf("%s: %v, want a refusal of kind %d", st.name, err, st.wantKind)
		}
		if n := v.cache.len(); n != st.wantCached {
			t.Errorf("%s: the cache holds %d tokens, want %d", st.name, n, st.wantCached)
		}
	}
}
