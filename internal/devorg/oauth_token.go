package devorg

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
)

// Lifetimes Okta uses when a rule leaves them unset.
const (
	defaultAccessTokenLifetime = 60 * time.Minute
	idTokenLifetime            = 60 * time.Minute
	authCodeLifetime           = 300 * time.Second
	defaultRefreshWindow       = 7 * 24 * time.Hour
)

// identityScopes may not be asked for with client credentials.
var identityScopes = []string{"openid", "profile", "email", "address", "phone", "offline_access", "device_sso", "groups"}

// tokenGrant is what a token request was granted, worked out with the state
// locked; the tokens are signed from it afterwards.
type tokenGrant struct {
	clientID string
	user     *userClaims // nil for client credentials
	scopes   []string
	lifetime time.Duration
	nonce    string
	refresh  string // refresh token to return, if any
	// accessExtra and idExtra are the server's custom claims for the
	// access token and the ID token.
	accessExtra, idExtra map[string]any
}

// userClaims is what tokens say about a user, copied out of the state.
type userClaims struct {
	id, login, email, given, family string
	authTime                        time.Time
	updated                         time.Time
}

func userClaimsOf(u *User, authTime time.Time) *userClaims {
	str := func(k string) string { s, _ := u.Profile[k].(string); return s }
	return &userClaims{id: u.ID, login: u.Login(), email: str("email"), given: str("firstName"), family: str("lastName"), authTime: authTime, updated: u.LastUpdated}
}

// splitScopes splits a space-separated scope parameter.
func splitScopes(s string) []string { return strings.Fields(s) }

// authenticateClient finds and checks the client of a token, introspect
// or revoke request: client_secret_basic, client_secret_post, or a public
// client (token_endpoint_auth_method none) naming only its client_id. Call
// with o.mu held, after r.ParseForm.
func (st *State) authenticateClient(r *http.Request) (*App, *oauthError) {
	bad := newOAuthError(http.StatusUnauthorized, "invalid_client", descBadClient)
	clientID, secret := r.PostForm.Get("client_id"), r.PostForm.Get("client_secret")
	altSecret := ""
	if id, sec, ok := r.BasicAuth(); ok {
		if secret != "" {
			return nil, newOAuthError(http.StatusBadRequest, "invalid_request", "Cannot supply multiple client credentials. Use one of the following: credentials in the Authorization header, credentials in the post body, or a client_assertion in the post body.")
		}
		// RFC 6749 form-encodes both before Basic encoding; many clients
		// do not. Take the raw value, and the decoded one as well.
		clientID, secret = id, sec
		if dec, err := url.QueryUnescape(id); err == nil && st.appByClientID(id) == nil {
			clientID = dec
		}
		if dec, err := url.QueryUnescape(sec); err == nil && dec != sec {
			altSecret = dec
		}
	}
	if clientID == "" {
		return nil, newOAuthError(http.StatusUnauthorized, "invalid_client", "No client credentials found.")
	}
	app := st.appByClientID(clientID)
	if app == nil || !activeForOAuth(app.Meta) {
		return nil, bad
	}
	if app.TokenEndpointAuthMethod == "none" {
		if secret != "" {
			return nil, bad
		}
		return app, nil
	}
	if secret == "" {
		return nil, newOAuthError(http.StatusUnauthorized, "invalid_client", "The client secret is required for a confidential client.")
	}
	for _, s := range app.Secrets {
		if !activeForOAuth(s.Meta) {
			continue
		}
		if subtle.ConstantTimeCompare([]byte(s.Secret), []byte(secret)) == 1 ||
			altSecret != "" && subtle.ConstantTimeCompare([]byte(s.Secret), []byte(altSecret)) == 1 {
			return app, nil
		}
	}
	return nil, newOAuthError(http.StatusUnauthorized, "invalid_client", "The client secret supplied for a confidential client is invalid.")
}

func (o *Org) handleToken(w http.ResponseWriter, r *http.Request) {
	s := o.postedForm(w, r)
	if s == nil {
		return
	}
	gt := r.PostForm.Get("grant_type")
	var g *tokenGrant
	var oerr *oauthError
	work := func(st *State) error {
		g, oerr = o.grantLocked(st, s, r, gt)
		return nil
	}
	if gt == "client_credentials" {
		o.view(func(st *State) { _ = work(st) })
	} else if err := o.update(work); err != nil {
		writeOAuthError(w, newOAuthError(http.StatusInternalServerError, "server_error", err.Error()))
		return
	}
	if oerr != nil {
		writeOAuthError(w, oerr)
		return
	}
	resp, err := o.mintTokens(s, g)
	if err != nil {
		writeOAuthError(w, newOAuthError(http.StatusInternalServerError, "server_error", err.Error()))
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

// grantLocked checks a token request and works out what it grants. Call
// with o.mu held.
func (o *Org) grantLocked(st *State, s *oauthServer, r *http.Request, gt string) (*tokenGrant, *oauthError) {
	app, oerr := st.authenticateClient(r)
	if oerr != nil {
		return nil, oerr
	}
	switch gt {
	case "authorization_code", "client_credentials", "refresh_token":
	case "":
		return nil, newOAuthError(http.StatusBadRequest, "invalid_request", "The 'grant_type' parameter is required.")
	default:
		return nil, newOAuthError(http.StatusBadRequest, "unsupported_grant_type", fmt.Sprintf("The authorization grant type is not supported by the authorization server. Configured grant types: %s.", grantList(app)))
	}
	if !slices.Contains(app.GrantTypes, gt) {
		return nil, newOAuthError(http.StatusBadRequest, "unauthorized_client", fmt.Sprintf("The client is not authorized to use the provided grant type. Configured grant types: %s.", grantList(app)))
	}
	now := o.now()
	var g *tokenGrant
	switch gt {
	case "client_credentials":
		g, oerr = clientCredentialsGrant(st, s, app, splitScopes(r.PostForm.Get("scope")))
	case "authorization_code":
		g, oerr = o.codeGrant(st, s, app, r, now)
	default:
		g, oerr = refreshGrant(st, s, app, splitScopes(r.PostForm.Get("scope")), r.PostForm.Get("refresh_token"), now)
	}
	if oerr != nil {
		return nil, oerr
	}
	var u *User
	if g.user != nil {
		u = st.Users[g.user.id]
	}
	g.accessExtra = st.customClaimsLocked(s.as, "RESOURCE", false, u, app.ClientID(), g.scopes)
	g.idExtra = st.customClaimsLocked(s.as, "IDENTITY", true, u, app.ClientID(), g.scopes)
	return g, nil
}

func grantList(app *App) string { return "[" + strings.Join(app.GrantTypes, ", ") + "]" }

func clientCredentialsGrant(st *State, s *oauthServer, app *App, requested []string) (*tokenGrant, *oauthError) {
	if s.as == nil {
		return nil, newOAuthError(http.StatusUnauthorized, "invalid_client", "Client Credentials requests to the Org Authorization Server must use the private_key_jwt token_endpoint_auth_method.")
	}
	for _, sc := range requested {
		if slices.Contains(identityScopes, sc) {
			return nil, errInvalidScope("The following scopes are not allowed for the client_credentials grant type: " + sc)
		}
	}
	scopes, oerr := s.checkScopes(requested)
	if oerr != nil {
		return nil, oerr
	}
	rule, oerr := st.evaluatePolicy(s.as, app.ClientID(), "", "client_credentials", scopes)
	if oerr != nil {
		return nil, oerr
	}
	return &tokenGrant{clientID: app.ClientID(), scopes: scopes, lifetime: accessLifetime(rule)}, nil
}

func (o *Org) codeGrant(st *State, s *oauthServer, app *App, r *http.Request, now time.Time) (*tokenGrant, *oauthError) {
	invalid := newOAuthError(http.StatusBadRequest, "invalid_grant", "The authorization code is invalid or has expired.")
	code := r.PostForm.Get("code")
	c := st.Codes[code]
	if code == "" || c == nil {
		return nil, invalid
	}
	delete(st.Codes, code) // one use, whatever happens next
	if c.AuthServerID != s.id || c.ClientID != app.ClientID() || !now.Before(c.Expires) {
		return nil, invalid
	}
	if r.PostForm.Get("redirect_uri") != c.RedirectURI {
		return nil, newOAuthError(http.StatusBadRequest, "invalid_grant", "The 'redirect_uri' does not match the redirection URI used in the authorization request.")
	}
	verifier := r.PostForm.Get("code_verifier")
	if c.CodeChallenge != "" {
		if verifier == "" || pkceS256(verifier) != c.CodeChallenge {
			return nil, newOAuthError(http.StatusBadRequest, "invalid_grant", "PKCE verification failed.")
		}
	} else if verifier != "" {
		return nil, newOAuthError(http.StatusBadRequest, "invalid_request", "A code_verifier was supplied, but the authorization request had no code_challenge.")
	}
	u, rule, oerr := userGrantLocked(st, s, app, c.UserID, c.Scopes)
	if oerr != nil {
		return nil, oerr
	}
	g := &tokenGrant{clientID: app.ClientID(), user: userClaimsOf(u, c.AuthTime), scopes: c.Scopes, lifetime: accessLifetime(rule), nonce: c.Nonce}
	if slices.Contains(c.Scopes, "offline_access") && slices.Contains(app.GrantTypes, "refresh_token") {
		rt := &RefreshToken{
			Token: randomToken(43), AuthServerID: s.id, ClientID: app.ClientID(), UserID: u.ID,
			Scopes: c.Scopes, Expires: now.Add(refreshWindow(rule)), Issued: now, AuthTime: c.AuthTime,
		}
		if rule != nil {
			rt.RuleID = rule.ID
		}
		for tok, old := range st.RefreshTokens {
			if !now.Before(old.Expires) {
				delete(st.RefreshTokens, tok)
			}
		}
		st.RefreshTokens[rt.Token] = rt
		g.refresh = rt.Token
	}
	return g, nil
}

func refreshGrant(st *State, s *oauthServer, app *App, requested []string, token string, now time.Time) (*tokenGrant, *oauthError) {
	rt := st.RefreshTokens[token]
	if token == "" || rt == nil || rt.AuthServerID != s.id || rt.ClientID != app.ClientID() || !now.Before(rt.Expires) {
		return nil, newOAuthError(http.StatusBadRequest, "invalid_grant", "The refresh token is invalid or expired.")
	}
	scopes := rt.Scopes
	if len(requested) > 0 {
		if !containsAll(rt.Scopes, requested) {
			return nil, errInvalidScope("The requested scope is invalid, unknown, or malformed.")
		}
		scopes = requested
	}
	u, rule, oerr := userGrantLocked(st, s, app, rt.UserID, scopes)
	if oerr != nil {
		return nil, oerr
	}
	rt.Expires = now.Add(refreshWindow(rule))
	return &tokenGrant{clientID: app.ClientID(), user: userClaimsOf(u, rt.AuthTime), scopes: scopes, lifetime: accessLifetime(rule), refresh: rt.Token}, nil
}

// userGrantLocked checks that a user may still get tokens for app with
// scopes: active, assigned to the app, and (on a custom server) granted by
// a rule for the authorization-code grant. The rule is nil on the org
// server.
func userGrantLocked(st *State, s *oauthServer, app *App, userID string, scopes []string) (*User, *Rule, *oauthError) {
	u := st.Users[userID]
	if u == nil || u.Status != "ACTIVE" {
		return nil, nil, newOAuthError(http.StatusBadRequest, "invalid_grant", "The user is not active.")
	}
	if !st.userAssignedToApp(u.ID, app) {
		return nil, nil, errAccessDenied(descNotAssigned)
	}
	if s.as == nil {
		return u, nil, nil
	}
	rule, oerr := st.evaluatePolicy(s.as, app.ClientID(), u.ID, "authorization_code", scopes)
	return u, rule, oerr
}

func accessLifetime(r *Rule) time.Duration {
	if r == nil || r.AccessTokenLifetimeMinutes <= 0 {
		return defaultAccessTokenLifetime
	}
	return time.Duration(r.AccessTokenLifetimeMinutes) * time.Minute
}

func refreshWindow(r *Rule) time.Duration {
	if r == nil || r.RefreshTokenWindowMinutes <= 0 {
		return defaultRefreshWindow
	}
	return time.Duration(r.RefreshTokenWindowMinutes) * time.Minute
}

// mintTokens signs the access token (and ID token when openid was granted)
// of a grant and returns the token response.
func (o *Org) mintTokens(s *oauthServer, g *tokenGrant) (map[string]any, error) {
	now := o.now()
	ac := accessClaims{
		Ver: 1, JTI: "AT." + randomToken(43), Iss: s.issuer, Aud: s.audience,
		Iat: now.Unix(), Exp: now.Add(g.lifetime).Unix(), Cid: g.clientID, Scp: g.scopes, Sub: g.clientID,
	}
	if g.user != nil {
		ac.UID, ac.Sub, ac.AuthTime = g.user.id, g.user.login, g.user.authTime.Unix()
	}
	var claims any = ac
	if len(g.accessExtra) > 0 {
		m, err := withExtraClaims(ac, g.accessExtra)
		if err != nil {
			return nil, err
		}
		claims = m
	}
	at, err := signJWT(s.key, s.kid, claims)
	if err != nil {
		return nil, err
	}
	resp := map[string]any{
		"token_type":   "Bearer",
		"expires_in":   int64(g.lifetime / time.Second),
		"access_token": at,
		"scope":        strings.Join(g.scopes, " "),
	}
	if g.refresh != "" {
		resp["refresh_token"] = g.refresh
	}
	if g.user != nil && slices.Contains(g.scopes, "openid") {
		idc := map[string]any{
			"sub": g.user.id, "ver": 1, "iss": s.issuer, "aud": g.clientID,
			"iat": now.Unix(), "exp": now.Add(idTokenLifetime).Unix(), "jti": "ID." + randomToken(43),
			"amr": []string{"pwd"}, "auth_time": g.user.authTime.Unix(), "at_hash": atHash(at),
		}
		if g.nonce != "" {
			idc["nonce"] = g.nonce
		}
		for k, v := range profileClaims(g.user, g.scopes) {
			idc[k] = v
		}
		for k, v := range g.idExtra {
			idc[k] = v
		}
		id, err := signJWT(s.key, s.kid, idc)
		if err != nil {
			return nil, err
		}
		resp["id_token"] = id
	}
	return resp, nil
}

// withExtraClaims returns the claims of ac with extra added.
func withExtraClaims(ac accessClaims, extra map[string]any) (map[string]any, error) {
	b, err := json.Marshal(ac)
	if err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	m := map[string]any{}
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	for k, v := range extra {
		m[k] = v
	}
	return m, nil
}

// profileClaims are the user claims the profile and email scopes release.
func profileClaims(u *userClaims, scopes []string) map[string]any {
	c := map[string]any{}
	if slices.Contains(scopes, "profile") {
		c["name"] = strings.TrimSpace(u.given + " " + u.family)
		c["preferred_username"] = u.login
		c["given_name"] = u.given
		c["family_name"] = u.family
		c["updated_at"] = u.updated.Unix()
	}
	if slices.Contains(scopes, "email") {
		c["email"] = u.email
		c["email_verified"] = true
	}
	return c
}
