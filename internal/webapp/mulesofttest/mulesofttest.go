// Package mulesofttest sets up, for tests, a local org the way the article's
// Mulesoft flow leaves a real one, with internal/demo/mulesoft (what
// `apicenter demo` runs): the real bootstrapper in-process, through the real
// okta SDK, against internal/devorg on 127.0.0.1.
package mulesofttest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
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
	s, err := mulesoft.Bootstrap(ctx, mulesoft.Options{
		OrgURL:      org.URL,
		Token:       org.Token,
		RedirectURI: redirectURI,
		GatewayURI:  gatewayURI,
		OutputDir:   t.TempDir(),
	})
	if err != nil {
		t.Fatal(err)
	}
	return &Org{Org: org, Settings: s}
}

// Describe is a one-line summary for test logs (no secrets).
func (o *Org) Describe() string {
	return fmt.Sprintf("org %s, issuer %s, client %s", o.Org.URL, o.App["ISSUER"], o.App["CLIENT_ID"])
}
