package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// swagProfile emulates Software AG webMethods API Gateway (GATEWAYS.md
// section 3) protecting the solar-system API with OAuth2 and an external
// authorization server: the authorization-server alias (POST
// /rest/apigateway/alias, type authServerAlias, authServerType EXTERNAL)
// with local introspection (the token's signature checked with the keys of
// its jwksuri, its iss against issuer), and the mapping of the alias's
// scopes to the API's scopes (resources and methods).
//
// Its artifacts are two files, in any order:
//   - alias.json, the alias as `get-settings --swag_alias` prints it, the
//     very body of POST /rest/apigateway/alias: issuer and jwksuri (or, if it
//     has no localIntrospectionConfig, remoteIntrospectionConfig's
//     introspectionEndpoint and clientId, the secret then read from
//     INTROSPECTION_CLIENT_SECRET and the issuer taken as the endpoint
//     without /v1/introspect, Okta's layout), and the alias's scopes. Keys
//     are matched as encoding/json does (case-insensitively); the exact
//     spelling is checked by the alias's schema in the tests;
//   - api-scopes.yaml (`get-settings --swag_api_scopes`), apicenter's record
//     of the console steps webMethods has no file for: the API's name and
//     native endpoint, the OAuth2 strategy's audience, the registered
//     application's client id, the API scopes (resources and methods) and
//     the alias scopes mapped to each.
//     webMethods' own mapping (POST /rest/apigateway/scopes, GatewayScope)
//     names the API scopes by ids API Gateway makes when the API is
//     created, so it cannot be written before the API exists.
//
// API Gateway serves the API under /gateway/<api>/<version>; the profile
// serves its resources at the root, as the other profiles do, so that
// GATEWAY_URI is the gateway's address in the demo (on a real API Gateway,
// GATEWAY_URI is http://HOST:5555/gateway/SolarSystem/1.0).
//
// Scope semantics: a resource of an API scope is allowed to a token that
// holds any one of the alias scopes mapped to that API scope (each mapping
// grants the API scope on its own); a resource in no API scope is allowed
// to any valid token. A resource in two API scopes is refused at load (the
// product's rule for it is unconfirmed [u]).
//
// Application: the Identify & Authorize policy (OAuth2 token, registered
// applications) identifies the token's client as an application whose
// OAuth2 strategy names the alias; the profile accepts a token whose cid
// (Okta's claim) or client_id [u] is the application's client id, and
// answers 401 "Unauthorized application request" otherwise.
//
// Checks: iss equal to the alias's issuer (case-sensitive), the RS256
// signature with a key of jwksuri, aud holding the audience, exp required
// and not past, with DefaultLeeway of clock skew. Unconfirmed [u]: that
// local introspection checks aud (a third-party lab says it does not; the
// emulation checks it, as the JWT configuration of API Gateway does), that
// exp is required, and the skew.
//
// Answers, all [u] as webMethods documents no bodies for its OAuth2
// refusals: the body is JSON {"Exception": "API Gateway encountered an
// error. Error Message:  <message>. Request Details: Service - <api>,
// Operation - <path>"}, the shape a third-party test suite observes for
// API Gateway's 401 (with the double space; "Service - <api>, " is left out
// when the native endpoint fails, as the route is not known there); no
// WWW-Authenticate header. The messages are ours: "Unauthorized application
// request. ..." (the observed message, for no or malformed credentials),
// "Unable to validate the access token. ..." (a refused token: expired, or
// invalid for every other reason), "The access token does not have the
// scope ..." (403).
//   - 401: no token, not `Bearer <token>`, or a token refused (bad
//     signature, unknown key, wrong issuer or audience, expired), a token of
//     another client than the application's, or the jwksuri could not be
//     fetched;
//   - 403: a valid token without a scope mapped to the resource's API scope;
//   - 404: no such resource (text/plain);
//   - 500: the native endpoint did not answer.
func swagProfile() Profile {
	return Profile{
		Name:        "swag",
		Description: "webMethods API Gateway's OAuth2 with an external authorization-server alias (alias.json and api-scopes.yaml)",
		Load:        loadSwag,
		Checks:      Checks{Issuer: true, Audience: true, RequireExpiry: true, Leeway: DefaultLeeway},
		Allows:      swagAllows,
		Refuse:      swagRefuse,
	}
}

// swagAlias is the part of an authorization-server alias (the
// AuthServerAlias definition of API Gateway's APIGatewayAlias.json) the
// profile reads.
type swagAlias struct {
	Name                     string `json:"name"`
	Type                     string `json:"type"`
	AuthServerType           string `json:"authServerType"`
	LocalIntrospectionConfig *struct {
		Issuer  string `json:"issuer"`
		JWKSURI string `json:"jwksuri"`
	} `json:"localIntrospectionConfig"`
	RemoteIntrospectionConfig *struct {
		IntrospectionEndpoint string `json:"introspectionEndpoint"`
		ClientID              string `json:"clientId"`
	} `json:"remoteIntrospectionConfig"`
	Scopes []swagScope `json:"scopes"`
}

// swagScope is one scope of the alias (the authorization server's scope).
type swagScope struct {
	Name string `json:"name"`
}

// swagAPIScopes is api-scopes.yaml: the API and its scopes as the console
// makes them.
type swagAPIScopes struct {
	API             string          `yaml:"api"`
	NativeEndpoint  string          `yaml:"nativeEndpoint"`
	Audience        string          `yaml:"audience"`
	AuthServerAlias string          `yaml:"authServerAlias"`
	Application     swagApplication `yaml:"application"`
	APIScopes       []swagAPIScope  `yaml:"apiScopes"`
	Resources       []swagResources `yaml:"resources"`
}

// swagApplication is the application registered with the API, whose OAuth2
// strategy identifies the token's client.
type swagApplication struct {
	Name     string `yaml:"name"`
	ClientID string `yaml:"clientId"`
}

// swagAPIScope is one API scope and the alias scopes mapped to it.
type swagAPIScope struct {
	Name             string          `yaml:"name"`
	Resources        []swagResources `yaml:"resources"`
	AuthServerScopes []string        `yaml:"authServerScopes"`
}

// swagResources is a resource path and its methods.
type swagResources struct {
	Path    string   `yaml:"path"`
	Methods []string `yaml:"methods"`
}

// swagRoute is what a swag route's checks and refusals read (Route.Extra).
type swagRoute struct {
	API      string // the API's name (Service)
	ClientID string // the client id of the API's registered application
}

// identifies reports whether the token's client is the route's registered
// application: its cid (Okta's claim) or client_id is the application's
// client id.
func (r swagRoute) identifies(tok Token) bool {
	for _, claim := range []string{"cid", "client_id"} {
		if id, ok := tok.Claims[claim].(string); ok && id == r.ClientID {
			return true
		}
	}
	return false
}

// loadSwag reads the alias and api-scopes.yaml into a Config.
func loadSwag(files []Artifact) (Config, error) {
	var aliasFile, scopesFile *Artifact
	for i := range files {
		f := &files[i]
		if bytes.HasPrefix(bytes.TrimSpace(f.Data), []byte("{")) {
			if aliasFile != nil {
				return Config{}, fmt.Errorf("%s: a second alias (the first is %s)", f.Name, aliasFile.Name)
			}
			aliasFile = f
			continue
		}
		if scopesFile != nil {
			return Config{}, fmt.Errorf("%s: a second api-scopes file (the first is %s)", f.Name, scopesFile.Name)
		}
		scopesFile = f
	}
	if aliasFile == nil || scopesFile == nil {
		return Config{}, errors.New("swag: want two files: the authorization-server alias (JSON) and api-scopes.yaml")
	}
	alias, err := parseSwagAlias(*aliasFile)
	if err != nil {
		return Config{}, err
	}
	api, err := parseSwagAPIScopes(*scopesFile)
	if err != nil {
		return Config{}, err
	}
	return swagConfig(alias, aliasFile.Name, api, scopesFile.Name)
}

// parseSwagAlias reads and checks an authorization-server alias.
func parseSwagAlias(f Artifact) (swagAlias, error) {
	var a swagAlias
	if err := json.Unmarshal(f.Data, &a); err != nil {
		return a, fmt.Errorf("%s: %v", f.Name, err)
	}
	switch {
	case a.Name == "":
		return a, fmt.Errorf("%s: name: missing", f.Name)
	case a.Type != "authServerAlias":
		return a, fmt.Errorf("%s: type: %q is not authServerAlias", f.Name, a.Type)
	case a.AuthServerType != "EXTERNAL":
		return a, fmt.Errorf("%s: authServerType: %q is not EXTERNAL", f.Name, a.AuthServerType)
	}
	if l := a.LocalIntrospectionConfig; l != nil {
		if l.Issuer == "" {
			return a, fmt.Errorf("%s: localIntrospectionConfig.issuer: missing", f.Name)
		}
		if l.JWKSURI == "" {
			return a, fmt.Errorf("%s: localIntrospectionConfig.jwksuri: missing", f.Name)
		}
	} else if r := a.RemoteIntrospectionConfig; r == nil || r.IntrospectionEndpoint == "" || r.ClientID == "" {
		return a, fmt.Errorf("%s: localIntrospectionConfig (issuer, jwksuri) or remoteIntrospectionConfig (introspectionEndpoint, clientId): missing", f.Name)
	}
	for i, s := range a.Scopes {
		if s.Name == "" {
			return a, fmt.Errorf("%s: scopes[%d].name: missing", f.Name, i)
		}
	}
	return a, nil
}

// parseSwagAPIScopes reads api-scopes.yaml strictly.
func parseSwagAPIScopes(f Artifact) (swagAPIScopes, error) {
	var s swagAPIScopes
	if err := decodeStrict(f.Name, f.Data, &s); err != nil {
		return s, err
	}
	switch {
	case s.API == "":
		return s, fmt.Errorf("%s: api: missing", f.Name)
	case s.Audience == "":
		return s, fmt.Errorf("%s: audience: missing", f.Name)
	case s.Application.ClientID == "":
		return s, fmt.Errorf("%s: application.clientId: missing", f.Name)
	}
	if err := checkURL("nativeEndpoint", s.NativeEndpoint); err != nil {
		return s, fmt.Errorf("%s: %w", f.Name, err)
	}
	return s, nil
}

// swagConfig is the Config of an alias and an API's scopes.
func swagConfig(alias swagAlias, aliasName string, api swagAPIScopes, scopesName string) (Config, error) {
	if api.AuthServerAlias != alias.Name {
		return Config{}, fmt.Errorf("%s: authServerAlias: %q, but the alias in %s is %q", scopesName, api.AuthServerAlias, aliasName, alias.Name)
	}
	c := Config{
		Profile:  "swag",
		Upstream: api.NativeEndpoint,
		Audience: api.Audience,
	}
	if l := alias.LocalIntrospectionConfig; l != nil {
		c.Mode, c.Issuer, c.JWKSURL = ModeJWT, l.Issuer, l.JWKSURI
	} else {
		r := alias.RemoteIntrospectionConfig
		secret, err := ClientSecretFromEnv(aliasName+": remoteIntrospectionConfig.clientSecret", "")
		if err != nil {
			return Config{}, err
		}
		c.Mode = ModeIntrospect
		c.Introspection = Introspection{URL: r.IntrospectionEndpoint, ClientID: r.ClientID,
			ClientSecretEnv: DefaultClientSecretEnv, ClientSecret: secret}
		// The issuer the introspection answers carry: the endpoint's
		// authorization server, {issuer}/v1/introspect at Okta.
		c.Issuer = strings.TrimSuffix(r.IntrospectionEndpoint, "/v1/introspect")
	}
	seen := map[string]string{} // "GET /planets" -> the API scope that has it
	add := func(where, scope string, res swagResources, scopes []string) error {
		if !strings.HasPrefix(res.Path, "/") {
			return fmt.Errorf("%s: %s.path: %q does not start with /", scopesName, where, res.Path)
		}
		if len(res.Methods) == 0 {
			return fmt.Errorf("%s: %s.methods: none", scopesName, where)
		}
		for _, m := range res.Methods {
			key := strings.ToUpper(m) + " " + res.Path
			if prev, ok := seen[key]; ok {
				return fmt.Errorf("%s: %s: %s is already in %s", scopesName, where, key, prev)
			}
			seen[key] = where
			c.Routes = append(c.Routes, Route{Method: strings.ToUpper(m), Path: res.Path, Scopes: scopes,
				Extra: swagRoute{API: api.API, ClientID: api.Application.ClientID}})
		}
		return nil
	}
	for i, s := range api.APIScopes {
		if len(s.AuthServerScopes) == 0 {
			return Config{}, fmt.Errorf("%s: apiScopes[%d].authServerScopes: none (map at least one scope of the alias)", scopesName, i)
		}
		for j, as := range s.AuthServerScopes {
			if !slices.Contains(alias.Scopes, swagScope{Name: as}) {
				return Config{}, fmt.Errorf("%s: apiScopes[%d].authServerScopes[%d]: %q is not a scope of the alias %q (%s)", scopesName, i, j, as, alias.Name, aliasName)
			}
		}
		for j, res := range s.Resources {
			if err := add(fmt.Sprintf("apiScopes[%d].resources[%d]", i, j), s.Name, res, s.AuthServerScopes); err != nil {
				return Config{}, err
			}
		}
	}
	for j, res := range api.Resources {
		if err := add(fmt.Sprintf("resources[%d]", j), "", res, nil); err != nil {
			return Config{}, err
		}
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s, %s: %w", aliasName, scopesName, err)
	}
	return c, nil
}

// swagAllows allows a route when the token's client is the registered
// application and the route needs no scope or the token holds any one of
// the alias scopes mapped to its API scope.
func swagAllows(route Route, tok Token) bool {
	if r, ok := route.Extra.(swagRoute); !ok || !r.identifies(tok) {
		return false
	}
	if len(route.Scopes) == 0 {
		return true
	}
	return slices.ContainsFunc(route.Scopes, func(s string) bool { return slices.Contains(tok.Scopes, s) })
}

// swagRefuse answers as API Gateway does (status codes, messages and body
// unconfirmed, see swagProfile). The reason the gateway found goes to its
// access log, not to the client.
func swagRefuse(w http.ResponseWriter, r *http.Request, why Refusal) {
	var status int
	var msg string
	switch k := why.Kind; {
	case k == NoToken:
		status, msg = http.StatusUnauthorized, "Unauthorized application request. The access token is missing"
	case k == BadRequest:
		status, msg = http.StatusUnauthorized, "Unauthorized application request. The Authorization header is not Bearer <access token>"
	case k == Expired:
		status, msg = http.StatusUnauthorized, "Unable to validate the access token. The access token has expired"
	case k.TokenRefused():
		status, msg = http.StatusUnauthorized, "Unable to validate the access token. The access token is invalid"
	case k == Unreachable:
		status, msg = http.StatusUnauthorized, "Unable to validate the access token. The keys of the authorization server could not be fetched"
	case k == InsufficientScope && !why.Route.Extra.(swagRoute).identifies(why.Token):
		status, msg = http.StatusUnauthorized, "Unauthorized application request. The token's client is not an application registered with the API"
	case k == InsufficientScope:
		status, msg = http.StatusForbidden, "The access token does not have the scope to access the resource. It needs one of: "+strings.Join(why.Route.Scopes, ", ")
	case k == NotFound:
		http.Error(w, "404 Not Found", http.StatusNotFound)
		return
	default: // UpstreamFailed
		status, msg = http.StatusInternalServerError, "Native service provider error"
	}
	details := "Operation - " + r.URL.Path
	if route, ok := why.Route.Extra.(swagRoute); ok {
		details = "Service - " + route.API + ", " + details
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"Exception": fmt.Sprintf(
		"API Gateway encountered an error. Error Message:  %s. Request Details: %s", msg, details)})
}
