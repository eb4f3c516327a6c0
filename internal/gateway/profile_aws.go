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

// The aws profile emulates AWS API Gateway's HTTP API with a JWT authorizer
// (GATEWAYS.md section 1), loaded from the OpenAPI 3.0 definition that
// `aws apigatewayv2 import-api` takes (`apicenter get-settings
// --aws_openapi`):
//
//   - the token is the identity source ($request.header.Authorization),
//     bare or after "Bearer ";
//   - RS256 signature with the issuer's key named by kid; iss = the
//     authorizer's issuer; aud one of its audiences, client_id read only
//     when aud is absent; exp and nbf;
//   - a route's scopes (its security requirement) are OR'd: any one of them
//     in scp (an array) or scope (a space-separated string) lets the token
//     through; a route without scopes takes any valid token;
//   - a refused token: 401 {"message":"Unauthorized"} with
//     `www-authenticate: Bearer scope="" error="invalid_token"
//     error_description="..."` (AWS's troubleshooting page shows this for
//     a wrong audience; the other descriptions are ours [u]);
//   - no token: 401 {"message":"Unauthorized"} without www-authenticate [u];
//   - a valid token without a route scope: 403 {"message":"Forbidden"} [u:
//     not in the AWS pages read; the floci emulator answers so];
//   - no route: 404 {"message":"Not Found"}; the upstream failing: 503
//     {"message":"Service Unavailable"} [u].

// awsIdentityHeader prefixes an identity source that is a request header.
const awsIdentityHeader = "$request.header."

// awsAPI is what an HTTP API's OpenAPI definition says that the gateway
// needs.
type awsAPI struct {
	// Upstream is the base URL the integrations' URIs share.
	Upstream string
	// Issuer and Audiences are the JWT authorizer's jwtConfiguration.
	Issuer    string
	Audiences []string
	// IdentityHeader is the header of the authorizer's identity source.
	IdentityHeader string
	// Routes are the operations with their scopes.
	Routes []Route
}

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
func parseAWSOpenAPI(name string, data []byte) (awsAPI, error) {
	var doc awsDocument
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return awsAPI{}, fmt.Errorf("%s: %s", name, strings.ReplaceAll(err.Error(), "\n", " "))
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.0.") {
		return awsAPI{}, fmt.Errorf("%s: openapi: %q is not 3.0.x (an HTTP API imports OpenAPI 3.0)", name, doc.OpenAPI)
	}
	var api awsAPI
	var schemeNames []string
	for n, s := range doc.Components.SecuritySchemes {
		if s.Authorizer != nil && s.Authorizer.Type == "jwt" {
			schemeNames = append(schemeNames, n)
		}
	}
	sort.Strings(schemeNames)
	if len(schemeNames) != 1 {
		return awsAPI{}, fmt.Errorf("%s: components.securitySchemes: %d JWT authorizers (x-amazon-apigateway-authorizer type jwt), want one", name, len(schemeNames))
	}
	scheme := schemeNames[0]
	at := "components.securitySchemes." + scheme + ".x-amazon-apigateway-authorizer"
	auth := doc.Components.SecuritySchemes[scheme].Authorizer
	header, ok := strings.CutPrefix(auth.IdentitySource, awsIdentityHeader)
	if !ok || header == "" || strings.ContainsAny(header, ", ") {
		return awsAPI{}, fmt.Errorf("%s: %s.identitySource: %q is not $request.header.NAME", name, at, auth.IdentitySource)
	}
	api.IdentityHeader = header
	api.Issuer = auth.JWTConfiguration.Issuer
	if err := checkURL(at+".jwtConfiguration.issuer", api.Issuer); err != nil {
		return awsAPI{}, fmt.Errorf("%s: %w", name, err)
	}
	if len(auth.JWTConfiguration.Audience) == 0 || slices.Contains(auth.JWTConfiguration.Audience, "") {
		return awsAPI{}, fmt.Errorf("%s: %s.jwtConfiguration.audience: want a list of audiences", name, at)
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
				return awsAPI{}, fmt.Errorf("%s: %s: %s", name, at, err)
			}
			scopes, err := awsRouteScopes(op.Security, doc.Security, scheme)
			if err != nil {
				return awsAPI{}, fmt.Errorf("%s: %s.security: %w", name, at, err)
			}
			base, err := awsUpstream(op, method, p)
			if err != nil {
				return awsAPI{}, fmt.Errorf("%s: %s.x-amazon-apigateway-integration%w", name, at, err)
			}
			if api.Upstream == "" {
				api.Upstream = base
			} else if base != api.Upstream {
				return awsAPI{}, fmt.Errorf("%s: %s.x-amazon-apigateway-integration.uri: upstream %s, but earlier routes go to %s (the gateway has one upstream)", name, at, base, api.Upstream)
			}
			api.Routes = append(api.Routes, Route{Method: method, Path: p, Scopes: scopes})
		}
	}
	if len(api.Routes) == 0 {
		return awsAPI{}, fmt.Errorf("%s: paths: no operations", name)
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

// awsToken reads the token from the identity source header: bare, or after
// "Bearer " (AWS strips the prefix). ok is false when the header is absent
// or empty.
func awsToken(r *http.Request, header string) (token string, ok bool) {
	v := strings.TrimSpace(r.Header.Get(header))
	if t, found := strings.CutPrefix(v, "Bearer "); found {
		v = strings.TrimSpace(t)
	}
	return v, v != ""
}

// awsAllowsScopes is the JWT authorizer's scope check: a route without
// scopes takes any valid token; otherwise the token needs any one of them.
func awsAllowsScopes(need, have []string) bool {
	if len(need) == 0 {
		return true
	}
	for _, n := range need {
		if slices.Contains(have, n) {
			return true
		}
	}
	return false
}

// awsMessage writes API Gateway's JSON answer {"message": msg}.
func awsMessage(w http.ResponseWriter, status int, msg string) {
	b, _ := json.Marshal(map[string]string{"message": msg})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// awsUnauthorized writes the JWT authorizer's 401 for a refused token.
func awsUnauthorized(w http.ResponseWriter, description string) {
	w.Header().Set("www-authenticate", fmt.Sprintf("Bearer scope=\"\" error=\"invalid_token\" error_description=%q", quoteSafe(description)))
	awsMessage(w, http.StatusUnauthorized, "Unauthorized")
}
