package devorg

import (
	"crypto/rsa"
	"errors"
	"net/http"
	"slices"
	"strings"
)

// oauthRoutes registers the OAuth 2.0 / OIDC endpoints of every
// authorization server (/oauth2/{authServerId}/..., the alias "default" for
// the default server), of the org authorization server (/oauth2/v1/... and
// /.well-known/... at the root), dynamic client registration
// (/oauth2/v1/clients) and headless sign-in (/api/v1/authn).
func (o *Org) oauthRoutes(mux *http.ServeMux) {
	// A wrong method on these gets Okta's 405 from routes' catch-all.
	for _, prefix := range []string{"/oauth2/{authServerId}", ""} {
		mux.HandleFunc("GET "+prefix+"/.well-known/openid-configuration", o.handleDiscovery)
		mux.HandleFunc("GET "+prefix+"/.well-known/oauth-authorization-server", o.handleDiscovery)
	}
	for _, prefix := range []string{"/oauth2/{authServerId}/v1", "/oauth2/v1"} {
		mux.HandleFunc("GET "+prefix+"/keys", o.handleKeys)
		// These check the method themselves, answering as OAuth does.
		mux.HandleFunc(prefix+"/authorize", o.handleAuthorize)
		mux.HandleFunc(prefix+"/token", o.handleToken)
		mux.HandleFunc(prefix+"/introspect", o.handleIntrospect)
		mux.HandleFunc(prefix+"/revoke", o.handleRevoke)
		mux.HandleFunc(prefix+"/userinfo", o.handleUserinfo)
		mux.HandleFunc(prefix+"/logout", o.handleLogout)
	}
	mux.HandleFunc("POST /oauth2/v1/clients", o.handleRegisterClient)
	mux.HandleFunc("GET /oauth2/v1/clients/{clientId}", o.api(o.getClient))
	mux.HandleFunc("DELETE /oauth2/v1/clients/{clientId}", o.api(o.deleteClient))
	mux.HandleFunc("POST /api/v1/authn", o.handleAuthn)
}

// oauthServer is an authorization server as the OAuth endpoints see it.
type oauthServer struct {
	// as is the custom server; nil for the org authorization server. Read
	// its fields only with o.mu held.
	as *AuthServer
	// id is the server's id ("" for the org server).
	id     string
	base   string
	issuer string
	// path is where the server's endpoints live: issuer + "/v1", or
	// base + "/oauth2/v1" for the org server.
	path     string
	audience string
	kid      string
	key      *rsa.PrivateKey
}

// issuerPath is the path of a custom server's issuer below the org URL:
// /oauth2/default for the default server (as Okta names it), else
// /oauth2/{id}.
func issuerPath(as *AuthServer) string {
	if as.Default {
		return "/oauth2/default"
	}
	return "/oauth2/" + as.ID
}

var errNoServer = errors.New("no such authorization server")

// resolveServer finds the server a request is for, making its signing key
// on first use.
func (o *Org) resolveServer(r *http.Request) (*oauthServer, error) {
	ref := r.PathValue("authServerId")
	base := o.baseURL(r)
	for range 2 {
		var s *oauthServer
		var err error
		var key *SigningKey
		o.view(func(st *State) {
			s = &oauthServer{base: base}
			if ref == "" {
				s.issuer, s.path, s.audience, key = base, base+"/oauth2/v1", base, st.OrgKey
			} else {
				as := st.lookupAuthServer(ref)
				if as == nil || !activeForOAuth(as.Meta) {
					err = errNoServer
					return
				}
				s.as, s.id, key = as, as.ID, as.Key
				s.issuer = base + issuerPath(as)
				s.path = s.issuer + "/v1"
				s.audience = "api://" + as.ID
				if len(as.Audiences) > 0 {
					s.audience = as.Audiences[0]
				}
			}
			if key != nil {
				s.kid = key.KID
				s.key, err = key.Private()
			}
		})
		if err != nil || s.key != nil {
			return s, err
		}
		if err := o.ensureKey(ref); err != nil {
			return nil, err
		}
	}
	return nil, errNoServer
}

// ensureKey makes the signing key of the server named by ref (""  for the
// org server) if it has none.
func (o *Org) ensureKey(ref string) error {
	slotOf := func(st *State) (**SigningKey, error) {
		if ref == "" {
			return &st.OrgKey, nil
		}
		as := st.lookupAuthServer(ref)
		if as == nil {
			return nil, errNoServer
		}
		return &as.Key, nil
	}
	missing := false
	var lookErr error
	o.view(func(st *State) {
		slot, err := slotOf(st)
		lookErr = err
		missing = err == nil && *slot == nil
	})
	if lookErr != nil || !missing {
		return lookErr
	}
	// Made outside the lock: RSA key generation is slow.
	k, err := o.newKey(o.now())
	if err != nil {
		return err
	}
	return o.update(func(st *State) error {
		slot, err := slotOf(st)
		if err != nil {
			return err
		}
		if *slot == nil {
			*slot = k
		}
		return nil
	})
}

// serverOr404 resolves the request's server or answers Okta's 404.
func (o *Org) serverOr404(w http.ResponseWriter, r *http.Request) *oauthServer {
	s, err := o.resolveServer(r)
	if err != nil {
		writeError(w, errNotFound(r.URL.Path))
		return nil
	}
	return s
}

// writeOAuthError answers an OAuth error as JSON.
func writeOAuthError(w http.ResponseWriter, e *oauthError) {
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Basic realm="Okta"`)
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, e.Status, map[string]string{"error": e.Code, "error_description": e.Description})
}

func (o *Org) handleDiscovery(w http.ResponseWriter, r *http.Request) {
	s := o.serverOr404(w, r)
	if s == nil {
		return
	}
	scopes := orgServerScopes
	if s.as != nil {
		scopes = nil
		o.view(func(st *State) {
			for _, sc := range sortedBySeq(s.as.Scopes, func(sc *Scope) int64 { return sc.Seq }) {
				if sc.MetadataPublish != "NO_CLIENTS" {
					scopes = append(scopes, sc.Name)
				}
			}
		})
	}
	authMethods := []string{"client_secret_basic", "client_secret_post", "none"}
	doc := map[string]any{
		"issuer":                                s.issuer,
		"authorization_endpoint":                s.path + "/authorize",
		"token_endpoint":                        s.path + "/token",
		"userinfo_endpoint":                     s.path + "/userinfo",
		"registration_endpoint":                 s.base + "/oauth2/v1/clients",
		"jwks_uri":                              s.path + "/keys",
		"response_types_supported":              []string{"code"},
		"response_modes_supported":              []string{"query", "fragment", "form_post"},
		"grant_types_supported":                 []string{"authorization_code", "client_credentials", "refresh_token"},
		"subject_types_supported":               []string{"public"},
		"id_token_signing_alg_values_supported": []string{"RS256"},
		"scopes_supported":                      scopes,
		"token_endpoint_auth_methods_supported": authMethods,
		"claims_supported": []string{"iss", "ver", "sub", "aud", "iat", "exp", "jti", "auth_time", "amr",
			"nonce", "name", "given_name", "family_name", "preferred_username", "email", "email_verified", "at_hash"},
		"code_challenge_methods_supported":              []string{"S256"},
		"introspection_endpoint":                        s.path + "/introspect",
		"introspection_endpoint_auth_methods_supported": authMethods,
		"revocation_endpoint":                           s.path + "/revoke",
		"revocation_endpoint_auth_methods_supported":    authMethods,
		"end_session_endpoint":                          s.path + "/logout",
		"request_parameter_supported":                   false,
	}
	if strings.HasSuffix(r.URL.Path, "/oauth-authorization-server") {
		delete(doc, "userinfo_endpoint")
		delete(doc, "id_token_signing_alg_values_supported")
		if s.as != nil {
			// Okta's org server lists it here too; custom servers do not.
			delete(doc, "subject_types_supported")
		}
	}
	writeJSON(w, http.StatusOK, doc)
}

func (o *Org) handleKeys(w http.ResponseWriter, r *http.Request) {
	s := o.serverOr404(w, r)
	if s == nil {
		return
	}
	w.Header().Set("Cache-Control", "max-age=3600, must-revalidate")
	writeJSON(w, http.StatusOK, map[string]any{"keys": []signingJWK{publicJWK(s.kid, &s.key.PublicKey)}})
}

// postedForm starts a form-posted OAuth endpoint (token, introspect,
// revoke): it answers 405 for anything but POST, 404 for an unknown
// server and 400 for a malformed form, returning nil; otherwise it
// returns the request's server, with r.PostForm parsed.
func (o *Org) postedForm(w http.ResponseWriter, r *http.Request) *oauthServer {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeOAuthError(w, newOAuthError(http.StatusMethodNotAllowed, "invalid_request", "The endpoint only accepts POST requests."))
		return nil
	}
	s := o.serverOr404(w, r)
	if s == nil {
		return nil
	}
	if err := r.ParseForm(); err != nil {
		writeOAuthError(w, newOAuthError(http.StatusBadRequest, "invalid_request", "The request body is not a valid form."))
		return nil
	}
	return s
}

// browserForm is postedForm for the endpoints a browser visits (authorize,
// logout): the error page rather than a JSON error, and no method check.
func (o *Org) browserForm(w http.ResponseWriter, r *http.Request) *oauthServer {
	s := o.serverOr404(w, r)
	if s == nil {
		return nil
	}
	if err := r.ParseForm(); err != nil {
		oauthErrorPage(w, http.StatusBadRequest, "invalid_request", "The request is malformed.")
		return nil
	}
	return s
}

// containsAll reports whether have contains every element of want.
func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return true
}
