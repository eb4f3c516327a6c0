package gateway

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/flow"
	"github.com/apicenter/apicenter/internal/gateway/issuertest"
)

// awsTemplate is the aws input's OpenAPI template, as get-settings
// --aws_openapi renders it.
var awsTemplate = filepath.Join("..", "..", "inputs", "templates", "aws", "openapi.yaml")

// awsValues are realistic values of an Okta org for the template.
var awsValues = map[string]string{
	"AUTH_SERVER.issuer": "https://dev-123456.okta.com/oauth2/aus8x2kq1tGZ3mVqW5d7",
	"AUDIENCE":           "api://solarsystem",
	"SILVER_SCOPE":       "http://myapp.com/scp/silver",
	"GOLD_SCOPE":         "http://myapp.com/scp/gold",
	"UPSTREAM_URI":       "https://solar-system.example.com",
}

// renderAWS renders the template with values.
func renderAWS(t *testing.T, values map[string]string) []byte {
	t.Helper()
	return renderTemplate(t, awsTemplate, values)
}

// awsValidator validates an HTTP API's OpenAPI definition offline: with
// kin-openapi, with the OpenAPI 3.0 JSON Schema (testdata/aws), and with
// our JSON Schema of API Gateway's x-amazon-apigateway extensions.
type awsValidator struct {
	openapi, extensions *jsonschema.Schema
}

func newAWSValidator(t *testing.T) *awsValidator {
	t.Helper()
	c := jsonschema.NewCompiler()
	compile := func(file string) *jsonschema.Schema {
		s, err := c.Compile(filepath.Join("testdata", "aws", file))
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		return s
	}
	return &awsValidator{openapi: compile("openapi-3.0.schema.json"), extensions: compile("x-amazon-apigateway.schema.json")}
}

// validate returns the first validator's complaint, naming it.
func (v *awsValidator) validate(data []byte) error {
	loader := openapi3.NewLoader()
	doc, err := loader.LoadFromData(data)
	if err != nil {
		return &validationError{"kin-openapi", err}
	}
	if err := doc.Validate(context.Background()); err != nil {
		return &validationError{"kin-openapi", err}
	}
	var y any
	if err := yaml.Unmarshal(data, &y); err != nil {
		return &validationError{"yaml", err}
	}
	js, err := json.Marshal(y)
	if err != nil {
		return &validationError{"json", err}
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(js))
	if err != nil {
		return &validationError{"json", err}
	}
	if err := v.openapi.Validate(inst); err != nil {
		return &validationError{"openapi-3.0.schema.json", err}
	}
	if err := v.extensions.Validate(inst); err != nil {
		return &validationError{"x-amazon-apigateway.schema.json", err}
	}
	return nil
}

type validationError struct {
	by  string
	err error
}

func (e *validationError) Error() string { return e.by + ": " + e.err.Error() }

// TestAWSOpenAPIValidates: the rendered template is a valid OpenAPI 3.0
// document whose API Gateway extensions are as AWS documents them, and
// each way of breaking it is caught by one of the validators.
func TestAWSOpenAPIValidates(t *testing.T) {
	v := newAWSValidator(t)
	doc := string(renderAWS(t, awsValues))
	if err := v.validate([]byte(doc)); err != nil {
		t.Fatalf("the rendered template: %v", err)
	}
	tests := []struct {
		name, old, new string
		by             string // the validator that must refuse it
	}{
		{"oauth2 without flows", "      flows: {}\n", "", "kin-openapi"},
		{"no responses", "      responses:\n        default:\n          description: the solar-system API's answer\n      security:\n        - okta:\n            - \"http://myapp.com/scp/silver\"",
			"      security:\n        - okta:\n            - \"http://myapp.com/scp/silver\"", "kin-openapi"},
		{"OpenAPI 3.1", "openapi: 3.0.1", "openapi: 3.1.0", "openapi-3.0.schema.json"},
		{"unknown top-level key", "x-amazon-apigateway-importexport-version", "amazon-apigateway-importexport-version", "kin-openapi"},
		{"authorizer type", "type: jwt", "type: token", "x-amazon-apigateway.schema.json"},
		{"identity source not a mapping expression", "identitySource: $request.header.Authorization", "identitySource: Authorization", "x-amazon-apigateway.schema.json"},
		{"audience not a list", "audience:\n            - \"api://solarsystem\"", "audience: api://solarsystem", "x-amazon-apigateway.schema.json"},
		{"issuer over http", "issuer: \"https://dev-123456", "issuer: \"http://dev-123456", "x-amazon-apigateway.schema.json"},
		{"no issuer", "          issuer: \"https://dev-123456.okta.com/oauth2/aus8x2kq1tGZ3mVqW5d7\"\n", "", "x-amazon-apigateway.schema.json"},
		{"REST integration type", "type: http_proxy", "type: http", "x-amazon-apigateway.schema.json"},
		{"payload format 2.0 on an HTTP proxy", "payloadFormatVersion: \"1.0\"", "payloadFormatVersion: \"2.0\"", "x-amazon-apigateway.schema.json"},
		{"no integration URI", "        uri: \"https://solar-system.example.com/moons\"\n", "", "x-amazon-apigateway.schema.json"},
		{"integration URI not a URL", "uri: \"https://solar-system.example.com/moons\"", "uri: \"solar-system.example.com/moons\"", "x-amazon-apigateway.schema.json"},
		{"scope with a space", "- \"http://myapp.com/scp/gold\"", "- \"http://myapp.com/scp/gold extra\"", "x-amazon-apigateway.schema.json"},
		{"import-export version", "x-amazon-apigateway-importexport-version: \"1.0\"", "x-amazon-apigateway-importexport-version: \"2.0\"", "x-amazon-apigateway.schema.json"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(doc, tt.old) {
				t.Fatalf("the rendered template has no %q", tt.old)
			}
			err := v.validate([]byte(strings.Replace(doc, tt.old, tt.new, 1)))
			var ve *validationError
			if err == nil {
				t.Fatal("accepted")
			}
			if !asValidationError(err, &ve) || ve.by != tt.by {
				t.Errorf("refused by %v, want %s", err, tt.by)
			}
		})
	}
}

func asValidationError(err error, ve **validationError) bool {
	e, ok := err.(*validationError)
	*ve = e
	return ok
}

// TestAWSOpenAPILoads: the rendered template loads into what the gateway
// emulates: the upstream, the authorizer's issuer and audiences, and the
// three routes with their scopes.
func TestAWSOpenAPILoads(t *testing.T) {
	api, err := parseAWSOpenAPI("openapi.yaml", renderAWS(t, awsValues))
	if err != nil {
		t.Fatal(err)
	}
	if api.Profile != "aws" || api.Mode != ModeJWT || api.Upstream != awsValues["UPSTREAM_URI"] || api.Issuer != awsValues["AUTH_SERVER.issuer"] ||
		api.Audience != "" || !slices.Equal(api.Audiences, []string{awsValues["AUDIENCE"]}) {
		t.Errorf("loaded %+v", api)
	}
	want := []Route{
		{Method: "GET", Path: "/asteroids", Scopes: []string{}},
		{Method: "GET", Path: "/moons", Scopes: []string{awsValues["GOLD_SCOPE"]}},
		{Method: "GET", Path: "/planets", Scopes: []string{awsValues["SILVER_SCOPE"]}},
	}
	if len(api.Routes) != len(want) {
		t.Fatalf("routes %+v, want %+v", api.Routes, want)
	}
	for i, r := range api.Routes {
		if r.Method != want[i].Method || r.Path != want[i].Path || !slices.Equal(r.Scopes, want[i].Scopes) {
			t.Errorf("routes[%d] = %+v, want %+v", i, r, want[i])
		}
	}
}

// TestAWSOpenAPILoadErrors: what the profile cannot emulate is an error
// naming the file and the key.
func TestAWSOpenAPILoadErrors(t *testing.T) {
	doc := string(renderAWS(t, awsValues))
	tests := []struct{ name, old, new, want string }{
		{"not YAML", "openapi: 3.0.1", "openapi: [", "openapi.yaml: yaml:"},
		{"swagger 2", "openapi: 3.0.1", "swagger: \"2.0\"", `openapi.yaml: openapi: "" is not 3.0.x`},
		{"no JWT authorizer", "type: jwt", "type: request", "openapi.yaml: components.securitySchemes: 0 JWT authorizers"},
		{"identity source a query string", "$request.header.Authorization", "$request.querystring.token", `x-amazon-apigateway-authorizer.identitySource: "$request.querystring.token" is not $request.header.Authorization`},
		{"no audience", "          audience:\n            - \"api://solarsystem\"\n", "", "jwtConfiguration.audience: want a list of audiences"},
		{"open route", "        - okta: []\n", "        []\n", "paths./asteroids.get.security: none: the route would be open"},
		{"another scheme", "        - okta:\n            - \"http://myapp.com/scp/gold\"", "        - other:\n            - \"http://myapp.com/scp/gold\"", "paths./moons.get.security: does not name the JWT authorizer okta"},
		{"Lambda integration", "type: http_proxy", "type: aws_proxy", `paths./planets.get.x-amazon-apigateway-integration.type: "aws_proxy" is not http_proxy`},
		{"another path upstream", "uri: \"https://solar-system.example.com/moons\"", "uri: \"https://solar-system.example.com/v2/moons\"", "paths./moons.get.x-amazon-apigateway-integration.uri: upstream https://solar-system.example.com/v2, but earlier routes go to https://solar-system.example.com"},
		{"uri not the route's path", "uri: \"https://solar-system.example.com/moons\"", "uri: \"https://solar-system.example.com/lunes\"", `.uri: "https://solar-system.example.com/lunes" does not end with the route's path /moons`},
		{"method", "httpMethod: GET", "httpMethod: POST", `paths./planets.get.x-amazon-apigateway-integration.httpMethod: "POST" is not GET`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(doc, tt.old) {
				t.Fatalf("the rendered template has no %q", tt.old)
			}
			_, err := parseAWSOpenAPI("openapi.yaml", []byte(strings.Replace(doc, tt.old, tt.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line with %q", err, tt.want)
			}
		})
	}
}

// newAWSGateway serves the gateway loaded, as the aws profile, from the
// template rendered for the test issuer (audience api://test) and upstream.
func newAWSGateway(t *testing.T, as *authServer, up string) string {
	t.Helper()
	vals := map[string]string{"AUTH_SERVER.issuer": as.issuer(), "AUDIENCE": "api://test",
		"SILVER_SCOPE": silver, "GOLD_SCOPE": gold, "UPSTREAM_URI": up}
	c, err := LoadArtifacts(awsProfile(), writeArtifact(t, "openapi.yaml", renderAWS(t, vals)))
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return newServer(t, g)
}

// writeArtifact writes data to a file named name and returns its path, as
// `apicenter gateway --config` takes it.
func writeArtifact(t *testing.T, name string, data []byte) []string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return []string{p}
}

// TestAWSProfileAnswers: the aws profile checks tokens and routes' scopes
// as API Gateway's JWT authorizer does, and answers as it does.
func TestAWSProfileAnswers(t *testing.T) {
	as := newAuthServer(t)
	up := newUpstream(t)
	gw := newAWSGateway(t, as, up.srv.URL)
	with := func(claims map[string]any, set map[string]any, del ...string) map[string]any {
		for k, v := range set {
			claims[k] = v
		}
		for _, k := range del {
			delete(claims, k)
		}
		return claims
	}
	silverTok := as.Sign(as.claims("openid", silver))
	goldTok := as.Sign(as.claims("openid", silver, gold))
	const (
		unauthorized = `{"message":"Unauthorized"}`
		forbidden    = `{"message":"Forbidden"}`
		notFound     = `{"message":"Not Found"}`
	)
	tests := []struct {
		name, path, auth string
		status           int
		body             string
		description      string // of www-authenticate; "" means no header
	}{
		{"no token", "/planets", "", 401, unauthorized, ""},
		{"Bearer and nothing", "/planets", "Bearer ", 401, unauthorized, ""},
		{"silver, planets", "/planets", "Bearer " + silverTok, 200, `{"path":"/planets"}`, ""},
		{"a bare token", "/planets", silverTok, 200, `{"path":"/planets"}`, ""},
		{"silver, moons", "/moons", "Bearer " + silverTok, 403, forbidden, ""},
		{"gold, moons", "/moons", "Bearer " + goldTok, 200, `{"path":"/moons"}`, ""},
		{"any valid token, asteroids", "/asteroids", "Bearer " + as.Sign(as.claims("openid")), 200, `{"path":"/asteroids"}`, ""},
		{"one of the route's scopes in a scope string", "/moons", "Bearer " + as.Sign(with(as.claims(), map[string]any{"scope": "openid " + gold}, "scp")), 200, `{"path":"/moons"}`, ""},
		{"scp without it, scope with it", "/moons", "Bearer " + as.Sign(with(as.claims("openid"), map[string]any{"scope": gold})), 200, `{"path":"/moons"}`, ""},
		{"another audience", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"aud": "api://other"})), 401, unauthorized, "the token does not have a valid audience"},
		{"one of several audiences", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"aud": []string{"api://other", "api://test"}})), 200, `{"path":"/asteroids"}`, ""},
		{"no aud, client_id an audience", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"client_id": "api://test"}, "aud")), 200, `{"path":"/asteroids"}`, ""},
		{"no aud, cid an audience", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"cid": "api://test"}, "aud")), 401, unauthorized, "the token does not have a valid audience"},
		{"aud wins over client_id", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"aud": "api://other", "client_id": "api://test"})), 401, unauthorized, "the token does not have a valid audience"},
		{"expired", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"exp": time.Now().Add(-time.Second).Unix(), "iat": time.Now().Add(-time.Hour).Unix()})), 401, unauthorized, "the token has expired"},
		{"not yet valid", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"nbf": time.Now().Add(time.Minute).Unix()})), 401, unauthorized, "the token is not valid yet"},
		{"no exp", "/asteroids", "Bearer " + as.Sign(with(as.claims(), nil, "exp")), 401, unauthorized, "the token has expired"},
		{"another issuer", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"iss": "https://evil.example.com/oauth2/aus1"})), 401, unauthorized, "the token does not have a valid issuer"},
		{"another key", "/asteroids", "Bearer " + as.mint(as.claims(), issuertest.NewKey(t), "forged"), 401, unauthorized, "the token's signing key is not in the issuer's keys"},
		{"another key under the issuer's kid", "/asteroids", "Bearer " + as.mint(as.claims(), issuertest.NewKey(t), as.kid), 401, unauthorized, "the token's signature is invalid"},
		{"alg none", "/asteroids", "Bearer " + as.mintNone(as.claims()), 401, unauthorized, "the token is malformed"},
		{"HS256 keyed by the public key", "/asteroids", "Bearer " + as.mintHS256WithPublicKey(as.claims()), 401, unauthorized, "the token's signing algorithm is not supported"},
		{"not a JWT", "/asteroids", "Bearer not.a.jwt", 401, unauthorized, "the token is malformed"},
		{"no such route", "/comets", "Bearer " + goldTok, 404, notFound, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, gw+tt.path, tt.auth)
			if resp.StatusCode != tt.status || strings.TrimSpace(body) != tt.body {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, body, tt.status, tt.body)
			}
			h := resp.Header.Get("www-authenticate")
			want := ""
			if tt.description != "" {
				want = `Bearer scope="" error="invalid_token" error_description="` + tt.description + `"`
			}
			if h != want {
				t.Errorf("www-authenticate %q, want %q", h, want)
			}
			if tt.status == 200 && (up.lastHeader().Get(SubjectHeader) != "silver@example.com") {
				t.Errorf("the upstream got subject %q", up.lastHeader().Get(SubjectHeader))
			}
		})
	}
}

// TestAWSWithLocalOrgTokens runs the aws input's flow on the local org
// (bootstrap --aws), validates the OpenAPI definition rendered from the
// recorded objects, loads it into the aws profile, and sends it real
// tokens of the org's users: silver gets /planets and is refused /moons,
// gold gets both; no token, a forged token and an expired one get API
// Gateway's answers.
func TestAWSWithLocalOrgTokens(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	up := newUpstream(t)
	fl, err := flow.New("aws")
	if err != nil {
		t.Fatal(err)
	}
	o := flow.Options{OrgURL: srv.URL, Token: srv.Token, OutputDir: t.TempDir(),
		Values: map[string]string{"REDIRECT_URI": localRedirect, "UPSTREAM_URI": up.srv.URL}}
	if err := fl.Run(t.Context(), o, nil); err != nil {
		t.Fatal(err)
	}
	app, err := fl.App(o)
	if err != nil {
		t.Fatal(err)
	}
	art, err := fl.Gateway(o)
	if err != nil {
		t.Fatal(err)
	}
	if art.Profile != "aws" || len(art.Artifacts) != 1 || art.Artifacts[0].Name != "openapi.yaml" {
		t.Fatalf("the demo's gateway: profile %q, %d artifacts", art.Profile, len(art.Artifacts))
	}
	doc := art.Artifacts[0].Data
	// AWS wants an https issuer; the local org serves http, so the
	// extensions' schema sees the issuer as it would be on a real org.
	local, _ := strings.CutPrefix(app["ISSUER"], "http://")
	if err := newAWSValidator(t).validate(bytes.ReplaceAll(doc, []byte("http://"+local), []byte("https://"+local))); err != nil {
		t.Fatalf("the rendered definition: %v\n%s", err, doc)
	}

	files := writeArtifact(t, "openapi.yaml", doc)
	serve := func(now func() time.Time) string {
		c, err := LoadArtifacts(awsProfile(), files)
		if err != nil {
			t.Fatal(err)
		}
		if c.Issuer != app["ISSUER"] || !slices.Equal(c.Audiences, []string{app["AUDIENCE"]}) || c.Upstream != up.srv.URL {
			t.Fatalf("loaded %+v", c)
		}
		c.Now = now
		c.ErrorLog = t.Logf
		g, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		return newServer(t, g)
	}
	gw := serve(nil)
	// An hour and a minute later, the org's 60-minute tokens have expired.
	later := serve(func() time.Time { return time.Now().Add(61 * time.Minute) })

	ms := &mulesoft.Settings{App: app}
	silverTok := mulesofttest.SignIn(t, ms, app["SILVER_USERNAME"], app["SILVER_PASSWORD"], "openid", app["SILVER_SCOPE"]).AccessToken
	goldTok := mulesofttest.SignIn(t, ms, app["GOLD_USERNAME"], app["GOLD_PASSWORD"], "openid", app["SILVER_SCOPE"], app["GOLD_SCOPE"]).AccessToken
	forged := forge(t, silverTok, app["GOLD_SCOPE"])

	tests := []struct {
		name, gateway, path, token string
		status                     int
		body, description, subject string
	}{
		{name: "silver, planets", gateway: gw, path: "/planets", token: silverTok, status: 200, subject: app["SILVER_USERNAME"]},
		{name: "silver, moons", gateway: gw, path: "/moons", token: silverTok, status: 403, body: `{"message":"Forbidden"}`},
		{name: "silver, asteroids", gateway: gw, path: "/asteroids", token: silverTok, status: 200, subject: app["SILVER_USERNAME"]},
		{name: "gold, planets", gateway: gw, path: "/planets", token: goldTok, status: 200, subject: app["GOLD_USERNAME"]},
		{name: "gold, moons", gateway: gw, path: "/moons", token: goldTok, status: 200, subject: app["GOLD_USERNAME"]},
		{name: "no token", gateway: gw, path: "/planets", status: 401, body: `{"message":"Unauthorized"}`},
		{name: "forged", gateway: gw, path: "/planets", token: forged, status: 401, body: `{"message":"Unauthorized"}`, description: "the token's signature is invalid"},
		{name: "expired", gateway: later, path: "/planets", token: goldTok, status: 401, body: `{"message":"Unauthorized"}`, description: "the token has expired"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := ""
			if tt.token != "" {
				auth = "Bearer " + tt.token
			}
			resp, body := get(t, tt.gateway+tt.path, auth)
			if resp.StatusCode != tt.status || (tt.body != "" && strings.TrimSpace(body) != tt.body) {
				t.Fatalf("%d %s, want %d %s", resp.StatusCode, body, tt.status, tt.body)
			}
			want := ""
			if tt.description != "" {
				want = `Bearer scope="" error="invalid_token" error_description="` + tt.description + `"`
			}
			if h := resp.Header.Get("www-authenticate"); h != want {
				t.Errorf("www-authenticate %q, want %q", h, want)
			}
			if tt.status == 200 {
				if got := up.lastHeader().Get(SubjectHeader); got != tt.subject {
					t.Errorf("the upstream saw subject %q, want %q", got, tt.subject)
				}
			}
		})
	}
}

// TestAWSFailures: an issuer whose keys cannot be fetched refuses the
// token (401), an upstream that does not answer is 503, as API Gateway
// answers [u].
func TestAWSFailures(t *testing.T) {
	t.Run("issuer down", func(t *testing.T) {
		as := newAuthServer(t)
		gw := newAWSGateway(t, as, newUpstream(t).srv.URL)
		tok := as.Sign(as.claims(silver))
		as.srv.Close()
		resp, body := get(t, gw+"/planets", "Bearer "+tok)
		if resp.StatusCode != 401 || strings.TrimSpace(body) != `{"message":"Unauthorized"}` ||
			resp.Header.Get("www-authenticate") != `Bearer scope="" error="invalid_token" error_description="the issuer's keys could not be fetched"` {
			t.Errorf("%d %s %q", resp.StatusCode, body, resp.Header.Get("www-authenticate"))
		}
	})
	t.Run("upstream down", func(t *testing.T) {
		as := newAuthServer(t)
		up := newUpstream(t)
		gw := newAWSGateway(t, as, up.srv.URL)
		up.srv.Close()
		resp, body := get(t, gw+"/planets", "Bearer "+as.Sign(as.claims(silver)))
		if resp.StatusCode != 503 || strings.TrimSpace(body) != `{"message":"Service Unavailable"}` {
			t.Errorf("%d %s", resp.StatusCode, body)
		}
	})
}
