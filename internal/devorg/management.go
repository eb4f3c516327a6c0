package devorg

import (
	"crypto/subtle"
	"encoding/json"
	"io"
	"net/http"
	"strings"
)

// managementRoutes registers the management API (/api/v1). Every route but
// POST /api/v1/authn (owned by the OAuth side) requires the SSWS token.
func (o *Org) managementRoutes(mux *http.ServeMux) {
	o.groupRoutes(mux)         // groups.go
	o.userRoutes(mux)          // users.go
	o.authServerRoutes(mux)    // authservers.go
	o.appRoutes(mux)           // apps.go
	o.trustedOriginRoutes(mux) // trustedorigins.go
	mux.HandleFunc("GET /api/v1/meta/schemas/user/default", o.api(o.getUserSchema))
}

// Names of the objects every developer org starts with.
const (
	everyoneGroupName   = "Everyone"
	adminLogin          = "admin@devorg.example.com"
	defaultAuthServerID = "default" // the alias of the default server
)

// systemScopes are the scopes every authorization server is made with.
var systemScopes = []struct{ name, description string }{
	{"openid", "Signals that a request is an OpenID request."},
	{"profile", "Allows this application to access your profile information."},
	{"email", "Allows this application to access your email address."},
	{"address", "Allows this application to access your address."},
	{"phone", "Allows this application to access your phone number."},
	{"offline_access", "Allows this application to access your information while you are not using the application."},
	{"device_sso", "Allows this application to request device secret and ID token for device SSO."},
}

// systemClaims are the claims every authorization server is made with:
// the OIDC standard claims, each released by its scope. The org computes
// them itself (see profileClaims); they are listed as Okta lists them.
var systemClaims = []struct{ name, scope, value string }{
	{"address", "address", "user.streetAddress"},
	{"birthdate", "profile", "null"},
	{"email", "email", "user.email"},
	{"email_verified", "email", "true"},
	{"family_name", "profile", "user.lastName"},
	{"gender", "profile", "null"},
	{"given_name", "profile", "user.firstName"},
	{"locale", "profile", "user.locale"},
	{"middle_name", "profile", "user.middleName"},
	{"name", "profile", "user.displayName"},
	{"nickname", "profile", "user.nickName"},
	{"phone_number", "phone", "user.mobilePhone"},
	{"picture", "profile", "null"},
	{"preferred_username", "profile", "user.login"},
	{"profile", "profile", "user.profileUrl"},
	{"updated_at", "profile", "user.lastUpdated"},
	{"website", "profile", "null"},
	{"zoneinfo", "profile", "user.timezone"},
}

// defaultRuleGrantTypes are the grant types of the default server's rule.
var defaultRuleGrantTypes = []string{"authorization_code", "client_credentials", "implicit", "password", "urn:ietf:params:oauth:grant-type:device_code"}

// seed fills a fresh org as a new developer org is: the Everyone group, an
// admin user (answered by /api/v1/users/me), and the "default"
// authorization server with its default access policy and rule.
func (o *Org) seed() error {
	key, err := o.newKey(o.now())
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	st := o.st

	everyone := &Group{Meta: o.nextMeta(prefixGroup, ""), Type: "BUILT_IN", Name: everyoneGroupName, Description: "All users in your organization"}
	everyone.LastMembershipUpdated = everyone.Created
	st.Groups[everyone.ID] = everyone

	admin := &User{Meta: o.nextMeta(prefixUser, "ACTIVE"), Profile: map[string]any{
		"firstName": "Dev", "lastName": "Admin", "login": adminLogin, "email": adminLogin,
		"mobilePhone": nil, "secondEmail": nil,
	}}
	now := admin.Created
	admin.Activated, admin.StatusChanged = &now, &now
	admin.PasswordHash = hashPassword(randomToken(32)) // nobody signs in as the admin
	st.Users[admin.ID] = admin

	as := o.newAuthServerLocked("default", "Default Authorization Server for your Applications", []string{"api://default"}, key)
	as.Default = true
	pol := &Policy{Meta: o.nextMeta(prefixPolicy, "ACTIVE"), Name: "Default Policy", Description: "Default policy description", Priority: 1, Clients: []string{"ALL_CLIENTS"}, Rules: map[string]*Rule{}}
	rule := &Rule{Meta: o.nextMeta(prefixRule, "ACTIVE"), Name: "Default Policy Rule", Priority: 1,
		Groups: []string{"EVERYONE"}, Users: []string{}, GrantTypes: append([]string(nil), defaultRuleGrantTypes...), Scopes: []string{"*"},
		AccessTokenLifetimeMinutes: 60, RefreshTokenLifetimeMinutes: 0, RefreshTokenWindowMinutes: 10080}
	pol.Rules[rule.ID] = rule
	as.Policies[pol.ID] = pol
	st.AuthServers[as.ID] = as
	return nil
}

// newAuthServerLocked makes an ACTIVE authorization server with the system
// scopes and claims and the given signing key (made by newSigningKey
// before taking the lock: RSA key generation takes a few hundred
// milliseconds that no other request should wait for), and no policy.
// Call with o.mu held.
func (o *Org) newAuthServerLocked(name, description string, audiences []string, key *SigningKey) *AuthServer {
	as := &AuthServer{Meta: o.nextMeta(prefixAuthServer, "ACTIVE"), Name: name, Description: description,
		Audiences: audiences, IssuerMode: "ORG_URL", Scopes: map[string]*Scope{}, Claims: map[string]*Claim{},
		Policies: map[string]*Policy{}, Key: key}
	for _, s := range systemScopes {
		sc := &Scope{Meta: o.nextMeta(prefixScope, ""), Name: s.name, Description: s.description, System: true,
			Consent: "IMPLICIT", MetadataPublish: "ALL_CLIENTS"}
		as.Scopes[sc.ID] = sc
	}
	for _, c := range systemClaims {
		cl := &Claim{Meta: o.nextMeta(prefixClaim, "ACTIVE"), Name: c.name, ClaimType: "IDENTITY", ValueType: "SYSTEM",
			Value: c.value, AlwaysIncludeInToken: true, Scopes: []string{c.scope}, System: true}
		as.Claims[cl.ID] = cl
	}
	return as
}

// lookupAuthServer finds an authorization server by id, or the default one
// by its alias "default". Call with o.mu held.
func (st *State) lookupAuthServer(idOrAlias string) *AuthServer {
	if as, ok := st.AuthServers[idOrAlias]; ok {
		return as
	}
	if idOrAlias == defaultAuthServerID {
		for _, as := range st.AuthServers {
			if as.Default {
				return as
			}
		}
	}
	return nil
}

// adminUser returns the seeded admin user (or, if it was deleted, the
// first ACTIVE user). Call with o.mu held.
func (st *State) adminUser() *User {
	var first *User
	for _, u := range sortedBySeq(st.Users, func(u *User) int64 { return u.Seq }) {
		if strings.EqualFold(u.Login(), adminLogin) {
			return u
		}
		if first == nil && u.Status == "ACTIVE" {
			first = u
		}
	}
	return first
}

// sswsAuthorized reports whether r carries the org's API token as
// "Authorization: SSWS <token>".
func (o *Org) sswsAuthorized(r *http.Request) bool {
	scheme, tok, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "SSWS") {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(strings.TrimSpace(tok)), []byte(o.opts.APIToken)) == 1
}

// apiHandler does the work of one management endpoint. It returns the
// status and body to answer with (a *listPage for a paged list, nil for
// no body), or an error (an *apiError is answered as Okta's error body).
type apiHandler func(r *http.Request) (int, any, error)

// api wraps an apiHandler with the SSWS check and the writing of the answer.
func (o *Org) api(h apiHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if !o.sswsAuthorized(r) {
			writeError(w, errInvalidToken())
			return
		}
		status, body, err := h(r)
		if err != nil {
			writeError(w, err)
			return
		}
		if p, ok := body.(*listPage); ok {
			for _, l := range p.links {
				w.Header().Add("Link", l)
			}
			body = p.items
		}
		if body == nil {
			w.WriteHeader(status)
			return
		}
		writeJSON(w, status, body)
	}
}

// obj is a JSON object in an answer.
type obj = map[string]any

func link(href string) obj { return obj{"href": href} }

func linkAllow(href string, methods ...string) obj {
	return obj{"href": href, "hints": obj{"allow": methods}}
}

func linkMethod(href, method string) obj { return obj{"href": href, "method": method} }

// decodeBody reads r's JSON body into v; a malformed body is Okta's
// E0000003.
func decodeBody(r *http.Request, v any) error {
	b, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		return err
	}
	if len(strings.TrimSpace(string(b))) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, v); err != nil {
		return newAPIError(http.StatusBadRequest, "E0000003", "The request body was not well-formed.")
	}
	return nil
}

// decodeValid decodes the request's body into in, then validates it.
func decodeValid(r *http.Request, in interface{ validate() error }) error {
	if err := decodeBody(r, in); err != nil {
		return err
	}
	return in.validate()
}

// errForbidden is Okta's 403 E0000006.
func errForbidden() *apiError {
	return newAPIError(http.StatusForbidden, "E0000006", "You do not have permission to perform the requested action")
}

// errExists is the E0000001 Okta answers when a unique field is taken.
func errExists(field string) *apiError {
	return errValidation(field, field+": An object with this field already exists in the current organization")
}

// errBlank is the E0000001 Okta answers when a required field is missing.
func errBlank(field string) *apiError {
	return errValidation(field, field+": The field cannot be left blank")
}

// queryBool reads a boolean query parameter with a default.
func queryBool(r *http.Request, name string, def bool) bool {
	switch strings.ToLower(r.URL.Query().Get(name)) {
	case "true":
		return true
	case "false":
		return false
	}
	return def
}

// getUserSchema answers the token check the original tools used.
func (o *Org) getUserSchema(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	return http.StatusOK, obj{
		"id":          base + "/meta/schemas/user/default",
		"$schema":     "http://json-schema.org/draft-04/schema#",
		"name":        "user",
		"title":       "User",
		"description": "Okta user profile template with default permission settings",
		"type":        "object",
		"created":     oktaTime(o.now()),
		"lastUpdated": oktaTime(o.now()),
		"definitions": obj{
			"custom": obj{"id": "#custom", "type": "object", "properties": obj{}, "required": []string{}},
			"base": obj{"id": "#base", "type": "object", "required": []string{"login", "firstName", "lastName", "email"},
				"properties": obj{
					"login":     obj{"title": "Username", "type": "string", "required": true, "minLength": 5, "maxLength": 100},
					"firstName": obj{"title": "First name", "type": "string", "required": true},
					"lastName":  obj{"title": "Last name", "type": "string", "required": true},
					"email":     obj{"title": "Primary email", "type": "string", "required": true, "format": "email"},
				}},
		},
		"properties": obj{"profile": obj{"allOf": []obj{{"$ref": "#/definitions/custom"}, {"$ref": "#/definitions/base"}}}},
		"_links": obj{
			"self": linkAllow(base+"/api/v1/meta/schemas/user/default", "GET", "POST"),
			"type": link(base + "/api/v1/meta/types/user/default"),
		},
	}, nil
}
