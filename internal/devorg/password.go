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

// groupIDsOf returns the ids of the groups userID belongs to, the Everyone
// group included. Call with o.mu held.
func (st *State) groupIDsOf(userID string) []string {
	var ids []string
	for _, g := range sortedBySeq(st.Groups, func(g *Group) int64 { return g.Seq }) {
		if st.inGroup(g, userID) {
			ids = append(ids, g.ID)
		}
	}
	return ids
}

// userAssignedToApp reports whether the user is assigned to the app,
// directly or through one of its groups (Everyone included).
func (st *State) userAssignedToApp(userID string, app *App) bool {
	if _, ok := app.Users[userID]; ok {
		return true
	}
	for _, gid := range st.groupIDsOf(userID) {
		if _, ok := app.Groups[gid]; ok {
			return true
		}
	}
	return false
}
