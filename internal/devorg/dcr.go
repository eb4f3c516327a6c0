package devorg

import (
	"errors"
	"net/http"
	"slices"
	"strings"
)

// clientMetadata is an RFC 7591 client registration, as Okta's
// /oauth2/v1/clients takes and answers it.
type clientMetadata struct {
	ClientID                string   `json:"client_id,omitempty"`
	ClientIDIssuedAt        int64    `json:"client_id_issued_at,omitempty"`
	ClientSecret            string   `json:"client_secret,omitempty"`
	ClientSecretExpiresAt   *int64   `json:"client_secret_expires_at,omitempty"`
	ClientName              string   `json:"client_name"`
	ClientURI               string   `json:"client_uri,omitempty"`
	LogoURI                 string   `json:"logo_uri,omitempty"`
	ApplicationType         string   `json:"application_type"`
	RedirectURIs            []string `json:"redirect_uris"`
	PostLogoutRedirectURIs  []string `json:"post_logout_redirect_uris,omitempty"`
	ResponseTypes           []string `json:"response_types"`
	GrantTypes              []string `json:"grant_types"`
	TokenEndpointAuthMethod string   `json:"token_endpoint_auth_method"`
	InitiateLoginURI        string   `json:"initiate_login_uri,omitempty"`
}

// writeDCRError answers an RFC 7591 registration error (400, in the
// shape of an OAuth error).
func writeDCRError(w http.ResponseWriter, code, desc string) {
	writeOAuthError(w, newOAuthError(http.StatusBadRequest, code, desc))
}

// handleRegisterClient is dynamic client registration (RFC 7591), as
// Mulesoft uses it: it creates a real, ACTIVE OIDC app in the org.
func (o *Org) handleRegisterClient(w http.ResponseWriter, r *http.Request) {
	if !o.sswsAuthorized(r) {
		writeError(w, errInvalidToken())
		return
	}
	var m clientMetadata
	if err := decodeBody(r, &m); err != nil {
		writeDCRError(w, "invalid_client_metadata", "The request body is not valid JSON.")
		return
	}
	if strings.TrimSpace(m.ClientName) == "" {
		writeDCRError(w, "invalid_client_metadata", "'client_name' is required.")
		return
	}
	if m.ApplicationType == "" {
		m.ApplicationType = "web"
	}
	if !slices.Contains([]string{"web", "native", "browser", "service"}, m.ApplicationType) {
		writeDCRError(w, "invalid_client_metadata", "'application_type' must be one of web, native, browser, service.")
		return
	}
	if len(m.GrantTypes) == 0 {
		m.GrantTypes = []string{"authorization_code"}
		if m.ApplicationType == "service" {
			m.GrantTypes = []string{"client_credentials"}
		}
	}
	for _, g := range m.GrantTypes {
		if !slices.Contains([]string{"authorization_code", "client_credentials", "refresh_token", "implicit"}, g) {
			writeDCRError(w, "invalid_client_metadata", "Unsupported grant type: "+g)
			return
		}
	}
	if len(m.ResponseTypes) == 0 {
		if slices.Contains(m.GrantTypes, "authorization_code") {
			m.ResponseTypes = []string{"code"}
		} else {
			m.ResponseTypes = []string{"token"}
		}
	}
	if m.TokenEndpointAuthMethod == "" {
		m.TokenEndpointAuthMethod = "client_secret_basic"
		if m.ApplicationType == "browser" {
			m.TokenEndpointAuthMethod = "none"
		}
	}
	if !slices.Contains([]string{"client_secret_basic", "client_secret_post", "none"}, m.TokenEndpointAuthMethod) {
		writeDCRError(w, "invalid_client_metadata", "Unsupported token_endpoint_auth_method: "+m.TokenEndpointAuthMethod)
		return
	}
	if slices.Contains(m.GrantTypes, "authorization_code") && len(m.RedirectURIs) == 0 {
		writeDCRError(w, "invalid_redirect_uri", "'redirect_uris' is required for the authorization_code grant type.")
		return
	}
	if m.RedirectURIs == nil {
		m.RedirectURIs = []string{}
	}
	in := appBody{Name: "oidc_client", Label: m.ClientName, SignOnMode: "OPENID_CONNECT",
		Credentials: &appCredentials{OAuthClient: map[string]any{"token_endpoint_auth_method": m.TokenEndpointAuthMethod}},
		Settings: map[string]any{"oauthClient": oauthClientSettings{
			ApplicationType: m.ApplicationType, GrantTypes: m.GrantTypes, ResponseTypes: m.ResponseTypes,
			RedirectURIs: m.RedirectURIs, PostLogoutRedirectURIs: m.PostLogoutRedirectURIs,
			InitiateLoginURI: m.InitiateLoginURI, ConsentMethod: "TRUSTED",
		}}}
	var out clientMetadata
	err := o.update(func(st *State) error {
		app, _, err := o.createOIDCAppLocked(st, &in, true)
		if err != nil {
			return err
		}
		out = clientMetadataOf(app)
		out.ClientURI, out.LogoURI = m.ClientURI, m.LogoURI
		return nil
	})
	var ae *apiError
	switch {
	case errors.As(err, &ae) && ae.Status == http.StatusBadRequest:
		// The app rules of the management API, as RFC 7591 says them.
		desc := ae.ErrorSummary
		if len(ae.ErrorCauses) > 0 {
			desc = ae.ErrorCauses[0].ErrorSummary
		}
		writeDCRError(w, "invalid_client_metadata", desc)
	case err != nil:
		writeError(w, err)
	default:
		w.Header().Set("Cache-Control", "no-store") // the answer holds the client secret (RFC 7591)
		w.Header().Set("Pragma", "no-cache")
		writeJSON(w, http.StatusCreated, out)
	}
}

// clientMetadataOf describes an app as a registered client.
func clientMetadataOf(a *App) clientMetadata {
	zero := int64(0)
	m := clientMetadata{
		ClientID: a.ID, ClientIDIssuedAt: a.Created.Unix(), ClientName: a.Label,
		ApplicationType: a.ApplicationType, RedirectURIs: a.RedirectURIs, PostLogoutRedirectURIs: a.PostLogoutRedirectURIs,
		ResponseTypes: a.ResponseTypes, GrantTypes: a.GrantTypes, TokenEndpointAuthMethod: a.TokenEndpointAuthMethod,
		InitiateLoginURI: a.InitiateLoginURI,
	}
	for _, s := range a.Secrets {
		if activeForOAuth(s.Meta) {
			m.ClientSecret = s.Secret
			m.ClientSecretExpiresAt = &zero
			break
		}
	}
	return m
}

// getClient is GET /oauth2/v1/clients/{clientId}: a registered client.
func (o *Org) getClient(r *http.Request) (int, any, error) {
	var out *clientMetadata
	o.view(func(st *State) {
		if a := st.Apps[r.PathValue("clientId")]; a != nil && a.SignOnMode == "OPENID_CONNECT" {
			m := clientMetadataOf(a)
			out = &m
		}
	})
	if out == nil {
		return 0, nil, errNotFound(r.PathValue("clientId"))
	}
	return http.StatusOK, out, nil
}

// deleteClient is DELETE /oauth2/v1/clients/{clientId}: the app goes,
// active or not, as with Okta's dynamic client registration.
func (o *Org) deleteClient(r *http.Request) (int, any, error) {
	err := o.update(func(st *State) error {
		if a := st.Apps[r.PathValue("clientId")]; a != nil && a.SignOnMode == "OPENID_CONNECT" {
			delete(st.Apps, a.ID)
			return nil
		}
		return errNotFound(r.PathValue("clientId"))
	})
	return http.StatusNoContent, nil, err
}
