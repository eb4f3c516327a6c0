package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"
)

// Profile is how one gateway product checks access tokens and answers. The
// reference gateway emulates each product through one: how the product's
// native configuration reads (Load), which claims it checks (Checks), how
// it reads a route's scope requirement (Allows, CheckRoute) and how it
// answers a refused request (Refuse). The token checks themselves are done
// once, by the one JWT verifier (jwt.go) and the one introspector
// (introspect.go); a profile only parameterises them.
//
// # Adding a profile
//
// Write internal/gateway/profile_<name>.go with one function returning the
// Profile, and add one line calling it to the table in Profiles; for Kong:
//
//	// kongProfile emulates Kong's openid-connect plugin (GATEWAYS.md 2).
//	func kongProfile() Profile {
//		return Profile{
//			Name:        "kong",
//			Description: "Kong's openid-connect plugin (a decK file)",
//			Load:        loadKong,       // the decK file(s) into a Config
//			Checks:      Checks{Issuer: true, Audience: true, RequireExpiry: true},
//			Allows:      kongAllows,     // OR of entries, AND inside one entry
//			CheckRoute:  kongCheckRoute, // entries may hold spaces
//			Refuse:      kongRefuse,     // {"message":"Unauthorized"} ...
//		}
//	}
//
// Load parses the artifact into a Config, without reading the environment:
// LoadProfile then sets Config.Profile to the profile's name, fills the
// introspection secret from the variable Introspection.ClientSecretEnv
// names (DefaultClientSecretEnv for an artifact that names none), and
// validates. A route's scope requirement goes in Route.Scopes as the artifact
// writes it, and anything else Allows needs in Route.Extra; Allows may read
// every claim of the token in Token.Claims (Refuse gets the refused Token
// too, to tell Tyk's "no matching policy" from a path it disallows). A
// product's base path goes in Config.StripPrefix, a list of audiences in
// Config.Audiences, a token read elsewhere than `Authorization: Bearer` in
// Credentials. Test the profile in profile_<name>_test.go against the local
// org, as profile_mulesoft_test.go does, and add it to BenchmarkGateway's
// list. `apicenter gateway --help` then lists it and `apicenter gateway
// --profile <name> --config FILE...` runs it.
//
// A profile may leave Allows, CheckRoute or Refuse nil: it then behaves as
// the reference does (every route scope needed; scopes without spaces; RFC
// 6750 answers).
type Profile struct {
	// Name is the product's name as --profile takes it ("aws", "kong",
	// "tyk", "swag", "apigee", "mulesoft"); "" is the reference.
	Name string
	// Description is one line for `apicenter gateway --help`.
	Description string
	// Load reads the product's native artifact(s), as `get-settings`
	// prints them, into a Config (see LoadProfile).
	Load func(files []Artifact) (Config, error)
	// Checks are the claims the product checks.
	Checks Checks
	// Allows decides whether a valid token may use a route: usually
	// whether tok.Scopes satisfy route.Scopes as the product reads them
	// (AWS: any one; Kong: OR of entries, AND inside one space-separated
	// entry). tok.Claims holds every claim for products that read others
	// (Tyk's policy claim). Nil: every scope of route.Scopes is needed.
	Allows func(route Route, tok Token) bool
	// CheckRoute reports what is wrong with a route's method (empty
	// means any), scope requirement and Extra, for Config.Validate, naming
	// the field from the route ("scopes[1]: ..."). Nil: the method is
	// required and each scope is one scope token (no spaces, no quotes,
	// no backslashes).
	CheckRoute func(route Route) error
	// Refuse writes the product's answer to a refused request: status,
	// headers and body. Nil: the reference's RFC 6750 answers.
	Refuse func(w http.ResponseWriter, r *http.Request, why Refusal)
	// Credentials returns the token of a request where the product looks
	// for it (AWS, Tyk: the Authorization header, with or without
	// "Bearer "; Kong: also ?jwt=), ErrNoToken when there is none, or
	// another error (refused as BadRequest) when it is malformed. Nil:
	// BearerToken, RFC 6750's Authorization: Bearer header.
	Credentials func(r *http.Request) (string, error)
}

// Checks are the claims a profile has the verifier and the introspector
// check. The signature (RS256 with a key of the issuer's JWKS, by kid), and
// exp, nbf and iat when present, are always checked.
type Checks struct {
	// Issuer: iss must equal Config.Issuer.
	Issuer bool
	// Audience: aud must hold Config.Audience or one of Config.Audiences.
	Audience bool
	// AudienceElseClientID: a token without aud is accepted when its
	// client_id is one of the audiences (AWS's JWT authorizer). Only with
	// Audience.
	AudienceElseClientID bool
	// RequireExpiry: a token without exp is refused.
	RequireExpiry bool
	// Leeway is the clock skew allowed on exp, nbf and iat.
	Leeway time.Duration
}

// Artifact is one file of a native configuration: its name (for error
// messages) and its bytes.
type Artifact struct {
	Name string
	Data []byte
}

// RefusalKind says why a request is refused.
type RefusalKind int

// The reasons a request is refused. Malformed through Inactive are refused
// tokens (RefusalKind.TokenRefused).
const (
	// NoToken: no credentials where the product looks for them.
	NoToken RefusalKind = iota + 1
	// BadRequest: credentials that are not `Bearer <token>` (or the
	// product's equivalent), or more than one.
	BadRequest
	// Malformed: the token is not a signed JWT.
	Malformed
	// WrongAlgorithm: the token is signed with another algorithm than the
	// key's (RS256).
	WrongAlgorithm
	// UnknownKey: the token's kid is not in the issuer's JWKS.
	UnknownKey
	// BadSignature: the signature does not verify.
	BadSignature
	// WrongIssuer: iss is not the configured issuer.
	WrongIssuer
	// WrongAudience: aud (or client_id) is not an accepted audience.
	WrongAudience
	// Expired: exp is past, or missing where required.
	Expired
	// NotYetValid: nbf or iat is in the future.
	NotYetValid
	// Inactive: the introspection endpoint says the token is not active
	// (expired, revoked, or unknown), or its answer is unusable.
	Inactive
	// InsufficientScope: the token is valid but Allows refuses the route.
	InsufficientScope
	// NotFound: no route for the request.
	NotFound
	// Unreachable: the authorization server could not be asked, or
	// answered the gateway's own request with an error (a wrong issuer or
	// introspection client); the Description says which.
	Unreachable
	// UpstreamFailed: the upstream API did not answer.
	UpstreamFailed
)

// TokenRefused reports whether k is a refusal of the token itself.
func (k RefusalKind) TokenRefused() bool { return k >= Malformed && k <= Inactive }

// Refusal says why a request is refused.
type Refusal struct {
	Kind RefusalKind
	// Description is the reason in one line, for a body or a header.
	// Never a token.
	Description string
	// Route is the route the request matched (zero for NotFound).
	Route Route
	// Token is the valid token refused by Allows (InsufficientScope only).
	Token Token
}

// Profiles is the table of profiles, the reference first. `apicenter
// gateway --help` lists it.
func Profiles() []Profile {
	return []Profile{
		referenceProfile(),
		mulesoftProfile(),
		awsProfile(),
		kongProfile(),
		swagProfile(),
		apigeeProfile(),
		tykProfile(),
	}
}

// LookupProfile returns the profile called name.
func LookupProfile(name string) (Profile, error) {
	for _, p := range Profiles() {
		if p.Name == name {
			return p, nil
		}
	}
	return Profile{}, fmt.Errorf("profile %q is not one of: %s", name, strings.Join(ProfileNames(), ", "))
}

// ProfileNames are the named profiles (not the reference), sorted.
func ProfileNames() []string {
	var names []string
	for _, p := range Profiles() {
		if p.Name != "" {
			names = append(names, p.Name)
		}
	}
	sort.Strings(names)
	return names
}

// referenceProfile is the reference behaviour: RFC 6750 answers, issuer and
// audience checked, every route scope needed.
func referenceProfile() Profile {
	return Profile{
		Name:        "",
		Description: "the reference: RFC 6750 answers, every route scope needed (the YAML of --help)",
		Load:        loadYAMLArtifacts(""),
		Checks:      Checks{Issuer: true, Audience: true, RequireExpiry: true, Leeway: DefaultLeeway},
		Allows:      allowsAll,
		CheckRoute:  checkRoute,
		Refuse:      refuseRFC6750,
	}
}

// allowsAll allows a route when the token has every scope of route.Scopes.
func allowsAll(route Route, tok Token) bool {
	for _, need := range route.Scopes {
		if !slices.Contains(tok.Scopes, need) {
			return false
		}
	}
	return true
}

// checkRoute checks that the route names a method and that every scope of
// it is one RFC 6749 scope token.
func checkRoute(route Route) error {
	if route.Method == "" {
		return fmt.Errorf("method: %q is not an HTTP method", route.Method)
	}
	for j, s := range route.Scopes {
		if s == "" || strings.ContainsAny(s, " \"\\") {
			return fmt.Errorf("scopes[%d]: %q is not a scope", j, s)
		}
	}
	return nil
}

// refuseRFC6750 answers as RFC 6750 section 3.1 says: a request with no
// bearer credentials (no Authorization header, or another scheme such as
// Basic) gets 401 and a challenge without an error attribute; a malformed
// bearer request 400 invalid_request; a bad token 401 invalid_token; a
// token without the route's scopes 403 insufficient_scope. The JSON body
// says the same ({"error", "error_description"}; no error without
// credentials).
func refuseRFC6750(w http.ResponseWriter, r *http.Request, why Refusal) {
	switch k := why.Kind; {
	case k == NoToken, k == BadRequest && !bearerScheme(r):
		w.Header().Set("WWW-Authenticate", fmt.Sprintf("Bearer realm=%q", Realm))
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusUnauthorized)
		_ = json.NewEncoder(w).Encode(map[string]string{"error_description": "an access token is required (Authorization: Bearer <token>)"})
	case k == BadRequest:
		challenge(w, http.StatusBadRequest, "invalid_request", why.Description, nil)
	case k.TokenRefused():
		challenge(w, http.StatusUnauthorized, "invalid_token", why.Description, nil)
	case k == InsufficientScope:
		challenge(w, http.StatusForbidden, "insufficient_scope", why.Description, why.Route.Scopes)
	case k == NotFound:
		writeJSONError(w, http.StatusNotFound, "not_found", why.Description)
	case k == Unreachable:
		writeJSONError(w, http.StatusBadGateway, "bad_gateway", why.Description)
	default: // UpstreamFailed
		writeJSONError(w, http.StatusBadGateway, "bad_gateway", "the upstream API did not answer")
	}
}
