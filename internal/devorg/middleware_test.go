package devorg_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
)

// noRedirects is a client that shows a redirect rather than following it.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// doRaw sends one request (with the SSWS token if token is set) and
// decodes the JSON object it answers, if any.
func doRaw(t *testing.T, method, url, token, body string) (*http.Response, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "SSWS "+token)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp, m
}

func TestEveryAnswerHasOktaHeaders(t *testing.T) {
	srv := devorgtest.Start(t)
	tests := []struct {
		name, method, path, token string
		wantStatus                int
		wantCode                  string
	}{
		{"ok", "GET", "/api/v1/users/me", srv.Token, 200, ""},
		{"bad token", "GET", "/api/v1/groups", "nope", 401, "E0000011"},
		{"no token", "GET", "/api/v1/apps", "", 401, "E0000011"},
		{"unknown route", "GET", "/api/v1/nothing/here", srv.Token, 404, "E0000007"},
		{"unknown top-level path", "GET", "/favicon.ico", "", 404, "E0000007"},
		{"wrong method", "PATCH", "/api/v1/groups", srv.Token, 405, "E0000022"},
		{"wrong method on an object", "POST", "/api/v1/groups/00gsomegroup00000000/users", srv.Token, 405, "E0000022"},
		{"wrong method on /authn", "GET", "/api/v1/authn", "", 405, "E0000022"},
		{"missing object", "GET", "/api/v1/groups/00gnosuchgroup000000", srv.Token, 404, "E0000007"},
		{"malformed body", "POST", "/api/v1/groups", srv.Token, 400, "E0000003"},
		{"path with ..", "GET", "/api/v1/../api/v1/users/me", srv.Token, 404, "E0000007"},
		{"path with //", "GET", "//api/v1/users/me", srv.Token, 404, "E0000007"},
		{"unknown /oauth2 path", "GET", "/oauth2/unknown", "", 404, "E0000007"},
		{"unknown authorization server", "GET", "/oauth2/aus0nosuchserver0000/v1/keys", "", 404, "E0000007"},
		{"unknown endpoint of a server", "GET", "/oauth2/default/v1/nothing", "", 404, "E0000007"},
		{"discovery", "GET", "/oauth2/default/.well-known/openid-configuration", "", 200, ""},
		{"org server discovery", "GET", "/.well-known/openid-configuration", "", 200, ""},
		{"keys", "GET", "/oauth2/default/v1/keys", "", 200, ""},
		{"wrong method on keys", "PUT", "/oauth2/default/v1/keys", "", 405, "E0000022"},
		{"wrong method on discovery", "POST", "/oauth2/default/.well-known/openid-configuration", "", 405, "E0000022"},
		{"wrong method on client registration", "GET", "/oauth2/v1/clients", srv.Token, 405, "E0000022"},
		{"wrong method on token", "GET", "/oauth2/default/v1/token", "", 405, "invalid_request"},
		{"token without a client", "POST", "/oauth2/v1/token", "", 401, "invalid_client"},
		{"userinfo without a token", "GET", "/oauth2/default/v1/userinfo", "", 401, "invalid_token"},
		{"wrong method on userinfo", "DELETE", "/oauth2/default/v1/userinfo", "", 405, "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			body := ""
			if tt.method == "POST" {
				body = "{not json"
			}
			resp, m := doRaw(t, tt.method, srv.URL+tt.path, tt.token, body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status = %d, want %d", resp.StatusCode, tt.wantStatus)
			}
			code := m["errorCode"] // Okta's error body
			if code == nil {
				code = m["error"] // an OAuth error
			}
			if tt.wantCode != "" && code != tt.wantCode {
				t.Fatalf("error code = %v, want %s (%v)", code, tt.wantCode, m)
			}
			if resp.StatusCode == http.StatusMethodNotAllowed && resp.Header.Get("Allow") == "" {
				t.Fatal("a 405 without an Allow header")
			}
			if resp.Header.Get("Content-Type") != "application/json" {
				t.Fatalf("Content-Type = %q", resp.Header.Get("Content-Type"))
			}
			if len(resp.Header.Get("X-Okta-Request-Id")) < 10 {
				t.Fatalf("X-Okta-Request-Id = %q", resp.Header.Get("X-Okta-Request-Id"))
			}
			for _, h := range []string{"X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"} {
				if _, err := strconv.ParseInt(resp.Header.Get(h), 10, 64); err != nil {
					t.Fatalf("%s = %q", h, resp.Header.Get(h))
				}
			}
			if _, err := http.ParseTime(resp.Header.Get("Date")); err != nil {
				t.Fatalf("Date = %q", resp.Header.Get("Date"))
			}
		})
	}
}

// statusRecorder is an http.RoundTripper that notes what the real
// transport answered, so the test can see the 429 the SDK retried.
type statusRecorder struct {
	mu       sync.Mutex
	statuses []int
	retries  []string
}

func (s *statusRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	s.mu.Lock()
	defer s.mu.Unlock()
	if err == nil {
		s.statuses = append(s.statuses, resp.StatusCode)
	}
	s.retries = append(s.retries, r.Header.Get("X-Okta-Retry-Count"))
	return resp, err
}

func TestRateLimitIsRetriedBySDK(t *testing.T) {
	srv := devorgtest.Start(t, devorg.Options{RateLimit: 1, RateLimitWindow: time.Second})
	t.Setenv("HOME", t.TempDir())
	rec := &statusRecorder{}
	_, c, err := okta.NewClient(context.Background(), okta.WithOrgUrl(srv.URL), okta.WithToken(srv.Token),
		okta.WithCache(false), okta.WithTestingDisableHttpsCheck(true),
		okta.WithHttpClientPtr(&http.Client{Transport: rec, Timeout: 10 * time.Second}),
		okta.WithRequestTimeout(20), okta.WithRateLimitMaxRetries(3), okta.WithRateLimitMaxBackOff(5))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	saw429 := func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		for _, s := range rec.statuses {
			if s == http.StatusTooManyRequests {
				return true
			}
		}
		return false
	}
	// With one request a second allowed, the second of two quick creates
	// is answered 429; the SDK waits for X-Rate-Limit-Reset and retries.
	for i := 0; i < 4 && !saw429(); i++ {
		must[*okta.Group](t)(c.Group.CreateGroup(ctx, newGroup(fmt.Sprintf("rl-%d", i))))
	}
	if !saw429() {
		t.Fatalf("no 429 seen; statuses %v", rec.statuses)
	}
	if !strings.Contains(strings.Join(rec.retries, ","), "1") {
		t.Fatalf("the SDK did not retry: X-Okta-Retry-Count %q", rec.retries)
	}

	// The 429 itself is Okta's: E0000047 with the headers the SDK needs.
	var resp *http.Response
	var m map[string]any
	for range 3 {
		if resp, m = doRaw(t, "GET", srv.URL+"/api/v1/users/me", srv.Token, ""); resp.StatusCode == 429 {
			break
		}
	}
	if resp.StatusCode != 429 || m["errorCode"] != "E0000047" || resp.Header.Get("X-Rate-Limit-Remaining") != "0" {
		t.Fatalf("status %d, body %v, remaining %q", resp.StatusCode, m, resp.Header.Get("X-Rate-Limit-Remaining"))
	}
	if wait, err := okta.Get429BackoffTime(resp); err != nil || wait < 1 || wait > 3 {
		t.Fatalf("SDK backoff = %d, %v; want 1..3 s", wait, err)
	}
}

func TestFaults(t *testing.T) {
	tests := []struct {
		kind        string
		wantStatus  int // 0: the connection is closed
		wantCode    string
		wantApplied bool
	}{
		{"429", 429, "E0000047", false},
		{"500", 500, "E0000009", false},
		{"close", 0, "", false},
		{"close-after", 0, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.kind, func(t *testing.T) {
			statePath := filepath.Join(t.TempDir(), "org.json")
			faulty := devorgtest.Start(t, devorg.Options{StatePath: statePath, Faults: devorg.FaultOptions{Rate: 1, Kinds: []string{tt.kind}}})
			req, _ := http.NewRequest("POST", faulty.URL+"/api/v1/groups", strings.NewReader(`{"profile":{"name":"maybe"}}`))
			req.Header.Set("Authorization", "SSWS "+faulty.Token)
			resp, err := http.DefaultClient.Do(req)
			switch {
			case tt.wantStatus == 0 && err == nil:
				resp.Body.Close()
				t.Fatalf("got status %d, want the connection closed", resp.StatusCode)
			case tt.wantStatus != 0 && err != nil:
				t.Fatal(err)
			case tt.wantStatus != 0:
				var m map[string]any
				_ = json.NewDecoder(resp.Body).Decode(&m)
				resp.Body.Close()
				if resp.StatusCode != tt.wantStatus || m["errorCode"] != tt.wantCode {
					t.Fatalf("status %d %v, want %d %s", resp.StatusCode, m["errorCode"], tt.wantStatus, tt.wantCode)
				}
				for _, h := range []string{"X-Okta-Request-Id", "X-Rate-Limit-Limit", "X-Rate-Limit-Remaining", "X-Rate-Limit-Reset"} {
					if resp.Header.Get(h) == "" {
						t.Fatalf("an injected %s answer lacks %s", tt.kind, h)
					}
				}
			}
			// A second org on the same state file tells whether the create
			// happened.
			clean := devorgtest.Start(t, devorg.Options{StatePath: statePath})
			c := newSDK(t, clean.URL, clean.Token)
			gs := must[[]*okta.Group](t)(c.Group.ListGroups(context.Background(), query.NewQueryParams(query.WithSearch(`profile.name eq "maybe"`))))
			if applied := len(gs) == 1; applied != tt.wantApplied {
				t.Fatalf("create applied = %v, want %v", applied, tt.wantApplied)
			}
		})
	}
}

func TestSeededFaultsAreReproducible(t *testing.T) {
	run := func() []int {
		srv := devorgtest.Start(t, devorg.Options{Faults: devorg.FaultOptions{Rate: 0.5, Seed: 7, Kinds: []string{"429", "500"}}})
		var got []int
		for range 20 {
			resp, _ := doRaw(t, "GET", srv.URL+"/api/v1/users/me", srv.Token, "")
			got = append(got, resp.StatusCode)
		}
		return got
	}
	a, b := run(), run()
	if fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("same seed, different faults:\n%v\n%v", a, b)
	}
	faults := 0
	for _, s := range a {
		if s != 200 {
			faults++
		}
	}
	if faults == 0 || faults == len(a) {
		t.Fatalf("rate 0.5 gave %d faults in %d requests", faults, len(a))
	}
}

func TestStatePersistence(t *testing.T) {
	statePath := filepath.Join(t.TempDir(), "state.json")
	first := devorgtest.Start(t, devorg.Options{StatePath: statePath})
	c := newSDK(t, first.URL, first.Token)
	ctx := context.Background()
	g := must[*okta.Group](t)(c.Group.CreateGroup(ctx, newGroup("kept")))
	u := must[*okta.User](t)(c.User.CreateUser(ctx, newUser("kept@example.com", "Xyzzy-Plugh-42"), nil))
	mustDo(t)(c.Group.AddUserToGroup(ctx, g.Id, u.Id))
	app := must[okta.App](t)(c.Application.CreateApplication(ctx, newOIDCApp("kept", "service"), nil)).(*okta.OpenIdConnectApplication)
	keys := must[[]*okta.JsonWebKey](t)(c.AuthorizationServer.ListAuthorizationServerKeys(ctx, "default"))

	fi, err := os.Stat(statePath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file mode = %v, want 0600", fi.Mode().Perm())
	}
	// Written through a temporary file renamed over it: nothing else is
	// left in the directory, and the API token is not in the file.
	if entries, _ := os.ReadDir(filepath.Dir(statePath)); len(entries) != 1 {
		t.Fatalf("state directory holds %d entries, want only the state file", len(entries))
	}
	if b, _ := os.ReadFile(statePath); strings.Contains(string(b), first.Token) {
		t.Fatal("the API token was written to the state file")
	}

	second := devorgtest.Start(t, devorg.Options{StatePath: statePath})
	c2 := newSDK(t, second.URL, second.Token)
	if got := must[*okta.Group](t)(c2.Group.GetGroup(ctx, g.Id)); got.Profile.Name != "kept" {
		t.Fatalf("group after restart = %+v", got)
	}
	if m := must[[]*okta.User](t)(c2.Group.ListGroupUsers(ctx, g.Id, nil)); len(m) != 1 || m[0].Id != u.Id {
		t.Fatalf("members after restart = %v", m)
	}
	secrets := must[[]*okta.ClientSecret](t)(c2.Application.ListClientSecretsForApplication(ctx, app.Id))
	if len(secrets) != 1 || secrets[0].ClientSecret != app.Credentials.OauthClient.ClientSecret {
		t.Fatal("client secret not kept across a restart")
	}
	keys2 := must[[]*okta.JsonWebKey](t)(c2.AuthorizationServer.ListAuthorizationServerKeys(ctx, "default"))
	if keys2[0].Kid != keys[0].Kid || keys2[0].N != keys[0].N {
		t.Fatal("signing key changed across a restart")
	}
	everyone := must[[]*okta.Group](t)(c2.Group.ListGroups(ctx, query.NewQueryParams(query.WithQ("Everyone"))))
	if len(everyone) != 1 {
		t.Fatalf("Everyone groups after restart: %d (seeded twice?)", len(everyone))
	}
}

func TestLatencyModelSeesEndpointPatterns(t *testing.T) {
	var mu sync.Mutex
	var seen []string
	model := func(method, pattern string) time.Duration {
		mu.Lock()
		defer mu.Unlock()
		seen = append(seen, method+" "+pattern)
		return 0
	}
	srv := devorgtest.Start(t, devorg.Options{Latency: model})
	for _, p := range []string{"/api/v1/groups/00gsomegroup00000000", "/api/v1/authorizationServers/default/policies/x/rules/y", "/no/such/route"} {
		resp, _ := doRaw(t, "GET", srv.URL+p, srv.Token, "")
		_ = resp
	}
	want := "GET /api/v1/groups/{id}, GET /api/v1/authorizationServers/{id}/policies/{id}/rules/{id}, GET /{unknown}"
	if got := strings.Join(seen, ", "); got != want {
		t.Fatalf("latency model was asked for\n  %s\nwant\n  %s", got, want)
	}
}

func TestStateFileErrors(t *testing.T) {
	dir := t.TempDir()
	notJSON := filepath.Join(dir, "not-json.json")
	if err := os.WriteFile(notJSON, []byte("{"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path string
		wantBad    bool // errors.Is(err, devorg.ErrBadState)
	}{
		{"directory missing", filepath.Join(dir, "no-such-dir", "org.json"), false},
		{"not a saved org", notJSON, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := devorg.New(devorg.Options{APIToken: "00state-token", StatePath: tt.path})
			if err == nil || !strings.Contains(err.Error(), tt.path) {
				t.Fatalf("err = %v, want one naming %s", err, tt.path)
			}
			if got := errors.Is(err, devorg.ErrBadState); got != tt.wantBad {
				t.Fatalf("errors.Is(err, ErrBadState) = %v, want %v", got, tt.wantBad)
			}
			if strings.Contains(err.Error(), "00state-token") {
				t.Fatal("the error shows the API token")
			}
		})
	}
}
