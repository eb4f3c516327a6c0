package devorg

import (
	"net/http"
	"net/url"
	"slices"
	"testing"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// TestCustomClaims: the server's custom claims reach the access token
// (RESOURCE), the ID token (IDENTITY, alwaysIncludeInToken) and userinfo,
// with their scope conditions and group filters.
func TestCustomClaims(t *testing.T) {
	f := newOAuthFixture(t)
	err := f.org.update(func(st *State) error {
		as := st.AuthServers[f.asID]
		as.Claims = map[string]*Claim{}
		add := func(c Claim) {
			c.Meta = f.org.nextMeta(prefixClaim, "ACTIVE")
			as.Claims[c.ID] = &c
		}
		add(Claim{Name: "pol", ClaimType: "RESOURCE", ValueType: "EXPRESSION", Value: `"planets-policy"`, AlwaysIncludeInToken: true})
		add(Claim{Name: "email", ClaimType: "RESOURCE", ValueType: "EXPRESSION", Value: "user.email", AlwaysIncludeInToken: true})
		add(Claim{Name: "tier", ClaimType: "RESOURCE", ValueType: "EXPRESSION", Value: `"gold"`, Scopes: []string{"gold"}})
		add(Claim{Name: "groups", ClaimType: "IDENTITY", ValueType: "GROUPS", GroupFilterType: "STARTS_WITH", Value: "s", AlwaysIncludeInToken: true})
		add(Claim{Name: "family", ClaimType: "IDENTITY", ValueType: "EXPRESSION", Value: "user.lastName"})
		inactive := Claim{Name: "off", ClaimType: "RESOURCE", ValueType: "EXPRESSION", Value: `"x"`}
		add(inactive)
		for _, c := range as.Claims {
			if c.Name == "off" {
				c.Status = "INACTIVE"
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	ctx := ctxWithClient(t, &http.Client{Timeout: 10 * time.Second})
	provider, conf := f.webConfig(t, ctx, f.issuer, "openid", "silver")
	verifier := oauth2.GenerateVerifier()
	u := conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("sessionToken", f.sessionToken(t, f.silver.login)))
	resp, _ := get(t, noRedirect(), u)
	loc, _ := url.Parse(resp.Header.Get("Location"))
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	_, ac := jwtParts(t, tok.AccessToken)
	if ac["pol"] != "planets-policy" || ac["email"] != f.silver.login || ac["tier"] != nil || ac["off"] != nil || ac["sub"] != f.silver.login {
		t.Errorf("access token claims %v", ac)
	}
	idt, err := provider.Verifier(&oidc.Config{ClientID: f.webID}).Verify(ctx, tok.Extra("id_token").(string))
	if err != nil {
		t.Fatal(err)
	}
	var idc map[string]any
	_ = idt.Claims(&idc)
	if g, _ := idc["groups"].([]any); len(g) != 1 || g[0] != "Silver" || idc["family"] != nil {
		t.Errorf("ID token groups %v family %v", idc["groups"], idc["family"])
	}
	ui, err := provider.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		t.Fatal(err)
	}
	var uic map[string]any
	_ = ui.Claims(&uic)
	if uic["family"] != "Tester" {
		t.Errorf("userinfo %v", uic)
	}

	// Client credentials: literal claims only, and the scope condition.
	status, got := postForm(t, f.issuer+"/v1/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"gold"}}, f.svcID, f.svcSecret)
	if status != 200 {
		t.Fatalf("token: %d %v", status, got)
	}
	_, cc := jwtParts(t, got["access_token"].(string))
	if cc["pol"] != "planets-policy" || cc["tier"] != "gold" || cc["email"] != nil || !slices.Contains(toStrings(cc["scp"]), "gold") {
		t.Errorf("client-credentials claims %v", cc)
	}
}

func toStrings(v any) []string {
	var out []string
	for _, x := range v.([]any) {
		out = append(out, x.(string))
	}
	return out
}
