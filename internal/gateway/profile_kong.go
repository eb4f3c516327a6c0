package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

// The kong profile emulates Kong Gateway's openid-connect plugin
// (Enterprise) on routes of a decK declarative file (GATEWAYS.md section 2,
// docs/gateways/kong.md), as inputs/templates/kong/kong.yaml writes it.
//
// What it reproduces, from Kong's documentation of the plugin (the 3.12
// configuration schema, "Claims-based authorization") and the plugin's
// handler.lua:
//   - the token: `Authorization: Bearer`, else the access-token or
//     x-access-token header, else the access_token query parameter
//     (bearer_token_param_type's default; the body is not read);
//   - its checks: the RS256 signature with a key of the issuer's JWKS (by
//     kid), iss equal to the issuer, exp, nbf and iat when present, leeway
//     0 (the plugin's default). A token without exp is not refused: the
//     handler falls back to its default ttl;
//   - scopes_required read from the claim at the scopes_claim path
//     (default [scope]; the template says [scp] for Okta): the entries are
//     OR'd, the space-separated values inside one entry AND'd; the claim
//     may be a JSON array or a space-separated string. Then
//     audience_required from the audience_claim path (default [aud]), the
//     same way. Both are authorization: a failure is 403, not 401;
//   - the answers: 401 {"message":"Unauthorized"} for no token or a
//     refused one, 403 {"message":"Forbidden"} for missing scopes or
//     audience (unauthorized_error_message and forbidden_error_message
//     change the message), each with `WWW-Authenticate: Bearer
//     realm="<issuer's host>"`, plus error="invalid_token" or
//     error="insufficient_scope" (expose_error_code, default true); 500
//     {"message":"An unexpected error occurred"} when the issuer cannot
//     be asked; Kong's router and proxy answers for no route (404
//     {"message":"no Route matched with those values"}) and a dead
//     upstream (502 {"message":"An invalid response was received from
//     the upstream server"}).
//
// Unconfirmed ([u]): the realm and error attributes of Kong 3.x's header
// (the handler read uses the issuer's host; Kong 3.x's error module adds
// error= when expose_error_code is on, and maybe an error_description this
// profile leaves out).
//
// What it refuses to load rather than get wrong: a route whose paths are
// regular expressions, without methods, with strip_path true (Kong's
// default, which would send /planets upstream as /), without an enabled
// openid-connect plugin (Kong would proxy it with no check), routes of
// several issuers, and plugin options that change the checks
// (kongOIDCOptions lists what is read, kongIgnoredOptions what is read and
// ignored).

// kongAuthz is what one route's openid-connect plugin asks of a valid token
// and how it answers a refusal: the route's Extra.
type kongAuthz struct {
	// ScopesClaim and AudienceClaim are the claims' paths in the token.
	ScopesClaim, AudienceClaim []string
	// ScopesRequired and AudienceRequired are OR'd entries of
	// space-separated, AND'd values; none means no check.
	ScopesRequired, AudienceRequired []string
	// Unauthorized and Forbidden are the messages of 401 and 403 answers.
	Unauthorized, Forbidden string
	// ExposeErrorCode adds RFC 6750's error attribute to WWW-Authenticate.
	ExposeErrorCode bool
	// Realm is the realm of WWW-Authenticate: the issuer's host.
	Realm string
}

// kongRoute is one method and path of a decK route with its plugin's
// requirements.
type kongRoute struct {
	Method, Path string
	Authz        kongAuthz
}

// kongDeck is what the kong profile reads of decK files: the upstream, the
// one issuer, and the routes.
type kongDeck struct {
	Upstream string
	Issuer   string
	Routes   []kongRoute
}

// kongOIDCOptions are the openid-connect options the profile reads.
var kongOIDCOptions = []string{
	"issuer", "auth_methods", "scopes_claim", "scopes_required", "audience_claim",
	"audience_required", "leeway", "verify_signature", "verify_claims",
	"expose_error_code", "unauthorized_error_message", "forbidden_error_message",
}

// kongIgnoredOptions are options that change nothing in how a bearer token
// is checked or refused (the original's Admin API calls set the first
// four).
var kongIgnoredOptions = []string{
	"client_id", "client_secret", "ssl_verify", "cache_ttl", "client_auth",
	"cache_tokens", "cache_tokens_salt", "cache_introspection", "hide_credentials",
	"timeout", "keepalive", "rediscovery_lifetime", "run_on_preflight",
}

// kongTopLevel are the decK file keys the profile reads; consumers are
// allowed (the OSS jwt variant has them) and ignored.
var kongTopLevel = []string{"_format_version", "_info", "_transform", "services", "plugins", "consumers"}

type deckFile struct {
	FormatVersion string        `yaml:"_format_version"`
	Services      []deckService `yaml:"services"`
	Plugins       []deckPlugin  `yaml:"plugins"`
}

type deckService struct {
	Name    string       `yaml:"name"`
	URL     string       `yaml:"url"`
	Host    string       `yaml:"host"`
	Routes  []deckRoute  `yaml:"routes"`
	Plugins []deckPlugin `yaml:"plugins"`
}

type deckRoute struct {
	Name      string       `yaml:"name"`
	Paths     []string     `yaml:"paths"`
	Methods   []string     `yaml:"methods"`
	StripPath *bool        `yaml:"strip_path"`
	Hosts     []string     `yaml:"hosts"`
	Plugins   []deckPlugin `yaml:"plugins"`
}

type deckPlugin struct {
	Name    string         `yaml:"name"`
	Enabled *bool          `yaml:"enabled"`
	Route   string         `yaml:"route"`
	Service string         `yaml:"service"`
	Config  map[string]any `yaml:"config"`
}

// kongOIDCConfig is an openid-connect plugin's config as the profile reads it.
type kongOIDCConfig struct {
	Issuer                   string   `json:"issuer"`
	AuthMethods              []string `json:"auth_methods"`
	ScopesClaim              []string `json:"scopes_claim"`
	ScopesRequired           []string `json:"scopes_required"`
	AudienceClaim            []string `json:"audience_claim"`
	AudienceRequired         []string `json:"audience_required"`
	Leeway                   *float64 `json:"leeway"`
	VerifySignature          *bool    `json:"verify_signature"`
	VerifyClaims             *bool    `json:"verify_claims"`
	ExposeErrorCode          *bool    `json:"expose_error_code"`
	UnauthorizedErrorMessage *string  `json:"unauthorized_error_message"`
	ForbiddenErrorMessage    *string  `json:"forbidden_error_message"`
}

// parseKongDeck reads decK files (one or more, merged as decK merges them)
// into what the kong profile emulates.
func parseKongDeck(files []Artifact) (kongDeck, error) {
	if len(files) == 0 {
		return kongDeck{}, errors.New("profile kong: no decK file")
	}
	var services []deckService
	var global []deckPlugin
	for _, f := range files {
		var top map[string]yaml.Node
		if err := yaml.Unmarshal(f.Data, &top); err != nil {
			return kongDeck{}, fmt.Errorf("%s: %s", f.Name, yamlError(err))
		}
		for k, n := range top {
			if !slices.Contains(kongTopLevel, k) {
				return kongDeck{}, fmt.Errorf("%s:%d: %s: the kong profile reads services (with their routes and plugins) and plugins; not %s", f.Name, n.Line, k, k)
			}
		}
		var d deckFile
		if err := yaml.Unmarshal(f.Data, &d); err != nil {
			return kongDeck{}, fmt.Errorf("%s: %s", f.Name, yamlError(err))
		}
		if d.FormatVersion != "3.0" {
			return kongDeck{}, fmt.Errorf("%s: _format_version: %q, want \"3.0\" (Kong Gateway 3.x)", f.Name, d.FormatVersion)
		}
		services = append(services, d.Services...)
		for i, p := range d.Plugins {
			if p.Route != "" || p.Service != "" {
				return kongDeck{}, fmt.Errorf("%s: plugins[%d] (%s): a top-level plugin of a route or service is not read; put it under its route", f.Name, i, p.Name)
			}
		}
		global = append(global, d.Plugins...)
	}
	name := files[0].Name
	if len(services) != 1 {
		return kongDeck{}, fmt.Errorf("%s: services: %d, the kong profile emulates one service (its upstream)", name, len(services))
	}
	svc := services[0]
	where := fmt.Sprintf("%s: services[0] (%s)", name, svc.Name)
	if err := checkURL("url", svc.URL); err != nil {
		return kongDeck{}, fmt.Errorf("%s: %w", where, err)
	}
	deck := kongDeck{Upstream: svc.URL}
	if len(svc.Routes) == 0 {
		return kongDeck{}, fmt.Errorf("%s: routes: none", where)
	}
	for i, r := range svc.Routes {
		rwhere := fmt.Sprintf("%s.routes[%d] (%s)", where, i, r.Name)
		cfg, err := kongPluginOf(r.Plugins, svc.Plugins, global)
		if err != nil {
			return kongDeck{}, fmt.Errorf("%s: %w", rwhere, err)
		}
		issuer, authz, err := cfg.authz()
		if err != nil {
			return kongDeck{}, fmt.Errorf("%s: plugin openid-connect: %w", rwhere, err)
		}
		switch {
		case deck.Issuer == "":
			deck.Issuer = issuer
		case deck.Issuer != issuer:
			return kongDeck{}, fmt.Errorf("%s: plugin openid-connect: config.issuer: %s, but another route has %s (the kong profile emulates one issuer)", rwhere, issuer, deck.Issuer)
		}
		if r.StripPath == nil || *r.StripPath {
			return kongDeck{}, fmt.Errorf("%s: strip_path: true (Kong's default) would send %s upstream as /; set strip_path: false", rwhere, strings.Join(r.Paths, " "))
		}
		if len(r.Hosts) > 0 {
			return kongDeck{}, fmt.Errorf("%s: hosts: the kong profile matches paths and methods only", rwhere)
		}
		if len(r.Paths) == 0 {
			return kongDeck{}, fmt.Errorf("%s: paths: none", rwhere)
		}
		if len(r.Methods) == 0 {
			return kongDeck{}, fmt.Errorf("%s: methods: none (Kong would match any method; list them)", rwhere)
		}
		for _, p := range r.Paths {
			if strings.HasPrefix(p, "~") || !strings.HasPrefix(p, "/") {
				return kongDeck{}, fmt.Errorf("%s: paths: %q is not a plain path (regular expressions are not emulated)", rwhere, p)
			}
			for _, m := range r.Methods {
				deck.Routes = append(deck.Routes, kongRoute{Method: strings.ToUpper(m), Path: p, Authz: authz})
			}
		}
	}
	return deck, nil
}

// kongPluginOf returns the config of the openid-connect plugin that applies
// to a route: its own, else its service's, else a global one (Kong's
// precedence), refusing a route that would be proxied without one.
func kongPluginOf(levels ...[]deckPlugin) (kongOIDCConfig, error) {
	for _, plugins := range levels {
		for _, p := range plugins {
			switch {
			case p.Name == "jwt":
				return kongOIDCConfig{}, errors.New("plugin jwt: the kong profile emulates openid-connect, not the OSS jwt plugin (see docs/gateways/kong.md)")
			case p.Name != "openid-connect":
				continue
			case p.Enabled != nil && !*p.Enabled:
				continue
			}
			c, err := decodeKongOIDC(p.Config)
			if err != nil {
				return kongOIDCConfig{}, fmt.Errorf("plugin openid-connect: %w", err)
			}
			return c, nil
		}
	}
	return kongOIDCConfig{}, errors.New("no enabled openid-connect plugin: Kong would proxy the route without checking a token")
}

// decodeKongOIDC reads a plugin's config, refusing options the profile does
// not emulate.
func decodeKongOIDC(config map[string]any) (kongOIDCConfig, error) {
	keys := make([]string, 0, len(config))
	for k := range config {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	read := map[string]any{}
	for _, k := range keys {
		switch {
		case slices.Contains(kongOIDCOptions, k):
			read[k] = config[k]
		case slices.Contains(kongIgnoredOptions, k):
		default:
			return kongOIDCConfig{}, fmt.Errorf("config.%s: not emulated by the kong profile (it reads %s)", k, strings.Join(kongOIDCOptions, ", "))
		}
	}
	b, err := json.Marshal(read)
	if err != nil {
		return kongOIDCConfig{}, fmt.Errorf("config: %v", err)
	}
	var c kongOIDCConfig
	if err := json.Unmarshal(b, &c); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return kongOIDCConfig{}, fmt.Errorf("config.%s: not a %s", te.Field, te.Type)
		}
		return kongOIDCConfig{}, fmt.Errorf("config: %v", err)
	}
	return c, nil
}

// authz checks the config and returns its issuer (as the plugin derives it
// from a discovery URL) and what it asks of a token.
func (c kongOIDCConfig) authz() (string, kongAuthz, error) {
	issuer := strings.TrimSuffix(c.Issuer, "/.well-known/openid-configuration")
	issuer = strings.TrimSuffix(issuer, "/")
	if err := checkURL("config.issuer", issuer); err != nil {
		return "", kongAuthz{}, err
	}
	u, _ := url.Parse(issuer)
	if c.AuthMethods != nil && !slices.Contains(c.AuthMethods, "bearer") {
		return "", kongAuthz{}, fmt.Errorf("config.auth_methods: %s has no bearer: the kong profile emulates bearer tokens", strings.Join(c.AuthMethods, ", "))
	}
	if c.Leeway != nil && *c.Leeway != 0 {
		return "", kongAuthz{}, fmt.Errorf("config.leeway: %v: the kong profile checks with leeway 0 (the default)", *c.Leeway)
	}
	if c.VerifySignature != nil && !*c.VerifySignature || c.VerifyClaims != nil && !*c.VerifyClaims {
		return "", kongAuthz{}, errors.New("config.verify_signature and verify_claims: false is not emulated")
	}
	a := kongAuthz{
		ScopesClaim:      orDefault(c.ScopesClaim, "scope"),
		AudienceClaim:    orDefault(c.AudienceClaim, "aud"),
		ScopesRequired:   c.ScopesRequired,
		AudienceRequired: c.AudienceRequired,
		Unauthorized:     "Unauthorized",
		Forbidden:        "Forbidden",
		ExposeErrorCode:  c.ExposeErrorCode == nil || *c.ExposeErrorCode,
		Realm:            u.Hostname(),
	}
	if c.UnauthorizedErrorMessage != nil {
		a.Unauthorized = *c.UnauthorizedErrorMessage
	}
	if c.ForbiddenErrorMessage != nil {
		a.Forbidden = *c.ForbiddenErrorMessage
	}
	for name, entries := range map[string][]string{"scopes_required": a.ScopesRequired, "audience_required": a.AudienceRequired} {
		for j, e := range entries {
			if strings.TrimSpace(e) == "" {
				return "", kongAuthz{}, fmt.Errorf("config.%s[%d]: empty", name, j)
			}
		}
	}
	return issuer, a, nil
}

func orDefault(path []string, def string) []string {
	if len(path) == 0 {
		return []string{def}
	}
	return path
}

// allows reports whether a valid token's claims satisfy the route's
// scopes_required, then its audience_required, as the plugin checks them.
func (a kongAuthz) allows(claims map[string]any) bool {
	return kongSatisfies(a.ScopesRequired, claims, a.ScopesClaim) &&
		kongSatisfies(a.AudienceRequired, claims, a.AudienceClaim)
}

// kongSatisfies reports whether the claim at path holds every value of at
// least one entry of required (no entries: true).
func kongSatisfies(required []string, claims map[string]any, path []string) bool {
	if len(required) == 0 {
		return true
	}
	have, ok := kongClaim(claims, path)
	if !ok {
		return false
	}
	for _, entry := range required {
		all := true
		for _, v := range strings.Fields(entry) {
			if !slices.Contains(have, v) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// kongClaim reads the claim at path as the plugin's find_claim does: a JSON
// array's elements joined by spaces, a string, or another value as text;
// then split on spaces.
func kongClaim(claims map[string]any, path []string) ([]string, bool) {
	var v any = claims
	for _, name := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return nil, false
		}
		if v, ok = m[name]; !ok || v == nil {
			return nil, false
		}
	}
	switch t := v.(type) {
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			parts = append(parts, kongText(e))
		}
		return strings.Fields(strings.Join(parts, " ")), true
	default:
		return strings.Fields(kongText(t)), true
	}
}

// kongText is a claim value as text, as Lua's tostring writes it.
func kongText(v any) string {
	switch t := v.(type) {
	case string:
		return t
	case float64:
		return strconv.FormatFloat(t, 'f', -1, 64)
	case json.Number:
		return t.String()
	case bool:
		return strconv.FormatBool(t)
	default:
		return ""
	}
}

// writeKongRefusal writes one of the plugin's answers: the JSON message,
// and for 401 and 403 the Bearer challenge with the realm (and the error
// code, if exposed).
func writeKongRefusal(w http.ResponseWriter, status int, message string, a kongAuthz) {
	if status == http.StatusUnauthorized || status == http.StatusForbidden {
		realm := a.Realm
		if realm == "" {
			realm = "kong"
		}
		v := fmt.Sprintf("Bearer realm=%q", realm)
		if a.ExposeErrorCode {
			code := "invalid_token"
			if status == http.StatusForbidden {
				code = "insufficient_scope"
			}
			v += fmt.Sprintf(", error=%q", code)
		}
		w.Header().Set("WWW-Authenticate", v)
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	b, _ := json.Marshal(map[string]string{"message": message})
	_, _ = w.Write(b) // no newline: Kong's bodies end with the closing brace
}

// kongProfile emulates Kong Gateway's openid-connect plugin on the routes of
// a decK file (see the comment at the top of this file).
func kongProfile() Profile {
	return Profile{
		Name:        "kong",
		Description: "Kong Gateway's openid-connect plugin on the routes of a decK file (get-settings --kong_deck)",
		Load:        loadKong,
		Checks:      Checks{Issuer: true},
		Allows:      kongAllows,
		CheckRoute:  kongCheckRoute,
		Refuse:      kongRefuse,
		Credentials: kongCredentials,
	}
}

// loadKong reads decK files into a Config: JWT mode against the one
// issuer, each route's plugin requirements in its Scopes and Extra.
func loadKong(files []Artifact) (Config, error) {
	deck, err := parseKongDeck(files)
	if err != nil {
		return Config{}, err
	}
	c := Config{Upstream: deck.Upstream, Mode: ModeJWT, Issuer: deck.Issuer}
	for _, r := range deck.Routes {
		c.Routes = append(c.Routes, Route{Method: r.Method, Path: r.Path, Scopes: r.Authz.ScopesRequired, Extra: r.Authz})
	}
	return c, nil
}

// kongAllows allows a route when the token's claims satisfy its plugin's
// scopes_required and audience_required.
func kongAllows(route Route, tok Token) bool {
	a, ok := route.Extra.(kongAuthz)
	return ok && a.allows(tok.Claims)
}

// kongCheckRoute checks that a route carries its plugin's requirements and
// that its scopes are the plugin's entries.
func kongCheckRoute(route Route) error {
	if route.Method == "" {
		return fmt.Errorf("method: missing")
	}
	a, ok := route.Extra.(kongAuthz)
	if !ok {
		return errors.New("the route has no openid-connect requirements (profile kong reads a decK file)")
	}
	if !slices.Equal(route.Scopes, a.ScopesRequired) {
		return fmt.Errorf("scopes: %q, but the plugin's scopes_required are %q", route.Scopes, a.ScopesRequired)
	}
	for j, e := range route.Scopes {
		if strings.TrimSpace(e) == "" {
			return fmt.Errorf("scopes[%d]: empty", j)
		}
	}
	return nil
}

// kongCredentials finds the token where the plugin looks for a bearer token
// by default: the Authorization header's Bearer token, the access-token or
// x-access-token header, then the access_token query parameter. Anything
// else is no token (the plugin finds none and answers 401).
func kongCredentials(r *http.Request) (string, error) {
	if scheme, tok, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " "); ok && strings.EqualFold(scheme, "Bearer") {
		if tok = strings.TrimSpace(tok); tok != "" {
			return tok, nil
		}
	}
	for _, h := range []string{"Access-Token", "X-Access-Token"} {
		if tok := strings.TrimSpace(r.Header.Get(h)); tok != "" {
			return tok, nil
		}
	}
	if tok := r.URL.Query().Get("access_token"); tok != "" {
		return tok, nil
	}
	return "", ErrNoToken
}

// kongRefuse answers as the plugin, Kong's router and its proxy do.
func kongRefuse(w http.ResponseWriter, _ *http.Request, why Refusal) {
	a, _ := why.Route.Extra.(kongAuthz)
	if a.Unauthorized == "" {
		a.Unauthorized, a.Forbidden, a.ExposeErrorCode = "Unauthorized", "Forbidden", true
	}
	switch k := why.Kind; {
	case k == NoToken || k == BadRequest || k.TokenRefused():
		writeKongRefusal(w, http.StatusUnauthorized, a.Unauthorized, a)
	case k == InsufficientScope:
		writeKongRefusal(w, http.StatusForbidden, a.Forbidden, a)
	case k == NotFound:
		writeKongRefusal(w, http.StatusNotFound, "no Route matched with those values", a)
	case k == Unreachable:
		writeKongRefusal(w, http.StatusInternalServerError, "An unexpected error occurred", a)
	default: // UpstreamFailed
		writeKongRefusal(w, http.StatusBadGateway, "An invalid response was received from the upstream server", a)
	}
}
