package gateway

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
)

const localRedirect = "http://127.0.0.1:9/authorization-code/callback"

// revoke revokes an access token as the client it was issued to (RFC 7009).
func revoke(t *testing.T, org *mulesofttest.Org, token string) {
	t.Helper()
	s := org.App
	req, _ := http.NewRequest(http.MethodPost, s["ISSUER"]+"/v1/revoke",
		strings.NewReader(url.Values{"token": {token}, "token_type_hint": {"access_token"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(s["CLIENT_ID"], s["CLIENT_SECRET"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %s", resp.Status)
	}
}

// localOrgTokens starts a local org bootstrapped as the article's Mulesoft
// flow and signs in for real: a silver token, a gold token, and a silver
// token revoked at the org.
func localOrgTokens(t *testing.T) (org *mulesofttest.Org, silver, gold, revoked string) {
	t.Helper()
	org = mulesofttest.Start(t, localRedirect, "http://127.0.0.1:9")
	s := org.App
	silver = mulesofttest.SignIn(t, org.Settings, s["SILVER_USERNAME"], s["SILVER_PASSWORD"], "openid", s["SILVER_SCOPE"]).AccessToken
	gold = mulesofttest.SignIn(t, org.Settings, s["GOLD_USERNAME"], s["GOLD_PASSWORD"], "openid", s["SILVER_SCOPE"], s["GOLD_SCOPE"]).AccessToken
	revoked = mulesofttest.SignIn(t, org.Settings, s["SILVER_USERNAME"], s["SILVER_PASSWORD"], "openid", s["SILVER_SCOPE"]).AccessToken
	revoke(t, org, revoked)
	return org, silver, gold, revoked
}

// TestGatewayWithLocalOrgTokens runs the good, scope and revoked cases with
// real tokens of the local org, bootstrapped as the article's Mulesoft flow.
func TestGatewayWithLocalOrgTokens(t *testing.T) {
	org, silver, gold, revokedTok := localOrgTokens(t)
	s := org.App

	for _, mode := range []Mode{ModeIntrospect, ModeJWT} {
		t.Run(string(mode), func(t *testing.T) {
			up := newUpstream(t)
			c := MulesoftConfig(up.srv.URL, s["ISSUER"], s["AUDIENCE"], org.Introspect["INTROSPECT_CLIENT_ID"],
				org.Introspect["INTROSPECT_CLIENT_SECRET"], s["SILVER_SCOPE"], s["GOLD_SCOPE"])
			c.Mode = mode
			c.ErrorLog = t.Logf
			g, err := New(c)
			if err != nil {
				t.Fatal(err)
			}
			gw := newServer(t, g)
			// An introspecting gateway learns of a revocation; a JWT gateway
			// cannot: the token stays good until it expires. This is why
			// Mulesoft introspects.
			revokedStatus, revokedError, revokedSubject := 401, "invalid_token", ""
			if mode == ModeJWT {
				revokedStatus, revokedError, revokedSubject = 200, "", s["SILVER_USERNAME"]
			}
			tests := []struct {
				name        string
				path, token string
				wantStatus  int
				wantError   string
				wantSubject string
			}{
				{name: "silver token, planets", path: "/planets", token: silver, wantStatus: 200, wantSubject: s["SILVER_USERNAME"]},
				{name: "silver token, moons", path: "/moons", token: silver, wantStatus: 403, wantError: "insufficient_scope"},
				{name: "gold token, moons", path: "/moons", token: gold, wantStatus: 200, wantSubject: s["GOLD_USERNAME"]},
				{name: "no token", path: "/planets", wantStatus: 401}, // RFC 6750 3.1: no error attribute
				{name: "revoked token", path: "/planets", token: revokedTok, wantStatus: revokedStatus, wantError: revokedError, wantSubject: revokedSubject},
			}
			for _, tt := range tests {
				t.Run(tt.name, func(t *testing.T) {
					auth := ""
					if tt.token != "" {
						auth = "Bearer " + tt.token
					}
					resp, body := get(t, gw+tt.path, auth)
					if resp.StatusCode != tt.wantStatus {
						t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body)
					}
					if tt.wantStatus == 200 {
						if got := up.lastHeader().Get(SubjectHeader); got != tt.wantSubject {
							t.Errorf("upstream saw subject %q, want %q", got, tt.wantSubject)
						}
						if up.lastHeader().Get("Authorization") != "" {
							t.Error("upstream saw the Authorization header")
						}
						return
					}
					if got := wwwAuthError(t, resp.Header.Get("WWW-Authenticate")); got != tt.wantError {
						t.Errorf("WWW-Authenticate error %q, want %q", got, tt.wantError)
					}
				})
			}
		})
	}
}
