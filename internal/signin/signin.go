// Package signin signs a user in with a password, as a browser does
// through an Okta org's sign-in page, but without one: a session token
// from the org's Authentication API (/api/v1/authn), then /v1/authorize
// with it, then the authorization code flow with PKCE, state and nonce
// (golang.org/x/oauth2). `apicenter token` and the tests use it to get
// real tokens from an org.
package signin

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"

	"golang.org/x/oauth2"
)

// Client is the web app's OAuth client: where the org is, its issuer and
// its credentials.
type Client struct {
	// OrgURL is the org (https://example.okta.com); Issuer its
	// authorization server (OrgURL/oauth2/aus...).
	OrgURL, Issuer string
	// ClientID, ClientSecret and RedirectURI are the client's.
	ClientID, ClientSecret, RedirectURI string
	// HTTPClient makes the calls; nil means http.DefaultClient.
	HTTPClient *http.Client
}

// RefusedError is the org refusing the sign-in: the password
// (Authentication API) or the authorization (an OAuth error such as
// access_denied or invalid_scope).
type RefusedError struct {
	// Step is "authn", "authorize" or "token".
	Step string
	// Code is Okta's error code (E0000004) or the OAuth error
	// (access_denied); Description says more.
	Code, Description string
}

func (e *RefusedError) Error() string {
	s := fmt.Sprintf("the org refused the sign-in at %s: %s", e.Step, e.Code)
	if e.Description != "" {
		s += " (" + e.Description + ")"
	}
	return s
}

// Password signs username in with password and returns the tokens issued
// for scopes. A refusal by the org is a *RefusedError; any other error is
// the network's or an answer that is not the org's.
func (c Client) Password(ctx context.Context, username, password string, scopes []string) (*oauth2.Token, error) {
	hc := c.HTTPClient
	if hc == nil {
		hc = http.DefaultClient
	}
	session, err := c.sessionToken(ctx, hc, username, password)
	if err != nil {
		return nil, err
	}
	conf := &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		RedirectURL:  c.RedirectURI,
		Endpoint: oauth2.Endpoint{AuthURL: c.Issuer + "/v1/authorize", TokenURL: c.Issuer + "/v1/token",
			AuthStyle: oauth2.AuthStyleInHeader},
		Scopes: scopes,
	}
	verifier, state := oauth2.GenerateVerifier(), rand.Text()
	authURL := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", rand.Text()), oauth2.SetAuthURLParam("sessionToken", session))
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, authURL, nil)
	if err != nil {
		return nil, err
	}
	noRedirect := *hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Do(req)
	if err != nil {
		return nil, err
	}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 300))
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil || loc.String() == "" {
		return nil, fmt.Errorf("%s/v1/authorize answered %s, not a redirect to %s: %s", c.Issuer, resp.Status, c.RedirectURI, strings.TrimSpace(string(body)))
	}
	q := loc.Query()
	if e := q.Get("error"); e != "" {
		return nil, &RefusedError{Step: "authorize", Code: e, Description: q.Get("error_description")}
	}
	if q.Get("state") != state || q.Get("code") == "" {
		return nil, fmt.Errorf("%s/v1/authorize redirected without this sign-in's state or a code", c.Issuer)
	}
	tok, err := conf.Exchange(context.WithValue(ctx, oauth2.HTTPClient, hc), q.Get("code"), oauth2.VerifierOption(verifier))
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode != "" {
		return nil, &RefusedError{Step: "token", Code: re.ErrorCode, Description: re.ErrorDescription}
	}
	return tok, err
}

// sessionToken is the Authentication API's one-time session token.
func (c Client) sessionToken(ctx context.Context, hc *http.Client, username, password string) (string, error) {
	body, err := json.Marshal(map[string]string{"username": username, "password": password})
	if err != nil {
		return "", err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, strings.TrimRight(c.OrgURL, "/")+"/api/v1/authn", bytes.NewReader(body))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var a struct {
		Status       string `json:"status"`
		SessionToken string `json:"sessionToken"`
		ErrorCode    string `json:"errorCode"`
		ErrorSummary string `json:"errorSummary"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&a); err != nil {
		return "", fmt.Errorf("%s/api/v1/authn answered %s, not JSON: %w", c.OrgURL, resp.Status, err)
	}
	switch {
	case a.ErrorCode != "":
		return "", &RefusedError{Step: "authn", Code: a.ErrorCode, Description: a.ErrorSummary}
	case a.Status != "SUCCESS" || a.SessionToken == "":
		// MFA_REQUIRED, PASSWORD_EXPIRED, LOCKED_OUT...: a step a browser
		// would take and this client cannot.
		return "", &RefusedError{Step: "authn", Code: a.Status, Description: "the org asks for a step only its sign-in page can take"}
	}
	return a.SessionToken, nil
}
