package gateway

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
)

const (
	silver = "http://myapp.com/scp/silver"
	gold   = "http://myapp.com/scp/gold"
)

func newTestGateway(t *testing.T, mode Mode, as *authServer, up string) *httptest.Server {
	t.Helper()
	return newTestGatewayAt(t, mode, as, up, nil)
}

// newTestGatewayAt is newTestGateway with the gateway's clock (nil: the
// real one).
func newTestGatewayAt(t *testing.T, mode Mode, as *authServer, up string, now func() time.Time) *httptest.Server {
	t.Helper()
	c := MulesoftConfig(up, as.issuer(), "api://test", as.clientID, as.secret, silver, gold)
	c.Mode = mode
	c.Now = now
	g, err := New(c)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	srv := httptest.NewServer(g)
	t.Cleanup(srv.Close)
	return srv
}

func newServer(t testing.TB, h http.Handler) string {
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func get(t testing.TB, url, auth string) (*http.Response, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set(SubjectHeader, "forged-by-client")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// wwwAuthError returns the error attribute of a Bearer challenge, "" when
// there is none, and fails when the header is not a Bearer challenge.
func wwwAuthError(t *testing.T, h string) string {
	t.Helper()
	if !strings.HasPrefix(h, `Bearer realm="apicenter"`) {
		t.Fatalf("WWW-Authenticate = %q, want a Bearer challenge with realm apicenter", h)
	}
	_, after, ok := strings.Cut(h, `error="`)
	if !ok {
		return ""
	}
	v, _, _ := strings.Cut(after, `"`)
	return v
}

func TestGatewayRefusesAndAccepts(t *testing.T) {
	for _, mode := range []Mode{ModeIntrospect, ModeJWT} {
		t.Run(string(mode), func(t *testing.T) {
			as := newAuthServer(t)
			up := newUpstream(t)
			gw := newTestGateway(t, mode, as, up.srv.URL)
			otherKey, err := rsa.GenerateKey(rand.Reader, 2048)
			if err != nil {
				t.Fatal(err)
			}
			with := func(change func(map[string]any)) map[string]any {
				c := as.claims(silver)
				change(c)
				return c
			}
			revoked := as.mint(as.claims(silver), nil, as.kid)
			as.revoke(revoked)

			tests := []struct {
				name       string
				path       string
				auth       string
				wantStatus int
				wantError  string // the WWW-Authenticate error attribute; "" for none
				wantInDesc string
			}{
				// RFC 6750 section 3.1: no error attribute without bearer
				// credentials; 400 invalid_request for a malformed request.
				{name: "no token", path: "/planets", wantStatus: 401},
				{name: "not a bearer header", path: "/planets", auth: "Basic dXNlcjpwYXNz", wantStatus: 401},
				{name: "bearer without a token", path: "/planets", auth: "Bearer ", wantStatus: 400, wantError: "invalid_request"},
				{name: "bearer with two tokens", path: "/planets", auth: "Bearer a b", wantStatus: 400, wantError: "invalid_request"},
				{name: "malformed token", path: "/planets", auth: "Bearer not.a.jwt", wantStatus: 401, wantError: "invalid_token"},
				{name: "signed by another key, same kid", path: "/planets", auth: "Bearer " + as.mint(as.claims(silver), otherKey, as.kid), wantStatus: 401, wantError: "invalid_token"},
				{name: "signed by another key, unknown kid", path: "/planets", auth: "Bearer " + as.mint(as.claims(silver), otherKey, "other-kid"), wantStatus: 401, wantError: "invalid_token"},
				{name: "alg none", path: "/planets", auth: "Bearer " + as.mintNone(as.claims(silver)), wantStatus: 401, wantError: "invalid_token"},
				{name: "RS384 with the issuer's key (the JWKS says RS256)", path: "/planets", auth: "Bearer " + as.SignWith(jose.RS384, as.claims(silver), nil, as.kid), wantStatus: 401, wantError: "invalid_token"},
				{name: "HS256 keyed with the public key", path: "/planets", auth: "Bearer " + as.mintHS256WithPublicKey(as.claims(silver)), wantStatus: 401, wantError: "invalid_token"},
				{name: "expired", path: "/planets", auth: "Bearer " + as.mint(with(func(c map[string]any) {
					c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
					c["exp"] = time.Now().Add(-time.Hour).Unix()
				}), nil, as.kid), wantStatus: 401, wantError: "invalid_token"},
				{name: "not valid yet", path: "/planets", auth: "Bearer " + as.mint(with(func(c map[string]any) {
					c["nbf"] = time.Now().Add(time.Hour).Unix()
				}), nil, as.kid), wantStatus: 401, wantError: "invalid_token", wantInDesc: "nbf"},
				{name: "wrong issuer", path: "/planets", auth: "Bearer " + as.mint(with(func(c map[string]any) {
					c["iss"] = "https://evil.example.com/oauth2/default"
				}), nil, as.kid), wantStatus: 401, wantError: "invalid_token", wantInDesc: "issuer"},
				{name: "wrong audience", path: "/planets", auth: "Bearer " + as.mint(with(func(c map[string]any) {
					c["aud"] = "api://other"
				}), nil, as.kid), wantStatus: 401, wantError: "invalid_token", wantInDesc: "audience"},
				{name: "missing the route's scope", path: "/moons", auth: "Bearer " + as.mint(as.claims(silver), nil, as.kid), wantStatus: 403, wantError: "insufficient_scope", wantInDesc: gold},
				{name: "good token, silver route", path: "/planets", auth: "Bearer " + as.mint(as.claims(silver), nil, as.kid), wantStatus: 200},
				{name: "good token, gold route", path: "/moons", auth: "Bearer " + as.mint(as.claims(silver, gold), nil, as.kid), wantStatus: 200},
				{name: "good token, no scope needed", path: "/asteroids", auth: "Bearer " + as.mint(as.claims(), nil, as.kid), wantStatus: 200},
				{name: "unknown route", path: "/comets", auth: "Bearer " + as.mint(as.claims(silver), nil, as.kid), wantStatus: 404},
			}
			if mode == ModeIntrospect {
				tests = append(tests, struct {
					name       string
					path       string
					auth       string
					wantStatus int
					wantError  string
					wantInDesc string
				}{name: "revoked (inactive)", path: "/planets", auth: "Bearer " + revoked, wantStatus: 401, wantError: "invalid_token", wantInDesc: "not active"})
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					resp, body := get(t, gw.URL+tt.path, tt.auth)
					if resp.StatusCode != tt.wantStatus {
						t.Fatalf("status = %d, want %d; body %s", resp.StatusCode, tt.wantStatus, body)
					}
					h := resp.Header.Get("WWW-Authenticate")
					switch tt.wantStatus {
					case 200:
						if h != "" {
							t.Errorf("WWW-Authenticate = %q on success", h)
						}
						if !strings.Contains(body, `"path":"`+tt.path+`"`) {
							t.Errorf("body = %s, want the upstream's answer", body)
						}
						uh := up.lastHeader()
						if got := uh.Get(SubjectHeader); got != "silver@example.com" {
							t.Errorf("upstream saw %s = %q, want the token's subject", SubjectHeader, got)
						}
						if got := uh.Get("Authorization"); got != "" {
							t.Errorf("upstream saw Authorization %q, want none", got)
						}
					case 404:
						if h != "" {
							t.Errorf("WWW-Authenticate = %q on 404", h)
						}
					default:
						if got := wwwAuthError(t, h); got != tt.wantError {
							t.Errorf("WWW-Authenticate error = %q, want %q (header %q)", got, tt.wantError, h)
						}
						if tt.wantInDesc != "" && !strings.Contains(h, tt.wantInDesc) {
							t.Errorf("WWW-Authenticate = %q, want it to mention %q", h, tt.wantInDesc)
						}
						if tt.wantStatus == 403 && !strings.Contains(h, `scope="`+gold+`"`) {
							t.Errorf("WWW-Authenticate = %q, want scope=%q", h, gold)
						}
						var e map[string]string
						if err := json.Unmarshal([]byte(body), &e); err != nil || e["error"] != tt.wantError || e["error_description"] == "" {
							t.Errorf("body = %s, want a JSON error %q with a description", body, tt.wantError)
						}
						if tt.wantError == "" && h != `Bearer realm="apicenter"` {
							t.Errorf("WWW-Authenticate = %q, want the bare challenge", h)
						}
					}
				})
			}
		})
	}
}

// fakeClock is a gateway clock the test moves by hand.
type fakeClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func TestIntrospectionIsCachedUntilExpiry(t *testing.T) {
	as := newAuthServer(t)
	up := newUpstream(t)
	clock := &fakeClock{now: time.Now()}
	gw := newTestGatewayAt(t, ModeIntrospect, as, up.srv.URL, clock.Now)
	long := as.mint(as.claims(silver), nil, as.kid)
	short := as.mint(func() map[string]any {
		c := as.claims(silver)
		c["exp"] = clock.Now().Add(5 * time.Second).Unix()
		return c
	}(), nil, as.kid)
	steps := []struct {
		name             string
		advance          time.Duration
		token            string
		wantIntrospected int
	}{
		{name: "first use", token: long, wantIntrospected: 1},
		{name: "again, from the cache", token: long, wantIntrospected: 1},
		{name: "another token is another entry", token: short, wantIntrospected: 2},
		{name: "the other token again, from the cache", token: short, wantIntrospected: 2},
		{name: "past the short token's exp, not reused", advance: 6 * time.Second, token: short, wantIntrospected: 3},
		{name: "the long token, still within the TTL", token: long, wantIntrospected: 3},
		{name: "past the TTL, asked again", advance: DefaultCacheTTL, token: long, wantIntrospected: 4},
	}
	for _, st := range steps {
		clock.advance(st.advance)
		resp, body := get(t, gw.URL+"/planets", "Bearer "+st.token)
		if resp.StatusCode != 200 {
			t.Fatalf("%s: status %d: %s", st.name, resp.StatusCode, body)
		}
		as.mu.Lock()
		got := as.introspected
		as.mu.Unlock()
		if got != st.wantIntrospected {
			t.Errorf("%s: introspected %d times in all, want %d", st.name, got, st.wantIntrospected)
		}
	}
}

// TestIntrospectionOutlivesTheFirstClient: the introspection call is shared
// by every request with the same token (singleflight), so the request that
// started it going away must not fail it for the others.
func TestIntrospectionOutlivesTheFirstClient(t *testing.T) {
	as := newAuthServer(t)
	c := MulesoftConfig("http://127.0.0.1:1", as.issuer(), "api://test", as.clientID, as.secret, silver, gold)
	c.HTTPClient, c.Now = http.DefaultClient, time.Now
	in := newIntrospector(c, referenceProfile().Checks)
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	tok, err := in.verify(gone, as.mint(as.claims(silver), nil, as.kid))
	if err != nil || tok.Subject != "silver@example.com" {
		t.Fatalf("verify with the first client gone: %+v, %v; want the token's answer", tok, err)
	}
}

func TestJWKSRefreshPicksUpARotatedKey(t *testing.T) {
	as := newAuthServer(t)
	up := newUpstream(t)
	clock := &fakeClock{now: time.Now()}
	gw := newTestGatewayAt(t, ModeJWT, as, up.srv.URL, clock.Now)
	if resp, body := get(t, gw.URL+"/planets", "Bearer "+as.mint(as.claims(silver), nil, as.kid)); resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	newKey := as.Rotate("test-key-2")
	rotated := as.mint(as.claims(silver), newKey, "test-key-2")

	resp, _ := get(t, gw.URL+"/planets", "Bearer "+rotated)
	if resp.StatusCode != 401 || as.JWKSRequests() != 1 {
		t.Fatalf("within %s of the last fetch: status %d, JWKS fetched %d times; want 401 and 1 (rate-limited)", minRefresh, resp.StatusCode, as.JWKSRequests())
	}
	clock.advance(minRefresh)
	resp, body := get(t, gw.URL+"/planets", "Bearer "+rotated)
	if resp.StatusCode != 200 {
		t.Fatalf("a token signed with the rotated key: status %d (%s), want 200 once the JWKS is refetched", resp.StatusCode, body)
	}
	if as.JWKSRequests() != 2 {
		t.Errorf("JWKS fetched %d times, want 2", as.JWKSRequests())
	}
	if resp, body := get(t, gw.URL+"/planets", "Bearer "+as.mint(as.claims(silver), nil, as.kid)); resp.StatusCode != 200 {
		t.Errorf("the old key, still in the JWKS: status %d (%s), want 200", resp.StatusCode, body)
	}
}

func TestAnswerCacheIsBoundedAndExpires(t *testing.T) {
	c := newAnswerCache(2)
	now := time.Unix(1000, 0)
	k := func(b byte) (key [32]byte) { key[0] = b; return key }
	c.put(k(1), answer{reason: "one"}, now.Add(time.Minute))
	c.put(k(2), answer{reason: "two"}, now.Add(time.Second))
	c.get(k(1), now) // 1 is now the most recently used
	c.put(k(3), answer{reason: "three"}, now.Add(time.Minute))
	if c.len() != 2 {
		t.Fatalf("len = %d, want 2", c.len())
	}
	if _, ok := c.get(k(2), now); ok {
		t.Error("least recently used entry 2 survived")
	}
	if a, ok := c.get(k(1), now); !ok || a.reason != "one" {
		t.Error("entry 1 evicted")
	}
	if _, ok := c.get(k(3), now.Add(2*time.Minute)); ok {
		t.Error("entry 3 served after its deadline")
	}
}

func TestJWKSRefreshOnUnknownKidIsRateLimited(t *testing.T) {
	as := newAuthServer(t)
	up := newUpstream(t)
	gw := newTestGateway(t, ModeJWT, as, up.srv.URL)
	otherKey, _ := rsa.GenerateKey(rand.Reader, 2048)
	get(t, gw.URL+"/planets", "Bearer "+as.mint(as.claims(silver), nil, as.kid))
	for i := 0; i < 5; i++ {
		get(t, gw.URL+"/planets", "Bearer "+as.mint(as.claims(silver), otherKey, "made-up"))
	}
	if as.JWKSRequests() != 1 {
		t.Errorf("JWKS fetched %d times, want 1 (refreshes on unknown kids are rate-limited)", as.JWKSRequests())
	}
}

func TestUpstreamDownIs502JSON(t *testing.T) {
	as := newAuthServer(t)
	up := newUpstream(t)
	url := up.srv.URL
	up.srv.Close()
	gw := newTestGateway(t, ModeJWT, as, url)
	resp, body := get(t, gw.URL+"/planets", "Bearer "+as.mint(as.claims(silver), nil, as.kid))
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, `"error":"bad_gateway"`) {
		t.Fatalf("status %d body %s, want 502 bad_gateway JSON", resp.StatusCode, body)
	}
}

func TestLoadConfig(t *testing.T) {
	dir := t.TempDir()
	good := `upstream: http://127.0.0.1:9000
mode: introspect
issuer: http://127.0.0.1:8000/oauth2/aus1
audience: api://default
cache_ttl: 1m
introspection:
  client_id: 0oa1
  client_secret_env: GW_TEST_SECRET
routes:
  - {method: GET, path: /planets, scopes: [silver]}
  - {method: GET, path: /asteroids}
`
	tests := []struct {
		name    string
		yaml    string
		env     map[string]string
		wantErr string
	}{
		{name: "good", yaml: good, env: map[string]string{"GW_TEST_SECRET": "shh"}},
		{name: "secret env unset", yaml: good, wantErr: "GW_TEST_SECRET is not set"},
		{name: "bad mode", yaml: strings.Replace(good, "mode: introspect", "mode: magic", 1), env: map[string]string{"GW_TEST_SECRET": "x"}, wantErr: "mode"},
		{name: "unknown key", yaml: good + "colour: blue\n", env: map[string]string{"GW_TEST_SECRET": "x"}, wantErr: `:12:1: unknown key "colour" (valid keys: audience, cache_size, cache_ttl, introspection, issuer, jwks_url, mode, profile, routes, upstream)`},
		{name: "unknown introspection key", yaml: strings.Replace(good, "client_id:", "clientid:", 1), env: map[string]string{"GW_TEST_SECRET": "x"}, wantErr: `:7:3: unknown key "clientid" in introspection (valid keys: client_id, client_secret_env, url)`},
		{name: "bad duration", yaml: strings.Replace(good, "1m", "soon", 1), env: map[string]string{"GW_TEST_SECRET": "x"}, wantErr: "line 5"},
		{name: "relative path", yaml: strings.Replace(good, "path: /planets", "path: planets", 1), env: map[string]string{"GW_TEST_SECRET": "x"}, wantErr: "routes[0].path"},
		{name: "unknown route key", yaml: good + "  - {method: GET, path: /moons, scope: [gold]}\n", env: map[string]string{"GW_TEST_SECRET": "x"}, wantErr: `:12:33: unknown key "scope" in routes[2] (valid keys: method, path, scopes)`},
		{name: "same route twice", yaml: good + "  - {method: get, path: /planets}\n", env: map[string]string{"GW_TEST_SECRET": "x"}, wantErr: `routes[2]: pattern "GET /planets" conflicts`},
		{name: "bad path pattern", yaml: strings.Replace(good, "path: /planets", `path: "/planets/{name"`, 1), env: map[string]string{"GW_TEST_SECRET": "x"}, wantErr: "routes[0]: parsing"},
		{name: "empty file", yaml: "", wantErr: "the file is empty"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := filepath.Join(dir, strings.ReplaceAll(tt.name, " ", "_")+".yaml")
			if err := os.WriteFile(p, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			c, err := loadConfig(p, func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok })
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), p) {
					t.Fatalf("err = %v, want it to name %s and mention %q", err, p, tt.wantErr)
				}
				if msg := err.Error(); strings.Contains(msg, "\n") || strings.Contains(msg, ".go:") || strings.Contains(msg, "gateway.") {
					t.Errorf("err = %q, want one line naming the config, not our source", msg)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Introspection.ClientSecret != "shh" || time.Duration(c.CacheTTL) != time.Minute || len(c.Routes) != 2 || c.Routes[0].Scopes[0] != "silver" {
				t.Errorf("config = %+v", c)
			}
		})
	}
}

func TestAuthorizationServerDownIs502(t *testing.T) {
	for _, mode := range []Mode{ModeIntrospect, ModeJWT} {
		t.Run(string(mode), func(t *testing.T) {
			as := newAuthServer(t)
			up := newUpstream(t)
			gw := newTestGateway(t, mode, as, up.srv.URL)
			tok := as.mint(as.claims(silver), nil, as.kid)
			as.srv.Close()
			resp, body := get(t, gw.URL+"/planets", "Bearer "+tok)
			if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "authorization server could not be reached") {
				t.Fatalf("status %d body %s, want 502 naming the authorization server", resp.StatusCode, body)
			}
		})
	}
}

func TestExampleConfigIsTheMulesoftOne(t *testing.T) {
	t.Setenv("INTROSPECT_CLIENT_SECRET", "shh")
	c, err := LoadConfig(filepath.Join("testdata", "mulesoft-introspect.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	want := MulesoftRoutes("http://myapp.com/scp/silver", "http://myapp.com/scp/gold")
	if len(c.Routes) != len(want) {
		t.Fatalf("routes %+v, want %+v", c.Routes, want)
	}
	for i := range want {
		if c.Routes[i].Method != want[i].Method || c.Routes[i].Path != want[i].Path || strings.Join(c.Routes[i].Scopes, " ") != strings.Join(want[i].Scopes, " ") {
			t.Errorf("route %d = %+v, want %+v", i, c.Routes[i], want[i])
		}
	}
	if c.Mode != ModeIntrospect || c.Introspection.ClientSecret != "shh" {
		t.Errorf("config %+v", c)
	}
}

// TestAuthServerAnswersNameTheSetting: an authorization server that answers
// the gateway's own request with 404 or 401 is a wrong issuer or a wrong
// introspection client, and the 502 and the log say so; only a network
// failure is "could not be reached".
func TestAuthServerAnswersNameTheSetting(t *testing.T) {
	as := newAuthServer(t)
	up := newUpstream(t)
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	token := as.mint(as.claims(silver), nil, as.kid)
	tests := []struct {
		name                string
		mode                Mode
		issuer, secret      string
		wantBody, wantNotIn string
		wantLog             string
	}{
		{name: "introspection, wrong issuer (404)", mode: ModeIntrospect, issuer: as.issuer() + "x", secret: as.secret,
			wantBody: "answered 404 Not Found to its introspection request; no authorization server there: check the issuer", wantNotIn: "reached",
			wantLog: "the introspection endpoint " + as.issuer() + "x/v1/introspect answered 404 Not Found"},
		{name: "introspection, wrong client secret (401)", mode: ModeIntrospect, issuer: as.issuer(), secret: "wrong",
			wantBody: "answered 401 Unauthorized to its introspection request; the authorization server refused the introspection client: check its client id and secret", wantNotIn: "reached",
			wantLog: "answered 401 Unauthorized"},
		{name: "jwt, wrong issuer (404 on discovery)", mode: ModeJWT, issuer: as.issuer() + "x", secret: as.secret,
			wantBody: "answered 404 Not Found to its discovery request; no authorization server there: check the issuer", wantNotIn: "reached",
			wantLog: "the discovery endpoint " + as.issuer() + "x/.well-known/openid-configuration answered 404"},
		{name: "network failure", mode: ModeIntrospect, issuer: closed.URL + "/oauth2/default", secret: as.secret,
			wantBody: "the authorization server could not be reached to check the token", wantLog: "connection refused"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var log strings.Builder
			var mu sync.Mutex
			c := MulesoftConfig(up.srv.URL, tt.issuer, "api://test", as.clientID, tt.secret, silver, gold)
			c.Mode = tt.mode
			c.ErrorLog = func(format string, args ...any) {
				mu.Lock()
				defer mu.Unlock()
				fmt.Fprintf(&log, format+"\n", args...)
			}
			g, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			gw := newServer(t, g)
			resp, body := get(t, gw+"/planets", "Bearer "+token)
			if resp.StatusCode != http.StatusBadGateway {
				t.Fatalf("status %d, want 502: %s", resp.StatusCode, body)
			}
			var e map[string]string
			if err := json.Unmarshal([]byte(body), &e); err != nil || !strings.Contains(e["error_description"], tt.wantBody) {
				t.Errorf("body %s, want it to say %q", body, tt.wantBody)
			}
			if tt.wantNotIn != "" && strings.Contains(body, tt.wantNotIn) {
				t.Errorf("body %s says %q", body, tt.wantNotIn)
			}
			mu.Lock()
			defer mu.Unlock()
			if !strings.Contains(log.String(), tt.wantLog) {
				t.Errorf("log lacks %q:\n%s", tt.wantLog, log.String())
			}
			if strings.Contains(log.String(), tt.secret) && tt.secret != "" {
				t.Errorf("the log holds the client secret:\n%s", log.String())
			}
		})
	}
}
