// Package mulesofttest sets up, for tests, a local org the way the article's
// Mulesoft flow leaves a real one: `bootstrap --mulesoft`, the app's client
// registered through dynamic client registration (what Mulesoft does), then
// `bootstrap --mulesoft_policy`. It runs the real bootstrapper in-process,
// through the real okta SDK, against internal/devorg on 127.0.0.1.
package mulesofttest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/orgenv"
)

// Org is a bootstrapped local org and the settings `get-settings` prints.
type Org struct {
	Org *devorgtest.Server
	// App is the `get-settings --mulesoft` set: ISSUER, CLIENT_ID,
	// CLIENT_SECRET, SILVER_USERNAME, SILVER_PASSWORD, ...
	App map[string]string
	// Introspect is the `get-settings --mulesoft_introspect` set:
	// INTROSPECT_CLIENT_ID, INTROSPECT_CLIENT_SECRET,
	// TOKEN_INTROSPECTION_URL, ...
	Introspect map[string]string
}

// Lookup looks a setting up in App, for webapp.ConfigFromEnv.
func (o *Org) Lookup(k string) (string, bool) {
	v, ok := o.App[k]
	return v, ok
}

// Start starts a local org and bootstraps it for an app whose redirect URI
// is redirectURI and a gateway at gatewayURI. It sets HOME to a temp dir
// (the okta SDK reads ~/.okta).
func Start(t testing.TB, redirectURI, gatewayURI string) *Org {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	org := devorgtest.Start(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	outDir := t.TempDir()
	env := &orgenv.Env{Getenv: func(k string) (string, bool) {
		if k == "OKTA_API_TOKEN" {
			return org.Token, true
		}
		return "", false
	}}
	run := func(input string, set ...string) {
		t.Helper()
		f, err := inputs.LoadEmbedded(input)
		if err != nil {
			t.Fatalf("input %s: %v", input, err)
		}
		if _, err := bootstrap.Run(ctx, bootstrap.Options{Input: f, OrgURL: org.URL, Env: env, Set: set, Yes: true, OutputDir: outDir}); err != nil {
			t.Fatalf("bootstrap --%s: %v", input, err)
		}
	}
	run("mulesoft", "REDIRECT_URI="+redirectURI)
	id, secret := registerClient(ctx, t, org, redirectURI)
	run("mulesoft_policy", "AUTHN_CLIENT_ID="+id, "AUTHN_CLIENT_SECRET="+secret, "GATEWAY_URI="+gatewayURI)

	o := &Org{Org: org, App: settings(t, "mulesoft", outDir), Introspect: settings(t, "mulesoft_introspect", outDir)}
	return o
}

func settings(t testing.TB, name, dir string) map[string]string {
	t.Helper()
	ss, err := bootstrap.Settings(name, bootstrap.SettingsOptions{OutputDir: dir})
	if err != nil {
		t.Fatalf("get-settings --%s: %v", name, err)
	}
	m := make(map[string]string, len(ss))
	for _, s := range ss {
		m[s.Key] = s.Value
	}
	return m
}

// registerClient does what Mulesoft does when it creates the app's client:
// RFC 7591 dynamic client registration at the org, with the API token.
func registerClient(ctx context.Context, t testing.TB, org *devorgtest.Server, redirectURI string) (id, secret string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"client_name":                "solar system web app (Mulesoft)",
		"application_type":           "web",
		"redirect_uris":              []string{redirectURI},
		"response_types":             []string{"code"},
		"grant_types":                []string{"authorization_code"},
		"token_endpoint_auth_method": "client_secret_basic",
	})
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, org.URL+"/oauth2/v1/clients", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "SSWS "+org.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("dynamic client registration: %v", err)
	}
	defer resp.Body.Close()
	var c struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&c); err != nil || resp.StatusCode != http.StatusCreated || c.ClientID == "" {
		t.Fatalf("dynamic client registration: %s, %v", resp.Status, err)
	}
	return c.ClientID, c.ClientSecret
}

// Describe is a one-line summary for test logs (no secrets).
func (o *Org) Describe() string {
	return fmt.Sprintf("org %s, issuer %s, client %s", o.Org.URL, o.App["ISSUER"], o.App["CLIENT_ID"])
}
