package devorg

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestIntrospectIDAndRefreshTokens: Okta's /introspect answers for access,
// ID and refresh tokens; an ID token was {"active":false} here.
func TestIntrospectIDAndRefreshTokens(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := ctxWithClient(t, &http.Client{Timeout: 10 * time.Second})
	_, conf := f.webConfig(t, ctx, f.issuer, "openid", "offline_access", "silver")
	verifier := oauth2.GenerateVerifier()
	u := conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("sessionToken", f.sessionToken(t, f.silver.login)))
	resp, body := get(t, noRedirect(), u)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || loc.Query().Get("code") == "" {
		t.Fatalf("authorize: %d %s", resp.StatusCode, body)
	}
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	idToken, _ := tok.Extra("id_token").(string)
	tests := []struct {
		name, token, hint string
		want              map[string]any
	}{
		{"ID token", idToken, "id_token", map[string]any{"active": true, "client_id": f.webID, "aud": f.webID, "sub": f.silver.id, "iss": f.issuer, "username": f.silver.login}},
		{"refresh token", tok.RefreshToken, "refresh_token", map[string]any{"active": true, "client_id": f.webID, "scope": "openid offline_access silver", "username": f.silver.login}},
		{"access token", tok.AccessToken, "access_token", map[string]any{"active": true, "client_id": f.webID, "username": f.silver.login}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.token == "" {
				t.Fatal("the token endpoint gave no " + tt.name)
			}
			status, got := postForm(t, f.issuer+"/v1/introspect", url.Values{"token": {tt.token}, "token_type_hint": {tt.hint}}, f.webID, f.webSecret)
			if status != http.StatusOK {
				t.Fatalf("status %d", status)
			}
			for k, v := range tt.want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v (answer %v)", k, got[k], v, got)
				}
			}
			if got["exp"] == nil || got["iat"] == nil {
				t.Errorf("no exp/iat in %v", got)
			}
		})
	}
	t.Run("expired ID token", func(t *testing.T) {
		f.clock.Advance(61 * time.Minute) // ID tokens live 60 minutes
		if _, got := postForm(t, f.issuer+"/v1/introspect", url.Values{"token": {idToken}}, f.webID, f.webSecret); got["active"] != false {
			t.Errorf("got %v", got)
		}
	})
}

// TestOrgURLHasNoDefaultPort: served with --tls on port 443, the org URL
// and every issuer carry no ":443", as Okta's never do.
func TestOrgURLHasNoDefaultPort(t *testing.T) {
	tests := []struct{ in, want string }{
		{"https://127.0.0.1:443", "https://127.0.0.1"},
		{"https://[::1]:443", "https://[::1]"},
		{"http://localhost:80", "http://localhost"},
		{"https://127.0.0.1:8443", "https://127.0.0.1:8443"},
		{"http://127.0.0.1:443", "http://127.0.0.1:443"},
	}
	for _, tt := range tests {
		if got := orgURL(tt.in); got != tt.want {
			t.Errorf("orgURL(%s) = %s, want %s", tt.in, got, tt.want)
		}
	}
	o, err := New(Options{APIToken: testAPIToken})
	if err != nil {
		t.Fatal(err)
	}
	o.SetBaseURL("https://127.0.0.1:443") // what Listen sets for --addr 127.0.0.1:443 --tls
	srv := httptest.NewServer(o.Handler())
	defer srv.Close()
	for _, path := range []string{"/.well-known/openid-configuration", "/oauth2/default/.well-known/openid-configuration"} {
		var doc map[string]any
		getJSON(t, srv.URL+path, &doc)
		want := "https://127.0.0.1" + path[:len(path)-len("/.well-known/openid-configuration")]
		if doc["issuer"] != want {
			t.Errorf("%s: issuer = %v, want %s", path, doc["issuer"], want)
		}
	}
}

// TestOrgOAuthMetadataHasSubjectTypes: the org server's
// /.well-known/oauth-authorization-server lists subject_types_supported,
// as Okta's does.
func TestOrgOAuthMetadataHasSubjectTypes(t *testing.T) {
	f := newOAuthFixture(t)
	var doc map[string]any
	getJSON(t, f.url+"/.well-known/oauth-authorization-server", &doc)
	if st, _ := doc["subject_types_supported"].([]any); len(st) != 1 || st[0] != "public" {
		t.Fatalf("subject_types_supported = %v", doc["subject_types_supported"])
	}
}

// getJSON GETs u and decodes its JSON answer into v.
func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	resp, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", u, resp.StatusCode)
	}
	if err := json.NewDecoder(resp.Body).Decode(v); err != nil {
		t.Fatalf("GET %s: %v", u, err)
	}
}

// TestRegisterWebClientWithoutCodeGrant answers what Okta answers Mulesoft
// for a web client with only the implicit grant (quoted in Salesforce's
// help article 001123173): a web app must have authorization_code.
func TestRegisterWebClientWithoutCodeGrant(t *testing.T) {
	f := newOAuthFixture(t)
	body := `{"client_name":"OKTA_CLIENT_WITHOUT_AUTHCODE","redirect_uris":["http://localhost"],"response_types":["token","id_token"],"grant_types":["implicit"],"token_endpoint_auth_method":"client_secret_basic"}`
	req, _ := http.NewRequest(http.MethodPost, f.url+"/oauth2/v1/clients", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "SSWS "+testAPIToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var got map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&got)
	want := map[string]any{"error": "invalid_client_metadata", "error_description": "'grant_types' must contain 'authorization_code' when 'application_type' is 'web'."}
	if resp.StatusCode != http.StatusBadRequest || got["error"] != want["error"] || got["error_description"] != want["error_description"] {
		t.Fatalf("got %d %v, want 400 %v", resp.StatusCode, got, want)
	}
}
