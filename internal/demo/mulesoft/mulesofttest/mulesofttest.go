// Package mulesofttest sets up, for tests, a local org the way the article's
// Mulesoft flow leaves a real one, with internal/flow (what `apicenter demo`
// runs): the real bootstrapper in-process, through the real
// okta SDK, against internal/devorg on 127.0.0.1. It also signs the users in
// headlessly, as the app would (internal/signin).
package mulesofttest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/flow"
	"github.com/apicenter/apicenter/internal/signin"
)

// Org is a bootstrapped local org and the settings `get-settings` prints:
// App (ISSUER, CLIENT_ID, CLIENT_SECRET, SILVER_USERNAME, ...) and
// Introspect (INTROSPECT_CLIENT_ID, TOKEN_INTROSPECTION_URL, ...).
type Org struct {
	Org *devorgtest.Server
	*mulesoft.Settings
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
	fl, err := flow.New("mulesoft")
	if err != nil {
		t.Fatal(err)
	}
	o := flow.Options{OrgURL: org.URL, Token: org.Token, OutputDir: t.TempDir(),
		Values: map[string]string{"REDIRECT_URI": redirectURI, "GATEWAY_URI": gatewayURI}}
	if err := fl.Run(ctx, o, nil); err != nil {
		t.Fatal(err)
	}
	s := &mulesoft.Settings{}
	if s.App, err = fl.App(o); err != nil {
		t.Fatal(err)
	}
	in, err := bootstrap.Settings("mulesoft_introspect", bootstrap.SettingsOptions{OutputDir: o.OutputDir})
	if err != nil {
		t.Fatal(err)
	}
	s.Introspect = map[string]string{}
	for _, kv := range in {
		s.Introspect[kv.Key] = kv.Value
	}
	return &Org{Org: org, Settings: s}
}

// Describe is a one-line summary for test logs (no secrets).
func (o *Org) Describe() string {
	return fmt.Sprintf("org %s, issuer %s, client %s", o.Org.URL, o.App["ISSUER"], o.App["CLIENT_ID"])
}

// SignIn signs username in as the app's client would, headlessly: a session
// token from the org's /api/v1/authn, then /v1/authorize with it, then the
// authorization code flow with PKCE, state and nonce through
// golang.org/x/oauth2. Any failure, an OAuth error included, fails t.
func SignIn(t testing.TB, s *mulesoft.Settings, username, password string, scopes ...string) *oauth2.Token {
	t.Helper()
	tok, oauthErr := TrySignIn(t, s, username, password, scopes...)
	if oauthErr != "" {
		t.Fatalf("signing %s in with the scopes %q: the org answered %s", username, scopes, oauthErr)
	}
	return tok
}

// TrySignIn is SignIn for a sign-in the org may refuse: it returns the
// OAuth error code the org sent to the redirect URI or from the token
// endpoint ("access_denied", "invalid_scope", ...) instead of failing t.
func TrySignIn(t testing.TB, s *mulesoft.Settings, username, password string, scopes ...string) (tok *oauth2.Token, oauthErr string) {
	t.Helper()
	app := s.App
	c := signin.Client{OrgURL: app["ORG_URL"], Issuer: app["ISSUER"], ClientID: app["CLIENT_ID"],
		ClientSecret: app["CLIENT_SECRET"], RedirectURI: app["REDIRECT_URI"]}
	tok, err := c.Password(context.Background(), username, password, scopes)
	var refused *signin.RefusedError
	switch {
	case errors.As(err, &refused) && refused.Step != "authn":
		return nil, refused.Code
	case err != nil:
		t.Fatalf("signing %s in: %v", username, err)
	}
	return tok, ""
}

// Introspect asks the org about token (RFC 7662) with the introspection
// client's credentials, as the gateway does.
func Introspect(t testing.TB, s *mulesoft.Settings, token string) (active bool, scope string) {
	t.Helper()
	in := s.Introspect
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, err := http.NewRequest(http.MethodPost, in["TOKEN_INTROSPECTION_URL"], strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(in["INTROSPECT_CLIENT_ID"], in["INTROSPECT_CLIENT_SECRET"])
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("introspect: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	var r struct {
		Active bool   `json:"active"`
		Scope  string `json:"scope"`
	}
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &r) != nil {
		t.Fatalf("introspect: %s %s", resp.Status, b)
	}
	return r.Active, r.Scope
}
