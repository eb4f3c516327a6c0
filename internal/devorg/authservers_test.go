package devorg_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"
)

func TestDefaultAuthServerSeeded(t *testing.T) {
	srv, c := startOrg(t)
	ctx := context.Background()
	as := must[*okta.AuthorizationServer](t)(c.AuthorizationServer.GetAuthorizationServer(ctx, "default"))
	if as.Default == nil || !*as.Default || as.Audiences[0] != "api://default" || as.Issuer != srv.URL+"/oauth2/default" || as.Id[:3] != "aus" {
		t.Fatalf("default server = %+v", as)
	}
	scopes := must[[]*okta.OAuth2Scope](t)(c.AuthorizationServer.ListOAuth2Scopes(ctx, "default", nil))
	var names []string
	for _, s := range scopes {
		names = append(names, s.Name)
		if s.System == nil || !*s.System {
			t.Errorf("scope %s is not a system scope", s.Name)
		}
	}
	if got := strings.Join(names, " "); got != "openid profile email address phone offline_access device_sso" {
		t.Fatalf("system scopes = %s", got)
	}
	pols := must[[]*okta.AuthorizationServerPolicy](t)(c.AuthorizationServer.ListAuthorizationServerPolicies(ctx, as.Id))
	if len(pols) != 1 || pols[0].Name != "Default Policy" || pols[0].Conditions.Clients.Include[0] != "ALL_CLIENTS" || *pols[0].PriorityPtr != 1 {
		t.Fatalf("default policies = %+v", pols)
	}
	rules := must[[]*okta.AuthorizationServerPolicyRule](t)(c.AuthorizationServer.ListAuthorizationServerPolicyRules(ctx, as.Id, pols[0].Id))
	if len(rules) != 1 || rules[0].Name != "Default Policy Rule" || rules[0].Conditions.People.Groups.Include[0] != "EVERYONE" ||
		rules[0].Conditions.Scopes.Include[0] != "*" {
		t.Fatalf("default rules = %+v", rules)
	}
	keys := must[[]*okta.JsonWebKey](t)(c.AuthorizationServer.ListAuthorizationServerKeys(ctx, "default"))
	if len(keys) != 1 || keys[0].Kty != "RSA" || keys[0].Alg != "RS256" || keys[0].N == "" || keys[0].E != "AQAB" ||
		keys[0].Kid != as.Credentials.Signing.Kid {
		t.Fatalf("keys = %+v", keys)
	}
}

func TestAuthServerLifecycle(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	as := must[*okta.AuthorizationServer](t)(c.AuthorizationServer.CreateAuthorizationServer(ctx, okta.AuthorizationServer{
		Name: "solar-system", Description: "d", Audiences: []string{"api://solar-system"}}))
	if as.Status != "ACTIVE" || as.Default == nil || *as.Default {
		t.Fatalf("created = %+v", as)
	}
	_, _, err := c.AuthorizationServer.CreateAuthorizationServer(ctx, okta.AuthorizationServer{Name: "x", Description: "d"})
	wantOktaErr(t, err, "E0000001", "audiences")

	// A new custom server has the system scopes, a key, and no policy.
	if s := must[[]*okta.OAuth2Scope](t)(c.AuthorizationServer.ListOAuth2Scopes(ctx, as.Id, nil)); len(s) != 7 {
		t.Fatalf("new server has %d scopes, want the 7 system scopes", len(s))
	}
	if p := must[[]*okta.AuthorizationServerPolicy](t)(c.AuthorizationServer.ListAuthorizationServerPolicies(ctx, as.Id)); len(p) != 0 {
		t.Fatalf("new server has %d policies, want none", len(p))
	}
	if k := must[[]*okta.JsonWebKey](t)(c.AuthorizationServer.ListAuthorizationServerKeys(ctx, as.Id)); len(k) != 1 {
		t.Fatalf("new server has %d keys", len(k))
	}

	found := must[[]*okta.AuthorizationServer](t)(c.AuthorizationServer.ListAuthorizationServers(ctx, query.NewQueryParams(query.WithQ("solar"))))
	if len(found) != 1 || found[0].Id != as.Id {
		t.Fatalf("q=solar found %v", found)
	}
	as.Description = "updated"
	upd := must[*okta.AuthorizationServer](t)(c.AuthorizationServer.UpdateAuthorizationServer(ctx, as.Id, *as))
	if upd.Description != "updated" {
		t.Fatalf("update = %+v", upd)
	}
	mustDo(t)(c.AuthorizationServer.DeactivateAuthorizationServer(ctx, as.Id))
	if got := must[*okta.AuthorizationServer](t)(c.AuthorizationServer.GetAuthorizationServer(ctx, as.Id)); got.Status != "INACTIVE" {
		t.Fatalf("after deactivate: %s", got.Status)
	}
	mustDo(t)(c.AuthorizationServer.ActivateAuthorizationServer(ctx, as.Id))
	mustDo(t)(c.AuthorizationServer.DeleteAuthorizationServer(ctx, as.Id))
	_, _, err = c.AuthorizationServer.GetAuthorizationServer(ctx, as.Id)
	wantOktaErr(t, err, "E0000007", "")
}

func TestScopesAndClaims(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	s := must[*okta.OAuth2Scope](t)(c.AuthorizationServer.CreateOAuth2Scope(ctx, "default", okta.OAuth2Scope{Name: "solar:read", Description: "Read"}))
	if s.Id[:3] != "scp" || s.Consent != "IMPLICIT" {
		t.Fatalf("scope = %+v", s)
	}
	_, _, err := c.AuthorizationServer.CreateOAuth2Scope(ctx, "default", okta.OAuth2Scope{Name: "solar:read"})
	wantOktaErr(t, err, "E0000001", "already exists")
	// Names are unique per server only.
	other := must[*okta.AuthorizationServer](t)(c.AuthorizationServer.CreateAuthorizationServer(ctx, okta.AuthorizationServer{Name: "other", Description: "d", Audiences: []string{"api://o"}}))
	must[*okta.OAuth2Scope](t)(c.AuthorizationServer.CreateOAuth2Scope(ctx, other.Id, okta.OAuth2Scope{Name: "solar:read"}))

	s.Description = "Read planets"
	if got := must[*okta.OAuth2Scope](t)(c.AuthorizationServer.UpdateOAuth2Scope(ctx, "default", s.Id, *s)); got.Description != "Read planets" {
		t.Fatalf("update scope = %+v", got)
	}
	if got := must[*okta.OAuth2Scope](t)(c.AuthorizationServer.GetOAuth2Scope(ctx, "default", s.Id)); got.Name != "solar:read" {
		t.Fatalf("get scope = %+v", got)
	}
	mustDo(t)(c.AuthorizationServer.DeleteOAuth2Scope(ctx, "default", s.Id))
	_, _, err = c.AuthorizationServer.GetOAuth2Scope(ctx, "default", s.Id)
	wantOktaErr(t, err, "E0000007", "")

	cl := must[*okta.OAuth2Claim](t)(c.AuthorizationServer.CreateOAuth2Claim(ctx, "default", okta.OAuth2Claim{
		Name: "groups", ClaimType: "RESOURCE", ValueType: "GROUPS", Value: "solar", GroupFilterType: "STARTS_WITH", Status: "ACTIVE"}))
	if cl.Id[:3] != "ocl" || cl.GroupFilterType != "STARTS_WITH" {
		t.Fatalf("claim = %+v", cl)
	}
	custom := 0
	for _, c := range must[[]*okta.OAuth2Claim](t)(c.AuthorizationServer.ListOAuth2Claims(ctx, "default")) {
		if c.System == nil || !*c.System {
			custom++
		}
	}
	if custom != 1 {
		t.Fatalf("custom claims = %d, want 1", custom)
	}
	mustDo(t)(c.AuthorizationServer.DeleteOAuth2Claim(ctx, "default", cl.Id))
}

func newRule(name string, prio int64, groups []string, scopes []string) okta.AuthorizationServerPolicyRule {
	life := int64(30)
	return okta.AuthorizationServerPolicyRule{
		Name: name, PriorityPtr: okta.Int64Ptr(prio), Type: "RESOURCE_ACCESS",
		Conditions: &okta.AuthorizationServerPolicyRuleConditions{
			People:     &okta.PolicyPeopleCondition{Groups: &okta.GroupCondition{Include: groups}},
			GrantTypes: &okta.GrantTypePolicyRuleCondition{Include: []string{"client_credentials", "authorization_code"}},
			Scopes:     &okta.OAuth2ScopesMediationPolicyRuleCondition{Include: scopes},
		},
		Actions: &okta.AuthorizationServerPolicyRuleActions{Token: &okta.TokenAuthorizationServerPolicyRuleAction{AccessTokenLifetimeMinutesPtr: &life}},
	}
}

func TestPoliciesAndRulesByPriority(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	as := must[*okta.AuthorizationServer](t)(c.AuthorizationServer.CreateAuthorizationServer(ctx, okta.AuthorizationServer{Name: "p", Description: "d", Audiences: []string{"api://p"}}))
	g := must[*okta.Group](t)(c.Group.CreateGroup(ctx, newGroup("gold")))
	app := must[okta.App](t)(c.Application.CreateApplication(ctx, newOIDCApp("svc", "service"), nil)).(*okta.OpenIdConnectApplication)

	newPolicy := func(name string, prio int64, clients ...string) okta.AuthorizationServerPolicy {
		return okta.AuthorizationServerPolicy{Name: name, Description: name, Type: "OAUTH_AUTHORIZATION_POLICY", PriorityPtr: okta.Int64Ptr(prio),
			Conditions: &okta.PolicyRuleConditions{Clients: &okta.ClientPolicyCondition{Include: clients}}}
	}
	p1 := must[*okta.AuthorizationServerPolicy](t)(c.AuthorizationServer.CreateAuthorizationServerPolicy(ctx, as.Id, newPolicy("first", 1, "ALL_CLIENTS")))
	p2 := must[*okta.AuthorizationServerPolicy](t)(c.AuthorizationServer.CreateAuthorizationServerPolicy(ctx, as.Id, newPolicy("top", 1, app.Id)))
	if p1.Id[:3] != "00p" || *p2.PriorityPtr != 1 {
		t.Fatalf("policies = %+v %+v", p1, p2)
	}
	_, _, err := c.AuthorizationServer.CreateAuthorizationServerPolicy(ctx, as.Id, newPolicy("bad", 1, "0oanosuchclient00000"))
	wantOktaErr(t, err, "E0000001", "Invalid client id")

	pols := must[[]*okta.AuthorizationServerPolicy](t)(c.AuthorizationServer.ListAuthorizationServerPolicies(ctx, as.Id))
	var order []string
	for _, p := range pols {
		order = append(order, fmt.Sprintf("%s:%d", p.Name, *p.PriorityPtr))
	}
	if got := strings.Join(order, ","); got != "top:1,first:2" {
		t.Fatalf("policy order = %s", got)
	}

	r1 := must[*okta.AuthorizationServerPolicyRule](t)(c.AuthorizationServer.CreateAuthorizationServerPolicyRule(ctx, as.Id, p1.Id, newRule("gold rule", 1, []string{g.Id}, []string{"openid"})))
	must[*okta.AuthorizationServerPolicyRule](t)(c.AuthorizationServer.CreateAuthorizationServerPolicyRule(ctx, as.Id, p1.Id, newRule("everyone rule", 1, []string{"EVERYONE"}, []string{"*"})))
	if r1.Id[:3] != "0pr" || *r1.Actions.Token.AccessTokenLifetimeMinutesPtr != 30 || r1.Conditions.People.Groups.Include[0] != g.Id {
		t.Fatalf("rule = %+v", r1)
	}
	rules := must[[]*okta.AuthorizationServerPolicyRule](t)(c.AuthorizationServer.ListAuthorizationServerPolicyRules(ctx, as.Id, p1.Id))
	if len(rules) != 2 || rules[0].Name != "everyone rule" || *rules[1].PriorityPtr != 2 {
		t.Fatalf("rule order = %v, %v", rules[0].Name, rules[1].Name)
	}

	bad := newRule("bad", 1, []string{g.Id}, nil)
	bad.Actions.Token.AccessTokenLifetimeMinutesPtr = okta.Int64Ptr(2)
	_, _, err = c.AuthorizationServer.CreateAuthorizationServerPolicyRule(ctx, as.Id, p1.Id, bad)
	wantOktaErr(t, err, "E0000001", "accessTokenLifetimeMinutes")
	noPeople := newRule("bad", 1, nil, nil)
	_, _, err = c.AuthorizationServer.CreateAuthorizationServerPolicyRule(ctx, as.Id, p1.Id, noPeople)
	wantOktaErr(t, err, "E0000001", "conditions.people")

	r1.Name = "gold rule 2"
	r1.Conditions.Scopes.Include = []string{"openid", "profile"}
	upd := must[*okta.AuthorizationServerPolicyRule](t)(c.AuthorizationServer.UpdateAuthorizationServerPolicyRule(ctx, as.Id, p1.Id, r1.Id, *r1))
	if upd.Name != "gold rule 2" || len(upd.Conditions.Scopes.Include) != 2 {
		t.Fatalf("updated rule = %+v", upd)
	}
	mustDo(t)(c.AuthorizationServer.DeactivateAuthorizationServerPolicyRule(ctx, as.Id, p1.Id, r1.Id))
	if got := must[*okta.AuthorizationServerPolicyRule](t)(c.AuthorizationServer.GetAuthorizationServerPolicyRule(ctx, as.Id, p1.Id, r1.Id)); got.Status != "INACTIVE" {
		t.Fatalf("rule status = %s", got.Status)
	}
	mustDo(t)(c.AuthorizationServer.DeleteAuthorizationServerPolicyRule(ctx, as.Id, p1.Id, r1.Id))

	p1.Description = "changed"
	if got := must[*okta.AuthorizationServerPolicy](t)(c.AuthorizationServer.UpdateAuthorizationServerPolicy(ctx, as.Id, p1.Id, *p1)); got.Description != "changed" {
		t.Fatalf("updated policy = %+v", got)
	}
	mustDo(t)(c.AuthorizationServer.DeactivateAuthorizationServerPolicy(ctx, as.Id, p2.Id))
	if got := must[*okta.AuthorizationServerPolicy](t)(c.AuthorizationServer.GetAuthorizationServerPolicy(ctx, as.Id, p2.Id)); got.Status != "INACTIVE" {
		t.Fatalf("policy status = %s", got.Status)
	}
	mustDo(t)(c.AuthorizationServer.DeleteAuthorizationServerPolicy(ctx, as.Id, p2.Id))
	pols = must[[]*okta.AuthorizationServerPolicy](t)(c.AuthorizationServer.ListAuthorizationServerPolicies(ctx, as.Id))
	if len(pols) != 1 || *pols[0].PriorityPtr != 1 {
		t.Fatalf("after delete: %+v", pols)
	}
}
