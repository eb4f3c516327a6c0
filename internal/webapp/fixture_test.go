package webapp

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"

	"github.com/apicenter/apicenter/internal/gateway/issuertest"
)

// authServer is a test fixture standing for an external OpenID provider:
// the issuertest issuer (discovery, JWKS), an authorize endpoint that signs
// in the login_hint user at once, and a token endpoint that checks PKCE and
// spends each code once.
type authServer struct {
	*issuertest.Issuer
	t        testing.TB
	srv      *httptest.Server
	clientID string
	secret   string

	mu    sync.Mutex
	codes map[string]grant
	// badIDToken, when set, turns the claims of the next ID tokens into
	// what a forger would send, and says which key signs them (nil: the
	// issuer's).
	badIDToken func(claims map[string]any) *rsa.PrivateKey
}

type grant struct {
	user, scope, nonce, challenge, redirect string
}

func newAuthServer(t testing.TB) *authServer {
	t.Helper()
	iss := issuertest.Start(t)
	as := &authServer{Issuer: iss, t: t, srv: iss.Server, clientID: "0oaapp", secret: "app-secret", codes: map[string]grant{}}
	iss.Mux.HandleFunc("GET "+issuertest.Path+"/v1/authorize", as.authorize)
	iss.Mux.HandleFunc("POST "+issuertest.Path+"/v1/token", as.token)
	return as
}

func (as *authServer) issuer() string { return as.URL() }

func (as *authServer) authorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	if q.Get("client_id") != as.clientID || q.Get("code_challenge_method") != "S256" || q.Get("response_type") != "code" {
		http.Error(w, "bad authorize request", http.StatusBadRequest)
		return
	}
	user := q.Get("login_hint")
	code := "code-" + rand.Text()
	as.mu.Lock()
	as.codes[code] = grant{user: user, scope: q.Get("scope"), nonce: q.Get("nonce"), challenge: q.Get("code_challenge"), redirect: q.Get("redirect_uri")}
	as.mu.Unlock()
	http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
}

func (as *authServer) token(w http.ResponseWriter, r *http.Request) {
	fail := func(code, desc string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusBadRequest)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": code, "error_description": desc})
	}
	id, secret, _ := r.BasicAuth()
	if id != as.clientID || secret != as.secret {
		fail("invalid_client", "Client authentication failed.")
		return
	}
	code := r.PostFormValue("code")
	as.mu.Lock()
	g, ok := as.codes[code]
	delete(as.codes, code)
	as.mu.Unlock()
	if !ok {
		fail("invalid_grant", "The authorization code is invalid or has expired.")
		return
	}
	sum := sha256.Sum256([]byte(r.PostFormValue("code_verifier")))
	if base64.RawURLEncoding.EncodeToString(sum[:]) != g.challenge {
		fail("invalid_grant", "PKCE verification failed.")
		return
	}
	now := time.Now()
	access := as.Sign(map[string]any{"iss": as.issuer(), "aud": "api://test", "sub": g.user, "cid": as.clientID,
		"scp": strings.Fields(g.scope), "iat": now.Unix(), "exp": now.Add(time.Hour).Unix(), "jti": "AT." + rand.Text()})
	idClaims := map[string]any{"iss": as.issuer(), "aud": as.clientID, "sub": "00u" + g.user, "nonce": g.nonce,
		"preferred_username": g.user, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	as.mu.Lock()
	bad := as.badIDToken
	as.mu.Unlock()
	var idKey *rsa.PrivateKey
	if bad != nil {
		idKey = bad(idClaims)
	}
	idt := as.SignWith(jose.RS256, idClaims, idKey, as.KID)
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"access_token": access, "id_token": idt, "token_type": "Bearer", "expires_in": 3600, "scope": g.scope})
}
