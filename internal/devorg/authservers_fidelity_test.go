package devorg_test

import (
	"context"
	"slices"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
)

// TestNewAuthServerAnswersAsOkta: a new server lists Okta's system
// claims, and an empty description is null (Okta's answer), not "".
func TestNewAuthServerAnswersAsOkta(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	as := must[*okta.AuthorizationServer](t)(c.AuthorizationServer.CreateAuthorizationServer(ctx, okta.AuthorizationServer{
		Name: "solar", Audiences: []string{"api://solar"}}))
	var system []string
	for _, cl := range must[[]*okta.OAuth2Claim](t)(c.AuthorizationServer.ListOAuth2Claims(ctx, as.Id)) {
		if cl.System != nil && *cl.System {
			system = append(system, cl.Name)
			if cl.ClaimType != "IDENTITY" || cl.Conditions == nil || len(cl.Conditions.Scopes) != 1 {
				t.Errorf("system claim %s = %+v", cl.Name, cl)
			}
		}
	}
	for _, want := range []string{"address", "email", "email_verified", "family_name", "given_name", "name", "phone_number", "preferred_username", "zoneinfo"} {
		if !slices.Contains(system, want) {
			t.Errorf("system claims %v lack %s", system, want)
		}
	}
	got, err := rawCall(t, c, "GET", "/api/v1/authorizationServers/"+as.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if d, ok := got["description"]; !ok || d != nil {
		t.Errorf("description = %#v (present %v), want null", d, ok)
	}
	// A system claim is the org's: it cannot be deleted.
	for _, cl := range must[[]*okta.OAuth2Claim](t)(c.AuthorizationServer.ListOAuth2Claims(ctx, as.Id)) {
		if cl.Name == "email" {
			_, err := c.AuthorizationServer.DeleteOAuth2Claim(ctx, as.Id, cl.Id)
			wantOktaErr(t, err, "E0000006", "")
		}
	}
}

// TestScopeOptionalKeptOnPut: a scope's optional: true survives create and
// PUT (the SDK v2 has no field for it, so this is raw JSON).
func TestScopeOptionalKeptOnPut(t *testing.T) {
	_, c := startOrg(t)
	path := "/api/v1/authorizationServers/default/scopes"
	body := map[string]any{"name": "solar:read", "consent": "REQUIRED", "optional": true, "metadataPublish": "NO_CLIENTS"}
	created, err := rawCall(t, c, "POST", path, body)
	if err != nil {
		t.Fatal(err)
	}
	if created["optional"] != true {
		t.Fatalf("create: optional = %v", created["optional"])
	}
	body["description"] = "Read the solar system"
	updated, err := rawCall(t, c, "PUT", path+"/"+created["id"].(string), body)
	if err != nil {
		t.Fatal(err)
	}
	got, err := rawCall(t, c, "GET", path+"/"+created["id"].(string), nil)
	if err != nil {
		t.Fatal(err)
	}
	if updated["optional"] != true || got["optional"] != true {
		t.Fatalf("optional after PUT = %v, then GET = %v; want true", updated["optional"], got["optional"])
	}
}
