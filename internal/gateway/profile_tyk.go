package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"slices"
	"sort"
	"strings"
)

// The tyk profile emulates Tyk Gateway's classic API definition with JWT
// auth (GATEWAYS.md section 4, docs/gateways/tyk.md), loaded from the API
// definition and the policies file that inputs/templates/tyk writes
// (get-settings --tyk_api, --tyk_policies).
//
// What it reproduces, from Tyk's gateway/mw_jwt.go, mw_access_rights.go,
// mw_granular_access.go, internal/policy/apply.go and templates/error.json:
//   - the token: the Authorization header, with or without "Bearer "
//     (stripBearer). No header: 400 "Authorization field missing";
//   - its checks: the signature with the key of the JWKS at jwt_source (a
//     URL, or the base64 of one) named by kid; an algorithm outside
//     jwt_signing_method's family: 403 "Key not authorized: Unexpected
//     signing method"; an unknown kid, a bad signature, an unusable token
//     or a JWKS that cannot be fetched: 403 "Key not authorized"; exp, iat
//     and nbf only when present, skew 0: 401 "Key not authorized: token has
//     expired" ("token used before issued", "token is not valid yet").
//     iss and aud are NOT checked: a token of any issuer signed by a key of
//     the JWKS passes;
//   - the identity: jwt_identity_base_field, else sub; none: 403 "no
//     suitable claims for user ID were found";
//   - the policies: the base policy from the jwt_policy_field_name claim,
//     else jwt_default_policies; then, with a scope-to-policy mapping
//     (scopes.jwt, or the older top-level jwt_scope_to_policy_mapping), the
//     scopes of scope_claim_name (default scope; an array or a
//     space-separated string; a dotted path) replace the default policies
//     with the mapped ones (a base policy from the claim stays). Scopes
//     that map to nothing: 403 "key not authorized: no matching policy
//     found in scope claim"; no policy at all: 403 "key not authorized: no
//     matching policy found";
//   - the access: the policies' access rights merged (allowed_urls of the
//     same API united); the API not among them: 403 "Access to this API has
//     been disallowed"; allowed_urls that do not hold the path and method:
//     403 "Access to this resource has been disallowed" (HEAD too, unless
//     listed); none: every path;
//   - the answers: {"error": "..."} as templates/error.json writes it, with
//     Content-Type application/json and X-Generator: tyk.io; a path outside
//     the listen path: 404 "Not Found" (text); the upstream failing: 500
//     "There was a problem proxying the request".
//
// What it leaves out: rate limits and quotas (the policies' rate, per,
// quota_max are read and not enforced), the session Tyk keeps per identity
// (each request is judged as a fresh session would be), and Tyk's
// regular-expression matching of allowed_urls: a url must be a plain path,
// matched as that path and its subtree (Tyk's legacy matching would also
// match it inside a longer path).
//
// What it refuses to load rather than get wrong: another authentication
// method beside JWT, a signing method other than rsa, a PEM or secret as
// jwt_source, jwt_client_base_field, changed skews or disabled time
// checks, a versioned API, a header other than Authorization, policies
// that are missing, inactive, partitioned or of another org_id, and
// allowed_urls that are regular expressions.

// tykAPI is what the tyk profile reads of an API definition and its
// policies.
type tykAPI struct {
	ID, OrgID      string
	ListenPath     string // without its trailing slash; "" for /
	StripListen    bool
	Upstream       string
	JWKSURL        string
	IdentityField  string
	PolicyField    string
	Defaults       []string
	ScopeClaim     string
	ScopeToPolicy  map[string]string
	Policies       map[string]tykPolicy
	policyIDsOrder []string
}

// tykPolicy is a policy as the profile reads it.
type tykPolicy struct {
	ID           string                     `json:"id"`
	Name         string                     `json:"name"`
	OrgID        string                     `json:"org_id"`
	IsInactive   bool                       `json:"is_inactive"`
	AccessRights map[string]tykAccessRights `json:"access_rights"`
	Partitions   map[string]bool            `json:"partitions"`
}

// tykAccessRights are a policy's rights on one API.
type tykAccessRights struct {
	APIID       string          `json:"api_id"`
	Versions    []string        `json:"versions"`
	AllowedURLs []tykAccessSpec `json:"allowed_urls"`
}

// tykAccessSpec is one allowed_urls entry: a path and its methods.
type tykAccessSpec struct {
	URL     string   `json:"url"`
	Methods []string `json:"methods"`
}

// tykRoute is a route's Extra: the API, and the allowed_urls entry (url
// and method) the route stands for; an empty url is the rest of the
// listen path, which only an API without allowed_urls lets through.
type tykRoute struct {
	API    *tykAPI
	URL    string
	Method string
}

// tykAPIDefinition is the part of a classic API definition the profile reads.
type tykAPIDefinition struct {
	APIID                string                   `json:"api_id"`
	OrgID                string                   `json:"org_id"`
	UseKeyless           bool                     `json:"use_keyless"`
	EnableJWT            bool                     `json:"enable_jwt"`
	JWTSigningMethod     string                   `json:"jwt_signing_method"`
	JWTSource            string                   `json:"jwt_source"`
	JWTIdentityBaseField string                   `json:"jwt_identity_base_field"`
	JWTPolicyFieldName   string                   `json:"jwt_policy_field_name"`
	JWTClientBaseField   string                   `json:"jwt_client_base_field"`
	JWTDefaultPolicies   []string                 `json:"jwt_default_policies"`
	JWTScopeClaimName    string                   `json:"jwt_scope_claim_name"`
	JWTScopeToPolicy     map[string]string        `json:"jwt_scope_to_policy_mapping"`
	JWTExpiresAtSkew     float64                  `json:"jwt_expires_at_validation_skew"`
	JWTIssuedAtSkew      float64                  `json:"jwt_issued_at_validation_skew"`
	JWTNotBeforeSkew     float64                  `json:"jwt_not_before_validation_skew"`
	JWTDisableExpiresAt  bool                     `json:"jwt_disable_expires_at_validation"`
	JWTDisableIssuedAt   bool                     `json:"jwt_disable_issued_at_validation"`
	JWTDisableNotBefore  bool                     `json:"jwt_disable_not_before_validation"`
	Scopes               *tykScopesConfig         `json:"scopes"`
	Auth                 *tykAuthConfig           `json:"auth"`
	AuthConfigs          map[string]tykAuthConfig `json:"auth_configs"`
	VersionData          struct {
		NotVersioned bool `json:"not_versioned"`
	} `json:"version_data"`
	Proxy struct {
		ListenPath      string `json:"listen_path"`
		TargetURL       string `json:"target_url"`
		StripListenPath bool   `json:"strip_listen_path"`
	} `json:"proxy"`
}

type tykScopesConfig struct {
	JWT struct {
		ScopeClaimName string            `json:"scope_claim_name"`
		ScopeToPolicy  map[string]string `json:"scope_to_policy"`
	} `json:"jwt"`
}

type tykAuthConfig struct {
	AuthHeaderName string `json:"auth_header_name"`
	UseParam       bool   `json:"use_param"`
	UseCookie      bool   `json:"use_cookie"`
}

// tykOtherAuth are the API definition's switches of other authentication
// methods; the profile emulates JWT alone.
var tykOtherAuth = []string{
	"use_standard_auth", "use_oauth2", "use_openid", "use_basic_auth", "use_mutual_tls_auth",
	"enable_coprocess_auth", "use_go_plugin_auth", "enable_signature_checking", "external_oauth",
}

// tykPlainPath is an allowed_urls url the profile matches: a path without
// regular-expression syntax.
var tykPlainPath = regexp.MustCompile(`^/[A-Za-z0-9/_~-]*$`)

// parseTyk reads the API definition and the policies file(s), told apart by
// their content (an API definition has a proxy).
func parseTyk(files []Artifact) (*tykAPI, error) {
	var def *Artifact
	policies := map[string]tykPolicy{}
	var order []string
	from := map[string]string{}
	for i := range files {
		f := &files[i]
		var top map[string]json.RawMessage
		if err := json.Unmarshal(f.Data, &top); err != nil {
			return nil, fmt.Errorf("%s: %s", f.Name, jsonError(f.Data, err))
		}
		if _, ok := top["proxy"]; ok {
			if def != nil {
				return nil, fmt.Errorf("%s: a second API definition (the first is %s); the tyk profile emulates one API", f.Name, def.Name)
			}
			def = f
			continue
		}
		keys := make([]string, 0, len(top))
		for k := range top {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, id := range keys {
			var p tykPolicy
			dec := json.NewDecoder(bytes.NewReader(top[id]))
			if err := dec.Decode(&p); err != nil {
				return nil, fmt.Errorf("%s: policy %s: %s", f.Name, id, jsonError(top[id], err))
			}
			if prev, dup := from[id]; dup {
				return nil, fmt.Errorf("%s: policy %s: also in %s", f.Name, id, prev)
			}
			if p.ID != "" && p.ID != id {
				return nil, fmt.Errorf("%s: policy %s: id %q differs from its key (Tyk takes the key)", f.Name, id, p.ID)
			}
			p.ID = id
			policies[id], from[id] = p, f.Name
			order = append(order, id)
		}
	}
	if def == nil {
		return nil, errors.New("profile tyk: no API definition (a JSON object with proxy, as get-settings --tyk_api prints)")
	}
	if len(policies) == 0 {
		return nil, fmt.Errorf("profile tyk: no policies file beside %s (get-settings --tyk_policies)", def.Name)
	}
	api, err := parseTykAPIDefinition(def.Name, def.Data)
	if err != nil {
		return nil, err
	}
	api.Policies, api.policyIDsOrder = policies, order
	if err := api.checkPolicies(from); err != nil {
		return nil, err
	}
	return api, nil
}

// jsonError is a JSON decoding error in one line, with the line it is on.
func jsonError(data []byte, err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("line %d: %v", 1+bytes.Count(data[:min(int(se.Offset), len(data))], []byte("\n")), err)
	case errors.As(err, &te):
		return fmt.Sprintf("line %d: %s: not a %s", 1+bytes.Count(data[:min(int(te.Offset), len(data))], []byte("\n")), te.Field, te.Type)
	}
	return err.Error()
}

// parseTykAPIDefinition reads a classic API definition, refusing what the
// profile does not emulate.
func parseTykAPIDefinition(name string, data []byte) (*tykAPI, error) {
	var top map[string]any
	if err := json.Unmarshal(data, &top); err != nil {
		return nil, fmt.Errorf("%s: %s", name, jsonError(data, err))
	}
	var d tykAPIDefinition
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("%s: %s", name, jsonError(data, err))
	}
	fail := func(format string, args ...any) (*tykAPI, error) {
		return nil, fmt.Errorf("%s: "+format, append([]any{name}, args...)...)
	}
	for _, k := range tykOtherAuth {
		if on, _ := top[k].(bool); on {
			return fail("%s: true: the tyk profile emulates JWT auth alone", k)
		}
	}
	switch {
	case d.APIID == "":
		return fail("api_id: missing")
	case d.UseKeyless:
		return fail("use_keyless: true: Tyk would let every request through without a token")
	case !d.EnableJWT:
		return fail("enable_jwt: not true: the tyk profile emulates JWT auth")
	case d.JWTSigningMethod != "rsa":
		return fail("jwt_signing_method: %q: the tyk profile emulates rsa (Okta signs RS256)", d.JWTSigningMethod)
	case d.JWTClientBaseField != "":
		return fail("jwt_client_base_field: not emulated (the base policy comes from jwt_policy_field_name or jwt_default_policies)")
	case d.JWTExpiresAtSkew != 0 || d.JWTIssuedAtSkew != 0 || d.JWTNotBeforeSkew != 0:
		return fail("jwt_*_validation_skew: the tyk profile checks exp, iat and nbf with skew 0 (the default)")
	case d.JWTDisableExpiresAt || d.JWTDisableIssuedAt || d.JWTDisableNotBefore:
		return fail("jwt_disable_*_validation: true is not emulated")
	case !d.VersionData.NotVersioned:
		return fail("version_data.not_versioned: not true: versioned APIs are not emulated")
	case !strings.HasPrefix(d.Proxy.ListenPath, "/"):
		return fail("proxy.listen_path: %q does not start with /", d.Proxy.ListenPath)
	}
	if err := checkURL("proxy.target_url", d.Proxy.TargetURL); err != nil {
		return fail("%v", err)
	}
	auths := map[string]tykAuthConfig{}
	if d.Auth != nil {
		auths["auth"] = *d.Auth
	}
	for k, a := range d.AuthConfigs {
		if k == "jwt" {
			auths["auth_configs.jwt"] = a
		}
	}
	for where, a := range auths {
		if a.AuthHeaderName != "" && !strings.EqualFold(a.AuthHeaderName, "Authorization") {
			return fail("%s.auth_header_name: %q: the tyk profile reads the Authorization header", where, a.AuthHeaderName)
		}
		if a.UseParam || a.UseCookie {
			return fail("%s.use_param, use_cookie: a token in a query parameter or cookie is not emulated", where)
		}
	}
	jwks, err := tykJWKSURL(d.JWTSource)
	if err != nil {
		return fail("jwt_source: %v", err)
	}
	api := &tykAPI{
		ID: d.APIID, OrgID: d.OrgID,
		ListenPath:    strings.TrimSuffix(d.Proxy.ListenPath, "/"),
		StripListen:   d.Proxy.StripListenPath,
		Upstream:      d.Proxy.TargetURL,
		JWKSURL:       jwks,
		IdentityField: d.JWTIdentityBaseField,
		PolicyField:   d.JWTPolicyFieldName,
		Defaults:      d.JWTDefaultPolicies,
		ScopeClaim:    d.JWTScopeClaimName,
		ScopeToPolicy: d.JWTScopeToPolicy,
	}
	// Tyk reads scopes.jwt when scopes says anything, else the older
	// top-level fields (APIDefinition.GetScopeToPolicyMapping).
	if s := d.Scopes; s != nil && (s.JWT.ScopeClaimName != "" || len(s.JWT.ScopeToPolicy) > 0) {
		api.ScopeClaim, api.ScopeToPolicy = s.JWT.ScopeClaimName, s.JWT.ScopeToPolicy
	}
	if api.ScopeClaim == "" {
		api.ScopeClaim = "scope"
	}
	return api, nil
}

// tykJWKSURL reads jwt_source as Tyk does: a URL, or the base64 of one. A
// base64 PEM or secret is a fixed key, which the profile does not emulate.
func tykJWKSURL(source string) (string, error) {
	isURL := func(s string) bool { return strings.HasPrefix(s, "http://") || strings.HasPrefix(s, "https://") }
	if isURL(source) {
		return source, checkURL("jwt_source", source)
	}
	if source == "" {
		return "", errors.New("missing (the JWKS URI of the authorization server)")
	}
	b, err := base64.StdEncoding.DecodeString(source)
	if err != nil {
		return "", errors.New("neither a URL nor base64 (Tyk refuses every token)")
	}
	if !isURL(string(b)) {
		return "", errors.New("a base64 PEM or secret is not emulated; give the JWKS URI")
	}
	return string(b), checkURL("jwt_source", string(b))
}

// checkPolicies checks that every policy the API names exists and is one
// the profile emulates, and that the policies grant plain paths.
func (a *tykAPI) checkPolicies(from map[string]string) error {
	var named []string
	for _, id := range a.Defaults {
		named = append(named, id)
	}
	scopes := make([]string, 0, len(a.ScopeToPolicy))
	for s := range a.ScopeToPolicy {
		scopes = append(scopes, s)
	}
	sort.Strings(scopes)
	for _, s := range scopes {
		named = append(named, a.ScopeToPolicy[s])
	}
	for _, id := range named {
		if _, ok := a.Policies[id]; !ok {
			return fmt.Errorf("profile tyk: the API definition names the policy %q, which no policies file holds (Tyk answers 403 key not authorized: no matching policy)", id)
		}
	}
	for _, id := range a.policyIDsOrder {
		p := a.Policies[id]
		where := fmt.Sprintf("%s: policy %s", from[id], id)
		if p.OrgID != a.OrgID {
			return fmt.Errorf("%s: org_id %q is not the API's %q (Tyk refuses a policy of another organisation)", where, p.OrgID, a.OrgID)
		}
		if p.IsInactive {
			return fmt.Errorf("%s: is_inactive: true is not emulated", where)
		}
		for k, on := range p.Partitions {
			if on {
				return fmt.Errorf("%s: partitions.%s: true is not emulated", where, k)
			}
		}
		if len(p.AccessRights) == 0 {
			return fmt.Errorf("%s: access_rights: none (Tyk: key has no valid policies to be applied)", where)
		}
		r, ok := p.AccessRights[a.ID]
		if !ok {
			continue
		}
		for j, u := range r.AllowedURLs {
			if !tykPlainPath.MatchString(u.URL) {
				return fmt.Errorf("%s: access_rights.%s.allowed_urls[%d].url: %q is not a plain path (regular expressions are not emulated)", where, a.ID, j, u.URL)
			}
			if len(u.Methods) == 0 {
				return fmt.Errorf("%s: access_rights.%s.allowed_urls[%d].methods: none (Tyk would allow no method)", where, a.ID, j)
			}
		}
	}
	return nil
}

// routes are the API's routes: each allowed_urls entry of a policy (its
// path and subtree, per method), and the rest of the listen path.
func (a *tykAPI) routes() []Route {
	type key struct{ url, method string }
	seen := map[key]bool{}
	var keys []key
	for _, id := range a.policyIDsOrder {
		for _, u := range a.Policies[id].AccessRights[a.ID].AllowedURLs {
			for _, m := range u.Methods {
				k := key{u.URL, strings.ToUpper(m)}
				if !seen[k] {
					seen[k] = true
					keys = append(keys, k)
				}
			}
		}
	}
	// ServeMux lets a GET route take HEAD requests; Tyk does not unless
	// HEAD is listed, so HEAD gets a route of its own.
	for _, k := range keys {
		if h := (key{k.url, http.MethodHead}); k.method == http.MethodGet && !seen[h] {
			seen[h] = true
			keys = append(keys, h)
		}
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].url != keys[j].url {
			return keys[i].url < keys[j].url
		}
		return keys[i].method < keys[j].method
	})
	var routes []Route
	for _, k := range keys {
		ex := tykRoute{API: a, URL: k.url, Method: k.method}
		scopes := a.scopesGranting(k.url, k.method)
		path := a.ListenPath + k.url
		routes = append(routes, Route{Method: k.method, Path: path, Scopes: scopes, Extra: ex})
		if !strings.HasSuffix(path, "/") {
			routes = append(routes, Route{Method: k.method, Path: path + "/", Scopes: scopes, Extra: ex})
		}
	}
	if a.ListenPath != "" {
		routes = append(routes, Route{Path: a.ListenPath + "/", Extra: tykRoute{API: a}})
	}
	return routes
}

// scopesGranting are the mapped scopes whose policy allows url and method,
// for the route's description.
func (a *tykAPI) scopesGranting(url, method string) []string {
	var out []string
	for scope, id := range a.ScopeToPolicy {
		for _, u := range a.Policies[id].AccessRights[a.ID].AllowedURLs {
			if u.URL == url && slices.ContainsFunc(u.Methods, func(m string) bool { return strings.EqualFold(m, method) }) {
				out = append(out, scope)
				break
			}
		}
	}
	sort.Strings(out)
	return out
}

// decide judges a valid token's claims for a route as Tyk's JWT, access
// rights and granular access middlewares do: "" lets it through, else the
// message of Tyk's 403.
func (a *tykAPI) decide(rt tykRoute, claims map[string]any) string {
	if msg := tykIdentity(claims, a.IdentityField); msg != "" {
		return msg
	}
	base, found := "", false
	if a.PolicyField != "" {
		base, found = tykClaimString(claims, a.PolicyField)
	}
	isDefault := false
	if !found && len(a.Defaults) > 0 {
		base, isDefault = a.Defaults[0], true
	}
	var pols []string
	if base != "" {
		p, ok := a.Policies[base]
		if !ok || p.OrgID != a.OrgID {
			return "key not authorized: no matching policy"
		}
		pols = []string{base}
		if isDefault {
			for _, d := range a.Defaults {
				if !slices.Contains(pols, d) {
					pols = append(pols, d)
				}
			}
		}
	}
	if len(a.ScopeToPolicy) > 0 {
		if scope := tykScopes(claims, a.ScopeClaim); len(scope) > 0 {
			var ids []string
			if base != "" && !isDefault {
				ids = []string{base}
			}
			for _, s := range scope {
				if id, ok := a.ScopeToPolicy[s]; ok && !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 {
				return "key not authorized: no matching policy found in scope claim"
			}
			pols = ids
		}
	}
	if len(pols) == 0 {
		return "key not authorized: no matching policy found"
	}
	// The policies' rights merged: allowed_urls of the same API united.
	rights := map[string][]tykAccessSpec{}
	for _, id := range pols {
		for apiID, r := range a.Policies[id].AccessRights {
			rights[apiID] = append(rights[apiID], r.AllowedURLs...)
		}
	}
	allowed, ok := rights[a.ID]
	if !ok {
		return "Access to this API has been disallowed"
	}
	if len(allowed) == 0 {
		return ""
	}
	for _, u := range allowed {
		if rt.URL != "" && u.URL == rt.URL && slices.Contains(u.Methods, rt.Method) {
			return ""
		}
	}
	return "Access to this resource has been disallowed"
}

// tykIdentity finds the token's identity as getUserIDFromClaim does: the
// identity base field, else sub; "" when found, else Tyk's message.
func tykIdentity(claims map[string]any, field string) string {
	if field != "" {
		if _, ok := tykClaimString(claims, field); ok {
			return ""
		}
		if v, ok := claims[field].(string); ok && v == "" {
			return "found an empty user ID in predefined base claim, claim: " + field
		}
	}
	if sub, ok := claims["sub"].(string); ok {
		if sub != "" {
			return ""
		}
		return "found an empty user ID in sub claim"
	}
	return "no suitable claims for user ID were found"
}

// tykClaimString reads a non-empty string claim by its name, else by its
// dotted path (getClaimValue).
func tykClaimString(claims map[string]any, field string) (string, bool) {
	if v, ok := claims[field].(string); ok && v != "" {
		return v, true
	}
	if strings.Contains(field, ".") {
		if v, ok := tykLookup(claims, field).(string); ok && v != "" {
			return v, true
		}
	}
	return "", false
}

// tykLookup follows a dotted path through the claims (nestedMapLookup).
func tykLookup(claims map[string]any, path string) any {
	var v any = claims
	for _, k := range strings.Split(path, ".") {
		m, ok := v.(map[string]any)
		if !ok {
			return nil
		}
		v = m[k]
	}
	return v
}

// tykScopes reads the scope claim as getScopeFromClaim does: a string split
// on spaces, or the strings of an array (of arrays).
func tykScopes(claims map[string]any, name string) []string {
	var out []string
	var walk func(v any, nested bool)
	walk = func(v any, nested bool) {
		switch t := v.(type) {
		case string:
			if nested {
				out = append(out, t)
			} else {
				out = append(out, strings.Split(t, " ")...)
			}
		case []any:
			for _, e := range t {
				walk(e, true)
			}
		}
	}
	walk(tykLookup(claims, name), false)
	return out
}

// tykProfile emulates Tyk Gateway's classic API definition with JWT auth
// and its policies (see the comment at the top of this file).
func tykProfile() Profile {
	return Profile{
		Name:        "tyk",
		Description: "Tyk Gateway, a classic API definition with JWT auth and its policies (get-settings --tyk_api, --tyk_policies)",
		Load:        loadTyk,
		Checks:      Checks{},
		Allows:      tykAllows,
		CheckRoute:  tykCheckRoute,
		Refuse:      tykRefuse,
		Credentials: tykCredentials,
	}
}

// loadTyk reads the API definition and its policies into a Config: JWT
// mode against the JWKS at jwt_source, without an issuer (Tyk checks
// none), a route per allowed_urls entry and one for the rest of the
// listen path.
func loadTyk(files []Artifact) (Config, error) {
	api, err := parseTyk(files)
	if err != nil {
		return Config{}, err
	}
	c := Config{Upstream: api.Upstream, Mode: ModeJWT, JWKSURL: api.JWKSURL, Routes: api.routes()}
	if api.StripListen {
		c.StripPrefix = api.ListenPath
	}
	return c, nil
}

// tykAllows lets a valid token through when Tyk's policies would.
func tykAllows(route Route, tok Token) bool {
	ex, ok := route.Extra.(tykRoute)
	return ok && ex.API.decide(ex, tok.Claims) == ""
}

// tykCheckRoute checks that a route carries what tykAllows reads.
func tykCheckRoute(route Route) error {
	ex, ok := route.Extra.(tykRoute)
	if !ok || ex.API == nil {
		return errors.New("the route has no Tyk policies (profile tyk reads an API definition and its policies)")
	}
	if route.Method == "" && ex.URL != "" {
		return fmt.Errorf("method: missing for %s", ex.URL)
	}
	return nil
}

// tykCredentials reads the Authorization header as Tyk does: any value,
// "Bearer " taken off if present; none (or an empty one) is no token.
func tykCredentials(r *http.Request) (string, error) {
	v := r.Header.Get("Authorization")
	if v == "" {
		return "", ErrNoToken
	}
	if len(v) > 6 && strings.EqualFold(v[:7], "Bearer ") {
		v = v[7:]
	}
	return v, nil
}

// tykRefuse answers as Tyk's middlewares, router and proxy do.
func tykRefuse(w http.ResponseWriter, r *http.Request, why Refusal) {
	switch k := why.Kind; {
	case k == NoToken || k == BadRequest:
		writeTykError(w, http.StatusBadRequest, "Authorization field missing")
	case (k == WrongAlgorithm || k == Malformed) && tykUnexpectedAlg(r):
		writeTykError(w, http.StatusForbidden, "Key not authorized: Unexpected signing method")
	case k == Expired:
		writeTykError(w, http.StatusUnauthorized, "Key not authorized: token has expired")
	case k == NotYetValid && strings.Contains(why.Description, "(iat)"):
		writeTykError(w, http.StatusUnauthorized, "Key not authorized: token used before issued")
	case k == NotYetValid:
		writeTykError(w, http.StatusUnauthorized, "Key not authorized: token is not valid yet")
	case k.TokenRefused() || k == Unreachable:
		// An unknown kid, a bad signature, an unusable token, a JWKS that
		// cannot be fetched: the parse fails.
		writeTykError(w, http.StatusForbidden, "Key not authorized")
	case k == InsufficientScope:
		msg := "Access to this resource has been disallowed"
		if ex, ok := why.Route.Extra.(tykRoute); ok && ex.API != nil {
			if m := ex.API.decide(ex, why.Token.Claims); m != "" {
				msg = m
			}
		}
		writeTykError(w, http.StatusForbidden, msg)
	case k == NotFound:
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		w.WriteHeader(http.StatusNotFound)
		_, _ = w.Write([]byte("Not Found"))
	default: // UpstreamFailed
		writeTykError(w, http.StatusInternalServerError, "There was a problem proxying the request")
	}
}

// tykJWTMethods are the algorithms Tyk's JWT library (golang-jwt) knows
// outside the rsa family; a token of one of them fails Tyk's
// assertSigningMethod ("Unexpected signing method"), while an unknown
// algorithm fails the parse ("Key not authorized").
var tykJWTMethods = []string{"none", "HS256", "HS384", "HS512", "ES256", "ES384", "ES512", "EdDSA"}

// tykUnexpectedAlg reports whether the request's token names an algorithm
// Tyk knows outside the rsa family.
func tykUnexpectedAlg(r *http.Request) bool {
	raw, err := tykCredentials(r)
	if err != nil {
		return false
	}
	head, _, ok := strings.Cut(raw, ".")
	if !ok {
		return false
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(head, "="))
	if err != nil {
		return false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	return json.Unmarshal(b, &h) == nil && slices.Contains(tykJWTMethods, h.Alg)
}

// writeTykError writes Tyk's error template (templates/error.json) with
// its headers.
func writeTykError(w http.ResponseWriter, status int, message string) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Add("X-Generator", "tyk.io")
	w.WriteHeader(status)
	m, _ := json.Marshal(message)
	_, _ = fmt.Fprintf(w, "{\n    \"error\": %s\n}", m)
}
