package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"

	"gopkg.in/yaml.v3"
)

// awsProfile emulates AWS API Gateway's HTTP API with a JWT authorizer
// (GATEWAYS.md section 1), loaded from the OpenAPI 3.0 definition that
// `aws apigatewayv2 import-api` takes (`apicenter get-settings
// --aws_openapi`): the authorizer's issuer and audiences, each route's
// scopes (its security requirement) and the HTTP proxy integrations' URIs.
//
// Checks, as AWS documents the JWT authorizer:
//   - the token is the identity source, $request.header.Authorization,
//     bare or after "Bearer ";
//   - RS256 signature with the key of the issuer's JWKS (from its discovery
//     document) named by kid; iss = the issuer; aud one of the audiences,
//     client_id read only when aud is absent; exp and nbf (iat is not in
//     AWS's list; the verifier checks it when present [u]). No clock skew is
//     documented: none is allowed [u]. A token without exp is refused [u];
//   - a route's scopes are OR'd: any one of them in scp (Okta's array) or
//     scope (a space-separated string) lets the token through; a route
//     without scopes takes any valid token.
//
// Answers:
//   - a refused token: 401 {"message":"Unauthorized"} with `www-authenticate:
//     Bearer scope="" error="invalid_token" error_description="..."`; AWS's
//     troubleshooting page shows this for a wrong audience ("the token does
//     not have a valid audience"); the other descriptions are in its style [u];
//   - no token: 401 {"message":"Unauthorized"} without www-authenticate [u];
//   - a valid token without a route scope: 403 {"message":"Forbidden"} [u:
//     not in the AWS pages read; the floci emulator of API Gateway answers
//     so];
//   - the issuer's keys unreachable: 401, as a token that cannot be checked
//     [u]; no route: 404 {"message":"Not Found"}; the upstream failing: 503
//     {"message":"Service Unavailable"} [u].
func awsProfile() Profile {
	return Profile{
		Name:        "aws",
		Description: "AWS API Gateway, an HTTP API with a JWT authorizer (the OpenAPI 3.0 definition of get-settings --aws_openapi)",
		Load:        loadAWS,
		Checks:      Checks{Issuer: true, Audience: true, AudienceElseClientID: true, RequireExpiry: true},
		Allows:      awsAllows,
		Refuse:      awsRefuse,
		Credentials: awsCredentials,
	}
}

// loadAWS reads the one OpenAPI definition of an HTTP API.
func loadAWS(files []Artifact) (Config, error) {
	if len(files) != 1 {
		return Config{}, fmt.Errorf("profile aws reads one OpenAPI definition, not %d files", len(files))
	}
	return parseAWSOpenAPI(files[0].Name, files[0].Data)
}

// awsIdentitySource is the identity source the profile reads tokens from,
// the only one of a JWT authorizer in front of a web app's calls.
const awsIdentitySource = "$request.header.Authorization"

// awsDocument is the part of an OpenAPI 3.0 document the aws profile reads.
type awsDocument struct {
	OpenAPI    string                          `yaml:"openapi"`
	Paths      map[string]map[string]yaml.Node `yaml:"paths"`
	Security   []map[string][]string           `yaml:"security"`
	Components struct {
		SecuritySchemes map[string]awsSecurityScheme `yaml:"securitySchemes"`
	} `yaml:"components"`
}

type awsSecurityScheme struct {
	Type       string         `yaml:"type"`
	Authorizer *awsAuthorizer `yaml:"x-amazon-apigateway-authorizer"`
}

type awsAuthorizer struct {
	Type             string `yaml:"type"`
	IdentitySource   string `yaml:"identitySource"`
	JWTConfiguration struct {
		Issuer   string   `yaml:"issuer"`
		Audience []string `yaml:"audience"`
	} `yaml:"jwtConfiguration"`
}

type awsOperation struct {
	Security    *[]map[string][]string `yaml:"security"`
	Integration *struct {
		Type                 string `yaml:"type"`
		HTTPMethod           string `yaml:"httpMethod"`
		URI                  string `yaml:"uri"`
		PayloadFormatVersion string `yaml:"payloadFormatVersion"`
	} `yaml:"x-amazon-apigateway-integration"`
}

// awsMethods are the OpenAPI operations of a path item, by their key.
var awsMethods = map[string]string{
	"get": http.MethodGet, "put": http.MethodPut, "post": http.MethodPost, "delete": http.MethodDelete,
	"options": http.MethodOptions, "head": http.MethodHead, "patch": http.MethodPatch, "trace": http.MethodTrace,
}

// parseAWSOpenAPI reads an HTTP API's OpenAPI 3.0 definition (YAML or
// JSON): the JWT authorizer of its security schemes, and each operation's
// scopes and HTTP proxy integration. name is the file's, for messages.
func parseAWSOpenAPI(name string, data []byte) (Config, error) {
	var doc awsDocument
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return Config{}, fmt.Errorf("%s: %s", name, strings.ReplaceAll(err.Error(), "\n", " "))
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		return Config{}, fmt.Errorf("%s: openapi: %q is not 3.0.x (an HTTP API imports OpenAPI 3.0)", name, doc.OpenAPI)
	}
	api := Config{Profile: "aws", Mode: ModeJWT}
	var schemeNames []string
	for n, s := range doc.Components.SecuritySchemes {
		if s.Authorizer != nil && s.Authorizer.Type == "jwt" {
			schemeNames = append(schemeNames, n)
		}
	}
	sort.Strings(schemeNames)
	if len(schemeNames) != 1 {
		return Config{}, fmt.Errorf("%s: components.securitySchemes: %d JWT authorizers (x-amazon-apigateway-authorizer type jwt), want one", name, len(schemeNames))
	}
	scheme := schemeNames[0]
	at := "components.securitySchemes." + scheme + ".x-amazon-apigateway-authorizer"
	auth := doc.Components.SecuritySchemes[scheme].Authorizer
	if auth.IdentitySource != awsIdentitySource {
		return Config{}, fmt.Errorf("%s: %s.identitySource: %q is not %s (the only identity source the gateway reads)", name, at, auth.IdentitySource, awsIdentitySource)
	}
	api.Issuer = auth.JWTConfiguration.Issuer
	if err := checkURL(at+".jwtConfiguration.issuer", api.Issuer); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(auth.JWTConfiguration.Audience) == 0 || slices.Contains(auth.JWTConfiguration.Audience, "") {
		return Config{}, fmt.Errorf("%s: %s.jwtConfiguration.audience: want a list of audiences", name, at)
	}
	api.Audiences = auth.JWTConfiguration.Audience

	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	for _, p := range paths {
		keys := make([]string, 0, len(doc.Paths[p]))
		for k := range doc.Paths[p] {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			method, isOp := awsMethods[k]
			if !isOp {
				continue
			}
			at := "paths." + p + "." + k
			node := doc.Paths[p][k]
			var op awsOperation
			if err := node.Decode(&op); err != nil {
				return Config{}, fmt.Errorf("%s: %s: %s", name, at, err)
			}
			scopes, err := awsRouteScopes(op.Security, doc.Security, scheme)
			if err != nil {
				return Config{}, fmt.Errorf("%s: %s.security: %w", name, at, err)
			}
			base, err := awsUpstream(op, method, p)
			if err != nil {
				return Config{}, fmt.Errorf("%s: %s.x-amazon-apigateway-integration%w", name, at, err)
			}
			if api.Upstream == "" {
				api.Upstream = base
			} else if base != api.Upstream {
				return Config{}, fmt.Errorf("%s: %s.x-amazon-apigateway-integration.uri: upstream %s, but earlier routes go to %s (the gateway has one upstream)", name, at, base, api.Upstream)
			}
			api.Routes = append(api.Routes, Route{Method: method, Path: p, Scopes: scopes})
		}
	}
	if len(api.Routes) == 0 {
		return Config{}, fmt.Errorf("%s: paths: no operations", name)
	}
	if err := api.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", name, err)
	}
	return api, nil
}

// awsRouteScopes returns the scopes of an operation's security requirement
// (or the document's when the operation has none) for the JWT authorizer
// scheme. A route without authorization is refused: the reference gateway
// protects every route it forwards.
func awsRouteScopes(op *[]map[string][]string, doc []map[string][]string, scheme string) ([]string, error) {
	reqs := doc
	if op != nil {
		reqs = *op
	}
	if len(reqs) == 0 {
		return nil, errors.New("none: the route would be open (apicenter's gateway protects every route)")
	}
	if len(reqs) != 1 || len(reqs[0]) != 1 {
		return nil, fmt.Errorf("want one requirement naming %s (an HTTP API route has one authorizer)", scheme)
	}
	scopes, ok := reqs[0][scheme]
	if !ok {
		return nil, fmt.Errorf("does not name the JWT authorizer %s", scheme)
	}
	return scopes, nil
}

// awsUpstream checks an operation's HTTP proxy integration and returns the
// upstream base URL its uri names: the uri less the route's path.
func awsUpstream(op awsOperation, method, path string) (string, error) {
	in := op.Integration
	switch {
	case in == nil:
		return "", errors.New(": missing (the route has nothing to send requests to)")
	case !strings.EqualFold(in.Type, "http_proxy"):
		return "", fmt.Errorf(".type: %q is not http_proxy", in.Type)
	case in.PayloadFormatVersion != "1.0":
		return "", fmt.Errorf(".payloadFormatVersion: %q is not 1.0 (the only one of HTTP proxy integrations)", in.PayloadFormatVersion)
	case in.HTTPMethod != method && in.HTTPMethod != "ANY":
		return "", fmt.Errorf(".httpMethod: %q is not %s", in.HTTPMethod, method)
	}
	u, err := url.Parse(in.URI)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf(".uri: %q is not an http(s) URL", in.URI)
	}
	base, ok := strings.CutSuffix(in.URI, path)
	if !ok || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf(".uri: %q does not end with the route's path %s", in.URI, path)
	}
	return base, nil
}

// awsCredentials reads the token from the Authorization header: bare, or
// after "Bearer " (AWS strips the prefix). A header of "Bearer" and nothing
// else is no token [u].
func awsCredentials(r *http.Request) (string, error) {
	vals := r.Header.Values("Authorization")
	if len(vals) > 1 {
		return "", errors.New("more than one Authorization header")
	}
	v := ""
	if len(vals) == 1 {
		v = strings.TrimSpace(vals[0])
	}
	if t, found := strings.CutPrefix(v, "Bearer "); found {
		v = strings.TrimSpace(t)
	}
	if v == "" || v == "Bearer" {
		return "", ErrNoToken
	}
	return v, nil
}

// awsAllows is the JWT authorizer's scope check: a route without scopes
// takes any valid token; otherwise the token needs any one of them, in scp
// or in scope.
func awsAllows(route Route, tok Token) bool {
	if len(route.Scopes) == 0 {
		return true
	}
	have := slices.Concat(tok.Scopes, scopesOf(tok.Claims["scp"], nil), scopesOf(tok.Claims["scope"], nil))
	for _, need := range route.Scopes {
		if slices.Contains(have, need) {
			return true
		}
	}
	return false
}

// awsDescriptions are the error_description of a refused token, in the
// words of AWS's documented "the token does not have a valid audience".
var awsDescriptions = map[RefusalKind]string{
	BadRequest:     "the token is malformed",
	Malformed:      "the token is malformed",
	WrongAlgorithm: "the token's signing algorithm is not supported",
	UnknownKey:     "the token's signing key is not in the issuer's keys",
	BadSignature:   "the token's signature is invalid",
	WrongIssuer:    "the token does not have a valid issuer",
	WrongAudience:  "the token does not have a valid audience",
	Expired:        "the token has expired",
	NotYetValid:    "the token is not valid yet",
	Unreachable:    "the issuer's keys could not be fetched",
}

// awsRefuse answers as API Gateway does (see awsProfile).
func awsRefuse(w http.ResponseWriter, _ *http.Request, why Refusal) {
	switch k := why.Kind; {
	case k == NoToken:
		awsMessage(w, http.StatusUnauthorized, "Unauthorized")
	case k == BadRequest || k == Unreachable || k.TokenRefused():
		desc, ok := awsDescriptions[k]
		if !ok {
			desc = why.Description
		}
		w.Header().Set("www-authenticate", fmt.Sprintf("Bearer scope=\"\" error=\"invalid_token\" error_description=%q", quoteSafe(desc)))
		awsMessage(w, http.StatusUnauthorized, "Unauthorized")
	case k == InsufficientScope:
		awsMessage(w, http.StatusForbidden, "Forbidden")
	case k == NotFound:
		awsMessage(w, http.StatusNotFound, "Not Found")
	default: // UpstreamFailed
		awsMessage(w, http.StatusServiceUnavailable, "Service Unavailable")
	}
}

// awsMessage writes API Gateway's JSON answer {"message": msg}.
func awsMessage(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}
