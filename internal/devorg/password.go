package devorg

import (
	"crypto/pbkdf2"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"strings"
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
	salt, want, ok := strings.Cut(u.PasswordHash, "$")
	if !ok {
		return false
	}
	key, _ := pbkdf2.Key(sha256.New, password, []byte(salt), 4096, 32)
	return subtle.ConstantTimeCompare([]byte(base64.RawStdEncoding.EncodeToString(key)), []byte(want)) == 1
}
