// Package mulesoft leaves an Okta org as the article's Mulesoft flow leaves
// it, without Mulesoft: `bootstrap --mulesoft`, the app's client registered
// through the org's dynamic client registration endpoint (what Mulesoft
// does), then `bootstrap --mulesoft_policy`. `apicenter demo` and the tests
// of the web app and the gateway run it against the local org.
package mulesoft

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/orgenv"
)

// Options say which org to bootstrap and for which app and gateway.
type Options struct {
	// OrgURL and Token reach the org.
	OrgURL, Token string
	// RedirectURI is the web app's callback; GatewayURI the gateway's base URL.
	RedirectURI, GatewayURI string
	// PostLogoutRedirectURI, if set, is registered with the app's client so
	// that signing out at the org comes back to the app.
	PostLogoutRedirectURI string
	// OutputDir holds the output files.
	OutputDir string
	// IO receives the bootstrapper's progress; nil discards it.
	IO *iostreams.IOStreams
	// HTTPClient makes the dynamic client registration; nil means
	// http.DefaultClient.
	HTTPClient *http.Client
}

// Settings are what `get-settings` prints after the flow.
type Settings struct {
	// App is the `get-settings --mulesoft` set (ISSUER, CLIENT_ID, ...).
	App map[string]string
	// Introspect is the `get-settings --mulesoft_introspect` set.
	Introspect map[string]string
}

// Lookup looks a key up in App, for webapp.ConfigFromEnv.
func (s *Settings) Lookup(k string) (string, bool) {
	v, ok := s.App[k]
	return v, ok
}

// Bootstrap does what the article's reader does, without Mulesoft:
// `bootstrap --mulesoft`, then the app's client registered through the org's
// dynamic client registration endpoint (what Mulesoft does), then
// `bootstrap --mulesoft_policy`. It returns the settings both sets print.
func Bootstrap(ctx context.Context, o Options) (*Settings, error) {
	ios := o.IO
	if ios == nil {
		ios = &iostreams.IOStreams{In: bytes.NewReader(nil), Out: io.Discard, ErrOut: io.Discard}
	}
	env := &orgenv.Env{Getenv: func(k string) (string, bool) {
		if k == "OKTA_API_TOKEN" {
			return o.Token, true
		}
		return "", false
	}}
	run := func(input string, set ...string) error {
		f, err := inputs.LoadEmbedded(input)
		if err != nil {
			return err
		}
		_, err = bootstrap.Run(ctx, bootstrap.Options{IO: ios, Input: f, OrgURL: o.OrgURL, Env: env, Set: set, Yes: true, OutputDir: o.OutputDir})
		if err != nil {
			return fmt.Errorf("bootstrap --%s: %w", input, err)
		}
		return nil
	}
	if err := run("mulesoft", "REDIRECT_URI="+o.RedirectURI); err != nil {
		return nil, err
	}
	var postLogout []string
	if o.PostLogoutRedirectURI != "" {
		postLogout = []string{o.PostLogoutRedirectURI}
	}
	id, secret, err := RegisterClient(ctx, o.HTTPClient, o.OrgURL, o.Token, ClientRegistration{
		Name:                   "solar system web app (Mulesoft)",
		RedirectURIs:           []string{o.RedirectURI},
		PostLogoutRedirectURIs: postLogout,
	})
	if err != nil {
		return nil, err
	}
	if err := run("mulesoft_policy", "AUTHN_CLIENT_ID="+id, "AUTHN_CLIENT_SECRET="+secret, "GATEWAY_URI="+o.GatewayURI); err != nil {
		return nil, err
	}
	s := &Settings{}
	if s.App, err = settings("mulesoft", o.OutputDir); err != nil {
		return nil, err
	}
	if s.Introspect, err = settings("mulesoft_introspect", o.OutputDir); err != nil {
		return nil, err
	}
	return s, nil
}

func settings(name, dir string) (map[string]string, error) {
	ss, err := bootstrap.Settings(name, bootstrap.SettingsOptions{OutputDir: dir})
	if err != nil {
		return nil, fmt.Errorf("get-settings --%s: %w", name, err)
	}
	m := make(map[string]string, len(ss))
	for _, s := range ss {
		m[s.Key] = s.Value
	}
	return m, nil
}

// ClientRegistration is the metadata of an RFC 7591 registration.
type ClientRegistration struct {
	Name                   string
	RedirectURIs           []string
	PostLogoutRedirectURIs []string
}

// RegisterClient registers a web client (authorization code,
// client_secret_basic) at the org's dynamic client registration endpoint
// {org}/oauth2/v1/clients with the API token, as Mulesoft does, and returns
// its id and secret.
func RegisterClient(ctx context.Context, hc *http.Client, orgURL, token string, c ClientRegistration) (id, secret string, err error) {
	if hc == nil {
		hc = http.DefaultClient
	}
	meta := map[string]any{
		"client_name":                c.Name,
		"application_type":           "web",
		"redirect_uris":              c.RedirectURIs,
		"response_types":             []string{"code"},
		"grant_types":                []string{"authorization_code"},
		"token_endpoint_auth_method": "client_secret_basic",
	}
	if len(c.PostLogoutRedirectURIs) > 0 {
		meta["post_logout_redirect_uris"] = c.PostLogoutRedirectURIs
	}
	body, _ := json.Marshal(meta)
	endpoint := orgURL + "/oauth2/v1/clients"
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return "", "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	req.Header.Set("Authorization", "SSWS "+token)
	resp, err := hc.Do(req)
	if err != nil {
		return "", "", fmt.Errorf("dynamic client registration at %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	var out struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
		Error        string `json:"error"`
		ErrorCode    string `json:"errorCode"`
		ErrorSummary string `json:"errorSummary"`
		Description  string `json:"error_description"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&out)
	if resp.StatusCode != http.StatusCreated || out.ClientID == "" {
		why := resp.Status
		for _, part := range []string{out.ErrorCode + out.Error, out.ErrorSummary + out.Description} {
			if part != "" {
				why += ": " + part
			}
		}
		return "", "", fmt.Errorf("dynamic client registration at %s: %s", endpoint, why)
	}
	return out.ClientID, out.ClientSecret, nil
}
