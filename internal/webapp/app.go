// Package webapp is the API Center web app: it signs a user in against the
// authorization server (authorization code + PKCE, state and nonce checked,
// ID token verified), keeps the tokens server-side, and calls the API
// through the gateway with the access token, explaining every refusal.
package webapp

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// App is the web app's http.Handler.
type App struct {
	cfg      Config
	client   *http.Client
	sessions *sessionStore
	mux      *http.ServeMux
	logf     func(string, ...any)

	callbackPath string // the REDIRECT_URI's path

	mu       sync.Mutex
	provider *oidc.Provider // discovered on first use
}

// New builds the web app from c. It does not contact the authorization
// server until the first sign-in, so it may start before it.
func New(c Config) (*App, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	redirect, _ := url.Parse(c.RedirectURI)
	a := &App{
		cfg:      c,
		client:   c.HTTPClient,
		sessions: newSessionStore(c.SessionSecret, redirect.Scheme == "https"),
		mux:      http.NewServeMux(),
		logf:     c.ErrorLog,
	}
	if a.client == nil {
		a.client = &http.Client{Timeout: 10 * time.Second}
	}
	if a.logf == nil {
		a.logf = func(string, ...any) {}
	}
	a.mux.HandleFunc("GET /{$}", a.home)
	a.mux.HandleFunc("POST /signin", a.signIn)
	// The callback is matched by its path as is, not as a ServeMux
	// pattern: the REDIRECT_URI may hold any character.
	a.callbackPath = redirect.Path
	a.mux.HandleFunc("POST /signout", a.signOut)
	a.mux.HandleFunc("GET /show/{resource}", a.show)
	return a, nil
}

// ServeHTTP implements http.Handler, answering a page (never a stack) if a
// handler panics.
func (a *App) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	defer func() {
		if p := recover(); p != nil {
			a.logf("webapp: %s %s: panic: %v", r.Method, r.URL.Path, p)
			http.Error(w, "Something went wrong in the API Center app; the details are in its log.", http.StatusInternalServerError)
		}
	}()
	if to, ok := a.canonicalLoopback(r); ok {
		// localhost and 127.0.0.1 hold different cookies: keep the browser
		// on the redirect URI's host, or the callback finds no session.
		http.Redirect(w, r, to, http.StatusTemporaryRedirect)
		return
	}
	w.Header().Set("X-Frame-Options", "DENY")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	if r.URL.Path == a.callbackPath && (r.Method == http.MethodGet || r.Method == http.MethodHead) {
		a.callback(w, r)
		return
	}
	a.mux.ServeHTTP(w, r)
}

// canonicalLoopback returns the URL on the redirect URI's host when the
// request came to another loopback name for the same port.
func (a *App) canonicalLoopback(r *http.Request) (string, bool) {
	want, _ := url.Parse(a.cfg.RedirectURI)
	if r.Host == want.Host {
		return "", false
	}
	gotHost, gotPort, err1 := net.SplitHostPort(r.Host)
	wantHost, wantPort, err2 := net.SplitHostPort(want.Host)
	if err1 != nil || err2 != nil || gotPort != wantPort || !isLoopbackName(gotHost) || !isLoopbackName(wantHost) {
		return "", false
	}
	u := *r.URL
	u.Scheme, u.Host = want.Scheme, want.Host
	return u.String(), true
}

func isLoopbackName(h string) bool {
	if h == "localhost" {
		return true
	}
	ip := net.ParseIP(h)
	return ip != nil && ip.IsLoopback()
}

// oidcProvider discovers the authorization server, once it answers.
func (a *App) oidcProvider(ctx context.Context) (*oidc.Provider, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.provider != nil {
		return a.provider, nil
	}
	p, err := oidc.NewProvider(oidc.ClientContext(ctx, a.client), a.cfg.Issuer)
	if err != nil {
		return nil, err
	}
	a.provider = p
	return p, nil
}

func (a *App) oauth2Config(p *oidc.Provider, scopes []string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     a.cfg.ClientID,
		ClientSecret: a.cfg.ClientSecret,
		RedirectURL:  a.cfg.RedirectURI,
		Endpoint:     p.Endpoint(),
		Scopes:       scopes,
	}
}

// scopesFor is what each user asks for: the access policy's silver rule
// grants openid + silver, its gold rule openid + silver + gold.
func (a *App) scopesFor(as string) []string {
	if as == "gold" {
		return []string{oidc.ScopeOpenID, a.cfg.SilverScope, a.cfg.GoldScope}
	}
	return []string{oidc.ScopeOpenID, a.cfg.SilverScope}
}

func (a *App) home(w http.ResponseWriter, r *http.Request) {
	sess := a.sessions.get(r)
	v := a.view(sess)
	if sess != nil {
		a.sessions.with(func() {
			v.Notice = sess.flash
			sess.flash = notice{}
		})
	}
	a.render(w, http.StatusOK, v)
}

func (a *App) signIn(w http.ResponseWriter, r *http.Request) {
	as := r.PostFormValue("as")
	hint := map[string]string{"silver": a.cfg.SilverUsername, "gold": a.cfg.GoldUsername}
	if as != "silver" && as != "gold" {
		a.render(w, http.StatusBadRequest, a.viewWith(a.sessions.get(r), errorNotice("Sign in as the silver or the gold user.", "")))
		return
	}
	p, err := a.oidcProvider(r.Context())
	if err != nil {
		a.logf("webapp: discovery of %s: %v", a.cfg.Issuer, err)
		a.render(w, http.StatusBadGateway, a.viewWith(a.sessions.get(r), a.discoveryNotice(err)))
		return
	}
	sess := a.sessions.getOrCreate(w, r)
	state, nonce, verifier := randomToken(), randomToken(), oauth2.GenerateVerifier()
	a.sessions.addPending(sess, state, pendingSignIn{as: as, nonce: nonce, verifier: verifier, started: a.sessions.now()})
	opts := []oauth2.AuthCodeOption{
		oauth2.S256ChallengeOption(verifier),
		oidc.Nonce(nonce),
		// The user picked who to sign in as: do not reuse an org session.
		oauth2.SetAuthURLParam("prompt", "login"),
	}
	if h := hint[as]; h != "" {
		opts = append(opts, oauth2.SetAuthURLParam("login_hint", h))
	}
	http.Redirect(w, r, a.oauth2Config(p, a.scopesFor(as)).AuthCodeURL(state, opts...), http.StatusSeeOther)
}

func (a *App) callback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	sess := a.sessions.get(r)
	var pending pendingSignIn
	var ok bool
	if sess != nil {
		pending, ok = a.sessions.takePending(sess, q.Get("state"))
	}
	if e := q.Get("error"); e != "" {
		// The authorization server's own error: show it whatever the state
		// or the session (what it says is why the sign-in failed).
		n := errorNotice("The authorization server refused the sign-in: "+e, q.Get("error_description"))
		if e == "access_denied" && ok {
			n.Hint = fmt.Sprintf("The %s sign-in asks for the scopes %s; the access policy grants them only to the %s group's members.",
				pending.as, strings.Join(a.scopesFor(pending.as), ", "), pending.as)
		}
		a.render(w, http.StatusBadRequest, a.viewWith(sess, n))
		return
	}
	if sess == nil {
		a.render(w, http.StatusBadRequest, a.viewWith(nil, errorNotice(
			"This sign-in response does not belong to a sign-in started in this browser.",
			"The app has no session for it (it may have restarted, or cookies are blocked). Sign in again.")))
		return
	}
	if !ok {
		a.render(w, http.StatusBadRequest, a.viewWith(sess, errorNotice(
			"Sign-in rejected: the state does not match a sign-in started in this browser.",
			"The response may be forged or replayed, or the sign-in took longer than 10 minutes. Sign in again.")))
		return
	}
	code := q.Get("code")
	if code == "" {
		a.render(w, http.StatusBadRequest, a.viewWith(sess, errorNotice("Sign-in rejected: the response has no authorization code.", "")))
		return
	}
	p, err := a.oidcProvider(r.Context())
	if err != nil {
		a.render(w, http.StatusBadGateway, a.viewWith(sess, a.discoveryNotice(err)))
		return
	}
	ctx := oidc.ClientContext(r.Context(), a.client)
	tok, err := a.oauth2Config(p, a.scopesFor(pending.as)).Exchange(ctx, code, oauth2.VerifierOption(pending.verifier))
	if err != nil {
		title, detail := "The authorization server refused the authorization code.", shortErr(err)
		var re *oauth2.RetrieveError
		if errors.As(err, &re) && re.ErrorCode != "" {
			detail = re.ErrorCode + ": " + re.ErrorDescription
		}
		a.render(w, http.StatusBadRequest, a.viewWith(sess, errorNotice(title, detail)))
		return
	}
	rawID, _ := tok.Extra("id_token").(string)
	if rawID == "" {
		a.render(w, http.StatusBadGateway, a.viewWith(sess, errorNotice("Sign-in rejected: the token response has no ID token.", "")))
		return
	}
	idt, err := p.VerifierContext(ctx, &oidc.Config{ClientID: a.cfg.ClientID}).Verify(ctx, rawID)
	if err != nil {
		a.render(w, http.StatusBadRequest, a.viewWith(sess, errorNotice("Sign-in rejected: the ID token is not valid.", shortErr(err))))
		return
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(pending.nonce)) != 1 {
		a.render(w, http.StatusBadRequest, a.viewWith(sess, errorNotice(
			"Sign-in rejected: the ID token's nonce does not match this sign-in.",
			"The token was issued for another sign-in (a replayed or injected response). Sign in again.")))
		return
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			a.render(w, http.StatusBadRequest, a.viewWith(sess, errorNotice("Sign-in rejected: the access token does not match the ID token's at_hash.", "")))
			return
		}
	}
	var idClaims map[string]any
	if err := idt.Claims(&idClaims); err != nil {
		a.render(w, http.StatusBadGateway, a.viewWith(sess, errorNotice("Sign-in rejected: the ID token's claims are unreadable.", shortErr(err))))
		return
	}
	fresh := a.sessions.rotate(w, sess)
	a.sessions.with(func() {
		fresh.signedInAs = pending.as
		fresh.idClaims = idClaims
		fresh.accessClaims = unverifiedClaims(tok.AccessToken)
		fresh.accessToken = tok.AccessToken
		fresh.flash = notice{Kind: "info", Title: "Signed in as the " + pending.as + " user."}
	})
	http.Redirect(w, r, "/", http.StatusSeeOther)
}

func (a *App) signOut(w http.ResponseWriter, r *http.Request) {
	a.sessions.destroy(w, a.sessions.get(r))
	a.render(w, http.StatusOK, a.viewWith(nil, notice{Kind: "info", Title: "You are signed out. The app forgot your tokens."}))
}

// unverifiedClaims decodes a JWT's payload for display only; the gateway
// is what checks the access token. Nil when the token is opaque.
func unverifiedClaims(raw string) map[string]any {
	parts := strings.Split(raw, ".")
	if len(parts) != 3 {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return nil
	}
	var m map[string]any
	if json.Unmarshal(b, &m) != nil {
		return nil
	}
	return m
}

func randomToken() string {
	b := make([]byte, 24)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// shortErr keeps an error to one readable line.
// discoveryNotice explains a failed discovery of the issuer: a network
// failure is an unreachable authorization server; an answer that is not
// the issuer's metadata (a 404, another issuer) is a wrong ISSUER.
func (a *App) discoveryNotice(err error) notice {
	doc := a.cfg.Issuer + "/.well-known/openid-configuration"
	var netErr *url.Error
	if errors.As(err, &netErr) {
		return errorNotice("The authorization server is unreachable.",
			fmt.Sprintf("Could not read %s: %v", doc, shortErr(err)))
	}
	return errorNotice(fmt.Sprintf("The authorization server answered, but %s is not an OpenID issuer: check ISSUER in the app's settings.", a.cfg.Issuer),
		fmt.Sprintf("%s answered: %v", doc, shortErr(err)))
}

func shortErr(err error) string {
	s := strings.ReplaceAll(err.Error(), "\n", " ")
	if len(s) > 300 {
		s = s[:300] + "..."
	}
	return s
}
