package devorg_test

import (
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"
	"golang.org/x/oauth2"
)

// TestOAuthWithSDKBuiltOrg builds the Mulesoft reference setup through the
// real okta-sdk-golang/v2 client (groups, users, a custom authorization
// server with silver and gold scopes, an OIDC web app assigned to both
// groups, a policy limited to that app with a silver and a gold rule), then
// signs in through the HTML form with x/oauth2 + go-oidc and checks what
// each user gets.
func TestOAuthWithSDKBuiltOrg(t *testing.T) {
	srv, c := startOrg(t)
	ctx := context.Background()
	const (
		password = "Pl4nets-and-m00ns"
		silver   = "http://myapp.com/scp/silver"
		gold     = "http://myapp.com/scp/gold"
	)
	cb := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, r.URL.RawQuery)
	}))
	t.Cleanup(cb.Close)
	redirect := cb.URL + "/callback"

	silverGroup := must[*okta.Group](t)(c.Group.CreateGroup(ctx, okta.Group{Profile: &okta.GroupProfile{Name: "silver-sdk"}}))
	goldGroup := must[*okta.Group](t)(c.Group.CreateGroup(ctx, okta.Group{Profile: &okta.GroupProfile{Name: "gold-sdk"}}))
	newUser := func(login string, groups ...string) {
		must[*okta.User](t)(c.User.CreateUser(ctx, okta.CreateUserRequest{
			Profile:     &okta.UserProfile{"login": login, "email": login, "firstName": "Sdk", "lastName": "User"},
			Credentials: &okta.UserCredentials{Password: &okta.PasswordCredential{Value: password}},
			GroupIds:    groups,
		}, query.NewQueryParams(query.WithActivate(true))))
	}
	newUser("silver.sdk@example.com", silverGroup.Id)
	newUser("gold.sdk@example.com", silverGroup.Id, goldGroup.Id)

	as := must[*okta.AuthorizationServer](t)(c.AuthorizationServer.CreateAuthorizationServer(ctx, okta.AuthorizationServer{
		Name: "apicenter-sdk", Description: "sdk", Audiences: []string{"api://apicenter-sdk"}}))
	for _, s := range []string{silver, gold} {
		must[*okta.OAuth2Scope](t)(c.AuthorizationServer.CreateOAuth2Scope(ctx, as.Id, okta.OAuth2Scope{Name: s, Consent: "IMPLICIT", MetadataPublish: "ALL_CLIENTS"}))
	}

	code := okta.OAuthGrantType("authorization_code")
	resp := okta.OAuthResponseType("code")
	app := okta.NewOpenIdConnectApplication()
	app.Label = "apicenter-sdk-web"
	app.Settings = &okta.OpenIdConnectApplicationSettings{OauthClient: &okta.OpenIdConnectApplicationSettingsClient{
		ApplicationType: "web", GrantTypes: []*okta.OAuthGrantType{&code}, ResponseTypes: []*okta.OAuthResponseType{&resp},
		RedirectUris: []string{redirect}}}
	app.Credentials = &okta.OAuthApplicationCredentials{OauthClient: &okta.ApplicationCredentialsOAuthClient{TokenEndpointAuthMethod: "client_secret_basic"}}
	created := must[okta.App](t)(c.Application.CreateApplication(ctx, app, query.NewQueryParams(query.WithActivate(true)))).(*okta.OpenIdConnectApplication)
	clientID, secret := created.Credentials.OauthClient.ClientId, created.Credentials.OauthClient.ClientSecret
	for _, g := range []string{silverGroup.Id, goldGroup.Id} {
		must[*okta.ApplicationGroupAssignment](t)(c.Application.CreateApplicationGroupAssignment(ctx, created.Id, g, okta.ApplicationGroupAssignment{PriorityPtr: okta.Int64Ptr(0)}))
	}

	policy := must[*okta.AuthorizationServerPolicy](t)(c.AuthorizationServer.CreateAuthorizationServerPolicy(ctx, as.Id, okta.AuthorizationServerPolicy{
		Type: "OAUTH_AUTHORIZATION_POLICY", Name: "apicenter", Description: "apicenter", PriorityPtr: okta.Int64Ptr(1),
		Conditions: &okta.PolicyRuleConditions{Clients: &okta.ClientPolicyCondition{Include: []string{clientID}}}}))
	rule := func(name string, prio int64, group string, scopes ...string) {
		must[*okta.AuthorizationServerPolicyRule](t)(c.AuthorizationServer.CreateAuthorizationServerPolicyRule(ctx, as.Id, policy.Id, okta.AuthorizationServerPolicyRule{
			Type: "RESOURCE_ACCESS", Name: name, PriorityPtr: okta.Int64Ptr(prio),
			Conditions: &okta.AuthorizationServerPolicyRuleConditions{
				People:     &okta.PolicyPeopleCondition{Groups: &okta.GroupCondition{Include: []string{group}}},
				GrantTypes: &okta.GrantTypePolicyRuleCondition{Include: []string{"authorization_code"}},
				Scopes:     &okta.OAuth2ScopesMediationPolicyRuleCondition{Include: scopes},
			},
			Actions: &okta.AuthorizationServerPolicyRuleActions{Token: &okta.TokenAuthorizationServerPolicyRuleAction{AccessTokenLifetimeMinutesPtr: okta.Int64Ptr(60)}},
		}))
	}
	rule("gold", 1, goldGroup.Id, "openid", silver, gold)
	rule("silver", 2, silverGroup.Id, "openid", silver)

	octx := context.WithValue(ctx, oauth2.HTTPClient, &http.Client{Timeout: 10 * time.Second})
	issuer := srv.URL + "/oauth2/" + as.Id
	provider, err := oidc.NewProvider(octx, issuer)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		login   string
		scopes  []string
		wantErr string
	}{
		{"silver.sdk@example.com", []string{"openid", silver}, ""},
		{"gold.sdk@example.com", []string{"openid", silver, gold}, ""},
		{"silver.sdk@example.com", []string{"openid", gold}, "access_denied"},
	}
	for _, tt := range tests {
		t.Run(tt.login+" "+strings.Join(tt.scopes, " "), func(t *testing.T) {
			conf := &oauth2.Config{ClientID: clientID, ClientSecret: secret, Endpoint: provider.Endpoint(), RedirectURL: redirect, Scopes: tt.scopes}
			verifier := oauth2.GenerateVerifier()
			q := sdkSignIn(t, conf.AuthCodeURL("st", oauth2.S256ChallengeOption(verifier), oidc.Nonce("nn")), tt.login, password)
			if q.Get("error") != tt.wantErr {
				t.Fatalf("callback %v, want error %q", q, tt.wantErr)
			}
			if tt.wantErr != "" {
				return
			}
			tok, err := conf.Exchange(octx, q.Get("code"), oauth2.VerifierOption(verifier))
			if err != nil {
				t.Fatal(err)
			}
			idt, err := provider.Verifier(&oidc.Config{ClientID: clientID}).Verify(octx, tok.Extra("id_token").(string))
			if err != nil || idt.Nonce != "nn" {
				t.Fatalf("ID token: %v", err)
			}
			if tok.Extra("scope") != strings.Join(tt.scopes, " ") {
				t.Errorf("scope = %v", tok.Extra("scope"))
			}
		})
	}

	// A client made by dynamic client registration (as Mulesoft does) is a
	// real app the SDK reads, and it signs users in like any other once
	// assigned and named by a policy.
	req, _ := http.NewRequest(http.MethodPost, srv.URL+"/oauth2/v1/clients", strings.NewReader(
		`{"client_name":"mulesoft-dcr","redirect_uris":["`+redirect+`"],"grant_types":["authorization_code"],"response_types":["code"]}`))
	req.Header.Set("Authorization", "SSWS "+srv.Token)
	req.Header.Set("Content-Type", "application/json")
	dcrResp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var reg struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.NewDecoder(dcrResp.Body).Decode(&reg); err != nil || dcrResp.StatusCode != http.StatusCreated {
		t.Fatalf("registration: %d %v", dcrResp.StatusCode, err)
	}
	dcrResp.Body.Close()
	got := must[okta.App](t)(c.Application.GetApplication(ctx, reg.ClientID, okta.NewOpenIdConnectApplication(), nil)).(*okta.OpenIdConnectApplication)
	if got.Label != "mulesoft-dcr" || got.Status != "ACTIVE" || got.Credentials.OauthClient.ClientId != reg.ClientID {
		t.Errorf("SDK sees the registered app as %+v", got)
	}
	must[*okta.ApplicationGroupAssignment](t)(c.Application.CreateApplicationGroupAssignment(ctx, reg.ClientID, silverGroup.Id, okta.ApplicationGroupAssignment{PriorityPtr: okta.Int64Ptr(0)}))
	conf := &oauth2.Config{ClientID: reg.ClientID, ClientSecret: reg.ClientSecret, Endpoint: provider.Endpoint(), RedirectURL: redirect, Scopes: []string{"openid", silver}}
	// The policy is limited to the first app: the registered client is
	// refused until the policy names it.
	if q := sdkSignIn(t, conf.AuthCodeURL("st"), "silver.sdk@example.com", password); q.Get("error") != "access_denied" {
		t.Errorf("registered client outside the policy: %v", q)
	}
	policy.Conditions.Clients.Include = []string{clientID, reg.ClientID}
	must[*okta.AuthorizationServerPolicy](t)(c.AuthorizationServer.UpdateAuthorizationServerPolicy(ctx, as.Id, policy.Id, *policy))
	q := sdkSignIn(t, conf.AuthCodeURL("st"), "silver.sdk@example.com", password)
	if _, err := conf.Exchange(octx, q.Get("code")); err != nil {
		t.Errorf("registered client after the policy names it: %v (%v)", err, q)
	}
}

var (
	sdkFormAction = regexp.MustCompile(`<form method="post" action="([^"]*)"`)
	sdkHidden     = regexp.MustCompile(`<input type="hidden" name="([^"]*)" value="([^"]*)">`)
)

// sdkSignIn walks the sign-in page with a cookie-jar client and returns the
// redirect URI's query.
func sdkSignIn(t *testing.T, authURL, login, password string) url.Values {
	t.Helper()
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, Timeout: 10 * time.Second}
	resp, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := sdkFormAction.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no sign-in form: %s", page)
	}
	action, _ := resp.Request.URL.Parse(html.UnescapeString(string(m[1])))
	form := url.Values{"username": {login}, "password": {password}}
	for _, h := range sdkHidden.FindAllSubmatch(page, -1) {
		form.Add(html.UnescapeString(string(h[1])), html.UnescapeString(string(h[2])))
	}
	resp, err = c.PostForm(action.String(), form)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Path != "/callback" {
		t.Fatalf("landed on %s: %s", resp.Request.URL, body)
	}
	q, _ := url.ParseQuery(string(body))
	return q
}
