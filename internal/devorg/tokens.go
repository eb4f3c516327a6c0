package devorg

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
)

// accessClaims are the claims of an access token, in Okta's order.
type accessClaims struct {
	Ver int      `json:"ver"`
	JTI string   `json:"jti"`
	Iss string   `json:"iss"`
	Aud string   `json:"aud"`
	Iat int64    `json:"iat"`
	Exp int64    `json:"exp"`
	Cid string   `json:"cid"`
	UID string   `json:"uid,omitempty"`
	Scp []string `json:"scp"`
	// AuthTime is set for user flows (Okta's auth_time claim).
	AuthTime int64  `json:"auth_time,omitempty"`
	Sub      string `json:"sub"`
}

type jwtHeader struct {
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Typ string `json:"typ,omitempty"`
}

var jwtB64 = base64.RawURLEncoding

// signJWT signs claims (any JSON-marshalable value) with RS256.
func signJWT(key *rsa.PrivateKey, kid string, claims any) (string, error) {
	h, err := json.Marshal(jwtHeader{Kid: kid, Alg: "RS256"})
	if err != nil {
		return "", err
	}
	c, err := json.Marshal(claims)
	if err != nil {
		return "", err
	}
	signingInput := jwtB64.EncodeToString(h) + "." + jwtB64.EncodeToString(c)
	sum := sha256.Sum256([]byte(signingInput))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	if err != nil {
		return "", err
	}
	return signingInput + "." + jwtB64.EncodeToString(sig), nil
}

var errBadJWT = errors.New("malformed or unverifiable token")

// verifyJWT checks token's RS256 signature against pub (and that its kid is
// kid) and decodes its claims into v.
func verifyJWT(token string, kid string, pub *rsa.PublicKey, v any) error {
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		return errBadJWT
	}
	hb, err := jwtB64.DecodeString(parts[0])
	if err != nil {
		return errBadJWT
	}
	var h jwtHeader
	if json.Unmarshal(hb, &h) != nil || h.Alg != "RS256" || h.Kid != kid {
		return errBadJWT
	}
	sig, err := jwtB64.DecodeString(parts[2])
	if err != nil {
		return errBadJWT
	}
	sum := sha256.Sum256([]byte(parts[0] + "." + parts[1]))
	if rsa.VerifyPKCS1v15(pub, crypto.SHA256, sum[:], sig) != nil {
		return errBadJWT
	}
	cb, err := jwtB64.DecodeString(parts[1])
	if err != nil {
		return errBadJWT
	}
	if json.Unmarshal(cb, v) != nil {
		return errBadJWT
	}
	return nil
}

// atHash is the OIDC at_hash of an access token: the left half of its
// SHA-256, base64url.
func atHash(accessToken string) string {
	sum := sha256.Sum256([]byte(accessToken))
	return jwtB64.EncodeToString(sum[:len(sum)/2])
}

// pkceS256 is the S256 code challenge of a verifier.
func pkceS256(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return jwtB64.EncodeToString(sum[:])
}

// signingJWK is a public key as published at /v1/keys.
type signingJWK struct {
	Kty string `json:"kty"`
	Alg string `json:"alg"`
	Kid string `json:"kid"`
	Use string `json:"use"`
	E   string `json:"e"`
	N   string `json:"n"`
}

func publicJWK(kid string, pub *rsa.PublicKey) signingJWK {
	return signingJWK{
		Kty: "RSA", Alg: "RS256", Kid: kid, Use: "sig",
		E: jwtB64.EncodeToString(big.NewInt(int64(pub.E)).Bytes()),
		N: jwtB64.EncodeToString(pub.N.Bytes()),
	}
}
