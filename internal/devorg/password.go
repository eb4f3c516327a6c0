package devorg

import (
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"

	"golang.org/x/crypto/bcrypt"
)

// hashPassword returns a salted PBKDF2-SHA256 hash of password, encoded as
// "salt$hash". The org never stores a password itself.
func hashPassword(password string) string {
	salt := randomToken(16)
	key, _ := pbkdf2.Key(sha256.New, password, []byte(salt), 4096, 32)
	return salt + "$" + base64.RawStdEncoding.EncodeToString(key)
}

// checkPassword reports whether password matches the user's stored hash.
func checkPassword(u *User, password string) bool {
	if u.ImportedHash != nil {
		return u.ImportedHash.matches(password)
	}
	salt, want, ok := strings.Cut(u.PasswordHash, "$")
	if !ok {
		return false
	}
	key, _ := pbkdf2.Key(sha256.New, password, []byte(salt), 4096, 32)
	return subtle.ConstantTimeCompare([]byte(base64.RawStdEncoding.EncodeToString(key)), []byte(want)) == 1
}

// ImportedHash is a password imported as a hash
// (credentials.password.hash), kept as Okta documents it: the user signs
// in with the original password until they change it.
type ImportedHash struct {
	// Algorithm is BCRYPT, PBKDF2, SHA-512, SHA-256, SHA-1 or MD5.
	Algorithm string `json:"algorithm"`
	// Salt is base64 (SHA, MD5) or bcrypt's 22-character radix-64 salt.
	Salt string `json:"salt,omitempty"`
	// SaltOrder is PREFIX or POSTFIX: where the salt goes around the
	// password before hashing.
	SaltOrder  string `json:"saltOrder,omitempty"`
	Value      string `json:"value"`
	WorkFactor int    `json:"workFactor,omitempty"`
	// IterationCount, KeySize (bytes) and DigestAlgorithm (SHA256_HMAC or
	// SHA512_HMAC) are PBKDF2's.
	IterationCount  int    `json:"iterationCount,omitempty"`
	KeySize         int    `json:"keySize,omitempty"`
	DigestAlgorithm string `json:"digestAlgorithm,omitempty"`
}

// pbkdf2Digests are the PBKDF2 digests Okta imports.
var pbkdf2Digests = map[string]func() hash.Hash{"SHA256_HMAC": sha256.New, "SHA512_HMAC": sha512.New}

// shaHashes are the unkeyed digests Okta imports.
var shaHashes = map[string]func() hash.Hash{"SHA-512": sha512.New, "SHA-256": sha256.New, "SHA-1": sha1.New, "MD5": md5.New}

// validate checks h as Okta's API reference describes the hash object.
func (h *ImportedHash) validate() error {
	bad := func(msg string) error { return errValidation("password", "password.hash: "+msg) }
	switch h.Algorithm {
	case "BCRYPT":
		if h.WorkFactor < 1 || h.WorkFactor > 20 {
			return bad("workFactor must be between 1 and 20 for BCRYPT")
		}
		if len(h.Salt) != 22 || len(h.Value) != 31 {
			return bad("BCRYPT needs a 22-character salt and a 31-character value")
		}
	case "PBKDF2":
		if _, ok := pbkdf2Digests[h.DigestAlgorithm]; !ok {
			return bad("digestAlgorithm must be SHA256_HMAC or SHA512_HMAC for PBKDF2")
		}
		if h.IterationCount < 1 || h.KeySize < 1 {
			return bad("PBKDF2 needs an iterationCount and a keySize")
		}
		if _, err := base64.StdEncoding.DecodeString(h.Value); err != nil || h.Value == "" {
			return bad("value must be the base64 of the hash")
		}
		if _, err := base64.StdEncoding.DecodeString(h.Salt); err != nil {
			return bad("salt must be base64")
		}
	case "SHA-512", "SHA-256", "SHA-1", "MD5":
		if _, err := base64.StdEncoding.DecodeString(h.Value); err != nil || h.Value == "" {
			return bad("value must be the base64 of the hash")
		}
		if h.Salt != "" {
			if _, err := base64.StdEncoding.DecodeString(h.Salt); err != nil {
				return bad("salt must be base64")
			}
			if h.SaltOrder != "PREFIX" && h.SaltOrder != "POSTFIX" {
				return bad("saltOrder must be PREFIX or POSTFIX")
			}
		}
	default:
		return bad("algorithm " + h.Algorithm + " is not supported by the local org (BCRYPT, PBKDF2, SHA-512, SHA-256, SHA-1, MD5)")
	}
	return nil
}

// matches reports whether password hashes to h.
func (h *ImportedHash) matches(password string) bool {
	if h.Algorithm == "BCRYPT" {
		stored := fmt.Sprintf("$2a$%02d$%s%s", h.WorkFactor, h.Salt, h.Value)
		return bcrypt.CompareHashAndPassword([]byte(stored), []byte(password)) == nil
	}
	salt, _ := base64.StdEncoding.DecodeString(h.Salt)
	want, _ := base64.StdEncoding.DecodeString(h.Value)
	if h.Algorithm == "PBKDF2" {
		key, err := pbkdf2.Key(pbkdf2Digests[h.DigestAlgorithm], password, salt, h.IterationCount, h.KeySize)
		return err == nil && subtle.ConstantTimeCompare(key, want) == 1
	}
	newHash, ok := shaHashes[h.Algorithm]
	if !ok {
		return false
	}
	d := newHash()
	if h.SaltOrder == "PREFIX" {
		d.Write(salt)
	}
	d.Write([]byte(password))
	if h.SaltOrder == "POSTFIX" {
		d.Write(salt)
	}
	return subtle.ConstantTimeCompare(d.Sum(nil), want) == 1
}
