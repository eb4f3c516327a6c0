package demo

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"
)

// TestDemoFlow starts the whole demo and walks the article's payoff with
// real OAuth clients: the silver user reaches the planets but not the moons,
// the gold user reaches both, a request without a token is refused, and the
// introspection client sees the tokens as active.
func TestDemoFlow(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := Start(ctx, Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer d.Close(context.Background())

	s := d.Settings.App
	for _, k := range []string{"ISSUER", "CLIENT_ID", "CLIENT_SECRET", "SILVER_PASSWORD", "GOLD_PASSWORD"} {
		if s[k] == "" {
			t.Fatalf("setting %s is empty", k)
		}
	}
	if got, want := s["REDIRECT_URI"], d.AppURL+"/authorization-code/callback"; got != want {
		t.Errorf("REDIRECT_URI = %q, want %q", got, want)
	}
	if got := s["GATEWAY_URI"]; got != d.GatewayURL {
		t.Errorf("GATEWAY_URI = %q, want %q", got, d.GatewayURL)
	}

	if code := get(t, d.GatewayURL+"/planets", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /planets without a token: %d, want 401", code)
	}
	home, err := http.Get(d.AppURL + "/")
	if err != nil {
		t.Fatalf("web app: %v", err)
	}
	home.Body.Close()
	if home.StatusCode != http.StatusOK {
		t.Errorf("web app home: %s", home.Status)
	}

	tests := []struct {
		user, password, scope string
		planets, moons        int
	}{
		{s["SILVER_USERNAME"], s["SILVER_PASSWORD"], s["SILVER_SCOPE"], http.StatusOK, http.StatusForbidden},
		{s["GOLD_USERNAME"], s["GOLD_PASSWORD"], s["GOLD_SCOPE"] + " " + s["SILVER_SCOPE"], http.StatusOK, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			tok := signIn(ctx, t, d, tt.user, tt.password, "openid "+tt.scope)
			if code := get(t, d.GatewayURL+"/planets", tok.AccessToken); code != tt.planets {
				t.Errorf("GET /planets: %d, want %d", code, tt.planets)
			}
			if code := get(t, d.GatewayURL+"/moons", tok.AccessToken); code != tt.moons {
				t.Errorf("GET /moons: %d, want %d", code, tt.moons)
			}
			if !introspect(t, d, tok.AccessToken) {
				t.Error("the introspection client sees the access token as inactive")
			}
		})
	}
}

// signIn does the authorization-code flow with PKCE headlessly: a session
// token from /api/v1/authn, then authorize, then the code exchange.
func signIn(ctx context.Context, t *testing.T, d *Demo, user, password, scope string) *oauth2.Token {
	t.Helper()
	s := d.Settings.App
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, err := http.Post(d.OrgURL+"/api/v1/authn", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var authn struct{ SessionToken string }
	json.NewDecoder(resp.Body).Decode(&authn)
	resp.Body.Close()
	if authn.SessionToken == "" {
		t.Fatalf("authn for %s: %s", user, resp.Status)
	}
	conf := &oauth2.Config{
		ClientID: s["CLIENT_ID"], ClientSecret: s["CLIENT_SECRET"], RedirectURL: s["REDIRECT_URI"],
		Scopes:   strings.Fields(scope),
		Endpoint: oauth2.Endpoint{AuthURL: s["ISSUER"] + "/v1/authorize", TokenURL: s["ISSUER"] + "/v1/token"},
	}
	verifier := oauth2.GenerateVerifier()
	state := rand.Text()
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", rand.Text()), oauth2.SetAuthURLParam("sessionToken", authn.SessionToken))
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("authorize for %s: %s, Location %q", user, resp.Status, resp.Header.Get("Location"))
	}
	if loc.Query().Get("state") != state {
		t.Fatalf("authorize returned state %q, want %q", loc.Query().Get("state"), state)
	}
	tok, err := conf.Exchange(ctx, loc.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatalf("code exchange for %s: %v", user, err)
	}
	return tok
}

func get(t *testing.T, u, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

func introspect(t *testing.T, d *Demo, token string) bool {
	t.Helper()
	in := d.Settings.Introspect
	req, _ := http.NewRequest(http.MethodPost, in["TOKEN_INTROSPECTION_URL"],
		strings.NewReader(url.Values{"token": {token}, "token_type_hint": {"access_token"}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(in["INTROSPECT_CLIENT_ID"], in["INTROSPECT_CLIENT_SECRET"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out struct{ Active bool }
	json.NewDecoder(resp.Body).Decode(&out)
	return out.Active
}
