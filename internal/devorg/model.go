package devorg

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"sort"
	"strings"
	"time"
)

// State is everything the org holds. It is serialised as JSON to the
// --state file, so every field that must survive a restart is exported.
// All access goes through Org, under Org.mu.
type State struct {
	// Seq orders objects by creation; lists answer in creation order.
	Seq int64 `json:"seq"`

	Groups map[string]*Group `json:"groups"`
	Users  map[string]*User  `json:"users"`
	// Members maps a group id to the set of its user ids. The Everyone
	// group's membership is implicit (every user) and is not stored here.
	Members map[string]map[string]bool `json:"members"`

	AuthServers    map[string]*AuthServer    `json:"authServers"`
	Apps           map[string]*App           `json:"apps"`
	TrustedOrigins map[string]*TrustedOrigin `json:"trustedOrigins"`

	// Grants are issued authorization codes and refresh tokens, and
	// revoked token ids; they are short-lived but kept across a restart.
	Codes         map[string]*AuthCode      `json:"codes"`
	RefreshTokens map[string]*RefreshToken  `json:"refreshTokens"`
	Revoked       map[string]time.Time      `json:"revoked"` // jti -> expiry
	Sessions      map[string]*SignInSession `json:"sessions"`

	// OrgKey signs the tokens of the org authorization server
	// (/oauth2/v1/...); made on first use.
	OrgKey *SigningKey `json:"orgKey,omitempty"`
}

// Meta is what every object has.
type Meta struct {
	ID          string    `json:"id"`
	Seq         int64     `json:"seq"`
	Status      string    `json:"status,omitempty"`
	Created     time.Time `json:"created"`
	LastUpdated time.Time `json:"lastUpdated"`
}

// Group is an Okta group. Type is OKTA_GROUP, or BUILT_IN for Everyone.
type Group struct {
	Meta
	Type        string `json:"type"`
	Name        string `json:"name"`
	Description string `json:"description"`
	// LastMembershipUpdated changes when a member is added or removed.
	LastMembershipUpdated time.Time `json:"lastMembershipUpdated"`
}

// User is an Okta user. Status is STAGED, PROVISIONED, ACTIVE,
// DEPROVISIONED... Profile holds every profile attribute as sent.
type User struct {
	Meta
	Activated       *time.Time     `json:"activated"`
	StatusChanged   *time.Time     `json:"statusChanged"`
	LastLogin       *time.Time     `json:"lastLogin"`
	PasswordChanged *time.Time     `json:"passwordChanged"`
	Profile         map[string]any `json:"profile"`
	// PasswordHash is a salted hash (see hashPassword); the password itself
	// is never stored.
	PasswordHash string `json:"passwordHash,omitempty"`
	// ImportedHash is a password imported as a hash; it wins over
	// PasswordHash until the password is changed.
	ImportedHash *ImportedHash `json:"importedHash,omitempty"`
	// RecoveryQuestion is credentials.recovery_question; its answer is
	// kept only as a salted hash, and never answered.
	RecoveryQuestion *RecoveryQuestion `json:"recoveryQuestion,omitempty"`
}

// RecoveryQuestion is a user's recovery question.
type RecoveryQuestion struct {
	Question   string `json:"question"`
	AnswerHash string `json:"answerHash"`
}

// Login returns profile.login.
func (u *User) Login() string { s, _ := u.Profile["login"].(string); return s }

// AuthServer is a custom authorization server (or the built-in "default").
type AuthServer struct {
	Meta
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Audiences   []string `json:"audiences"`
	Default     bool     `json:"default"`
	// IssuerMode is ORG_URL (default) or CUSTOM_URL.
	IssuerMode string             `json:"issuerMode"`
	Scopes     map[string]*Scope  `json:"scopes"`
	Claims     map[string]*Claim  `json:"claims"`
	Policies   map[string]*Policy `json:"policies"`
	// Key is the server's RS256 signing key.
	Key *SigningKey `json:"key"`
}

// Scope is a scope of an authorization server.
type Scope struct {
	Meta
	Name            string `json:"name"`
	DisplayName     string `json:"displayName,omitempty"`
	Description     string `json:"description,omitempty"`
	System          bool   `json:"system"`
	Consent         string `json:"consent"`         // IMPLICIT, REQUIRED
	MetadataPublish string `json:"metadataPublish"` // ALL_CLIENTS, NO_CLIENTS
	Default         bool   `json:"default"`
	Optional        bool   `json:"optional"`
}

// Claim is a custom claim of an authorization server.
type Claim struct {
	Meta
	Name                 string   `json:"name"`
	ClaimType            string   `json:"claimType"` // RESOURCE (access token), IDENTITY (id token)
	ValueType            string   `json:"valueType"` // EXPRESSION, GROUPS
	Value                string   `json:"value"`
	AlwaysIncludeInToken bool     `json:"alwaysIncludeInToken"`
	Scopes               []string `json:"scopes,omitempty"` // conditions.scopes
	System               bool     `json:"system"`
	// GroupFilterType is, for a GROUPS claim, how Value filters group
	// names: STARTS_WITH, EQUALS, CONTAINS or REGEX.
	GroupFilterType string `json:"groupFilterType,omitempty"`
}

// Policy is an access policy of an authorization server.
type Policy struct {
	Meta
	Name        string `json:"name"`
	Description string `json:"description"`
	Priority    int    `json:"priority"`
	System      bool   `json:"system"`
	// Clients is conditions.clients.include: "ALL_CLIENTS" or client ids.
	Clients []string         `json:"clients"`
	Rules   map[string]*Rule `json:"rules"`
}

// Rule is a rule of an access policy.
type Rule struct {
	Meta
	Name     string `json:"name"`
	Priority int    `json:"priority"`
	System   bool   `json:"system"`
	// Groups is conditions.people.groups.include: group ids or "EVERYONE".
	Groups []string `json:"groups"`
	// Users is conditions.people.users.include: user ids.
	Users      []string `json:"users"`
	GrantTypes []string `json:"grantTypes"`
	// Scopes is conditions.scopes.include: scope names or "*".
	Scopes []string `json:"scopes"`
	// Lifetimes in minutes; 0 means Okta's default.
	AccessTokenLifetimeMinutes  int `json:"accessTokenLifetimeMinutes"`
	RefreshTokenLifetimeMinutes int `json:"refreshTokenLifetimeMinutes"`
	RefreshTokenWindowMinutes   int `json:"refreshTokenWindowMinutes"`
}

// App is an OIDC application. Its id is also its client_id.
type App struct {
	Meta
	Name  string `json:"name"` // oidc_client
	Label string `json:"label"`
	// SignOnMode is OPENID_CONNECT.
	SignOnMode string `json:"signOnMode"`
	// ApplicationType is service, web, browser or native.
	ApplicationType         string   `json:"applicationType"`
	GrantTypes              []string `json:"grantTypes"`
	ResponseTypes           []string `json:"responseTypes"`
	RedirectURIs            []string `json:"redirectUris"`
	PostLogoutRedirectURIs  []string `json:"postLogoutRedirectUris"`
	InitiateLoginURI        string   `json:"initiateLoginUri,omitempty"`
	TokenEndpointAuthMethod string   `json:"tokenEndpointAuthMethod"` // client_secret_basic, client_secret_post, none
	ConsentMethod           string   `json:"consentMethod"`
	// PKCERequired is credentials.oauthClient.pkce_required (true by
	// default for browser and native apps).
	PKCERequired bool `json:"pkceRequired"`
	// IssuerMode is settings.oauthClient.issuer_mode.
	IssuerMode string `json:"issuerMode,omitempty"`
	// Secrets are the client secrets, in creation order.
	Secrets []*ClientSecret `json:"secrets"`
	// Groups maps a group id to its assignment; Users maps a user id to its
	// direct assignment.
	Groups map[string]*AppGroupAssignment `json:"groups"`
	Users  map[string]*Meta               `json:"users"`
	// Settings keeps the rest of the request body's "settings" as sent, so
	// that an update round-trips fields the org does not interpret.
	Settings map[string]any `json:"settings,omitempty"`
	// OAuthClientSettings keeps the keys of settings.oauthClient that the
	// org does not interpret (logo_uri, wildcard_redirect, participate_slo,
	// network, frontchannel_logout_uri, ...) as sent, so that they
	// round-trip as in Okta.
	OAuthClientSettings map[string]any `json:"oauthClientSettings,omitempty"`
	// OAuthClientCredentials keeps the keys of credentials.oauthClient
	// that the org does not interpret (autoKeyRotation, ...) as sent.
	OAuthClientCredentials map[string]any `json:"oauthClientCredentials,omitempty"`
	// CustomClientID is a client_id the client chose on create; empty
	// means the app's id is its client id.
	CustomClientID string `json:"customClientId,omitempty"`
	// Profile is the app's profile, as sent.
	Profile map[string]any `json:"profile,omitempty"`
	// UniversalLogout is the app's universalLogout object as sent; nil is
	// answered as null, as Okta does for an app without one.
	UniversalLogout map[string]any `json:"universalLogout,omitempty"`
}

// ClientID returns the app's client id: the one chosen on create, or else
// its id, as in Okta.
func (a *App) ClientID() string {
	if a.CustomClientID != "" {
		return a.CustomClientID
	}
	return a.ID
}

// appByClientID finds an app by its client id. Call with o.mu held.
func (st *State) appByClientID(clientID string) *App {
	if a, ok := st.Apps[clientID]; ok && a.CustomClientID == "" {
		return a
	}
	for _, a := range st.Apps {
		if a.CustomClientID != "" && a.CustomClientID == clientID {
			return a
		}
	}
	return nil
}

// ClientSecret is one secret of an app.
type ClientSecret struct {
	Meta
	Secret string `json:"secret"`
}

// AppGroupAssignment assigns a group to an app.
type AppGroupAssignment struct {
	Meta
	Priority int            `json:"priority"`
	Profile  map[string]any `json:"profile"`
}

// TrustedOrigin is a CORS and/or REDIRECT origin.
type TrustedOrigin struct {
	Meta
	Name   string   `json:"name"`
	Origin string   `json:"origin"`
	Scopes []string `json:"scopes"` // CORS, REDIRECT
}

// AuthCode is an issued authorization code.
type AuthCode struct {
	Code                string    `json:"code"`
	AuthServerID        string    `json:"authServerId"`
	ClientID            string    `json:"clientId"`
	UserID              string    `json:"userId"`
	RedirectURI         string    `json:"redirectUri"`
	Scopes              []string  `json:"scopes"`
	Nonce               string    `json:"nonce,omitempty"`
	CodeChallenge       string    `json:"codeChallenge,omitempty"`
	CodeChallengeMethod string    `json:"codeChallengeMethod,omitempty"`
	RuleID              string    `json:"ruleId"`
	Expires             time.Time `json:"expires"`
	AuthTime            time.Time `json:"authTime"`
}

// RefreshToken is an issued refresh token.
type RefreshToken struct {
	Token        string    `json:"token"`
	AuthServerID string    `json:"authServerId"`
	ClientID     string    `json:"clientId"`
	UserID       string    `json:"userId"`
	Scopes       []string  `json:"scopes"`
	RuleID       string    `json:"ruleId"`
	Expires      time.Time `json:"expires"`
	// Issued and AuthTime are when the token was issued and when the user
	// signed in.
	Issued   time.Time `json:"issued"`
	AuthTime time.Time `json:"authTime"`
}

// SignInSession is a session made by the sign-in page or /api/v1/authn
// (a sessionToken): it names the user who signed in.
type SignInSession struct {
	Token   string    `json:"token"`
	UserID  string    `json:"userId"`
	Expires time.Time `json:"expires"`
	// OneTime is true for a sessionToken, which is spent on first use.
	OneTime bool `json:"oneTime"`
	// AuthTime is when the user entered their password.
	AuthTime time.Time `json:"authTime"`
}

// SigningKey is an RS256 key pair. The private key is kept as PKCS#1 PEM so
// that tokens signed before a restart still verify after it.
type SigningKey struct {
	KID        string          `json:"kid"`
	Created    time.Time       `json:"created"`
	PrivatePEM string          `json:"privatePem"`
	private    *rsa.PrivateKey `json:"-"`
}

// newSigningKey makes a fresh 2048-bit RSA key.
func newSigningKey(now time.Time) (*SigningKey, error) {
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, err
	}
	pemBytes := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(k)})
	return &SigningKey{KID: randomToken(43), Created: now, PrivatePEM: string(pemBytes), private: k}, nil
}

// Private returns the parsed private key.
func (k *SigningKey) Private() (*rsa.PrivateKey, error) {
	if k.private != nil {
		return k.private, nil
	}
	b, _ := pem.Decode([]byte(k.PrivatePEM))
	if b == nil {
		return nil, fmt.Errorf("signing key %s: bad PEM", k.KID)
	}
	p, err := x509.ParsePKCS1PrivateKey(b.Bytes)
	if err != nil {
		return nil, err
	}
	k.private = p
	return p, nil
}

const idAlphabet = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

// Okta id prefixes.
const (
	prefixUser          = "00u"
	prefixGroup         = "00g"
	prefixApp           = "0oa"
	prefixAuthServer    = "aus"
	prefixScope         = "scp"
	prefixClaim         = "ocl"
	prefixPolicy        = "00p"
	prefixRule          = "0pr"
	prefixTrustedOrigin = "tos"
	prefixSecret        = "ocs"
)

// newID returns a 20-character Okta-style id with the given 3-character prefix.
func newID(prefix string) string { return prefix + randomString(20-len(prefix), idAlphabet) }

// randomToken returns n random URL-safe characters.
func randomToken(n int) string {
	return randomString(n, idAlphabet+"-_")
}

func randomString(n int, alphabet string) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on Linux
	}
	var sb strings.Builder
	for _, c := range b {
		sb.WriteByte(alphabet[int(c)%len(alphabet)])
	}
	return sb.String()
}

// oktaTime formats t as Okta does: RFC 3339, UTC, milliseconds.
func oktaTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }

// sortedBySeq returns the values of m in creation order.
func sortedBySeq[T any](m map[string]T, seq func(T) int64) []T {
	out := make([]T, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return seq(out[i]) < seq(out[j]) })
	return out
}
