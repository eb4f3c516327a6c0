package gateway

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	jose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/gateway/issuertest"
)

// authServer is a test fixture standing for an external authorization
// server: the issuertest issuer (discovery, a JWKS of RS256 keys) and an
// RFC 7662 introspection endpoint that really checks the tokens it minted.
type authServer struct {
	*issuertest.Issuer
	t        testing.TB
	srv      *httptest.Server
	key      *rsa.PrivateKey
	kid      string
	clientID string
	secret   string

	mu           sync.Mutex
	revoked      map[string]bool
	introspected int
}

func newAuthServer(t testing.TB) *authServer {
	t.Helper()
	iss := issuertest.Start(t)
	as := &authServer{Issuer: iss, t: t, srv: iss.Server, key: iss.Key, kid: iss.KID,
		clientID: "0oaintrospect", secret: "s3cret:with/odd+chars", revoked: map[string]bool{}}
	iss.Mux.HandleFunc("POST "+issuertest.Path+"/v1/introspect", as.introspect)
	return as
}

func (as *authServer) issuer() string { return as.URL() }

func (as *authServer) introspect(w http.ResponseWriter, r *http.Request) {
	id, secret, ok := r.BasicAuth()
	id, _ = url.QueryUnescape(id)
	secret, _ = url.QueryUnescape(secret)
	if !ok || id != as.clientID || secret != as.secret {
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": "invalid_client"})
		return
	}
	raw := r.PostFormValue("token")
	as.mu.Lock()
	as.introspected++
	revoked := as.revoked[raw]
	as.mu.Unlock()
	inactive := map[string]any{"active": false}
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil || revoked {
		_ = json.NewEncoder(w).Encode(inactive)
		return
	}
	var claims map[string]any
	var std jwt.Claims
	if err := tok.Claims(&as.key.PublicKey, &claims, &std); err != nil || std.Expiry == nil || time.Now().After(std.Expiry.Time()) {
		_ = json.NewEncoder(w).Encode(inactive)
		return
	}
	out := map[string]any{"active": true, "token_type": "Bearer"}
	for k, v := range claims {
		switch k {
		case "scp":
			var s []string
			arr, _ := v.([]any)
			for _, e := range arr {
				s = append(s, e.(string))
			}
			out["scope"] = strings.Join(s, " ")
		case "cid":
			out["client_id"] = v
		default:
			out[k] = v
		}
	}
	_ = json.NewEncoder(w).Encode(out)
}

func (as *authServer) revoke(raw string) {
	as.mu.Lock()
	defer as.mu.Unlock()
	as.revoked[raw] = true
}

// claims are a good access token's claims; tests change one thing.
func (as *authServer) claims(scopes ...string) map[string]any {
	now := time.Now()
	return map[string]any{
		"ver": 1, "jti": "AT." + rand.Text(), "iss": as.issuer(), "aud": "api://test",
		"iat": now.Unix(), "exp": now.Add(time.Hour).Unix(),
		"cid": "0oaapp", "uid": "00usilver", "sub": "silver@example.com", "scp": scopes,
	}
}

// mint signs claims with key (the server's key when nil) as RS256.
func (as *authServer) mint(claims map[string]any, key *rsa.PrivateKey, kid string) string {
	as.t.Helper()
	return as.SignWith(jose.RS256, claims, key, kid)
}

// mintNone builds an unsigned token with alg "none".
func (as *authServer) mintNone(claims map[string]any) string {
	enc := base64.RawURLEncoding
	h, _ := json.Marshal(map[string]string{"alg": "none", "typ": "JWT", "kid": as.kid})
	p, _ := json.Marshal(claims)
	return enc.EncodeToString(h) + "." + enc.EncodeToString(p) + "."
}

// mintHS256WithPublicKey signs with HMAC keyed by the server's public key
// in PEM: the classic algorithm-confusion attack.
func (as *authServer) mintHS256WithPublicKey(claims map[string]any) string {
	as.t.Helper()
	der, err := x509.MarshalPKIXPublicKey(&as.key.PublicKey)
	if err != nil {
		as.t.Fatal(err)
	}
	pemKey := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	return as.SignWith(jose.HS256, claims, pemKey, as.kid)
}

// upstream is the API behind the gateway; it records the last request's
// headers.
type upstream struct {
	srv *httptest.Server
	mu  sync.Mutex
	hdr http.Header
}

func newUpstream(t testing.TB) *upstream {
	u := &upstream{}
	u.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.hdr = r.Header.Clone()
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"path":"` + r.URL.Path + `"}`))
	}))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) lastHeader() http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.hdr
}

// renderTemplate renders an input's template file with values (keyed NAME
// or OBJECT.field), as get-settings does; a reference without a value
// fails t.
func renderTemplate(t testing.TB, path string, values map[string]string) []byte {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	tpl, err := inputs.ParseTemplate(inputs.Pos{File: path, Line: 1, Column: 1}, string(raw))
	if err != nil {
		t.Fatal(err)
	}
	out, err := tpl.Expand(func(r inputs.Ref) (string, error) {
		k := r.Name
		if r.Field != "" {
			k += "." + r.Field
		}
		v, ok := values[k]
		if !ok {
			t.Fatalf("%s: %s has no test value", path, r)
		}
		return v, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return []byte(out)
}

// forge is a forged token: a real token's header and claims, with
// addScopes added to its scp, signed by a key of the test's own under the
// real token's kid. Every gateway must refuse it.
func forge(t *testing.T, raw string, addScopes ...string) string {
	t.Helper()
	tok, err := jwt.ParseSigned(raw, []jose.SignatureAlgorithm{jose.RS256})
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := tok.UnsafeClaimsWithoutVerification(&claims); err != nil {
		t.Fatal(err)
	}
	scp, _ := claims["scp"].([]any)
	for _, s := range addScopes {
		scp = append(scp, s)
	}
	claims["scp"] = scp
	sig, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: jose.JSONWebKey{Key: issuertest.NewKey(t), KeyID: tok.Headers[0].KeyID}},
		(&jose.SignerOptions{}).WithType("JWT"))
	if err != nil {
		t.Fatal(err)
	}
	out, err := jwt.Signed(sig).Claims(claims).Serialize()
	if err != nil {
		t.Fatal(err)
	}
	return out
}
