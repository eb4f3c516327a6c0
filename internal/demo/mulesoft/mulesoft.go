// Package mulesoft does what Mulesoft does to an Okta org in the article's
// flow: it registers the app's client through the org's dynamic client
// registration endpoint (RegisterClient, the demo step register_client of
// internal/flow). Settings hold what get-settings prints after the flow.
package mulesoft

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
)

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
