package devorg_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"maps"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"golang.org/x/oauth2/clientcredentials"
)

// rawCall sends body (a JSON-able value or nil) through the SDK's request
// executor, so with its auth and headers, and decodes the answer as JSON.
func rawCall(t *testing.T, c *okta.Client, method, path string, body any) (map[string]any, error) {
	t.Helper()
	re := c.CloneRequestExecutor()
	req, err := re.WithAccept("application/json").WithContentType("application/json").NewRequest(method, path, body)
	if err != nil {
		t.Fatal(err)
	}
	var out map[string]any
	_, err = re.Do(context.Background(), req, &out)
	return out, err
}

// dig follows keys through nested JSON objects.
func dig(v any, keys ...string) any {
	for _, k := range keys {
		m, _ := v.(map[string]any)
		v = m[k]
	}
	return v
}

// TestAppCreateAcceptsWhatOktaAccepts: Okta creates these OIDC apps
// (issue 11, found with real clients); the local org refused them.
func TestAppCreateAcceptsWhatOktaAccepts(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	catalog := newOIDCApp("catalog", "web")
	catalog.Name = "okta_org2org"
	browserSecret := newOIDCApp("browser secret", "browser")
	browserSecret.Credentials.OauthClient.TokenEndpointAuthMethod = "client_secret_basic"
	serviceImplicit := newOIDCApp("service implicit", "service")
	serviceImplicit.Settings.OauthClient.GrantTypes = append(serviceImplicit.Settings.OauthClient.GrantTypes, ptr(okta.OAuthGrantType("implicit")))
	serviceImplicit.Settings.OauthClient.RedirectUris = []string{"http://127.0.0.1:8080/callback"}
	tests := []struct {
		name string
		app  *okta.OpenIdConnectApplication
		want func(*okta.OpenIdConnectApplication) bool
	}{
		{"an OIN catalog name", catalog, func(a *okta.OpenIdConnectApplication) bool { return a.Name == "okta_org2org" }},
		{"a browser app with client_secret_basic", browserSecret, func(a *okta.OpenIdConnectApplication) bool {
			return a.Credentials.OauthClient.TokenEndpointAuthMethod == "client_secret_basic" && a.Credentials.OauthClient.ClientSecret != ""
		}},
		{"a service app with implicit beside client_credentials", serviceImplicit, func(a *okta.OpenIdConnectApplication) bool {
			return len(a.Settings.OauthClient.GrantTypes) == 2
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := must[okta.App](t)(c.Application.CreateApplication(ctx, tt.app, nil)).(*okta.OpenIdConnectApplication)
			if !tt.want(got) {
				t.Fatalf("created app = %+v %+v", got, got.Settings.OauthClient)
			}
		})
	}
}

// TestAppRoundTripsWhatOktaKeeps sends the fields that Okta keeps on an
// OIDC app and checks that create, GET and PUT answer them unchanged.
func TestAppRoundTripsWhatOktaKeeps(t *testing.T) {
	_, c := startOrg(t)
	body := map[string]any{
		"name": "oidc_client", "label": "keeper", "signOnMode": "OPENID_CONNECT",
		"profile":         map[string]any{"tier": "gold", "apis": []any{"solar"}},
		"universalLogout": map[string]any{"status": "ENABLED", "supportType": "FULL", "identityStack": "NOT_SHARED", "protocol": "GLOBAL_TOKEN_REVOCATION"},
		"credentials": map[string]any{"oauthClient": map[string]any{
			"client_id": "solar-web-client", "autoKeyRotation": false, "token_endpoint_auth_method": "client_secret_post",
		}},
		"settings": map[string]any{"oauthClient": map[string]any{
			"application_type": "web", "grant_types": []any{"authorization_code"}, "response_types": []any{"code"},
			"redirect_uris":                        []any{"https://*.example.com/callback"},
			"wildcard_redirect":                    "SUBDOMAIN",
			"participate_slo":                      true,
			"logo_uri":                             "https://example.com/logo.png",
			"network":                              map[string]any{"connection": "ZONE", "include": []any{"nzo1"}},
			"frontchannel_logout_uri":              "https://example.com/logout",
			"frontchannel_logout_session_required": true,
		}},
	}
	want := map[string][]string{
		"client_id":                            {"credentials", "oauthClient", "client_id"},
		"autoKeyRotation":                      {"credentials", "oauthClient", "autoKeyRotation"},
		"wildcard_redirect":                    {"settings", "oauthClient", "wildcard_redirect"},
		"participate_slo":                      {"settings", "oauthClient", "participate_slo"},
		"logo_uri":                             {"settings", "oauthClient", "logo_uri"},
		"network":                              {"settings", "oauthClient", "network"},
		"frontchannel_logout_uri":              {"settings", "oauthClient", "frontchannel_logout_uri"},
		"frontchannel_logout_session_required": {"settings", "oauthClient", "frontchannel_logout_session_required"},
		"profile":                              {"profile"},
		"universalLogout":                      {"universalLogout"},
	}
	check := func(t *testing.T, step string, got map[string]any) {
		t.Helper()
		sent, _ := json.Marshal(body)
		var sentJSON map[string]any
		_ = json.Unmarshal(sent, &sentJSON)
		for _, name := range slices.Sorted(maps.Keys(want)) {
			path := want[name]
			if g, w := dig(got, path...), dig(sentJSON, path...); !reflect.DeepEqual(g, w) {
				t.Errorf("%s: %s = %#v, sent %#v", step, name, g, w)
			}
		}
	}
	created, err := rawCall(t, c, "POST", "/api/v1/apps", body)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "create", created)
	id, _ := created["id"].(string)
	got, err := rawCall(t, c, "GET", "/api/v1/apps/"+id, nil)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "get", got)
	if dig(got, "credentials", "oauthClient", "client_secret") != nil {
		t.Error("GET answers the client secret")
	}
	updated, err := rawCall(t, c, "PUT", "/api/v1/apps/"+id, body)
	if err != nil {
		t.Fatal(err)
	}
	check(t, "put", updated)
	// Okta's PUT answer carries the client secret, as the create one does.
	if s := dig(updated, "credentials", "oauthClient", "client_secret"); s == nil || s != dig(created, "credentials", "oauthClient", "client_secret") {
		t.Errorf("put: client_secret = %v, want the app's secret", s)
	}
}

// TestAppCustomClientID: a client-chosen client_id is kept, unique, and
// the one the token endpoint knows the app by.
func TestAppCustomClientID(t *testing.T) {
	srv, c := startOrg(t)
	ctx := context.Background()
	app := newOIDCApp("custom id", "service")
	app.Credentials.OauthClient.ClientId = "my-service-client"
	got := must[okta.App](t)(c.Application.CreateApplication(ctx, app, nil)).(*okta.OpenIdConnectApplication)
	if got.Credentials.OauthClient.ClientId != "my-service-client" || got.Id[:3] != "0oa" {
		t.Fatalf("client_id = %q, id = %q", got.Credentials.OauthClient.ClientId, got.Id)
	}
	again := newOIDCApp("custom id 2", "service")
	again.Credentials.OauthClient.ClientId = "my-service-client"
	_, _, err := c.Application.CreateApplication(ctx, again, nil)
	wantOktaErr(t, err, "E0000001", "client_id")

	must[*okta.OAuth2Scope](t)(c.AuthorizationServer.CreateOAuth2Scope(ctx, "default", okta.OAuth2Scope{Name: "solar:read"}))
	cc := clientcredentials.Config{ClientID: "my-service-client", ClientSecret: got.Credentials.OauthClient.ClientSecret,
		TokenURL: srv.URL + "/oauth2/default/v1/token", Scopes: []string{"solar:read"}}
	tok, err := cc.Token(ctx)
	if err != nil {
		t.Fatalf("client credentials with the chosen client_id: %v", err)
	}
	parts := strings.Split(tok.AccessToken, ".")
	payload, _ := base64.RawURLEncoding.DecodeString(parts[1])
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil || claims["cid"] != "my-service-client" {
		t.Fatalf("access token cid = %v (%v), want my-service-client", claims["cid"], err)
	}
}

// TestAppWithoutUniversalLogoutAnswersNull pins the recorded Okta answer
// (recorded-responses.json, GET /api/v1/apps): an OIDC app that was given
// no universalLogout answers null.
func TestAppWithoutUniversalLogoutAnswersNull(t *testing.T) {
	_, c := startOrg(t)
	created := must[okta.App](t)(c.Application.CreateApplication(context.Background(), newOIDCApp("plain", "web"), nil)).(*okta.OpenIdConnectApplication)
	got, err := rawCall(t, c, "GET", "/api/v1/apps/"+created.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got["universalLogout"]; !ok || v != nil {
		t.Fatalf("universalLogout = %#v (present %v), want null", v, ok)
	}
}
