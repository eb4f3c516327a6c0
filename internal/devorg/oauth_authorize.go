package devorg

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

func (o *Org) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodPost {
		w.Header().Set("Allow", "GET, POST")
		oauthErrorPage(w, http.StatusMethodNotAllowed, "invalid_request", "The endpoint only accepts GET and POST requests.")
		return
	}
	s := o.browserForm(w, r)
	if s == nil {
		return
	}
	p := r.Form
	clientID, redirectURI := p.Get("client_id"), p.Get("redirect_uri")

	// Until the client and its redirect URI are known to be good, errors
	// are a page, never a redirect.
	var app struct {
		found, active, redirectOK, public, codeGrant, pkce bool
		grants                                             []string
	}
	o.view(func(st *State) {
		a := st.appByClientID(clientID)
		if a == nil {
			return
		}
		app.found, app.active = true, activeForOAuth(a.Meta)
		app.redirectOK = slices.Contains(a.RedirectURIs, redirectURI)
		app.public = a.TokenEndpointAuthMethod == "none"
		app.pkce = a.PKCERequired
		app.codeGrant = slices.Contains(a.GrantTypes, "authorization_code")
		app.grants = slices.Clone(a.GrantTypes)
	})
	switch {
	case clientID == "":
		oauthErrorPage(w, http.StatusBadRequest, "invalid_request", "The 'client_id' parameter is required.")
		return
	case !app.found || !app.active:
		oauthErrorPage(w, http.StatusBadRequest, "invalid_client", "Invalid value for 'client_id' parameter.")
		return
	case redirectURI == "":
		oauthErrorPage(w, http.StatusBadRequest, "invalid_request", "The 'redirect_uri' parameter is required.")
		return
	case !app.redirectOK:
		oauthErrorPage(w, http.StatusBadRequest, "invalid_request", "The 'redirect_uri' parameter must be a Login redirect URI in the client app settings: "+redirectURI)
		return
	}

	mode := p.Get("response_mode")
	state := p.Get("state")
	fail := func(code, desc string) {
		m := mode
		if m != "fragment" && m != "form_post" {
			m = "query"
		}
		respondToClient(w, r, redirectURI, m, map[string]string{"error": code, "error_description": desc, "state": state})
	}
	switch mode {
	case "", "query", "fragment", "form_post":
	default:
		fail("invalid_request", "The response mode is not supported by the authorization server. Supported values: [query, fragment, form_post].")
		return
	}
	if rt := p.Get("response_type"); rt != "code" {
		if rt == "" {
			fail("invalid_request", "The 'response_type' parameter is required.")
		} else {
			fail("unsupported_response_type", "The response type is not supported by the authorization server. Configured response types: [code].")
		}
		return
	}
	if !app.codeGrant {
		fail("unauthorized_client", "The client is not authorized to use the provided grant type. Configured grant types: ["+strings.Join(app.grants, ", ")+"].")
		return
	}
	challenge, method := p.Get("code_challenge"), p.Get("code_challenge_method")
	switch {
	case challenge == "" && app.public:
		fail("invalid_request", "PKCE code challenge is required when the token endpoint authentication method is 'NONE'.")
		return
	case challenge == "" && app.pkce:
		fail("invalid_request", "PKCE code challenge is required by the client.")
		return
	case challenge != "" && method != "S256":
		fail("invalid_request", "The code_challenge_method is not supported. Supported values: [S256].")
		return
	case challenge != "" && (len(challenge) < 43 || len(challenge) > 128):
		fail("invalid_request", "The code_challenge is invalid.")
		return
	}
	var scopes []string
	var oerr *oauthError
	o.view(func(st *State) { scopes, oerr = s.checkScopes(splitScopes(p.Get("scope"))) })
	if oerr != nil {
		fail(oerr.Code, oerr.Description)
		return
	}

	userID, authTime, ok := o.authorizeUser(w, r)
	if !ok {
		if strings.Contains(p.Get("prompt"), "none") {
			fail("login_required", "The client specified not to prompt, but the user is not logged in.")
			return
		}
		username := p.Get("username")
		if username == "" {
			username = p.Get("login_hint") // Okta pre-fills the page with it
		}
		showSignIn(w, r, username, signInError(r))
		return
	}

	var code string
	err := o.update(func(st *State) error {
		a := st.appByClientID(clientID)
		u := st.Users[userID]
		switch {
		case a == nil:
			oerr = newOAuthError(http.StatusBadRequest, "invalid_client", "Invalid value for 'client_id' parameter.")
			return nil
		case u == nil || u.Status != "ACTIVE":
			oerr = errAccessDenied("The user is not active.")
			return nil
		case !st.userAssignedToApp(userID, a):
			oerr = errAccessDenied(descNotAssigned)
			return nil
		}
		c := &AuthCode{
			Code: randomToken(43), AuthServerID: s.id, ClientID: clientID, UserID: userID, RedirectURI: redirectURI,
			Scopes: scopes, Nonce: p.Get("nonce"), CodeChallenge: challenge, CodeChallengeMethod: method,
			Expires: o.now().Add(authCodeLifetime), AuthTime: authTime,
		}
		if s.as != nil {
			var rule *Rule
			rule, oerr = st.evaluatePolicy(s.as, clientID, userID, "authorization_code", scopes)
			if oerr != nil {
				return nil
			}
			c.RuleID = rule.ID
		}
		now := o.now()
		for k, old := range st.Codes {
			if !now.Before(old.Expires) {
				delete(st.Codes, k)
			}
		}
		st.Codes[c.Code] = c
		code = c.Code
		return nil
	})
	if err != nil {
		oauthErrorPage(w, http.StatusInternalServerError, "server_error", err.Error())
		return
	}
	if oerr != nil {
		fail(oerr.Code, oerr.Description)
		return
	}
	m := mode
	if m == "" {
		m = "query"
	}
	respondToClient(w, r, redirectURI, m, map[string]string{"code": code, "state": state})
}

// signInError is the message the sign-in page shows after a failed
// attempt.
func signInError(r *http.Request) string {
	if r.Method == http.MethodPost && r.PostForm.Has("username") {
		return "Unable to sign in"
	}
	return ""
}

// authorizeUser works out who is signing in to an authorize request: a
// sessionToken (spent here), the sign-in form's username and password, or
// the org session cookie. A sign-in sets the session cookie on w.
func (o *Org) authorizeUser(w http.ResponseWriter, r *http.Request) (userID string, authTime time.Time, ok bool) {
	var sess *SignInSession
	forceLogin := strings.Contains(r.Form.Get("prompt"), "login")
	_ = o.update(func(st *State) error {
		now := o.now()
		if tok := r.Form.Get("sessionToken"); tok != "" {
			if t := st.Sessions[tok]; t != nil && t.OneTime && now.Before(t.Expires) {
				delete(st.Sessions, tok)
				sess = o.newSessionLocked(st, t.UserID, false, t.AuthTime)
				return nil
			}
		}
		if r.Method == http.MethodPost && r.PostForm.Has("username") {
			if u := st.signInUser(r.PostForm.Get("username"), r.PostForm.Get("password")); u != nil {
				sess = o.newSessionLocked(st, u.ID, false, now)
			}
			return nil
		}
		if forceLogin {
			return nil
		}
		if ck, err := r.Cookie(sessionCookie); err == nil {
			if t := st.Sessions[ck.Value]; t != nil && !t.OneTime && now.Before(t.Expires) {
				userID, authTime, ok = t.UserID, t.AuthTime, true
			}
		}
		return nil
	})
	if sess == nil {
		return userID, authTime, ok
	}
	setSessionCookie(w, r, sess)
	return sess.UserID, sess.AuthTime, true
}
