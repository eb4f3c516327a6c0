package demo

import (
	"context"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
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
			tok := mulesofttest.SignIn(t, d.Settings, tt.user, tt.password, append([]string{"openid"}, strings.Fields(tt.scope)...)...)
			if code := get(t, d.GatewayURL+"/planets", tok.AccessToken); code != tt.planets {
				t.Errorf("GET /planets: %d, want %d", code, tt.planets)
			}
			if code := get(t, d.GatewayURL+"/moons", tok.AccessToken); code != tt.moons {
				t.Errorf("GET /moons: %d, want %d", code, tt.moons)
			}
			active, scope := mulesofttest.Introspect(t, d.Settings, tok.AccessToken)
			if !active {
				t.Error("the introspection client sees the access token as inactive")
			}
			for _, want := range strings.Fields(tt.scope) {
				if !slices.Contains(strings.Fields(scope), want) {
					t.Errorf("introspection gives the scopes %q, want %s among them", scope, want)
				}
			}
		})
	}
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
