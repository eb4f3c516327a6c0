package devorg

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// webConfig is the OAuth config of the fixture's web app on server issuer.
func (f *oauthFixture) webConfig(t testing.TB, ctx context.Context, issuer string, scopes ...string) (*oidc.Provider, *oauth2.Config) {
	t.Helper()
	p, err := oidc.NewProvider(ctx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	return p, &oauth2.Config{ClientID: f.webID, ClientSecret: f.webSecret, Endpoint: p.Endpoint(), RedirectURL: f.redirectURI, Scopes: scopes}
}

// TestAuthorizationCodeThroughSignInForm runs the whole browser flow: the
// sign-in page (a wrong password first), PKCE, the code exchange, ID-token
// verification, a silent second authorize on the session cookie, userinfo,
// refresh, introspection and revocation, and logout.
func TestAuthorizationCodeThroughSignInForm(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := ctxWithClient(t, &http.Client{Timeout: 10 * time.Second})
	provider, conf := f.webConfig(t, ctx, f.issuer, "openid", "profile", "email", "offline_access", "gold")
	verifier := oauth2.GenerateVerifier()
	authURL := conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nonce-1"))
	c := browser(t)

	// A wrong password shows the page again, with an error, and no code.
	resp, page := get(t, c, authURL)
	action, fields := parseForm(t, resp.Request.URL, page)
	if fields.Get("client_id") != f.webID || fields.Get("code_challenge") == "" {
		t.Fatalf("sign-in form does not carry the authorize request: %v", fields)
	}
	fields.Set("username", f.gold.login)
	fields.Set("password", "wrong-password")
	resp, err := c.PostForm(action, fields)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), "Unable to sign in") || !strings.Contains(string(body), `name="password"`) {
		t.Fatalf("wrong password: %d %s", resp.StatusCode, body)
	}

	q := signInThroughForm(t, c, authURL, f.gold.login, testPassword)
	if q.Get("state") != "state-1" || q.Get("code") == "" {
		t.Fatalf("callback got %v", q)
	}
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	rawID, _ := tok.Extra("id_token").(string)
	idt, err := provider.Verifier(&oidc.Config{ClientID: f.webID}).Verify(ctx, rawID)
	if err != nil {
		t.Fatalf("ID token: %v", err)
	}
	if idt.Nonce != "nonce-1" || idt.Subject != f.gold.id {
		t.Errorf("ID token nonce %q subject %q", idt.Nonce, idt.Subject)
	}
	if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
		t.Errorf("at_hash: %v", err)
	}
	var idc struct {
		AMR      []string `json:"amr"`
		Name     string   `json:"name"`
		Username string   `json:"preferred_username"`
		Email    string   `json:"email"`
		AuthTime int64    `json:"auth_time"`
	}
	if err := idt.Claims(&idc); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(idc.AMR, []string{"pwd"}) || idc.Name != "Goldie Tester" || idc.Username != f.gold.login || idc.Email != f.gold.login || idc.AuthTime == 0 {
		t.Errorf("ID token claims %+v", idc)
	}
	_, ac := jwtParts(t, tok.AccessToken)
	if ac["sub"] != f.gold.login || ac["uid"] != f.gold.id || ac["cid"] != f.webID || ac["exp"].(float64)-ac["iat"].(float64) != 3600 {
		t.Errorf("access token claims %v", ac)
	}
	if tok.RefreshToken == "" {
		t.Fatal("no refresh token for offline_access")
	}

	// The session cookie makes a second authorize silent.
	v2 := oauth2.GenerateVerifier()
	resp, body2 := get(t, c, conf.AuthCodeURL("state-2", oauth2.S256ChallengeOption(v2)))
	q2, _ := url.ParseQuery(body2)
	if resp.Request.URL.Path != "/callback" || q2.Get("code") == "" || q2.Get("state") != "state-2" {
		t.Fatalf("second authorize was not silent: %s %s", resp.Request.URL, body2)
	}

	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	if ui.Subject != f.gold.id || ui.Email != f.gold.login {
		t.Errorf("userinfo %+v", ui)
	}

	refreshed, err := conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if err != nil {
		t.Fatal(err)
	}
	if refreshed.AccessToken == tok.AccessToken || refreshed.Extra("id_token") == nil {
		t.Errorf("refresh did not issue new tokens")
	}

	introspect := func(token string) map[string]any {
		_, got := postForm(t, f.issuer+"/v1/introspect", url.Values{"token": {token}}, f.webID, f.webSecret)
		return got
	}
	if got := introspect(tok.AccessToken); got["active"] != true || got["username"] != f.gold.login || got["uid"] != f.gold.id ||
		got["scope"] != "openid profile email offline_access gold" {
		t.Errorf("introspect access token: %v", got)
	}
	if got := introspect(tok.RefreshToken); got["active"] != true || got["client_id"] != f.webID {
		t.Errorf("introspect refresh token: %v", got)
	}
	for _, token := range []string{tok.AccessToken, tok.RefreshToken} {
		if status, _ := postForm(t, f.issuer+"/v1/revoke", url.Values{"token": {token}}, f.webID, f.webSecret); status != 200 {
			t.Fatalf("revoke: %d", status)
		}
		if got := introspect(token); got["active"] != false {
			t.Errorf("after revoke: %v", got)
		}
	}
	if _, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok)); err == nil {
		t.Error("userinfo accepted a revoked token")
	}
	_, err = conf.TokenSource(ctx, &oauth2.Token{RefreshToken: tok.RefreshToken}).Token()
	if re := (*oauth2.RetrieveError)(nil); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Errorf("refresh with a revoked refresh token: %v", err)
	}

	// Logout goes back to the registered URI and ends the session: the
	// next authorize shows the sign-in page again.
	logout := f.issuer + "/v1/logout?" + url.Values{"id_token_hint": {rawID}, "post_logout_redirect_uri": {f.logoutURI}, "state": {"bye"}}.Encode()
	resp, body3 := get(t, c, logout)
	if resp.Request.URL.Path != "/signed-out" || !strings.Contains(body3, "state=bye") {
		t.Fatalf("logout landed on %s: %s", resp.Request.URL, body3)
	}
	resp, page = get(t, c, conf.AuthCodeURL("state-3", oauth2.S256ChallengeOption(v2)))
	if resp.Request.URL.Path == "/callback" || !strings.Contains(page, `name="password"`) {
		t.Errorf("after logout, authorize did not ask to sign in: %s", resp.Request.URL)
	}
	bad := f.issuer + "/v1/logout?" + url.Values{"id_token_hint": {rawID}, "post_logout_redirect_uri": {"http://127.0.0.1:1/elsewhere"}}.Encode()
	if resp, _ := get(t, noRedirect(), bad); resp.StatusCode != 400 || resp.Header.Get("Location") != "" {
		t.Errorf("unregistered logout URI: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}

// authorizeURL builds an authorize URL for the fixture's web app.
func (f *oauthFixture) authorizeURL(issuer string, set url.Values) string {
	v := url.Values{
		"client_id": {f.webID}, "redirect_uri": {f.redirectURI}, "response_type": {"code"},
		"scope": {"openid silver"}, "state": {"st"}, "nonce": {"n"},
		"code_challenge": {pkceS256("verifier-verifier-verifier-verifier-verifier")}, "code_challenge_method": {"S256"},
	}
	for k, vals := range set {
		if len(vals) == 1 && vals[0] == "" {
			v.Del(k)
		} else {
			v[k] = vals
		}
	}
	return issuer + "/v1/authorize?" + v.Encode()
}

// TestAuthorizeOutcomes drives /v1/authorize with sessionTokens and checks
// where each request lands: a code, or Okta's error on the redirect URI.
func TestAuthorizeOutcomes(t *testing.T) {
	f := newOAuthFixture(t)
	tests := []struct {
		name     string
		user     string // signs in with a sessionToken when set
		set      url.Values
		wantErr  string // "" means a code
		wantDesc string
	}{
		{name: "silver user, silver scope", user: f.silver.login},
		{name: "gold user, gold scope", user: f.gold.login, set: url.Values{"scope": {"openid gold"}}},
		{name: "silver user asks for gold", user: f.silver.login, set: url.Values{"scope": {"openid gold"}}, wantErr: "access_denied", wantDesc: descPolicyFailed},
		{name: "user not assigned to the app", user: f.outsider.login, wantErr: "access_denied", wantDesc: descNotAssigned},
		{name: "unknown scope", user: f.silver.login, set: url.Values{"scope": {"openid platinum"}}, wantErr: "invalid_scope"},
		{name: "implicit flow", user: f.silver.login, set: url.Values{"response_type": {"token"}}, wantErr: "unsupported_response_type"},
		{name: "public client without PKCE", user: f.silver.login, set: url.Values{"client_id": {f.spaID}, "code_challenge": {""}, "code_challenge_method": {""}}, wantErr: "invalid_request"},
		{name: "app that requires PKCE, without it", user: f.silver.login, set: url.Values{"code_challenge": {""}, "code_challenge_method": {""}, "client_id": {"pkce"}}, wantErr: "invalid_request"},
		{name: "plain PKCE", user: f.silver.login, set: url.Values{"code_challenge_method": {"plain"}}, wantErr: "invalid_request"},
		{name: "prompt=none without a session", set: url.Values{"prompt": {"none"}}, wantErr: "login_required"},
		{name: "a sessionToken is spent on first use", user: "spent", set: url.Values{"prompt": {"none"}}, wantErr: "login_required"},
	}
	// A confidential app that requires PKCE anyway.
	var pkceID string
	_ = f.org.update(func(st *State) error {
		a := *st.Apps[f.webID]
		a.Meta = f.org.nextMeta(prefixApp, "ACTIVE")
		a.PKCERequired = true
		st.Apps[a.ID] = &a
		pkceID = a.ID
		return nil
	})
	spent := f.sessionToken(t, f.silver.login)
	if resp, _ := get(t, noRedirect(), f.authorizeURL(f.issuer, url.Values{"sessionToken": {spent}})); resp.StatusCode != 302 {
		t.Fatalf("first use of a sessionToken: %d", resp.StatusCode)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			set := url.Values{}
			for k, v := range tt.set {
				set[k] = v
			}
			if set.Get("client_id") == "pkce" {
				set.Set("client_id", pkceID)
			}
			switch tt.user {
			case "":
			case "spent":
				set.Set("sessionToken", spent)
			default:
				set.Set("sessionToken", f.sessionToken(t, tt.user))
			}
			resp, body := get(t, noRedirect(), f.authorizeURL(f.issuer, set))
			if resp.StatusCode != http.StatusFound {
				t.Fatalf("status %d, want a redirect: %s", resp.StatusCode, body)
			}
			loc, err := url.Parse(resp.Header.Get("Location"))
			if err != nil || loc.Scheme+"://"+loc.Host+loc.Path != f.redirectURI {
				t.Fatalf("redirected to %s", resp.Header.Get("Location"))
			}
			q := loc.Query()
			if q.Get("state") != "st" {
				t.Errorf("state = %q", q.Get("state"))
			}
			if q.Get("error") != tt.wantErr || (tt.wantErr == "") == (q.Get("code") == "") {
				t.Errorf("got code %q error %q (%s), want error %q", q.Get("code"), q.Get("error"), q.Get("error_description"), tt.wantErr)
			}
			if tt.wantDesc != "" && q.Get("error_description") != tt.wantDesc {
				t.Errorf("error_description = %q, want %q", q.Get("error_description"), tt.wantDesc)
			}
		})
	}
}

// TestAuthorizeBadClientIsAPage: with an unknown client or a redirect URI
// the app does not have, Okta shows an error page and never redirects.
func TestAuthorizeBadClientIsAPage(t *testing.T) {
	f := newOAuthFixture(t)
	tests := []struct {
		name string
		set  url.Values
		want string
	}{
		{"unregistered redirect_uri", url.Values{"redirect_uri": {"http://127.0.0.1:1/evil"}}, "redirect_uri"},
		{"unknown client", url.Values{"client_id": {"0oaNoSuchClient00000"}}, "client_id"},
		{"no client", url.Values{"client_id": {""}}, "client_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, noRedirect(), f.authorizeURL(f.issuer, tt.set))
			if resp.StatusCode != 400 || resp.Header.Get("Location") != "" || !strings.Contains(body, tt.want) ||
				!strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("got %d Location=%q %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
		})
	}
}

func TestAuthorizeResponseModes(t *testing.T) {
	f := newOAuthFixture(t)
	t.Run("fragment", func(t *testing.T) {
		u := f.authorizeURL(f.issuer, url.Values{"response_mode": {"fragment"}, "sessionToken": {f.sessionToken(t, f.silver.login)}})
		resp, _ := get(t, noRedirect(), u)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		frag, _ := url.ParseQuery(loc.Fragment)
		if resp.StatusCode != 302 || loc.RawQuery != "" || frag.Get("code") == "" || frag.Get("state") != "st" {
			t.Errorf("got %d %s", resp.StatusCode, resp.Header.Get("Location"))
		}
	})
	t.Run("form_post", func(t *testing.T) {
		u := f.authorizeURL(f.issuer, url.Values{"response_mode": {"form_post"}, "sessionToken": {f.sessionToken(t, f.silver.login)}})
		resp, page := get(t, noRedirect(), u)
		action, fields := parseForm(t, resp.Request.URL, page)
		if resp.StatusCode != 200 || action != f.redirectURI || fields.Get("code") == "" || fields.Get("state") != "st" ||
			!strings.Contains(page, "document.forms[0].submit()") {
			t.Errorf("got %d action %s fields %v", resp.StatusCode, action, fields)
		}
	})
}

// TestCodeExchange checks the token endpoint's answers to an authorization
// code: the public (PKCE, no secret) client succeeds, and each broken
// exchange gets Okta's error.
func TestCodeExchange(t *testing.T) {
	f := newOAuthFixture(t)
	const verifier = "verifier-verifier-verifier-verifier-verifier"
	code := func(t *testing.T, clientID string) string {
		u := f.authorizeURL(f.issuer, url.Values{"client_id": {clientID}, "sessionToken": {f.sessionToken(t, f.silver.login)}})
		resp, body := get(t, noRedirect(), u)
		loc, _ := url.Parse(resp.Header.Get("Location"))
		if c := loc.Query().Get("code"); c != "" {
			return c
		}
		t.Fatalf("no code: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
		return ""
	}
	exchange := func(form url.Values, user, pass string) (int, map[string]any) {
		form.Set("grant_type", "authorization_code")
		return postForm(t, f.issuer+"/v1/token", form, user, pass)
	}
	t.Run("public client with PKCE", func(t *testing.T) {
		status, got := exchange(url.Values{"code": {code(t, f.spaID)}, "redirect_uri": {f.redirectURI}, "code_verifier": {verifier}, "client_id": {f.spaID}}, "", "")
		if status != 200 || got["access_token"] == nil || got["id_token"] == nil || got["refresh_token"] != nil || got["expires_in"] != 1800.0 {
			t.Errorf("got %d %v", status, got)
		}
	})
	t.Run("replayed code", func(t *testing.T) {
		c := code(t, f.webID)
		form := url.Values{"code": {c}, "redirect_uri": {f.redirectURI}, "code_verifier": {verifier}}
		if status, got := exchange(form, f.webID, f.webSecret); status != 200 {
			t.Fatalf("first exchange: %d %v", status, got)
		}
		if status, got := exchange(form, f.webID, f.webSecret); status != 400 || got["error"] != "invalid_grant" {
			t.Errorf("replay: %d %v", status, got)
		}
	})
	tests := []struct {
		name       string
		form       url.Values
		user, pass string
		clientOf   string
		status     int
		err        string
	}{
		{"wrong PKCE verifier", url.Values{"redirect_uri": {f.redirectURI}, "code_verifier": {verifier + "x"}}, f.webID, f.webSecret, f.webID, 400, "invalid_grant"},
		{"no PKCE verifier", url.Values{"redirect_uri": {f.redirectURI}}, f.webID, f.webSecret, f.webID, 400, "invalid_grant"},
		{"wrong redirect_uri", url.Values{"redirect_uri": {f.redirectURI + "/other"}, "code_verifier": {verifier}}, f.webID, f.webSecret, f.webID, 400, "invalid_grant"},
		{"bad client secret", url.Values{"redirect_uri": {f.redirectURI}, "code_verifier": {verifier}}, f.webID, "nope", f.webID, 401, "invalid_client"},
		{"secret in body too", url.Values{"redirect_uri": {f.redirectURI}, "code_verifier": {verifier}, "client_secret": {f.webSecret}}, f.webID, f.webSecret, f.webID, 400, "invalid_request"},
		{"code of another client", url.Values{"redirect_uri": {f.redirectURI}, "code_verifier": {verifier}, "client_id": {f.spaID}}, "", "", f.webID, 400, "invalid_grant"},
		{"not a code", url.Values{"redirect_uri": {f.redirectURI}, "code_verifier": {verifier}}, f.webID, f.webSecret, "", 400, "invalid_grant"},
		{"expired code", url.Values{"redirect_uri": {f.redirectURI}, "code_verifier": {verifier}}, f.webID, f.webSecret, "expire", 400, "invalid_grant"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			switch tt.clientOf {
			case "":
				tt.form.Set("code", "not-a-code")
			case "expire":
				tt.form.Set("code", code(t, f.webID))
				f.clock.Advance(authCodeLifetime + time.Second)
			default:
				tt.form.Set("code", code(t, tt.clientOf))
			}
			status, got := exchange(tt.form, tt.user, tt.pass)
			if status != tt.status || got["error"] != tt.err {
				t.Errorf("got %d %v, want %d %s", status, got, tt.status, tt.err)
			}
		})
	}
}

func TestAuthn(t *testing.T) {
	f := newOAuthFixture(t)
	tests := []struct {
		name, body string
		status     int
		want       string
	}{
		{"good password", `{"username":"SILVER@example.com","password":"` + testPassword + `"}`, 200, `"status":"SUCCESS"`},
		{"wrong password", `{"username":"silver@example.com","password":"nope"}`, 401, `"errorCode":"E0000004"`},
		{"unknown user", `{"username":"nobody@example.com","password":"nope"}`, 401, `"errorSummary":"Authentication failed"`},
		{"not JSON", `{`, 400, `"errorCode":"E0000003"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, err := http.Post(f.url+"/api/v1/authn", "application/json", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != tt.status || !strings.Contains(string(b), tt.want) {
				t.Errorf("got %d %s", resp.StatusCode, b)
			}
			if tt.status == 200 && (!strings.Contains(string(b), `"id":"`+f.silver.id+`"`) || !strings.Contains(string(b), `"firstName":"Sylvia"`)) {
				t.Errorf("no embedded user: %s", b)
			}
		})
	}
}

// TestSessionTokenFlow signs in headlessly (/api/v1/authn, then authorize
// with the sessionToken) on each kind of server, exchanges the code with
// x/oauth2 and verifies the ID token and its nonce with go-oidc.
func TestSessionTokenFlow(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := ctxWithClient(t, &http.Client{Timeout: 10 * time.Second})
	tests := []struct {
		name, issuer string
		scopes       []string
		audience     string
	}{
		{"custom server", f.issuer, []string{"openid", "silver"}, "api://apicenter"},
		{"default server by alias", f.defaultIssuer, []string{"openid", "api"}, "api://default"},
		{"org server", f.url, []string{"openid", "email"}, f.url},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			provider, conf := f.webConfig(t, ctx, tt.issuer, tt.scopes...)
			verifier := oauth2.GenerateVerifier()
			u := conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oidc.Nonce("n-"+tt.name),
				oauth2.SetAuthURLParam("sessionToken", f.sessionToken(t, f.silver.login)))
			resp, body := get(t, noRedirect(), u)
			loc, _ := url.Parse(resp.Header.Get("Location"))
			if resp.StatusCode != 302 || loc.Query().Get("code") == "" {
				t.Fatalf("authorize: %d %s %s", resp.StatusCode, resp.Header.Get("Location"), body)
			}
			tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatal(err)
			}
			idt, err := provider.Verifier(&oidc.Config{ClientID: f.webID}).Verify(ctx, tok.Extra("id_token").(string))
			if err != nil {
				t.Fatalf("ID token: %v", err)
			}
			if idt.Nonce != "n-"+tt.name || idt.Subject != f.silver.id || idt.Issuer != tt.issuer {
				t.Errorf("ID token nonce %q sub %q iss %q", idt.Nonce, idt.Subject, idt.Issuer)
			}
			if _, c := jwtParts(t, tok.AccessToken); c["aud"] != tt.audience || c["iss"] != tt.issuer || c["sub"] != f.silver.login {
				t.Errorf("access token claims %v", c)
			}
		})
	}
}

// TestSignInPageKeepsParameters: the sign-in form carries the authorize
// parameters (escaped) and the state comes back byte for byte.
func TestSignInPageKeepsParameters(t *testing.T) {
	f := newOAuthFixture(t)
	const state = `a"b<script>alert(1)</script>&c=d é`
	u := f.authorizeURL(f.issuer, url.Values{"state": {state}, "login_hint": {f.silver.login}})
	resp, page := get(t, browser(t), u)
	if resp.StatusCode != 200 || strings.Contains(page, "<script>alert") {
		t.Fatalf("sign-in page: %d, unescaped state in:\n%s", resp.StatusCode, page)
	}
	if !strings.Contains(page, `id="username" value="`+f.silver.login+`"`) {
		t.Errorf("login_hint does not pre-fill the username:\n%s", page)
	}
	q := signInThroughForm(t, browser(t), u, f.silver.login, testPassword)
	if q.Get("state") != state || q.Get("code") == "" {
		t.Errorf("callback got %v", q)
	}
}
