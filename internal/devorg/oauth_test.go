package devorg

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// jwtParts decodes a JWT's header and claims without verifying it.
func jwtParts(t testing.TB, tok string) (header, claims map[string]any) {
	t.Helper()
	parts := strings.Split(tok, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", tok)
	}
	for i, dst := range []*map[string]any{&header, &claims} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, dst); err != nil {
			t.Fatal(err)
		}
	}
	return header, claims
}

// postForm posts a form, with HTTP basic client authentication when user
// is set, and decodes the JSON answer.
func postForm(t testing.TB, u string, form url.Values, user, pass string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, u, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if user != "" {
		req.SetBasicAuth(url.QueryEscape(user), url.QueryEscape(pass))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	if len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			t.Fatalf("POST %s: %d, not JSON: %s", u, resp.StatusCode, b)
		}
	}
	return resp.StatusCode, out
}

func TestDiscoveryAndKeys(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := ctxWithClient(t, &http.Client{})
	tests := []struct {
		name, path, issuer, tokenURL string
		wantScope                    string
	}{
		{"custom server by id", "/oauth2/" + f.asID, f.issuer, f.issuer + "/v1/token", "gold"},
		{"default server by alias", "/oauth2/default", f.defaultIssuer, f.defaultIssuer + "/v1/token", "api"},
		{"org server", "", f.url, f.url + "/oauth2/v1/token", "openid"},
	}
	kids := map[string]bool{}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := oidc.NewProvider(ctx, f.url+tt.path)
			if err != nil {
				t.Fatalf("oidc.NewProvider: %v", err)
			}
			if p.Endpoint().TokenURL != tt.tokenURL {
				t.Errorf("token URL = %s, want %s", p.Endpoint().TokenURL, tt.tokenURL)
			}
			var doc struct {
				Issuer       string   `json:"issuer"`
				Registration string   `json:"registration_endpoint"`
				PKCE         []string `json:"code_challenge_methods_supported"`
				Scopes       []string `json:"scopes_supported"`
				JWKS         string   `json:"jwks_uri"`
				Modes        []string `json:"response_modes_supported"`
			}
			resp, body := get(t, http.DefaultClient, f.url+tt.path+"/.well-known/oauth-authorization-server")
			if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &doc) != nil {
				t.Fatalf("oauth-authorization-server: %d %s", resp.StatusCode, body)
			}
			if doc.Issuer != tt.issuer || doc.Registration != f.url+"/oauth2/v1/clients" || !slices.Equal(doc.PKCE, []string{"S256"}) ||
				!slices.Contains(doc.Scopes, tt.wantScope) || !slices.Equal(doc.Modes, []string{"query", "fragment", "form_post"}) {
				t.Errorf("metadata = %+v", doc)
			}
			var keys struct {
				Keys []map[string]string `json:"keys"`
			}
			resp, body = get(t, http.DefaultClient, doc.JWKS)
			if resp.StatusCode != 200 || json.Unmarshal([]byte(body), &keys) != nil || len(keys.Keys) != 1 {
				t.Fatalf("keys: %d %s", resp.StatusCode, body)
			}
			k := keys.Keys[0]
			if k["kty"] != "RSA" || k["alg"] != "RS256" || k["use"] != "sig" || k["kid"] == "" || k["e"] != "AQAB" {
				t.Errorf("key = %v", k)
			}
			if kids[k["kid"]] {
				t.Errorf("kid %s shared by two servers", k["kid"])
			}
			kids[k["kid"]] = true
		})
	}
	resp, body := get(t, http.DefaultClient, f.url+"/oauth2/ausNoSuchServer0000/.well-known/openid-configuration")
	if resp.StatusCode != 404 || !strings.Contains(body, "E0000007") {
		t.Errorf("unknown server: %d %s", resp.StatusCode, body)
	}
}

func TestClientCredentials(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := ctxWithClient(t, &http.Client{})
	cc := clientcredentials.Config{ClientID: f.svcID, ClientSecret: f.svcSecret, TokenURL: f.issuer + "/v1/token",
		Scopes: []string{"silver", "gold"}, AuthStyle: oauth2.AuthStyleInHeader}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	payload, err := oidc.NewRemoteKeySet(ctx, f.issuer+"/v1/keys").VerifySignature(ctx, tok.AccessToken)
	if err != nil {
		t.Fatalf("access token signature: %v", err)
	}
	var c map[string]any
	if err := json.Unmarshal(payload, &c); err != nil {
		t.Fatal(err)
	}
	header, _ := jwtParts(t, tok.AccessToken)
	if header["alg"] != "RS256" || header["kid"] == "" {
		t.Errorf("header = %v", header)
	}
	want := map[string]any{"ver": 1.0, "iss": f.issuer, "aud": "api://apicenter", "cid": f.svcID, "sub": f.svcID}
	for k, v := range want {
		if c[k] != v {
			t.Errorf("claim %s = %v, want %v", k, c[k], v)
		}
	}
	if jti, _ := c["jti"].(string); !strings.HasPrefix(jti, "AT.") {
		t.Errorf("jti = %v", c["jti"])
	}
	if _, ok := c["uid"]; ok {
		t.Errorf("client-credentials token has uid %v", c["uid"])
	}
	if scp, _ := c["scp"].([]any); len(scp) != 2 || scp[0] != "silver" || scp[1] != "gold" {
		t.Errorf("scp = %v", c["scp"])
	}
	if life := c["exp"].(float64) - c["iat"].(float64); life != 15*60 {
		t.Errorf("lifetime = %v s, want the service rule's 15 minutes", life)
	}
	if tok.Extra("scope") != "silver gold" || tok.TokenType != "Bearer" || tok.Extra("expires_in") != 900.0 {
		t.Errorf("token response: scope %v, type %s, expires_in %v", tok.Extra("scope"), tok.TokenType, tok.Extra("expires_in"))
	}

	// client_secret_post and the default scopes of the default server,
	// whose ALL_CLIENTS policy admits a client the custom server's does not.
	post := clientcredentials.Config{ClientID: f.otherID, ClientSecret: f.otherSecr, TokenURL: f.defaultIssuer + "/v1/token", AuthStyle: oauth2.AuthStyleInParams}
	tok, err = post.Token(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, c := jwtParts(t, tok.AccessToken); tok.Extra("scope") != "api" || c["iss"] != f.defaultIssuer || c["aud"] != "api://default" {
		t.Errorf("default server token: scope %v, claims %v", tok.Extra("scope"), c)
	}
}

func TestClientCredentialsErrors(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := ctxWithClient(t, &http.Client{})
	tests := []struct {
		name, id, secret, tokenURL string
		style                      oauth2.AuthStyle
		scopes                     []string
		status                     int
		code, desc                 string
	}{
		{"openid is not for client credentials", f.svcID, f.svcSecret, f.issuer, oauth2.AuthStyleInHeader, []string{"openid"}, 400, "invalid_scope", ""},
		{"unknown scope", f.svcID, f.svcSecret, f.issuer, oauth2.AuthStyleInHeader, []string{"platinum"}, 400, "invalid_scope", descBadScope},
		{"no scope and no default scope", f.svcID, f.svcSecret, f.issuer, oauth2.AuthStyleInHeader, nil, 400, "invalid_scope", descNoScopes},
		{"bad secret", f.svcID, "wrong-secret", f.issuer, oauth2.AuthStyleInHeader, []string{"silver"}, 401, "invalid_client", ""},
		{"bad secret in body", f.otherID, "wrong-secret", f.issuer, oauth2.AuthStyleInParams, []string{"silver"}, 401, "invalid_client", ""},
		{"unknown client", "0oaNoSuchClient00000", "x", f.issuer, oauth2.AuthStyleInHeader, []string{"silver"}, 401, "invalid_client", ""},
		{"grant type not enabled for the app", f.webID, f.webSecret, f.issuer, oauth2.AuthStyleInHeader, []string{"silver"}, 400, "unauthorized_client", ""},
		{"client in no policy", f.otherID, f.otherSecr, f.issuer, oauth2.AuthStyleInParams, []string{"silver"}, 400, "access_denied", descPolicyFailed},
		{"org server wants private_key_jwt", f.svcID, f.svcSecret, f.url + "/oauth2", oauth2.AuthStyleInHeader, []string{"silver"}, 401, "invalid_client", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cc := clientcredentials.Config{ClientID: tt.id, ClientSecret: tt.secret, TokenURL: tt.tokenURL + "/v1/token", Scopes: tt.scopes, AuthStyle: tt.style}
			_, err := cc.Token(ctx)
			var re *oauth2.RetrieveError
			if !errors.As(err, &re) {
				t.Fatalf("want a token error, got %v", err)
			}
			if re.Response.StatusCode != tt.status || re.ErrorCode != tt.code || (tt.desc != "" && re.ErrorDescription != tt.desc) {
				t.Errorf("got %d %s %q, want %d %s %q", re.Response.StatusCode, re.ErrorCode, re.ErrorDescription, tt.status, tt.code, tt.desc)
			}
		})
	}
}

// TestClientSecretBasicEncodings: a secret with reserved characters works
// whether the client form-encodes it before Basic encoding (RFC 6749, as
// x/oauth2 does) or not (as many clients do).
func TestClientSecretBasicEncodings(t *testing.T) {
	f := newOAuthFixture(t)
	const secret = "a+b%2Fc/d e"
	_ = f.org.update(func(st *State) error {
		st.Apps[f.svcID].Secrets[0].Secret = secret
		return nil
	})
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"silver"}}.Encode()
	tests := []struct{ name, user, pass string }{
		{"form-encoded", url.QueryEscape(f.svcID), url.QueryEscape(secret)},
		{"raw", f.svcID, secret},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, f.issuer+"/v1/token", strings.NewReader(form))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.SetBasicAuth(tt.user, tt.pass)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != 200 {
				t.Errorf("status %d", resp.StatusCode)
			}
		})
	}
}

// TestOAuthWrongMethod: a wrong method gets a 405 with a JSON body, never
// the mux's plain-text page.
func TestOAuthWrongMethod(t *testing.T) {
	f := newOAuthFixture(t)
	tests := []struct{ method, path, want string }{
		{http.MethodGet, "/api/v1/authn", "E0000022"},
		{http.MethodGet, "/oauth2/v1/clients", "E0000022"},
		{http.MethodPut, "/oauth2/v1/clients/" + f.svcID, "E0000022"},
		{http.MethodPost, "/oauth2/default/.well-known/openid-configuration", "E0000022"},
		{http.MethodPost, "/.well-known/oauth-authorization-server", "E0000022"},
		{http.MethodDelete, "/oauth2/default/v1/keys", "E0000022"},
		{http.MethodGet, "/oauth2/default/v1/token", "invalid_request"},
		{http.MethodGet, "/oauth2/v1/introspect", "invalid_request"},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, f.url+tt.path, nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 405 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") || !strings.Contains(string(b), tt.want) {
				t.Errorf("got %d %s %s", resp.StatusCode, resp.Header.Get("Content-Type"), b)
			}
		})
	}
}
