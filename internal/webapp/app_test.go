package webapp

import (
	"crypto/rsa"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/gateway"
	"github.com/apicenter/apicenter/internal/gateway/issuertest"
)

const (
	silverScope = "http://myapp.com/scp/silver"
	goldScope   = "http://myapp.com/scp/gold"
)

// planetsAPI stands for the solar-system API behind the gateway.
func planetsAPI(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		switch r.URL.Path {
		case "/planets":
			_, _ = io.WriteString(w, `[{"name":"Mercury","moons":0},{"name":"Earth","moons":1},{"name":"Neptune","moons":16}]`)
		case "/moons":
			_, _ = io.WriteString(w, `{"moons":[{"name":"Moon","planet":"Earth"},{"name":"Io","planet":"Jupiter"},{"name":"Ganymede","planet":"Jupiter"}]}`)
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

type harness struct {
	appURL string
	app    *App
	// passwords, by username, for a provider with a sign-in form (the
	// local org); nil for the fixture provider, which signs in the
	// login_hint user at once.
	passwords map[string]string
}

// newHarness starts the fixture provider, a real gateway (jwt mode, with
// audience gwAudience) in front of planetsAPI, and the app.
func newHarness(t *testing.T, gwAudience string) *harness {
	t.Helper()
	return newHarnessFor(t, newAuthServer(t), gwAudience)
}

func newHarnessFor(t *testing.T, as *authServer, gwAudience string) *harness {
	t.Helper()
	g, err := gateway.New(gateway.Config{
		Upstream: planetsAPI(t), Mode: gateway.ModeJWT, Issuer: as.issuer(), Audience: gwAudience,
		Routes: gateway.MulesoftRoutes(silverScope, goldScope),
	})
	if err != nil {
		t.Fatal(err)
	}
	gw := httptest.NewServer(g)
	t.Cleanup(gw.Close)
	return newHarnessWithGateway(t, as, gw.URL)
}

func newHarnessWithGateway(t *testing.T, as *authServer, gatewayURL string) *harness {
	t.Helper()
	return newHarnessWithEnv(t, as, gatewayURL, nil)
}

// newHarnessWithEnv is newHarnessWithGateway with some of the app's
// settings changed.
func newHarnessWithEnv(t *testing.T, as *authServer, gatewayURL string, change map[string]string) *harness {
	t.Helper()
	h := &harness{}
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	h.appURL = srv.URL
	env := map[string]string{
		"ISSUER": as.issuer(), "CLIENT_ID": as.clientID, "CLIENT_SECRET": as.secret,
		"REDIRECT_URI": srv.URL + "/authorization-code/callback", "GATEWAY_URI": gatewayURL, "GATEWAY": "mulesoft",
		"SILVER_SCOPE": silverScope, "GOLD_SCOPE": goldScope,
		"SILVER_USERNAME": "silver@example.com", "GOLD_USERNAME": "gold@example.com",
		"SILVER_PASSWORD": "Never-Shown-1", "GOLD_PASSWORD": "Never-Shown-2",
	}
	for k, v := range change {
		env[k] = v
	}
	cfg, err := ConfigFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
	if err != nil {
		t.Fatal(err)
	}
	h.app, err = New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	handler = h.app
	return h
}

// browser is a cookie-keeping client that does not follow redirects, so
// tests can step through the flow.
func browser(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	return &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values) (*http.Response, string) {
	t.Helper()
	var resp *http.Response
	var err error
	if method == http.MethodPost {
		resp, err = c.PostForm(u, form)
	} else {
		resp, err = c.Get(u)
	}
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

// startSignIn presses a sign-in button and returns the authorize URL.
func (h *harness) startSignIn(t *testing.T, c *http.Client, as string) *url.URL {
	t.Helper()
	resp, body := do(t, c, http.MethodPost, h.appURL+"/signin", url.Values{"as": {as}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign-in: %s %s", resp.Status, body)
	}
	u, err := url.Parse(resp.Header.Get("Location"))
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// authorize visits the authorize URL and returns the callback URL the
// provider redirects to.
func (h *harness) authorize(t *testing.T, c *http.Client, u *url.URL) string {
	t.Helper()
	var resp *http.Response
	var body string
	if h.passwords == nil {
		resp, body = do(t, c, http.MethodGet, u.String(), nil)
	} else {
		// The sign-in form posts the authorize parameters back with the
		// credentials.
		form := u.Query()
		user := form.Get("login_hint")
		form.Set("username", user)
		form.Set("password", h.passwords[user])
		target := *u
		target.RawQuery = ""
		resp, body = do(t, c, http.MethodPost, target.String(), form)
	}
	if resp.StatusCode != http.StatusFound {
		t.Fatalf("authorize: %s %s", resp.Status, body)
	}
	return resp.Header.Get("Location")
}

func (h *harness) signIn(t *testing.T, c *http.Client, as string) {
	t.Helper()
	cb := h.authorize(t, c, h.startSignIn(t, c, as))
	resp, body := do(t, c, http.MethodGet, cb, nil)
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %s %s", resp.Status, body)
	}
}

func TestPagesForEachUser(t *testing.T) {
	h := newHarness(t, "api://test")
	tests := []struct {
		name       string
		as         string // "" for not signed in
		show       string
		wantStatus int // 0 for 200
		want       []string
		wantAbsent []string
	}{
		{name: "no token yet", show: "planets", want: []string{"You need an access token: sign in first."}, wantAbsent: []string{"Mercury"}},
		{name: "silver sees the planets", as: "silver", show: "planets", want: []string{"Mercury", "Earth", "Signed in as the <strong>silver</strong> user"}},
		{name: "silver is refused the moons", as: "silver", show: "moons", want: []string{
			"403 insufficient_scope", "it needs the scope " + goldScope, "Your access token has the scopes: openid, " + silverScope + ".",
			"Sign in as the gold user"}, wantAbsent: []string{"Jupiter"}},
		{name: "gold sees the planets", as: "gold", show: "planets", want: []string{"Mercury"}},
		{name: "gold sees the moons", as: "gold", show: "moons", want: []string{"Io", "Jupiter"}},
		{name: "nothing by that name", as: "gold", show: "comets", wantStatus: http.StatusNotFound,
			want: []string{"There is nothing called &#34;comets&#34; to show.", "the planets, the moons and the asteroids"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := browser(t)
			if tt.as != "" {
				h.signIn(t, c, tt.as)
			}
			resp, body := do(t, c, http.MethodGet, h.appURL+"/show/"+tt.show, nil)
			if want := max(tt.wantStatus, http.StatusOK); resp.StatusCode != want {
				t.Fatalf("status %s, want %d", resp.Status, want)
			}
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q:\n%s", w, body)
				}
			}
			for _, w := range append(tt.wantAbsent, "Never-Shown") {
				if strings.Contains(body, w) {
					t.Errorf("page shows %q", w)
				}
			}
		})
	}
}

func TestHomeShowsClaimsNotTokens(t *testing.T) {
	h := newHarness(t, "api://test")
	c := browser(t)
	h.signIn(t, c, "gold")
	_, body := do(t, c, http.MethodGet, h.appURL+"/", nil)
	for _, w := range []string{"Signed in as the gold user.", "ID token claims", "Access token claims", "nonce", `<th>scp</th>`, goldScope, "gold@example.com"} {
		if !strings.Contains(body, w) {
			t.Errorf("home lacks %q", w)
		}
	}
}

// TestNoPageShowsASecret walks every page a signed-in user can reach and
// looks for the raw access token, the client secret, the session secret,
// the session cookie and the users' passwords.
func TestNoPageShowsASecret(t *testing.T) {
	h := newHarness(t, "api://test")
	c := browser(t)
	h.signIn(t, c, "silver")
	secrets := []string{h.app.cfg.ClientSecret, "Never-Shown"}
	h.app.sessions.with(func() {
		for _, s := range h.app.sessions.sessions {
			secrets = append(secrets, s.accessToken, s.id)
		}
	})
	secrets = append(secrets, string(h.app.sessions.secret))
	pages := []struct{ method, path string }{
		{http.MethodGet, "/"},
		{http.MethodGet, "/show/planets"},
		{http.MethodGet, "/show/moons"}, // refused: the scopes explained
		{http.MethodGet, "/show/asteroids"},
		{http.MethodGet, "/show/comets"},
		{http.MethodPost, "/signin?as=nobody"},
		{http.MethodGet, "/authorization-code/callback?state=forged&code=x"},
		{http.MethodGet, "/authorization-code/callback?error=access_denied"},
		{http.MethodPost, "/signout"},
	}
	for _, p := range pages {
		_, body := do(t, c, p.method, h.appURL+p.path, nil)
		for _, s := range secrets {
			if s != "" && strings.Contains(body, s) {
				t.Errorf("%s %s shows a secret (%.6s...)", p.method, p.path, s)
			}
		}
	}
}

func TestSignOutForgetsTokens(t *testing.T) {
	h := newHarness(t, "api://test")
	c := browser(t)
	h.signIn(t, c, "silver")
	_, body := do(t, c, http.MethodPost, h.appURL+"/signout", nil)
	if !strings.Contains(body, "You are signed out.") {
		t.Fatalf("sign-out page: %s", body)
	}
	_, body = do(t, c, http.MethodGet, h.appURL+"/show/planets", nil)
	if !strings.Contains(body, "You need an access token: sign in first.") {
		t.Errorf("after sign-out the planets page says:\n%s", body)
	}
}

func TestCallbackRejects(t *testing.T) {
	t.Run("fixture provider", func(t *testing.T) { testCallbackRejects(t, newHarness(t, "api://test")) })
	t.Run("local org", func(t *testing.T) {
		st := startLocalStack(t)
		s := st.org.App
		testCallbackRejects(t, &harness{appURL: st.appURL, app: st.app, passwords: map[string]string{
			s["SILVER_USERNAME"]: s["SILVER_PASSWORD"], s["GOLD_USERNAME"]: s["GOLD_PASSWORD"]}})
	})
}

func testCallbackRejects(t *testing.T, h *harness) {
	tests := []struct {
		name string
		// callback returns the callback URL to deliver, after whatever
		// the attack needs.
		callback func(t *testing.T, c *http.Client) string
		want     string
		// signedIn: the attack needed a good sign-in first, which stands.
		signedIn bool
	}{
		{name: "wrong state", callback: func(t *testing.T, c *http.Client) string {
			cb, _ := url.Parse(h.authorize(t, c, h.startSignIn(t, c, "silver")))
			q := cb.Query()
			q.Set("state", "forged-state")
			cb.RawQuery = q.Encode()
			return cb.String()
		}, want: "Sign-in rejected: the state does not match a sign-in started in this browser."},
		{name: "replayed callback", callback: func(t *testing.T, c *http.Client) string {
			cb := h.authorize(t, c, h.startSignIn(t, c, "silver"))
			if resp, body := do(t, c, http.MethodGet, cb, nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("first callback: %s %s", resp.Status, body)
			}
			return cb
		}, want: "Sign-in rejected: the state does not match a sign-in started in this browser.", signedIn: true},
		{name: "replayed code under a fresh state", callback: func(t *testing.T, c *http.Client) string {
			first, _ := url.Parse(h.authorize(t, c, h.startSignIn(t, c, "silver")))
			if resp, body := do(t, c, http.MethodGet, first.String(), nil); resp.StatusCode != http.StatusSeeOther {
				t.Fatalf("first callback: %s %s", resp.Status, body)
			}
			second := h.startSignIn(t, c, "silver")
			q := first.Query()
			q.Set("state", second.Query().Get("state"))
			first.RawQuery = q.Encode()
			return first.String()
		}, want: "The authorization server refused the authorization code.", signedIn: true},
		{name: "ID token with another sign-in's nonce", callback: func(t *testing.T, c *http.Client) string {
			mine := h.startSignIn(t, c, "silver")
			other := h.startSignIn(t, c, "silver")
			// The attacker's authorize request: this sign-in's state and
			// PKCE challenge, the other sign-in's nonce.
			q := mine.Query()
			q.Set("nonce", other.Query().Get("nonce"))
			mine.RawQuery = q.Encode()
			return h.authorize(t, c, mine)
		}, want: "Sign-in rejected: the ID token&#39;s nonce does not match this sign-in."},
		{name: "error sent to the redirect", callback: func(t *testing.T, c *http.Client) string {
			u := h.startSignIn(t, c, "gold")
			return h.appURL + "/authorization-code/callback?" + url.Values{
				"state": {u.Query().Get("state")}, "error": {"access_denied"},
				"error_description": {"Policy evaluation failed for this request, please check the policy configurations."},
			}.Encode()
		}, want: "The authorization server refused the sign-in: access_denied"},
		{name: "no session at all", callback: func(t *testing.T, c *http.Client) string {
			return h.appURL + "/authorization-code/callback?code=x&state=y"
		}, want: "This sign-in response does not belong to a sign-in started in this browser."},
		{name: "error sent to the redirect of a browser with no session", callback: func(t *testing.T, c *http.Client) string {
			return h.appURL + "/authorization-code/callback?" + url.Values{
				"state": {"y"}, "error": {"consent_required"}, "error_description": {"The user must consent."},
			}.Encode()
		}, want: "The authorization server refused the sign-in: consent_required"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := browser(t)
			cb := tt.callback(t, c)
			resp, body := do(t, c, http.MethodGet, cb, nil)
			if resp.StatusCode != http.StatusBadRequest {
				t.Errorf("status = %s, want 400", resp.Status)
			}
			if !strings.Contains(body, tt.want) {
				t.Errorf("page lacks %q:\n%s", tt.want, body)
			}
			if tt.signedIn {
				return
			}
			if strings.Contains(body, "Signed in as the") {
				t.Error("the rejected callback signed the user in")
			}
			_, body = do(t, c, http.MethodGet, h.appURL+"/show/planets", nil)
			if !strings.Contains(body, "You need an access token: sign in first.") {
				t.Error("after a rejected callback the app holds a token")
			}
		})
	}
}

// TestCallbackRejectsABadIDToken: the app verifies the ID token (go-oidc)
// before it keeps any token: signature, issuer, audience and expiry.
func TestCallbackRejectsABadIDToken(t *testing.T) {
	tests := []struct {
		name   string
		forge  func(t *testing.T, as *authServer, claims map[string]any) *rsa.PrivateKey
		detail string
	}{
		{name: "signed by another key", forge: func(t *testing.T, _ *authServer, _ map[string]any) *rsa.PrivateKey {
			return issuertest.NewKey(t)
		}, detail: "signature"},
		{name: "for another client", forge: func(t *testing.T, _ *authServer, c map[string]any) *rsa.PrivateKey {
			c["aud"] = "0oaanother"
			return nil
		}, detail: "audience"},
		{name: "from another issuer", forge: func(t *testing.T, _ *authServer, c map[string]any) *rsa.PrivateKey {
			c["iss"] = "https://evil.example.com/oauth2/default"
			return nil
		}, detail: "issued by a different provider"},
		{name: "expired", forge: func(t *testing.T, _ *authServer, c map[string]any) *rsa.PrivateKey {
			c["iat"] = time.Now().Add(-2 * time.Hour).Unix()
			c["exp"] = time.Now().Add(-time.Hour).Unix()
			return nil
		}, detail: "expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			as := newAuthServer(t)
			h := newHarnessFor(t, as, "api://test")
			as.badIDToken = func(c map[string]any) *rsa.PrivateKey { return tt.forge(t, as, c) }
			c := browser(t)
			cb := h.authorize(t, c, h.startSignIn(t, c, "silver"))
			resp, body := do(t, c, http.MethodGet, cb, nil)
			if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "Sign-in rejected: the ID token is not valid.") {
				t.Fatalf("%s, page:\n%s", resp.Status, body)
			}
			if !strings.Contains(body, tt.detail) {
				t.Errorf("the page does not say what is wrong (%q):\n%s", tt.detail, body)
			}
			_, body = do(t, c, http.MethodGet, h.appURL+"/show/planets", nil)
			if !strings.Contains(body, "You need an access token: sign in first.") {
				t.Error("after a bad ID token the app holds an access token")
			}
		})
	}
}

func TestGatewayTroubleExplained(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closedURL := closed.URL
	closed.Close()
	tests := []struct {
		name string
		h    func(t *testing.T) *harness
		want []string
	}{
		{name: "gateway unreachable", h: func(t *testing.T) *harness {
			return newHarnessWithGateway(t, newAuthServer(t), closedURL)
		}, want: []string{"The gateway is unreachable.", "GET " + closedURL + "/planets failed", "Is the gateway running?"}},
		{name: "gateway refuses the token (401)", h: func(t *testing.T) *harness {
			return newHarness(t, "api://another-audience")
		}, want: []string{"The gateway (mulesoft) refused your access token for GET /planets (401 invalid_token).", "audience", "Sign in again"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := tt.h(t)
			c := browser(t)
			h.signIn(t, c, "silver")
			_, body := do(t, c, http.MethodGet, h.appURL+"/show/planets", nil)
			for _, w := range tt.want {
				if !strings.Contains(body, w) {
					t.Errorf("page lacks %q:\n%s", w, body)
				}
			}
		})
	}
}

func TestSessionCookieAttributes(t *testing.T) {
	h := newHarness(t, "api://test")
	resp, _ := do(t, browser(t), http.MethodPost, h.appURL+"/signin", url.Values{"as": {"silver"}})
	var ck *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == sessionCookieName {
			ck = c
		}
	}
	if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Secure {
		t.Fatalf("session cookie = %+v, want HttpOnly, SameSite=Lax, not Secure on http", ck)
	}

	// The same app served over https (its redirect URI says so).
	cfg := h.app.cfg
	cfg.RedirectURI = "https://app.example.com/authorization-code/callback"
	app, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodPost, "https://app.example.com/signin", strings.NewReader("as=silver"))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	app.ServeHTTP(rec, req)
	cks := rec.Result().Cookies()
	if rec.Code != http.StatusSeeOther || len(cks) != 1 || !cks[0].Secure || !cks[0].HttpOnly || cks[0].SameSite != http.SameSiteLaxMode {
		t.Errorf("over https: %d, cookies %+v, want one session cookie, Secure, HttpOnly, SameSite=Lax", rec.Code, cks)
	}
}

// TestCallbackPathIsTakenAsIs: a REDIRECT_URI path that is no valid
// ServeMux pattern still works (it used to panic in New).
func TestCallbackPathIsTakenAsIs(t *testing.T) {
	as := newAuthServer(t)
	var handler http.Handler
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { handler.ServeHTTP(w, r) }))
	t.Cleanup(srv.Close)
	cfg := Config{Issuer: as.issuer(), ClientID: as.clientID, ClientSecret: as.secret, GatewayURI: "http://127.0.0.1:1",
		RedirectURI: srv.URL + "/cb/{state} here", SilverScope: silverScope, GoldScope: goldScope}
	app, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	handler = app
	h := &harness{appURL: srv.URL, app: app}
	c := browser(t)
	cb := h.authorize(t, c, h.startSignIn(t, c, "silver"))
	if resp, body := do(t, c, http.MethodGet, cb, nil); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("callback: %s %s", resp.Status, body)
	}
	if _, body := do(t, c, http.MethodGet, srv.URL+"/", nil); !strings.Contains(body, "Signed in as the silver user.") {
		t.Errorf("not signed in:\n%s", body)
	}
}

func TestConfigFromEnv(t *testing.T) {
	full := map[string]string{
		"ISSUER": "http://127.0.0.1:1/oauth2/aus1", "CLIENT_ID": "0oa1", "CLIENT_SECRET": "s",
		"REDIRECT_URI": "http://127.0.0.1:8080/authorization-code/callback", "GATEWAY_URI": "http://127.0.0.1:8081",
		"SILVER_SCOPE": silverScope, "GOLD_SCOPE": goldScope,
	}
	tests := []struct {
		name    string
		drop    string
		set     map[string]string
		wantErr string
	}{
		{name: "complete"},
		{name: "no client id", drop: "CLIENT_ID", wantErr: "setting CLIENT_ID is missing"},
		{name: "gateway not a URL", set: map[string]string{"GATEWAY_URI": "gateway"}, wantErr: "setting GATEWAY_URI"},
		{name: "redirect URI without a callback path", set: map[string]string{"REDIRECT_URI": "http://127.0.0.1:8080/"}, wantErr: `setting REDIRECT_URI: "http://127.0.0.1:8080/" has no callback path`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := map[string]string{}
			for k, v := range full {
				if k != tt.drop {
					env[k] = v
				}
			}
			for k, v := range tt.set {
				env[k] = v
			}
			c, err := ConfigFromEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok })
			if tt.wantErr == "" {
				if err != nil || c.ClientID != "0oa1" || c.GoldScope != goldScope {
					t.Fatalf("config %+v, err %v", c, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestRefusalOfAnOpaqueToken: with an access token the app cannot decode,
// a 403 says so and passes on the gateway's description, rather than
// claiming the token has no scopes.
func TestRefusalOfAnOpaqueToken(t *testing.T) {
	a := &App{cfg: Config{GoldScope: goldScope}}
	resp := &http.Response{StatusCode: http.StatusForbidden, Header: http.Header{"Www-Authenticate": {
		`Bearer realm="apicenter", error="insufficient_scope", error_description="GET /moons needs the scope ` + goldScope + `; the token has: openid", scope="` + goldScope + `"`}}}
	tests := []struct {
		name   string
		have   []string
		opaque bool
		want   string
	}{
		{name: "decoded", have: []string{"openid", silverScope}, want: "Your access token has the scopes: openid, " + silverScope + "."},
		{name: "opaque", opaque: true, want: "Your access token is opaque: the app cannot read its scopes. The gateway says: GET /moons needs the scope " + goldScope + "; the token has: openid."},
		{name: "decoded, no scopes", want: "Your access token has the scopes: none."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := a.explainRefusal(resp, nil, "/moons", tt.have, tt.opaque)
			if n.Detail != tt.want {
				t.Errorf("detail = %q, want %q", n.Detail, tt.want)
			}
			if !strings.Contains(n.Title, "it needs the scope "+goldScope) || n.Hint == "" {
				t.Errorf("title %q, hint %q", n.Title, n.Hint)
			}
		})
	}
}

func TestParseChallenge(t *testing.T) {
	got := parseChallenge(`Bearer realm="apicenter", error="insufficient_scope", error_description="GET /moons needs it, really", scope="a b"`)
	want := map[string]string{"realm": "apicenter", "error": "insufficient_scope", "error_description": "GET /moons needs it, really", "scope": "a b"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func TestLoopbackHostIsCanonical(t *testing.T) {
	h := newHarness(t, "api://test")
	u, _ := url.Parse(h.appURL)
	_, port, _ := strings.Cut(u.Host, ":")
	resp, _ := do(t, browser(t), http.MethodGet, "http://localhost:"+port+"/show/planets?x=1", nil)
	if resp.StatusCode != http.StatusTemporaryRedirect || resp.Header.Get("Location") != h.appURL+"/show/planets?x=1" {
		t.Fatalf("GET on localhost: %s Location %q, want 307 to %s", resp.Status, resp.Header.Get("Location"), h.appURL+"/show/planets?x=1")
	}
}

func TestAuthServerUnreachableExplained(t *testing.T) {
	as := newAuthServer(t)
	h := newHarnessFor(t, as, "api://test")
	as.srv.Close()
	resp, body := do(t, browser(t), http.MethodPost, h.appURL+"/signin", url.Values{"as": {"silver"}})
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "The authorization server is unreachable.") ||
		!strings.Contains(body, "/.well-known/openid-configuration") {
		t.Fatalf("%s:\n%s", resp.Status, body)
	}
}

// TestWrongIssuerExplained: an issuer that answers, but not as an OpenID
// issuer (404 on its discovery), is a wrong ISSUER, not an unreachable
// authorization server.
func TestWrongIssuerExplained(t *testing.T) {
	as := newAuthServer(t)
	h := newHarnessWithEnv(t, as, "http://127.0.0.1:1", map[string]string{"ISSUER": as.issuer() + "/nothing-here"})
	resp, body := do(t, browser(t), http.MethodPost, h.appURL+"/signin", url.Values{"as": {"silver"}})
	if resp.StatusCode != http.StatusBadGateway || !strings.Contains(body, "is not an OpenID issuer: check ISSUER") ||
		!strings.Contains(body, "404 Not Found") || strings.Contains(body, "unreachable") {
		t.Fatalf("%s:\n%s", resp.Status, body)
	}
}

func TestTableOfKeepsTheAPIsFieldOrder(t *testing.T) {
	tests := []struct {
		name     string
		body     string
		wantCols []string
		wantRows int
		wantRaw  bool
	}{
		{name: "list", body: `[{"name":"Io","planet":"Jupiter","radius":1821.6},{"name":"Moon","planet":"Earth","extra":1}]`, wantCols: []string{"name", "planet", "radius", "extra"}, wantRows: 2},
		{name: "object holding a list", body: `{"count":1,"planets":[{"name":"Earth","type":"terrestrial","moons":1,"tags":["blue"]}]}`, wantCols: []string{"name", "type", "moons"}, wantRows: 1},
		{name: "not a list", body: `{"hello":"world"}`, wantRaw: true},
		{name: "not JSON", body: `<html>`, wantRaw: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tableOf([]byte(tt.body))
			if tt.wantRaw {
				if got.Raw == "" || got.Columns != nil {
					t.Fatalf("got %+v, want raw", got)
				}
				return
			}
			if strings.Join(got.Columns, ",") != strings.Join(tt.wantCols, ",") || len(got.Rows) != tt.wantRows {
				t.Fatalf("got %+v, want columns %v and %d rows", got, tt.wantCols, tt.wantRows)
			}
		})
	}
}

// TestRefusalsInTheGatewaysTerms: each gateway product's answer is read in
// its own shape, passed on, and explained with the scope the endpoint needs.
func TestRefusalsInTheGatewaysTerms(t *testing.T) {
	a := &App{cfg: Config{SilverScope: silverScope, GoldScope: goldScope, Gateway: "gw"}}
	silverHas := []string{"openid", silverScope}
	tests := []struct {
		name       string
		status     int
		header     string
		body       string
		path       string
		have       []string
		wantTitle  string
		wantDetail string
	}{
		{name: "aws 403", status: 403, body: `{"message":"Forbidden"}`, path: "/moons", have: silverHas,
			wantTitle:  "The gateway (gw) refused GET /moons (403 forbidden): it needs the scope " + goldScope + ".",
			wantDetail: "The gateway answered: Forbidden."},
		{name: "aws 401", status: 401, header: `Bearer scope="" error="invalid_token" error_description="the token has expired"`, body: `{"message":"Unauthorized"}`, path: "/planets", have: silverHas,
			wantTitle: "The gateway (gw) refused your access token for GET /planets (401 invalid_token).", wantDetail: "invalid_token: the token has expired"},
		{name: "tyk bad signature is not a scope refusal", status: 403, body: `{"error":"Key not authorized"}`, path: "/planets", have: silverHas,
			wantTitle: "The gateway (gw) refused your access token for GET /planets (403 forbidden).", wantDetail: "Key not authorized"},
		{name: "tyk path refused", status: 403, body: `{"error":"Access to this resource has been disallowed"}`, path: "/moons", have: silverHas,
			wantTitle: "it needs the scope " + goldScope, wantDetail: "The gateway answered: Access to this resource has been disallowed."},
		{name: "apigee fault", status: 401, body: `{"fault":{"faultstring":"The Token has expired","detail":{"errorcode":"steps.jwt.TokenExpired"}}}`, path: "/planets", have: silverHas,
			wantTitle: "(401 steps.jwt.TokenExpired)", wantDetail: "steps.jwt.TokenExpired: The Token has expired"},
		{name: "mulesoft 400 text", status: 400, body: "Invalid token\n", path: "/planets", have: silverHas,
			wantTitle: "refused your access token for GET /planets (400 bad request)", wantDetail: "Invalid token"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := &http.Response{StatusCode: tt.status, Status: fmt.Sprintf("%d %s", tt.status, http.StatusText(tt.status)), Header: http.Header{}}
			if tt.header != "" {
				resp.Header.Set("WWW-Authenticate", tt.header)
			}
			n := a.explainRefusal(resp, []byte(tt.body), tt.path, tt.have, false)
			if !strings.Contains(n.Title, tt.wantTitle) || !strings.Contains(n.Detail, tt.wantDetail) {
				t.Errorf("title %q\ndetail %q\nwant %q and %q", n.Title, n.Detail, tt.wantTitle, tt.wantDetail)
			}
		})
	}
}
