package devorg_test

import (
	"context"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"
)

// newOIDCApp returns an OIDC app of the given type, as the bootstrapper
// makes them.
func newOIDCApp(label, appType string) *okta.OpenIdConnectApplication {
	app := okta.NewOpenIdConnectApplication()
	app.Label = label
	oc := &okta.OpenIdConnectApplicationSettingsClient{ApplicationType: appType}
	method := "client_secret_basic"
	switch appType {
	case "service":
		oc.GrantTypes = []*okta.OAuthGrantType{ptr(okta.OAuthGrantType("client_credentials"))}
		oc.ResponseTypes = []*okta.OAuthResponseType{ptr(okta.OAuthResponseType("token"))}
	case "browser":
		method = "none"
		fallthrough
	default:
		oc.GrantTypes = []*okta.OAuthGrantType{ptr(okta.OAuthGrantType("authorization_code")), ptr(okta.OAuthGrantType("refresh_token"))}
		oc.ResponseTypes = []*okta.OAuthResponseType{ptr(okta.OAuthResponseType("code"))}
		oc.RedirectUris = []string{"http://127.0.0.1:8080/callback"}
	}
	app.Settings = &okta.OpenIdConnectApplicationSettings{OauthClient: oc}
	app.Credentials = &okta.OAuthApplicationCredentials{OauthClient: &okta.ApplicationCredentialsOAuthClient{TokenEndpointAuthMethod: method}}
	return app
}

func ptr[T any](v T) *T { return &v }

func TestAppCreateAndSecrets(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	tests := []struct {
		appType    string
		wantSecret bool
	}{
		{"service", true},
		{"web", true},
		{"browser", false},
	}
	for _, tt := range tests {
		t.Run(tt.appType, func(t *testing.T) {
			created := must[okta.App](t)(c.Application.CreateApplication(ctx, newOIDCApp("app-"+tt.appType, tt.appType), nil)).(*okta.OpenIdConnectApplication)
			oc := created.Credentials.OauthClient
			if created.Id[:3] != "0oa" || oc.ClientId != created.Id || created.Status != "ACTIVE" {
				t.Fatalf("created = %+v %+v", created, oc)
			}
			if (oc.ClientSecret != "") != tt.wantSecret {
				t.Fatalf("client_secret in create answer = %q, want one: %v", oc.ClientSecret, tt.wantSecret)
			}
			got := must[okta.App](t)(c.Application.GetApplication(ctx, created.Id, okta.NewOpenIdConnectApplication(), nil)).(*okta.OpenIdConnectApplication)
			if got.Credentials.OauthClient.ClientSecret != "" {
				t.Fatal("GET answers the client secret; only the create answer may")
			}
			if got.Settings.OauthClient.ApplicationType != tt.appType || got.Credentials.OauthClient.ClientId != created.Id {
				t.Fatalf("get = %+v", got.Settings.OauthClient)
			}
			secrets := must[[]*okta.ClientSecret](t)(c.Application.ListClientSecretsForApplication(ctx, created.Id))
			if tt.wantSecret && (len(secrets) != 1 || secrets[0].ClientSecret != oc.ClientSecret || secrets[0].Id[:3] != "ocs") {
				t.Fatalf("secrets = %+v", secrets)
			}
			if !tt.wantSecret && len(secrets) != 0 {
				t.Fatalf("a public client has secrets: %+v", secrets)
			}
		})
	}
}

func TestAppValidation(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	noRedirect := newOIDCApp("x", "web")
	noRedirect.Settings.OauthClient.RedirectUris = nil
	serviceCode := newOIDCApp("x", "service")
	serviceCode.Settings.OauthClient.GrantTypes = append(serviceCode.Settings.OauthClient.GrantTypes, ptr(okta.OAuthGrantType("authorization_code")))
	noLabel := newOIDCApp("", "web")
	webWithoutCode := newOIDCApp("x", "web")
	webWithoutCode.Settings.OauthClient.GrantTypes = []*okta.OAuthGrantType{ptr(okta.OAuthGrantType("client_credentials"))}
	tests := []struct {
		name  string
		app   *okta.OpenIdConnectApplication
		cause string
	}{
		{"web without redirect uris", noRedirect, "redirect_uris"},
		{"service with authorization_code", serviceCode, "grant_types"},
		{"no label", noLabel, "label"},
		{"web without authorization_code", webWithoutCode, "'grant_types' must contain 'authorization_code'"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.Application.CreateApplication(ctx, tt.app, nil)
			wantOktaErr(t, err, "E0000001", tt.cause)
		})
	}
}

func TestAppLifecycleAndLookups(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	web := must[okta.App](t)(c.Application.CreateApplication(ctx, newOIDCApp("solar web", "web"), nil)).(*okta.OpenIdConnectApplication)
	svc := must[okta.App](t)(c.Application.CreateApplication(ctx, newOIDCApp("solar svc", "service"), query.NewQueryParams(query.WithActivate(false)))).(*okta.OpenIdConnectApplication)
	if svc.Status != "INACTIVE" {
		t.Fatalf("activate=false: status %s", svc.Status)
	}
	g := must[*okta.Group](t)(c.Group.CreateGroup(ctx, newGroup("gold")))
	u := must[*okta.User](t)(c.User.CreateUser(ctx, newUser("ann@example.com", "Xyzzy-Plugh-42"), nil))
	mustDo(t)(c.Group.AddUserToGroup(ctx, g.Id, u.Id))

	// Group assignments.
	asg := must[*okta.ApplicationGroupAssignment](t)(c.Application.CreateApplicationGroupAssignment(ctx, web.Id, g.Id, okta.ApplicationGroupAssignment{PriorityPtr: okta.Int64Ptr(1)}))
	if asg.Id != g.Id || *asg.PriorityPtr != 1 {
		t.Fatalf("assignment = %+v", asg)
	}
	if l := must[[]*okta.ApplicationGroupAssignment](t)(c.Application.ListApplicationGroupAssignments(ctx, web.Id, nil)); len(l) != 1 {
		t.Fatalf("assignments = %v", l)
	}
	must[*okta.ApplicationGroupAssignment](t)(c.Application.GetApplicationGroupAssignment(ctx, web.Id, g.Id, nil))

	tests := []struct {
		name string
		qp   *query.Params
		want []string
	}{
		{"q on label", query.NewQueryParams(query.WithQ("solar")), []string{web.Id, svc.Id}},
		{"filter status", query.NewQueryParams(query.WithFilter(`status eq "ACTIVE"`)), []string{web.Id}},
		{"filter group.id", query.NewQueryParams(query.WithFilter(`group.id eq "` + g.Id + `"`)), []string{web.Id}},
		{"filter user.id through a group", query.NewQueryParams(query.WithFilter(`user.id eq "` + u.Id + `"`)), []string{web.Id}},
		{"filter name", query.NewQueryParams(query.WithFilter(`name eq "oidc_client"`)), []string{web.Id, svc.Id}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			apps := must[[]okta.App](t)(c.Application.ListApplications(ctx, tt.qp))
			var ids []string
			for _, a := range apps {
				ids = append(ids, a.(*okta.Application).Id)
			}
			if len(ids) != len(tt.want) || (len(ids) > 0 && ids[0] != tt.want[0]) {
				t.Fatalf("ids = %v, want %v", ids, tt.want)
			}
		})
	}

	// Update keeps the client id and the secret.
	web.Label = "solar web 2"
	upd := must[okta.App](t)(c.Application.UpdateApplication(ctx, web.Id, web)).(*okta.OpenIdConnectApplication)
	if upd.Label != "solar web 2" || upd.Credentials.OauthClient.ClientId != web.Id {
		t.Fatalf("update = %+v", upd)
	}

	// Deleting an active app is forbidden, as in Okta.
	_, err := c.Application.DeleteApplication(ctx, web.Id)
	wantOktaErr(t, err, "E0000056", "")
	mustDo(t)(c.Application.DeleteApplicationGroupAssignment(ctx, web.Id, g.Id))
	mustDo(t)(c.Application.DeactivateApplication(ctx, web.Id))
	mustDo(t)(c.Application.DeleteApplication(ctx, web.Id))
	_, _, err = c.Application.GetApplication(ctx, web.Id, okta.NewOpenIdConnectApplication(), nil)
	wantOktaErr(t, err, "E0000007", "")
	mustDo(t)(c.Application.ActivateApplication(ctx, svc.Id))
}

func TestAppUsersAndSecretRotation(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	app := must[okta.App](t)(c.Application.CreateApplication(ctx, newOIDCApp("rot", "web"), nil)).(*okta.OpenIdConnectApplication)
	u := must[*okta.User](t)(c.User.CreateUser(ctx, newUser("ann@example.com", "Xyzzy-Plugh-42"), nil))
	au := must[*okta.AppUser](t)(c.Application.AssignUserToApplication(ctx, app.Id, okta.AppUser{Id: u.Id}))
	if au.Id != u.Id || au.Credentials.UserName != "ann@example.com" {
		t.Fatalf("app user = %+v", au)
	}
	if l := must[[]*okta.AppUser](t)(c.Application.ListApplicationUsers(ctx, app.Id, nil)); len(l) != 1 {
		t.Fatalf("app users = %v", l)
	}
	mustDo(t)(c.Application.DeleteApplicationUser(ctx, app.Id, u.Id, nil))

	second := must[*okta.ClientSecret](t)(c.Application.CreateNewClientSecretForApplication(ctx, app.Id, okta.ClientSecretMetadata{}))
	secrets := must[[]*okta.ClientSecret](t)(c.Application.ListClientSecretsForApplication(ctx, app.Id))
	if len(secrets) != 2 {
		t.Fatalf("secrets = %d", len(secrets))
	}
	_, err := c.Application.DeleteClientSecretForApplication(ctx, app.Id, second.Id)
	wantOktaErr(t, err, "E0000001", "deactivate it first")
	must[*okta.ClientSecret](t)(c.Application.DeactivateClientSecretForApplication(ctx, app.Id, second.Id))
	mustDo(t)(c.Application.DeleteClientSecretForApplication(ctx, app.Id, second.Id))
}
