package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/oauth2"

	"github.com/apicenter/apicenter/internal/webapp/mulesofttest"
)

const localRedirect = "http://127.0.0.1:9/authorization-code/callback"

// userToken signs a user in headlessly at the local org (/api/v1/authn,
// then authorize with the sessionToken, code + PKCE) and returns the access
// token, through golang.org/x/oauth2.
func userToken(t *testing.T, org *mulesofttest.Org, username, password string, scopes ...string) string {
	t.Helper()
	s := org.App
	body, _ := json.Marshal(map[string]string{"username": username, "password": password})
	resp, err := http.Post(org.Org.URL+"/api/v1/authn", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var authn struct {
		Status       string `json:"status"`
		SessionToken string `json:"sessionToken"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&authn)
	resp.Body.Close()
	if authn.SessionToken == "" {
		t.Fatalf("authn %s: %s", username, resp.Status)
	}
	cfg := &oauth2.Config{
		ClientID: s["CLIENT_ID"], ClientSecret: s["CLIENT_SECRET"], RedirectURL: s["REDIRECT_URI"],
		Endpoint: oauth2.Endpoint{AuthURL: s["ISSUER"] + "/v1/authorize", TokenURL: s["ISSUER"] + "/v1/token", AuthStyle: oauth2.AuthStyleInHeader},
		Scopes:   scopes,
	}
	verifier := oauth2.GenerateVerifier()
	authURL := cfg.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier), oauth2.SetAuthURLParam("nonce", "n-1"),
		oauth2.SetAuthURLParam("sessionToken", authn.SessionToken))
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noFollow.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize for %s: %s, Location %q", username, resp.Status, resp.Header.Get("Location"))
	}
	tok, err := cfg.Exchange(context.Background(), loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("token for %s: %v", username, err)
	}
	return tok.AccessToken
}

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

// TestGatewayWithLocalOrgTokens runs the good, scope and revoked cases with
// real tokens of the local org, bootstrapped as the article's Mulesoft flow.
func TestGatewayWithLocalOrgTokens(t *testing.T) {
	org := mulesofttest.Start(t, localRedirect, "http://127.0.0.1:9")
	s := org.App
	silver := userToken(t, org, s["SILVER_USERNAME"], s["SILVER_PASSWORD"], "openid", s["SILVER_SCOPE"])
	gold := userToken(t, org, s["GOLD_USERNAME"], s["GOLD_PASSWORD"], "openid", s["SILVER_SCOPE"], s["GOLD_SCOPE"])
	revokedTok := userToken(t, org, s["SILVER_USERNAME"], s["SILVER_PASSWORD"], "openid", s["SILVER_SCOPE"])
	revoke(t, org, revokedTok)

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
				{name: "no token", path: "/planets", wantStatus: 401},
			}
			if mode == ModeIntrospect {
				tests = append(tests, struct {
					name        string
					path, token string
					wantStatus  int
					wantError   string
					wantSubject string
				}{name: "revoked token", path: "/planets", token: revokedTok, wantStatus: 401, wantError: "invalid_token"})
			} else {
				// A JWT gateway cannot know of a revocation: the token stays
				// good until it expires. This is why Mulesoft introspects.
				tests = append(tests, struct {
					name        string
					path, token string
					wantStatus  int
					wantError   string
					wantSubject string
				}{name: "revoked token still verifies", path: "/planets", token: revokedTok, wantStatus: 200, wantSubject: s["SILVER_USERNAME"]})
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
