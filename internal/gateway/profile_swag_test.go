package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi2"
	"github.com/getkin/kin-openapi/openapi2conv"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/flow"
	"github.com/apicenter/apicenter/internal/gateway/issuertest"
)

// The swag input's templates, as get-settings --swag_alias and
// --swag_api_scopes render them.
var (
	swagAliasTemplate     = filepath.Join("..", "..", "inputs", "templates", "swag", "alias.json")
	swagAPIScopesTemplate = filepath.Join("..", "..", "inputs", "templates", "swag", "api-scopes.yaml")
)

// swagValues are realistic values of an Okta org for the templates.
var swagValues = map[string]string{
	"AUTH_SERVER_NAME":   "solar system API",
	"AUTH_SERVER.issuer": "https://dev-123456.okta.com/oauth2/aus8x2kq1tGZ3mVqW5d7",
	"AUDIENCE":           "api://solarsystem",
	"SILVER_SCOPE":       "http://myapp.com/scp/silver",
	"GOLD_SCOPE":         "http://myapp.com/scp/gold",
	"UPSTREAM_URI":       "https://solar-system.example.com",
	"WEB_APP_LABEL":      "solar system web app",
	"WEB_APP.clientId":   "0oa8x2kq1tGZ3mVqW5d7",
}

// renderSwag renders a template file with values.
func renderSwag(t *testing.T, file string, values map[string]string) []byte {
	t.Helper()
	return renderTemplate(t, file, values)
}

// swagAliasSchema is the JSON Schema of an authorization-server alias, made
// from API Gateway's Swagger 2.0 file (testdata/swag/APIGatewayAlias.json):
// loaded by kin-openapi's openapi2, converted to OpenAPI 3 by openapi2conv,
// its definitions turned into the $defs of a JSON Schema, AuthServerAlias's
// allOf (Alias and its own properties) flattened into one object, and every
// object closed (additionalProperties false), so that a misspelt or unknown
// key is refused, not ignored.
func swagAliasSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("testdata", "swag", "APIGatewayAlias.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v2 openapi2.T
	if err := json.Unmarshal(raw, &v2); err != nil {
		t.Fatalf("APIGatewayAlias.json: %v", err)
	}
	if v2.Swagger != "2.0" || v2.Definitions["AuthServerAlias"] == nil {
		t.Fatalf("APIGatewayAlias.json: swagger %q, no AuthServerAlias", v2.Swagger)
	}
	v3, err := openapi2conv.ToV3(&v2)
	if err != nil {
		t.Fatalf("APIGatewayAlias.json: to OpenAPI 3: %v", err)
	}
	defs := map[string]any{}
	for name, s := range v3.Components.Schemas {
		b, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		b = bytes.ReplaceAll(b, []byte("#/components/schemas/"), []byte("#/$defs/"))
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		delete(m, "discriminator")
		defs[name] = m
	}
	for name, d := range defs {
		defs[name] = flattenAllOf(t, defs, d.(map[string]any))
	}
	closeObjects(defs)
	root := map[string]any{
		"$schema": "https://json-schema.org/draft/2020-12/schema",
		"$ref":    "#/$defs/AuthServerAlias",
		"$defs":   defs,
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("swag-alias.schema.json", root); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile("swag-alias.schema.json")
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// flattenAllOf merges the properties of an allOf's members (referenced or
// inline) into one object schema.
func flattenAllOf(t *testing.T, defs map[string]any, s map[string]any) map[string]any {
	all, ok := s["allOf"].([]any)
	if !ok {
		return s
	}
	props := map[string]any{}
	for _, m := range all {
		member := m.(map[string]any)
		if ref, ok := member["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/$defs/")
			d, ok := defs[name].(map[string]any)
			if !ok {
				t.Fatalf("allOf: %s is not a definition", ref)
			}
			member = flattenAllOf(t, defs, d)
		}
		own, _ := member["properties"].(map[string]any)
		for k, v := range own {
			props[k] = v
		}
	}
	return map[string]any{"type": "object", "properties": props}
}

// closeObjects sets additionalProperties false on every schema with
// properties that says nothing about others.
func closeObjects(v any) {
	switch v := v.(type) {
	case map[string]any:
		if _, ok := v["properties"]; ok {
			if _, set := v["additionalProperties"]; !set {
				v["additionalProperties"] = false
			}
		}
		for _, x := range v {
			closeObjects(x)
		}
	case []any:
		for _, x := range v {
			closeObjects(x)
		}
	}
}

// validateSwagAlias validates an alias body against the schema.
func validateSwagAlias(s *jsonschema.Schema, body []byte) error {
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(body))
	if err != nil {
		return err
	}
	return s.Validate(inst)
}

// TestSwagAliasValidates: the rendered alias is an AuthServerAlias as API
// Gateway's REST API defines it, and each way of breaking it is refused.
func TestSwagAliasValidates(t *testing.T) {
	s := swagAliasSchema(t)
	doc := string(renderSwag(t, swagAliasTemplate, swagValues))
	if err := validateSwagAlias(s, []byte(doc)); err != nil {
		t.Fatalf("the rendered alias: %v\n%s", err, doc)
	}
	tests := []struct{ name, old, new string }{
		{"not JSON", `"type": "authServerAlias",`, `"type": "authServerAlias"`},
		{"another alias type", `"type": "authServerAlias"`, `"type": "authorizationServerAlias"`},
		{"authServerType not one of the three", `"authServerType": "EXTERNAL"`, `"authServerType": "OKTA"`},
		{"jwksuri misspelt", `"jwksuri"`, `"jwksUri"`},
		{"issuer misspelt", `"issuer":`, `"iss":`},
		{"an unknown key", `"discoveryURL"`, `"discoveryUrl"`},
		{"a scope's name not a string", `"name": "http://myapp.com/scp/gold"`, `"name": ["http://myapp.com/scp/gold"]`},
		{"a scope with an unknown key", `"description": "Gold scope (GET /moons)"`, `"audience": "api://solarsystem"`},
		{"grant types not a list", `"supportedGrantTypes": ["authorization_code"]`, `"supportedGrantTypes": "authorization_code"`},
		{"metadata misspelt", `"accessTokenURL"`, `"tokenURL"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(doc, tt.old) {
				t.Fatalf("the rendered alias has no %q", tt.old)
			}
			if err := validateSwagAlias(s, []byte(strings.Replace(doc, tt.old, tt.new, 1))); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// swagArtifacts are the two rendered templates, as the demo loads them.
func swagArtifacts(t *testing.T, values map[string]string) []Artifact {
	return []Artifact{
		{Name: "alias.json", Data: renderSwag(t, swagAliasTemplate, values)},
		{Name: "api-scopes.yaml", Data: renderSwag(t, swagAPIScopesTemplate, values)},
	}
}

// TestSwagLoads: the rendered templates load into what the profile
// emulates, in either order.
func TestSwagLoads(t *testing.T) {
	files := swagArtifacts(t, swagValues)
	for _, order := range [][]Artifact{files, {files[1], files[0]}} {
		c, err := loadSwag(order)
		if err != nil {
			t.Fatal(err)
		}
		if c.Profile != "swag" || c.Mode != ModeJWT || c.Issuer != swagValues["AUTH_SERVER.issuer"] ||
			c.JWKSURL != swagValues["AUTH_SERVER.issuer"]+"/v1/keys" || c.Audience != "api://solarsystem" || c.Upstream != swagValues["UPSTREAM_URI"] {
			t.Errorf("loaded %+v", c)
		}
		want := []Route{
			{Method: "GET", Path: "/planets", Scopes: []string{silver}},
			{Method: "GET", Path: "/moons", Scopes: []string{gold}},
			{Method: "GET", Path: "/asteroids"},
		}
		if len(c.Routes) != len(want) {
			t.Fatalf("routes %+v", c.Routes)
		}
		for i, r := range c.Routes {
			if r.Method != want[i].Method || r.Path != want[i].Path || !slices.Equal(r.Scopes, want[i].Scopes) ||
				r.Extra != (swagRoute{API: "SolarSystem", ClientID: swagValues["WEB_APP.clientId"]}) {
				t.Errorf("routes[%d] = %+v, want %+v", i, r, want[i])
			}
		}
	}
}

// TestSwagLoadErrors: what the profile cannot emulate is one line naming
// the file and the key.
func TestSwagLoadErrors(t *testing.T) {
	files := swagArtifacts(t, swagValues)
	alias, scopes := string(files[0].Data), string(files[1].Data)
	tests := []struct {
		name           string
		file           int // 0: the alias, 1: api-scopes.yaml
		old, new, want string
	}{
		{"alias not JSON", 0, `"type": "authServerAlias",`, `"type": "authServerAlias"`, "alias.json: invalid character"},
		{"another alias type", 0, `"type": "authServerAlias"`, `"type": "endpoint"`, `alias.json: type: "endpoint" is not authServerAlias`},
		{"the local authorization server", 0, `"EXTERNAL"`, `"LOCAL_IS"`, `alias.json: authServerType: "LOCAL_IS" is not EXTERNAL`},
		{"no jwksuri", 0, `"jwksuri"`, `"jwks_uri"`, "alias.json: localIntrospectionConfig.jwksuri: missing"},
		{"no introspection", 0, `"localIntrospectionConfig"`, `"introspection"`, "alias.json: localIntrospectionConfig (issuer, jwksuri) or remoteIntrospectionConfig"},
		{"another alias", 1, `authServerAlias: "solar system API"`, `authServerAlias: "okta"`, `api-scopes.yaml: authServerAlias: "okta", but the alias in alias.json is "solar system API"`},
		{"a scope the alias does not have", 1, `authServerScopes: ["http://myapp.com/scp/gold"]`, `authServerScopes: ["gold"]`, `api-scopes.yaml: apiScopes[1].authServerScopes[0]: "gold" is not a scope of the alias "solar system API" (alias.json)`},
		{"an API scope mapped to nothing", 1, `authServerScopes: ["http://myapp.com/scp/gold"]`, `authServerScopes: []`, "api-scopes.yaml: apiScopes[1].authServerScopes: none"},
		{"a resource in two API scopes", 1, "{path: /moons, methods: [GET]}", "{path: /planets, methods: [GET]}", "api-scopes.yaml: apiScopes[1].resources[0]: GET /planets is already in apiScopes[0].resources[0]"},
		{"a resource without methods", 1, "{path: /asteroids, methods: [GET]}", "{path: /asteroids}", "api-scopes.yaml: resources[0].methods: none"},
		{"an unknown key", 1, "nativeEndpoint:", "endpoint:", `api-scopes.yaml:11:1: unknown key "endpoint" (valid keys: api, apiScopes, application, audience, authServerAlias, nativeEndpoint, resources)`},
		{"no audience", 1, `audience: "api://solarsystem"`, "", "api-scopes.yaml: audience: missing"},
		{"no application", 1, `clientId: "0oa8x2kq1tGZ3mVqW5d7"`, "", "api-scopes.yaml: application.clientId: missing"},
		{"a native endpoint that is no URL", 1, `nativeEndpoint: "https://solar-system.example.com"`, `nativeEndpoint: "solar-system"`, "api-scopes.yaml: nativeEndpoint:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			docs := []string{alias, scopes}
			if !strings.Contains(docs[tt.file], tt.old) {
				t.Fatalf("the rendered file has no %q", tt.old)
			}
			docs[tt.file] = strings.Replace(docs[tt.file], tt.old, tt.new, 1)
			_, err := loadSwag([]Artifact{{Name: "alias.json", Data: []byte(docs[0])}, {Name: "api-scopes.yaml", Data: []byte(docs[1])}})
			if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %v, want one line with %q", err, tt.want)
			}
		})
	}
	t.Run("one file", func(t *testing.T) {
		if _, err := loadSwag(files[:1]); err == nil || !strings.Contains(err.Error(), "want two files") {
			t.Errorf("error %v", err)
		}
	})
	t.Run("two aliases", func(t *testing.T) {
		if _, err := loadSwag([]Artifact{files[0], files[0]}); err == nil || !strings.Contains(err.Error(), "alias.json: a second alias") {
			t.Errorf("error %v", err)
		}
	})
}

// newSwagGateway serves the gateway loaded, as the swag profile, from the
// templates rendered for the test issuer (audience api://test) and
// upstream.
func newSwagGateway(t *testing.T, as *authServer, up string) string {
	t.Helper()
	vals := map[string]string{"AUTH_SERVER_NAME": "test AS", "AUTH_SERVER.issuer": as.issuer(), "AUDIENCE": "api://test",
		"SILVER_SCOPE": silver, "GOLD_SCOPE": gold, "UPSTREAM_URI": up, "WEB_APP_LABEL": "test app", "WEB_APP.clientId": "0oaapp"}
	dir := t.TempDir()
	var paths []string
	for _, f := range swagArtifacts(t, vals) {
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	c, err := LoadArtifacts(swagProfile(), paths)
	if err != nil {
		t.Fatal(err)
	}
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return newServer(t, g)
}

// swagException is API Gateway's error body for a request to path.
func swagException(message, path string) string {
	b, _ := json.Marshal(map[string]string{"Exception": "API Gateway encountered an error. Error Message:  " + message +
		". Request Details: Service - SolarSystem, Operation - " + path})
	return string(b)
}

// TestSwagProfileAnswers: the swag profile checks tokens and the scope
// mapping as API Gateway does, and answers as it does.
func TestSwagProfileAnswers(t *testing.T) {
	as := newAuthServer(t)
	up := newUpstream(t)
	gw := newSwagGateway(t, as, up.srv.URL)
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
	invalid := func(why, path string) string {
		return swagException("Unable to validate the access token. "+why, path)
	}
	tests := []struct {
		name, path, auth string
		status           int
		body             string
	}{
		{"no token", "/planets", "", 401, swagException("Unauthorized application request. The access token is missing", "/planets")},
		{"Basic credentials", "/planets", "Basic c2lsdmVyOnB3", 401, ""},
		{"silver, planets", "/planets", "Bearer " + silverTok, 200, `{"path":"/planets"}`},
		{"silver, moons", "/moons", "Bearer " + silverTok, 403, swagException("The access token does not have the scope to access the resource. It needs one of: "+gold, "/moons")},
		{"gold, moons", "/moons", "Bearer " + goldTok, 200, `{"path":"/moons"}`},
		{"gold only, moons", "/moons", "Bearer " + as.Sign(as.claims(gold)), 200, `{"path":"/moons"}`},
		{"gold only, planets", "/planets", "Bearer " + as.Sign(as.claims(gold)), 403, ""},
		{"any valid token, asteroids", "/asteroids", "Bearer " + as.Sign(as.claims()), 200, `{"path":"/asteroids"}`},
		{"the scope in a scope string only", "/planets", "Bearer " + as.Sign(with(as.claims(), map[string]any{"scope": silver}, "scp")), 200, `{"path":"/planets"}`},
		{"another audience", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"aud": "api://other"})), 401, ""},
		{"one of several audiences", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"aud": []string{"api://other", "api://test"}})), 200, `{"path":"/asteroids"}`},
		{"no aud", "/asteroids", "Bearer " + as.Sign(with(as.claims(), nil, "aud")), 401, ""},
		{"expired", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"exp": time.Now().Add(-time.Minute).Unix(), "iat": time.Now().Add(-time.Hour).Unix()})), 401, invalid("The access token has expired", "/asteroids")},
		{"Bearer and nothing", "/planets", "Bearer ", 401, ""},
		{"no exp", "/asteroids", "Bearer " + as.Sign(with(as.claims(), nil, "exp")), 401, ""},
		{"issuer in another case", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"iss": strings.ToUpper(as.issuer())})), 401, ""},
		{"another key", "/asteroids", "Bearer " + as.mint(as.claims(), issuertest.NewKey(t), "forged"), 401, ""},
		{"another key under the issuer's kid", "/asteroids", "Bearer " + as.mint(as.claims(), issuertest.NewKey(t), as.kid), 401, invalid("The access token is invalid", "/asteroids")},
		{"alg none", "/asteroids", "Bearer " + as.mintNone(as.claims()), 401, ""},
		{"not a JWT", "/asteroids", "Bearer not.a.jwt", 401, ""},
		{"no such resource", "/comets", "Bearer " + goldTok, 404, "404 Not Found"},
		{"another client", "/planets", "Bearer " + as.Sign(with(as.claims(silver), map[string]any{"cid": "0oaother"})), 401,
			swagException("Unauthorized application request. The token's client is not an application registered with the API", "/planets")},
		{"the client in client_id", "/planets", "Bearer " + as.Sign(with(as.claims(silver), map[string]any{"client_id": "0oaapp"}, "cid")), 200, `{"path":"/planets"}`},
		{"no client", "/asteroids", "Bearer " + as.Sign(with(as.claims(), nil, "cid")), 401, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, body := get(t, gw+tt.path, tt.auth)
			resp := &httpResponse{r.StatusCode, r.Header.Get("Content-Type"), r.Header.Get("WWW-Authenticate"), body}
			if resp.status != tt.status || tt.body != "" && strings.TrimSpace(resp.body) != tt.body {
				t.Errorf("%d %s, want %d %s", resp.status, resp.body, tt.status, tt.body)
			}
			if resp.challenge != "" {
				t.Errorf("www-authenticate %q, want none", resp.challenge)
			}
			switch {
			case tt.status == 200:
				if got := up.lastHeader().Get(SubjectHeader); got != "silver@example.com" {
					t.Errorf("the upstream got subject %q", got)
				}
			case tt.status == 401 || tt.status == 403:
				var e struct{ Exception string }
				if resp.contentType != "application/json" || json.Unmarshal([]byte(resp.body), &e) != nil ||
					!strings.HasPrefix(e.Exception, "API Gateway encountered an error. Error Message:  ") ||
					!strings.HasSuffix(e.Exception, ". Request Details: Service - SolarSystem, Operation - "+tt.path) {
					t.Errorf("%s %q is not API Gateway's error", resp.contentType, resp.body)
				}
			}
		})
	}
	t.Run("a method the API scope does not have", func(t *testing.T) {
		req, err := http.NewRequest(http.MethodPost, gw+"/planets", nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+goldTok)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("POST /planets: %d, want 404", resp.StatusCode)
		}
	})
}

// httpResponse is what the swag tests look at in an answer.
type httpResponse struct {
	status                       int
	contentType, challenge, body string
}

// TestSwagFailures: keys that cannot be fetched refuse the token (401), a
// native endpoint that does not answer is 500 [u].
func TestSwagFailures(t *testing.T) {
	t.Run("issuer down", func(t *testing.T) {
		as := newAuthServer(t)
		gw := newSwagGateway(t, as, newUpstream(t).srv.URL)
		tok := as.Sign(as.claims(silver))
		as.srv.Close()
		resp, body := get(t, gw+"/planets", "Bearer "+tok)
		if want := swagException("Unable to validate the access token. The keys of the authorization server could not be fetched", "/planets"); resp.StatusCode != 401 || strings.TrimSpace(body) != want {
			t.Errorf("%d %s, want 401 %s", resp.StatusCode, body, want)
		}
	})
	t.Run("native endpoint down", func(t *testing.T) {
		as := newAuthServer(t)
		up := newUpstream(t)
		gw := newSwagGateway(t, as, up.srv.URL)
		up.srv.Close()
		resp, body := get(t, gw+"/planets", "Bearer "+as.Sign(as.claims(silver)))
		if want := `{"Exception":"API Gateway encountered an error. Error Message:  Native service provider error. Request Details: Operation - /planets"}`; resp.StatusCode != 500 || strings.TrimSpace(body) != want {
			t.Errorf("%d %s, want 500 %s", resp.StatusCode, body, want)
		}
	})
}

// TestSwagWithLocalOrgTokens runs the swag input's flow on the local org
// (bootstrap --swag), validates the alias rendered from the recorded
// objects, loads it and the API's scopes into the swag profile, and sends
// real tokens of the org's users: silver gets /planets and is refused
// /moons, gold gets both; no token, a forged token and an expired one get
// API Gateway's answers.
func TestSwagWithLocalOrgTokens(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	up := newUpstream(t)
	fl, err := flow.New("swag")
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
	if art.Profile != "swag" || len(art.Artifacts) != 2 || art.Artifacts[0].Name != "alias.json" || art.Artifacts[1].Name != "api-scopes.yaml" {
		t.Fatalf("the demo's gateway: profile %q, %d artifacts", art.Profile, len(art.Artifacts))
	}
	if err := validateSwagAlias(swagAliasSchema(t), art.Artifacts[0].Data); err != nil {
		t.Fatalf("the rendered alias: %v\n%s", err, art.Artifacts[0].Data)
	}
	dir := t.TempDir()
	var paths []string
	for _, a := range art.Artifacts {
		p := filepath.Join(dir, a.Name)
		if err := os.WriteFile(p, a.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	serve := func(now func() time.Time) string {
		c, err := LoadArtifacts(swagProfile(), paths)
		if err != nil {
			t.Fatal(err)
		}
		if c.Issuer != app["ISSUER"] || c.JWKSURL != app["ISSUER"]+"/v1/keys" || c.Audience != app["AUDIENCE"] || c.Upstream != up.srv.URL {
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
		body, subject              string
	}{
		{name: "silver, planets", gateway: gw, path: "/planets", token: silverTok, status: 200, subject: app["SILVER_USERNAME"]},
		{name: "silver, moons", gateway: gw, path: "/moons", token: silverTok, status: 403,
			body: swagException("The access token does not have the scope to access the resource. It needs one of: "+app["GOLD_SCOPE"], "/moons")},
		{name: "silver, asteroids", gateway: gw, path: "/asteroids", token: silverTok, status: 200, subject: app["SILVER_USERNAME"]},
		{name: "gold, planets", gateway: gw, path: "/planets", token: goldTok, status: 200, subject: app["GOLD_USERNAME"]},
		{name: "gold, moons", gateway: gw, path: "/moons", token: goldTok, status: 200, subject: app["GOLD_USERNAME"]},
		{name: "no token", gateway: gw, path: "/planets", status: 401,
			body: swagException("Unauthorized application request. The access token is missing", "/planets")},
		{name: "forged", gateway: gw, path: "/planets", token: forged, status: 401,
			body: swagException("Unable to validate the access token. The access token is invalid", "/planets")},
		{name: "expired", gateway: later, path: "/planets", token: goldTok, status: 401,
			body: swagException("Unable to validate the access token. The access token has expired", "/planets")},
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
			if tt.status == 200 {
				if got := up.lastHeader().Get(SubjectHeader); got != tt.subject {
					t.Errorf("the upstream saw subject %q, want %q", got, tt.subject)
				}
			}
		})
	}
}

// TestSwagRemoteIntrospection: an alias with remote introspection (RFC
// 7662) instead of local introspection has each token introspected with
// the client of remoteIntrospectionConfig, its secret from
// INTROSPECTION_CLIENT_SECRET.
func TestSwagRemoteIntrospection(t *testing.T) {
	as := newAuthServer(t)
	up := newUpstream(t)
	vals := map[string]string{"AUTH_SERVER_NAME": "test AS", "AUTH_SERVER.issuer": as.issuer(), "AUDIENCE": "api://test",
		"SILVER_SCOPE": silver, "GOLD_SCOPE": gold, "UPSTREAM_URI": up.srv.URL, "WEB_APP_LABEL": "test app", "WEB_APP.clientId": "0oaapp"}
	files := swagArtifacts(t, vals)
	local := `"localIntrospectionConfig": {
    "issuer": "` + as.issuer() + `",
    "jwksuri": "` + as.issuer() + `/v1/keys"
  }`
	remote := `"remoteIntrospectionConfig": {
    "introspectionEndpoint": "` + as.issuer() + `/v1/introspect",
    "clientId": "` + as.clientID + `"
  }`
	if !bytes.Contains(files[0].Data, []byte(local)) {
		t.Fatalf("the rendered alias has no %s", local)
	}
	files[0].Data = bytes.Replace(files[0].Data, []byte(local), []byte(remote), 1)
	if err := validateSwagAlias(swagAliasSchema(t), files[0].Data); err != nil {
		t.Fatalf("the alias with remote introspection: %v", err)
	}

	t.Setenv(DefaultClientSecretEnv, "")
	if _, err := loadSwag(files); err == nil || !strings.Contains(err.Error(), "alias.json: remoteIntrospectionConfig.clientSecret: environment variable INTROSPECTION_CLIENT_SECRET is not set") {
		t.Errorf("without the secret: %v", err)
	}
	t.Setenv(DefaultClientSecretEnv, as.secret)
	c, err := loadSwag(files)
	if err != nil {
		t.Fatal(err)
	}
	if c.Mode != ModeIntrospect || c.Introspection.URL != as.issuer()+"/v1/introspect" || c.Introspection.ClientID != as.clientID || c.Issuer != as.issuer() {
		t.Fatalf("loaded %+v", c)
	}
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	gw := newServer(t, g)
	silverTok := as.Sign(as.claims("openid", silver))
	revoked := as.Sign(as.claims("openid", silver))
	as.revoke(revoked)
	tests := []struct {
		name, path, token string
		status            int
	}{
		{"silver, planets", "/planets", silverTok, 200},
		{"silver, moons", "/moons", silverTok, 403},
		{"revoked", "/planets", revoked, 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if resp, body := get(t, gw+tt.path, "Bearer "+tt.token); resp.StatusCode != tt.status {
				t.Errorf("%d %s, want %d", resp.StatusCode, body, tt.status)
			}
		})
	}
}
