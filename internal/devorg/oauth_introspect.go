package devorg

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

// checkAccessToken verifies an access token of server s: its signature, its
// issuer, that it has not expired and was not revoked.
func (o *Org) checkAccessToken(s *oauthServer, token string) (*accessClaims, bool) {
	var c accessClaims
	if verifyJWT(token, s.kid, &s.key.PublicKey, &c) != nil || c.Iss != s.issuer || !strings.HasPrefix(c.JTI, "AT.") {
		return nil, false
	}
	if c.Exp <= o.now().Unix() {
		return nil, false
	}
	revoked := false
	o.view(func(st *State) { _, revoked = st.Revoked[c.JTI] })
	return &c, !revoked
}

func (o *Org) handleIntrospect(w http.ResponseWriter, r *http.Request) {
	s := o.postedForm(w, r)
	if s == nil {
		return
	}
	var oerr *oauthError
	o.view(func(st *State) { _, oerr = st.authenticateClient(r) })
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	token := r.PostForm.Get("token")
	if token == "" {
		writeOAuthError(w, newOAuthError(http.StatusBadRequest, "invalid_request", "The 'token' parameter is required."))
		return
	}
	inactive := map[string]any{"active": false}
	if c, ok := o.checkAccessToken(s, token); ok {
		resp := map[string]any{
			"active": true, "token_type": "Bearer", "scope": strings.Join(c.Scp, " "), "client_id": c.Cid,
			"username": c.Sub, "exp": c.Exp, "iat": c.Iat, "sub": c.Sub, "aud": c.Aud, "iss": c.Iss, "jti": c.JTI,
		}
		if c.UID != "" {
			resp["uid"] = c.UID
		}
		writeJSON(w, http.StatusOK, resp)
		return
	}
	if resp := o.introspectIDToken(s, token); resp != nil {
		writeJSON(w, http.StatusOK, resp)
		return
	}
	var resp map[string]any
	now := o.now()
	o.view(func(st *State) {
		rt := st.RefreshTokens[token]
		if rt == nil || rt.AuthServerID != s.id || !now.Before(rt.Expires) {
			return
		}
		resp = map[string]any{
			"active": true, "token_type": "refresh_token", "scope": strings.Join(rt.Scopes, " "), "client_id": rt.ClientID,
			"exp": rt.Expires.Unix(), "iat": rt.Issued.Unix(), "iss": s.issuer, "aud": s.audience, "uid": rt.UserID,
		}
		if u := st.Users[rt.UserID]; u != nil {
			resp["username"], resp["sub"] = u.Login(), u.Login()
		}
	})
	if resp == nil {
		resp = inactive
	}
	writeJSON(w, http.StatusOK, resp)
}

// introspectIDToken answers the introspection of an unexpired ID token of
// server s (Okta introspects access, ID and refresh tokens), or nil when
// token is not one.
func (o *Org) introspectIDToken(s *oauthServer, token string) map[string]any {
	var c struct {
		Sub string `json:"sub"`
		Aud string `json:"aud"`
		Iss string `json:"iss"`
		Iat int64  `json:"iat"`
		Exp int64  `json:"exp"`
		JTI string `json:"jti"`
	}
	if verifyJWT(token, s.kid, &s.key.PublicKey, &c) != nil || c.Iss != s.issuer || !strings.HasPrefix(c.JTI, "ID.") || c.Exp <= o.now().Unix() {
		return nil
	}
	resp := map[string]any{"active": true, "token_type": "Bearer", "client_id": c.Aud, "exp": c.Exp, "iat": c.Iat,
		"sub": c.Sub, "aud": c.Aud, "iss": c.Iss, "jti": c.JTI}
	o.view(func(st *State) {
		if u := st.Users[c.Sub]; u != nil {
			resp["username"] = u.Login()
		}
	})
	return resp
}

func (o *Org) handleRevoke(w http.ResponseWriter, r *http.Request) {
	s := o.postedForm(w, r)
	if s == nil {
		return
	}
	token := r.PostForm.Get("token")
	c, validAccess := o.checkAccessToken(s, token)
	var oerr *oauthError
	err := o.update(func(st *State) error {
		var app *App
		app, oerr = st.authenticateClient(r)
		if oerr != nil {
			return nil
		}
		if token == "" {
			oerr = newOAuthError(http.StatusBadRequest, "invalid_request", "The 'token' parameter is required.")
			return nil
		}
		// A client may revoke only its own tokens; anything else is
		// silently ignored, as RFC 7009 allows.
		if validAccess && c.Cid == app.ClientID() {
			st.Revoked[c.JTI] = time.Unix(c.Exp, 0).UTC()
		}
		if rt := st.RefreshTokens[token]; rt != nil && rt.ClientID == app.ClientID() && rt.AuthServerID == s.id {
			delete(st.RefreshTokens, token)
		}
		now := o.now()
		for jti, exp := range st.Revoked {
			if exp.Before(now) {
				delete(st.Revoked, jti)
			}
		}
		return nil
	})
	if err != nil {
		writeOAuthError(w, newOAuthError(http.StatusInternalServerError, "server_error", err.Error()))
		return
	}
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (o *Org) handleUserinfo(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		writeOAuthError(w, newOAuthError(http.StatusMethodNotAllowed, "invalid_request", "The endpoint only accepts GET and POST requests."))
		return
	}
	s := o.serverOr404(w, r)
	if s == nil {
		return
	}
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	c, valid := o.checkAccessToken(s, strings.TrimSpace(token))
	if !ok || !valid || c.UID == "" {
		w.Header().Set("WWW-Authenticate", `Bearer authorization_uri="`+s.path+`/authorize", realm="`+s.path+`/authorize", scope="openid", error="invalid_token", error_description="The access token is invalid."`)
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "The access token is invalid."})
		return
	}
	if !slices.Contains(c.Scp, "openid") {
		w.Header().Set("WWW-Authenticate", `Bearer error="insufficient_scope", error_description="The access token must provide access to at least one of these scopes - profile, email, address or phone"`)
		writeJSON(w, http.StatusForbidden, map[string]string{"error": "insufficient_scope", "error_description": "The access token must provide access to at least one of these scopes - profile, email, address or phone"})
		return
	}
	var claims map[string]any
	o.view(func(st *State) {
		if u := st.Users[c.UID]; u != nil && u.Status == "ACTIVE" {
			claims = profileClaims(userClaimsOf(u, time.Time{}), c.Scp)
			if s.as != nil {
				for k, v := range st.customClaimsLocked(s.as, "IDENTITY", false, u, c.Cid, c.Scp) {
					claims[k] = v
				}
			}
			claims["sub"] = u.ID
		}
	})
	if claims == nil {
		writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token", "error_description": "The access token is invalid."})
		return
	}
	writeJSON(w, http.StatusOK, claims)
}

func (o *Org) handleLogout(w http.ResponseWriter, r *http.Request) {
	s := o.browserForm(w, r)
	if s == nil {
		return
	}
	target := r.Form.Get("post_logout_redirect_uri")
	if target != "" {
		var idc struct {
			Aud string `json:"aud"`
			Iss string `json:"iss"`
		}
		if verifyJWT(r.Form.Get("id_token_hint"), s.kid, &s.key.PublicKey, &idc) != nil || idc.Iss != s.issuer {
			oauthErrorPage(w, http.StatusBadRequest, "invalid_request", "The 'id_token_hint' parameter is missing or invalid.")
			return
		}
		registered := false
		o.view(func(st *State) {
			if app := st.appByClientID(idc.Aud); app != nil {
				registered = slices.Contains(app.PostLogoutRedirectURIs, target)
			}
		})
		if !registered {
			oauthErrorPage(w, http.StatusBadRequest, "invalid_request", "The 'post_logout_redirect_uri' parameter must be a Logout redirect URI in the client app settings: "+target)
			return
		}
	}
	if ck, err := r.Cookie(sessionCookie); err == nil {
		_ = o.update(func(st *State) error {
			delete(st.Sessions, ck.Value)
			return nil
		})
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1, HttpOnly: true, SameSite: http.SameSiteLaxMode})
	if target == "" {
		oauthErrorPage(w, http.StatusOK, "", "You have been signed out.")
		return
	}
	if st := r.Form.Get("state"); st != "" {
		target = addParams(target, "?", map[string]string{"state": st})
	}
	http.Redirect(w, r, target, http.StatusFound)
}
