package devorg

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

const (
	testAPIToken = "00oauth-test-token-0123456789abcdefghijklmn"
	testPassword = "Sup3r-secret-pw"
)

// testClock is a settable clock for code and token expiry.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testUser is a user of the fixture.
type testUser struct{ id, login string }

// oauthFixture is an org on 127.0.0.1 holding a custom authorization server
// ("apicenter": scopes silver and gold, a policy for the fixture's clients
// with a gold, a silver and a service rule), a default server with a
// catch-all policy, groups Silver and Gold, users in each and one in
// neither, and three apps: a service (client credentials), a web app
// (authorization code + refresh) and a browser app (PKCE, no secret).
type oauthFixture struct {
	org   *Org
	clock *testClock
	url   string

	asID, issuer, defaultIssuer string

	svcID, svcSecret   string
	webID, webSecret   string
	spaID              string
	otherID, otherSecr string // a service app no policy of asID names

	silver, gold, outsider testUser
	silverGroup, goldGroup string

	// redirectURI is served by a loopback server that answers the query
	// (or posted form) it received as its body.
	redirectURI, logoutURI string
}

func newOAuthFixture(t testing.TB) *oauthFixture {
	t.Helper()
	clock := &testClock{t: time.Now().UTC()}
	org, err := New(Options{APIToken: testAPIToken, Clock: clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(org.Handler())
	t.Cleanup(srv.Close)
	org.SetBaseURL(srv.URL)

	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		io.WriteString(w, r.Form.Encode())
	}))
	t.Cleanup(cb.Close)

	f := &oauthFixture{org: org, clock: clock, url: srv.URL, redirectURI: cb.URL + "/callback", logoutURI: cb.URL + "/signed-out"}
	err = org.update(func(st *State) error {
		hasEveryone := false
		for _, g := range st.Groups {
			hasEveryone = hasEveryone || g.Type == "BUILT_IN"
		}
		if !hasEveryone {
			g := &Group{Meta: org.nextMeta(prefixGroup, ""), Type: "BUILT_IN", Name: "Everyone"}
			st.Groups[g.ID] = g
		}
		group := func(name string) string {
			g := &Group{Meta: org.nextMeta(prefixGroup, ""), Type: "OKTA_GROUP", Name: name}
			st.Groups[g.ID] = g
			st.Members[g.ID] = map[string]bool{}
			return g.ID
		}
		f.silverGroup, f.goldGroup = group("Silver"), group("Gold")
		user := func(login, first string, groups ...string) testUser {
			u := &User{Meta: org.nextMeta(prefixUser, "ACTIVE"), PasswordHash: hashPassword(testPassword), Profile: map[string]any{
				"login": login, "email": login, "firstName": first, "lastName": "Tester",
			}}
			st.Users[u.ID] = u
			for _, g := range groups {
				st.Members[g][u.ID] = true
			}
			return testUser{id: u.ID, login: login}
		}
		f.silver = user("silver@example.com", "Sylvia", f.silverGroup)
		f.gold = user("gold@example.com", "Goldie", f.goldGroup)
		f.outsider = user("outsider@example.com", "Otto")

		app := func(typ, auth string, grants []string, groups ...string) (string, string) {
			a := &App{
				Meta: org.nextMeta(prefixApp, "ACTIVE"), Name: "oidc_client", Label: typ, SignOnMode: "OPENID_CONNECT",
				ApplicationType: typ, GrantTypes: grants, TokenEndpointAuthMethod: auth,
				Groups: map[string]*AppGroupAssignment{}, Users: map[string]*Meta{}, PKCERequired: typ == "browser",
			}
			if typ != "service" {
				a.RedirectURIs = []string{f.redirectURI}
				a.PostLogoutRedirectURIs = []string{f.logoutURI}
			}
			secret := ""
			if auth != "none" {
				secret = randomToken(40)
				a.Secrets = []*ClientSecret{{Meta: org.nextMeta(prefixSecret, "ACTIVE"), Secret: secret}}
			}
			for _, g := range groups {
				a.Groups[g] = &AppGroupAssignment{Meta: Meta{ID: g}}
			}
			st.Apps[a.ID] = a
			return a.ID, secret
		}
		f.svcID, f.svcSecret = app("service", "client_secret_basic", []string{"client_credentials"})
		f.webID, f.webSecret = app("web", "client_secret_basic", []string{"authorization_code", "refresh_token"}, f.silverGroup, f.goldGroup)
		f.spaID, _ = app("browser", "none", []string{"authorization_code"}, f.silverGroup, f.goldGroup)
		f.otherID, f.otherSecr = app("service", "client_secret_post", []string{"client_credentials"})

		server := func(name string, isDefault bool, audience string, custom ...string) *AuthServer {
			as := &AuthServer{Meta: org.nextMeta(prefixAuthServer, "ACTIVE"), Name: name, Audiences: []string{audience},
				Default: isDefault, IssuerMode: "ORG_URL", Scopes: map[string]*Scope{}, Policies: map[string]*Policy{}}
			for _, s := range []string{"openid", "profile", "email", "address", "phone", "offline_access", "device_sso"} {
				sc := &Scope{Meta: org.nextMeta(prefixScope, ""), Name: s, System: true, Consent: "IMPLICIT", MetadataPublish: "ALL_CLIENTS"}
				as.Scopes[sc.ID] = sc
			}
			for _, s := range custom {
				sc := &Scope{Meta: org.nextMeta(prefixScope, ""), Name: s, Consent: "IMPLICIT", MetadataPublish: "ALL_CLIENTS"}
				as.Scopes[sc.ID] = sc
			}
			st.AuthServers[as.ID] = as
			return as
		}
		policy := func(as *AuthServer, prio int, clients ...string) *Policy {
			p := &Policy{Meta: org.nextMeta(prefixPolicy, "ACTIVE"), Name: fmt.Sprintf("policy %d", prio), Priority: prio, Clients: clients, Rules: map[string]*Rule{}}
			as.Policies[p.ID] = p
			return p
		}
		rule := func(p *Policy, r Rule) {
			r.Meta = org.nextMeta(prefixRule, "ACTIVE")
			p.Rules[r.ID] = &r
		}
		as := server("apicenter", false, "api://apicenter", "silver", "gold")
		f.asID = as.ID
		p := policy(as, 1, f.svcID, f.webID, f.spaID)
		// An inactive rule that would grant everything must be skipped.
		rule(p, Rule{Name: "inactive", Priority: 1, GrantTypes: []string{"authorization_code", "client_credentials"}, Groups: []string{"EVERYONE"}, Scopes: []string{"*"}})
		for _, r := range p.Rules {
			r.Status = "INACTIVE"
		}
		rule(p, Rule{Name: "gold", Priority: 2, GrantTypes: []string{"authorization_code"}, Groups: []string{f.goldGroup},
			Scopes: []string{"openid", "profile", "email", "offline_access", "silver", "gold"}})
		rule(p, Rule{Name: "silver", Priority: 3, GrantTypes: []string{"authorization_code"}, Groups: []string{f.silverGroup},
			Scopes: []string{"openid", "profile", "email", "offline_access", "silver"}, AccessTokenLifetimeMinutes: 30})
		rule(p, Rule{Name: "service", Priority: 4, GrantTypes: []string{"client_credentials"}, Scopes: []string{"silver", "gold"}, AccessTokenLifetimeMinutes: 15})

		// The org's seed may already hold the default server with its
		// catch-all policy; otherwise make one like it.
		var def *AuthServer
		for _, as := range st.AuthServers {
			if as.Default {
				def = as
			}
		}
		if def == nil {
			def = server("default", true, "api://default")
			rule(policy(def, 1, "ALL_CLIENTS"), Rule{Name: "Default Policy Rule", Priority: 1,
				GrantTypes: []string{"authorization_code", "client_credentials"}, Groups: []string{"EVERYONE"}, Scopes: []string{"*"}})
		}
		api := &Scope{Meta: org.nextMeta(prefixScope, ""), Name: "api", Consent: "IMPLICIT", MetadataPublish: "ALL_CLIENTS", Default: true}
		def.Scopes[api.ID] = api
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	f.issuer = srv.URL + "/oauth2/" + f.asID
	f.defaultIssuer = srv.URL + "/oauth2/default"
	return f
}

// browser is an HTTP client with a cookie jar, as a user agent.
func browser(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{Jar: jar, Timeout: 10 * time.Second}
}

var (
	formActionRE  = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	hiddenInputRE = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// parseForm finds the form of an HTML page: its action (resolved against
// base) and hidden fields.
func parseForm(t testing.TB, base *url.URL, page string) (string, url.Values) {
	t.Helper()
	m := formActionRE.FindStringSubmatch(page)
	if m == nil {
		t.Fatalf("no form in page:\n%s", page)
	}
	action, err := base.Parse(html.UnescapeString(m[1]))
	if err != nil {
		t.Fatal(err)
	}
	v := url.Values{}
	for _, h := range hiddenInputRE.FindAllStringSubmatch(page, -1) {
		v.Add(html.UnescapeString(h[1]), html.UnescapeString(h[2]))
	}
	return action.String(), v
}

// get GETs u and returns the final response's body.
func get(t testing.TB, c *http.Client, u string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// signInThroughForm GETs the authorize URL, expects the sign-in page, posts
// username and password, and returns the parameters the redirect URI got.
func signInThroughForm(t testing.TB, c *http.Client, authURL, login, password string) url.Values {
	t.Helper()
	resp, page := get(t, c, authURL)
	if resp.StatusCode != http.StatusOK || !strings.Contains(page, `name="password"`) {
		t.Fatalf("authorize: want the sign-in page, got %d:\n%s", resp.StatusCode, page)
	}
	action, fields := parseForm(t, resp.Request.URL, page)
	fields.Set("username", login)
	fields.Set("password", password)
	resp, err := c.PostForm(action, fields)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	q, err := url.ParseQuery(string(b))
	if err != nil || resp.Request.URL.Path != "/callback" {
		t.Fatalf("after sign-in: landed on %s (%d):\n%s", resp.Request.URL, resp.StatusCode, b)
	}
	return q
}

// sessionToken signs in through /api/v1/authn.
func (f *oauthFixture) sessionToken(t testing.TB, login string) string {
	t.Helper()
	body := fmt.Sprintf(`{"username":%q,"password":%q}`, login, testPassword)
	resp, err := http.Post(f.url+"/api/v1/authn", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct {
		Status       string `json:"status"`
		SessionToken string `json:"sessionToken"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil || resp.StatusCode != 200 || out.Status != "SUCCESS" || out.SessionToken == "" {
		t.Fatalf("authn for %s: %d %+v %v", login, resp.StatusCode, out, err)
	}
	return out.SessionToken
}

// noRedirect is a client that stops at the first redirect.
func noRedirect() *http.Client {
	return &http.Client{Timeout: 10 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func ctxWithClient(t testing.TB, c *http.Client) context.Context {
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	return context.WithValue(ctx, oauth2.HTTPClient, c)
}
