// Package issuertest is, for tests, an OAuth 2.0 / OpenID Connect issuer on
// 127.0.0.1 that a test fully controls: a discovery document, a JWKS of
// RS256 keys (rotatable) and token signing with any key, kid and algorithm.
// Tests add the endpoints they exercise (authorize, token, introspect) to
// its Mux under Path.
//
// It stands for an external authorization server where a test must forge
// what a real one never sends (another key, alg none, a wrong nonce); the
// end-to-end tests use the local org (internal/devorg) instead.
package issuertest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// Path is where the issuer lives on its server, as an Okta custom
// authorization server does.
const Path = "/oauth2/aus1"

// Issuer is a test issuer. Its first key signs unless told otherwise.
type Issuer struct {
	t testing.TB
	// Server serves Mux.
	Server *httptest.Server
	// Mux holds the discovery and JWKS endpoints; tests add theirs.
	Mux *http.ServeMux
	// Key and KID are the issuer's first signing key.
	Key *rsa.PrivateKey
	KID string

	mu           sync.Mutex
	rotated      []jose.JSONWebKey
	jwksRequests int
}

// Start starts an issuer, stopped when t ends.
func Start(t testing.TB) *Issuer {
	t.Helper()
	iss := &Issuer{t: t, Mux: http.NewServeMux(), Key: NewKey(t), KID: "test-key-1"}
	iss.Mux.HandleFunc("GET "+Path+"/.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		u := iss.URL()
		writeJSON(w, map[string]any{
			"issuer": u, "authorization_endpoint": u + "/v1/authorize", "token_endpoint": u + "/v1/token",
			"introspection_endpoint": u + "/v1/introspect", "jwks_uri": u + "/v1/keys",
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	iss.Mux.HandleFunc("GET "+Path+"/v1/keys", func(w http.ResponseWriter, r *http.Request) {
		iss.mu.Lock()
		iss.jwksRequests++
		keys := append([]jose.JSONWebKey{{Key: &iss.Key.PublicKey, KeyID: iss.KID, Algorithm: string(jose.RS256), Use: "sig"}}, iss.rotated...)
		iss.mu.Unlock()
		writeJSON(w, jose.JSONWebKeySet{Keys: keys})
	})
	iss.Server = httptest.NewServer(iss.Mux)
	t.Cleanup(iss.Server.Close)
	return iss
}

// URL is the issuer identifier (the iss of its tokens).
func (iss *Issuer) URL() string { return iss.Server.URL + Path }

// NewKey makes a 2048-bit RSA key.
func NewKey(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	return key
}

// Rotate publishes a new signing key in the JWKS, under kid, beside the
// first one, and returns it.
func (iss *Issuer) Rotate(kid string) *rsa.PrivateKey {
	iss.t.Helper()
	key := NewKey(iss.t)
	iss.mu.Lock()
	defer iss.mu.Unlock()
	iss.rotated = append(iss.rotated, jose.JSONWebKey{Key: &key.PublicKey, KeyID: kid, Algorithm: string(jose.RS256), Use: "sig"})
	return key
}

// JWKSRequests is how many times the JWKS was fetched.
func (iss *Issuer) JWKSRequests() int {
	iss.mu.Lock()
	defer iss.mu.Unlock()
	return iss.jwksRequests
}

// Sign signs claims as RS256 with the issuer's first key and kid.
func (iss *Issuer) Sign(claims any) string {
	iss.t.Helper()
	return iss.SignWith(jose.RS256, claims, nil, iss.KID)
}

// SignWith signs claims as alg with key under kid, typed JWT. The key is
// the issuer's first one when nil, another *rsa.PrivateKey, or what a
// forger would use with alg (the bytes of the public key for HS256).
func (iss *Issuer) SignWith(alg jose.SignatureAlgorithm, claims any, key any, kid string) string {
	iss.t.Helper()
	if k, isRSA := key.(*rsa.PrivateKey); key == nil || (isRSA && k == nil) {
		key = iss.Key
	}
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: alg, Key: jose.JSONWebKey{Key: key, KeyID: kid}}, (&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		iss.t.Fatal(err)
	}
	raw, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		iss.t.Fatal(err)
	}
	return raw
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
