package bootstrap

import (
	"crypto/rand"
	"errors"
	"fmt"
	"math/big"
	"net/mail"
	"net/url"
	"strings"
	"unicode"

	"github.com/apicenter/apicenter/inputs"
)

// PasswordLength is the length of generated passwords.
const PasswordLength = 20

const (
	lower  = "abcdefghijkmnopqrstuvwxyz"
	upper  = "ABCDEFGHJKLMNPQRSTUVWXYZ"
	digits = "23456789"
)

// passwordSeparators are the characters Okta splits a login at ("@", ".",
// "_", "-") that are also safe unquoted in shells, URLs and .env files.
const passwordSeparators = "-_."

// GeneratePassword returns a password from crypto/rand that meets Okta's
// default password policy: at least 8 characters, a lowercase letter, an
// uppercase letter, a digit, and no part of the username. Every third
// character is a separator Okta splits logins at, so no three consecutive
// characters can spell a part of any login, whatever the login is. About
// 88 bits of entropy.
func GeneratePassword() (string, error) {
	alnum := lower + upper + digits
	for {
		var b strings.Builder
		for i := 0; i < PasswordLength; i++ {
			alphabet := alnum
			if i%3 == 2 {
				alphabet = passwordSeparators
			}
			c, err := randomString(1, alphabet)
			if err != nil {
				return "", err
			}
			b.WriteString(c)
		}
		if s := b.String(); CheckPassword(s) == nil {
			return s, nil
		}
	}
}

// CheckPassword checks a password against Okta's default policy (the parts
// that do not depend on the login).
func CheckPassword(s string) error {
	var lo, up, dg bool
	for _, c := range s {
		switch {
		case unicode.IsLower(c):
			lo = true
		case unicode.IsUpper(c):
			up = true
		case unicode.IsDigit(c):
			dg = true
		}
	}
	if len(s) < 8 || !lo || !up || !dg {
		return errors.New("a password needs at least 8 characters, a lowercase letter, an uppercase letter and a digit")
	}
	return nil
}

// loginSeparators are the characters Okta splits a login at to find the
// parts of the username a password must not contain.
const loginSeparators = "@._-+,#"

// PasswordLoginPart returns the first part of login (split at Okta's
// separators, three characters or more) that password contains, ignoring
// case, or "" when there is none. Okta's default password policy refuses
// a password with a part of the username.
func PasswordLoginPart(password, login string) string {
	lp := strings.ToLower(password)
	parts := strings.FieldsFunc(strings.ToLower(login), func(r rune) bool { return strings.ContainsRune(loginSeparators, r) })
	for _, part := range parts {
		if len(part) >= 3 && strings.Contains(lp, part) {
			return part
		}
	}
	return ""
}

// passwordLoginErr is the error of a password that holds a part of login,
// which loginName (a value, or "" for a literal) gives.
func passwordLoginErr(password, login, loginName string) error {
	part := PasswordLoginPart(password, login)
	if part == "" {
		return nil
	}
	of := "the login " + login
	if loginName != "" {
		of += " (" + loginName + ")"
	}
	return fmt.Errorf("it contains %q, a part of %s, and Okta's password policy refuses a password with a part of the username", part, of)
}

func randomString(n int, alphabet string) (string, error) {
	b := make([]byte, n)
	max := big.NewInt(int64(len(alphabet)))
	for i := range b {
		k, err := rand.Int(rand.Reader, max)
		if err != nil {
			return "", fmt.Errorf("reading random bytes: %w", err)
		}
		b[i] = alphabet[k.Int64()]
	}
	return string(b), nil
}

var (
	nameFirst = []string{"amber", "azure", "bright", "calm", "coral", "crimson", "golden", "ivory", "jade", "lunar", "misty", "polar", "quiet", "silver", "solar", "swift"}
	nameLast  = []string{"comet", "nebula", "orbit", "pulsar", "quasar", "nova", "meteor", "zenith", "aurora", "eclipse", "galaxy", "halo", "ion", "kepler", "photon", "vega"}
)

func generate(g inputs.Generator) (string, error) {
	switch g {
	case inputs.GenPassword:
		return GeneratePassword()
	case inputs.GenTag:
		return randomString(6, "abcdefghijklmnopqrstuvwxyz0123456789")
	case inputs.GenName:
		a, err := randomString(1, "0123456789abcdef")
		if err != nil {
			return "", err
		}
		i := strings.IndexByte("0123456789abcdef", a[0])
		b, err := randomString(1, "0123456789abcdef")
		if err != nil {
			return "", err
		}
		j := strings.IndexByte("0123456789abcdef", b[0])
		return nameFirst[i] + "-" + nameLast[j], nil
	}
	return "", fmt.Errorf("unknown generator %q", g)
}

// check runs a value check named in an input file.
func check(kind, s string) error {
	switch kind {
	case "":
		return nil
	case "nonempty":
		if strings.TrimSpace(s) == "" {
			return errors.New("must not be empty")
		}
	case "url":
		u, err := url.Parse(s)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return fmt.Errorf("%q is not an http(s) URL", s)
		}
		if strings.Contains(s, "#") {
			return fmt.Errorf("%q has a #fragment: OAuth forbids one in a redirect URI (RFC 6749 section 3.1.2), and a base URL has no use for one", s)
		}
	case "origin":
		_, err := originOf(s)
		return err
	case "email":
		a, err := mail.ParseAddress(s)
		if err != nil || a.Address != s {
			return fmt.Errorf("%q is not an email address", s)
		}
	case "password":
		return CheckPassword(s)
	default:
		return fmt.Errorf("unknown check %q", kind)
	}
	return nil
}

// originOf returns scheme://host[:port] of an http(s) URL.
func originOf(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("%q is not an http(s) URL, so it has no origin", s)
	}
	return u.Scheme + "://" + u.Host, nil
}

// mask hides a secret for display.
func mask(s string) string {
	if s == "" {
		return ""
	}
	return "********"
}
