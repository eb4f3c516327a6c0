package gateway

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/flow"
	"github.com/apicenter/apicenter/internal/gateway/issuertest"
)

// tykTemplates are the tyk input's templates, as get-settings --tyk_api
// and --tyk_policies render them.
var (
	tykAPITemplate      = filepath.Join("..", "..", "inputs", "templates", "tyk", "api.json")
	tykPoliciesTemplate = filepath.Join("..", "..", "inputs", "templates", "tyk", "policies.json")
)

// tykValues are realistic values of an Okta org for the templates.
var tykValues = map[string]string{
	"AUTH_SERVER.issuer": "https://dev-123456.okta.com/oauth2/aus8x2kq1tGZ3mVqW5d7",
	"SILVER_SCOPE":       "http://myapp.com/scp/silver",
	"GOLD_SCOPE":         "http://myapp.com/scp/gold",
	"UPSTREAM_URI":       "https://solar-system.example.com",
}

// renderTyk renders a template with values, as get-settings does.
func renderTyk(t testing.TB, path string, values map[string]string) []byte {
	t.Helper()
	return renderTemplate(t, path, values)
}

// tykArtifacts are the rendered API definition and policies.
func tykArtifacts(t testing.TB, values map[string]string) []Artifact {
	return []Artifact{
		{Name: "api.json", Data: renderTyk(t, tykAPITemplate, values)},
		{Name: "policies.json", Data: renderTyk(t, tykPoliciesTemplate, values)},
	}
}

// tykValidator validates the artifacts offline: the API definition against
// Tyk's own schema of classic API definitions (testdata/tyk/README.md), the
// policies by a strict decoding into the fields of Tyk's user.Policy.
type tykValidator struct {
	apidef *jsonschema.Schema
}

func newTykValidator(t testing.TB) *tykValidator {
	t.Helper()
	path := filepath.Join("testdata", "tyk", "apidef.schema.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	// The schema's "id"s are a generator's leftovers (http://jsonschema.net/
	// name twice, ...): Tyk's validator (gojsonschema) ignores them, a
	// draft-04 validator takes them as base URIs and refuses the
	// duplicates. Drop them here (the file is as Tyk publishes it).
	var dropIDs func(v any)
	dropIDs = func(v any) {
		switch t := v.(type) {
		case map[string]any:
			if _, ok := t["id"].(string); ok {
				delete(t, "id")
			}
			for _, e := range t {
				dropIDs(e)
			}
		case []any:
			for _, e := range t {
				dropIDs(e)
			}
		}
	}
	dropIDs(doc)
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(abs, doc); err != nil {
		t.Fatal(err)
	}
	s, err := c.Compile(abs)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &tykValidator{apidef: s}
}

// tykPolicyFields are the JSON fields of Tyk's user.Policy, and of its
// access rights (user.AccessDefinition, user.AccessSpec), the template
// may use.
type tykPolicyFields struct {
	MID                string  `json:"_id"`
	ID                 string  `json:"id"`
	Name               string  `json:"name"`
	OrgID              string  `json:"org_id"`
	Rate               float64 `json:"rate"`
	Per                float64 `json:"per"`
	QuotaMax           int64   `json:"quota_max"`
	QuotaRenewalRate   int64   `json:"quota_renewal_rate"`
	ThrottleInterval   float64 `json:"throttle_interval"`
	ThrottleRetryLimit int     `json:"throttle_retry_limit"`
	MaxQueryDepth      int     `json:"max_query_depth"`
	AccessRights       map[string]struct {
		APIName     string   `json:"api_name"`
		APIID       string   `json:"api_id"`
		Versions    []string `json:"versions"`
		AllowedURLs []struct {
			URL     string   `json:"url"`
			Methods []string `json:"methods"`
		} `json:"allowed_urls"`
	} `json:"access_rights"`
	HMACEnabled  bool           `json:"hmac_enabled"`
	Active       bool           `json:"active"`
	IsInactive   bool           `json:"is_inactive"`
	Tags         []string       `json:"tags"`
	KeyExpiresIn int64          `json:"key_expires_in"`
	MetaData     map[string]any `json:"meta_data"`
}

func (v *tykValidator) validateAPI(data []byte) error {
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("API definition: %v", err)
	}
	if err := v.apidef.Validate(doc); err != nil {
		return fmt.Errorf("API definition schema: %v", err)
	}
	return nil
}

func (v *tykValidator) validatePolicies(data []byte) error {
	var top map[string]json.RawMessage
	if err := json.Unmarshal(data, &top); err != nil {
		return fmt.Errorf("policies: %v", err)
	}
	for id, raw := range top {
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		var p tykPolicyFields
		if err := dec.Decode(&p); err != nil {
			return fmt.Errorf("policies: %s: %v", id, err)
		}
	}
	return nil
}

// TestTykArtifactsValidate: the rendered API definition is one Tyk's
// schema accepts and the policies decode into Tyk's policy fields; a broken
// one is caught.
func TestTykArtifactsValidate(t *testing.T) {
	v := newTykValidator(t)
	files := tykArtifacts(t, tykValues)
	api, pols := string(files[0].Data), string(files[1].Data)
	if err := v.validateAPI([]byte(api)); err != nil {
		t.Fatalf("the rendered API definition: %v", err)
	}
	if err := v.validatePolicies([]byte(pols)); err != nil {
		t.Fatalf("the rendered policies: %v", err)
	}
	tests := []struct {
		name, old, new string
		policies       bool
	}{
		{name: "a misspelt field", old: `"enable_jwt"`, new: `"enable_jwts"`},
		{name: "the default policies not a list", old: `"jwt_default_policies": ["solar-system-asteroids"]`, new: `"jwt_default_policies": "solar-system-asteroids"`},
		{name: "enable_jwt not a boolean", old: `"enable_jwt": true`, new: `"enable_jwt": "true"`},
		{name: "no target_url", old: `"target_url"`, new: `"target"`},
		{name: "no versions", old: `"versions": {`, new: `"version": {`},
		{name: "no name", old: `"name": "solar system",`, new: ``},
		{name: "a misspelt policy field", old: `"allowed_urls"`, new: `"allowed_paths"`, policies: true},
		{name: "methods not a list", old: `"methods": ["GET"]`, new: `"methods": "GET"`, policies: true},
		{name: "rate not a number", old: `"rate": 1000`, new: `"rate": "1000"`, policies: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			doc, check := api, v.validateAPI
			if tt.policies {
				doc, check = pols, v.validatePolicies
			}
			if !strings.Contains(doc, tt.old) {
				t.Fatalf("the template has no %q", tt.old)
			}
			if err := check([]byte(strings.Replace(doc, tt.old, tt.new, 1))); err == nil {
				t.Error("accepted")
			}
		})
	}
}

// TestTykLoad: the rendered artifacts load into what the tyk profile
// emulates: the upstream, the JWKS URL and no issuer, the listen path
// stripped, a route per allowed path and method and one for the rest of
// the listen path.
func TestTykLoad(t *testing.T) {
	c, err := LoadProfile(tykProfile(), tykArtifacts(t, tykValues), func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if c.Upstream != tykValues["UPSTREAM_URI"] || c.Issuer != "" || c.JWKSURL != tykValues["AUTH_SERVER.issuer"]+"/v1/keys" ||
		c.Mode != ModeJWT || c.StripPrefix != "/solar-system" {
		t.Errorf("upstream %s, issuer %q, JWKS %s, mode %s, strip %q", c.Upstream, c.Issuer, c.JWKSURL, c.Mode, c.StripPrefix)
	}
	var got []string
	for _, r := range c.Routes {
		got = append(got, strings.TrimSpace(r.Method+" "+r.Path+" "+strings.Join(r.Scopes, ",")))
	}
	s, g := tykValues["SILVER_SCOPE"], tykValues["GOLD_SCOPE"]
	want := []string{
		"GET /solar-system/asteroids " + g + "," + s, "GET /solar-system/asteroids/ " + g + "," + s,
		"HEAD /solar-system/asteroids", "HEAD /solar-system/asteroids/",
		"GET /solar-system/moons " + g, "GET /solar-system/moons/ " + g,
		"HEAD /solar-system/moons", "HEAD /solar-system/moons/",
		"GET /solar-system/planets " + g + "," + s, "GET /solar-system/planets/ " + g + "," + s,
		"HEAD /solar-system/planets", "HEAD /solar-system/planets/",
		"/solar-system/",
	}
	if !slices.Equal(got, want) {
		t.Errorf("routes:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	api := c.Routes[0].Extra.(tykRoute).API
	if api.ScopeClaim != "scp" || api.IdentityField != "sub" || !slices.Equal(api.Defaults, []string{"solar-system-asteroids"}) ||
		api.ScopeToPolicy[s] != "solar-system-silver" || api.ScopeToPolicy[g] != "solar-system-gold" {
		t.Errorf("API: %+v", api)
	}
}

// TestTykLoadRefuses: what the profile cannot emulate faithfully, and
// mistakes Tyk would only show as refused requests, are errors naming the
// file and the field.
func TestTykLoadRefuses(t *testing.T) {
	files := tykArtifacts(t, tykValues)
	api, pols := string(files[0].Data), string(files[1].Data)
	pem := base64.StdEncoding.EncodeToString([]byte("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----\n"))
	b64url := base64.StdEncoding.EncodeToString([]byte(tykValues["AUTH_SERVER.issuer"] + "/v1/keys"))
	tests := []struct {
		name, old, new string
		policies       bool
		want           string // "" loads
	}{
		{name: "the JWKS URL in base64", old: `"jwt_source": "` + tykValues["AUTH_SERVER.issuer"] + `/v1/keys"`, new: `"jwt_source": "` + b64url + `"`},
		{name: "a PEM", old: `"jwt_source": "` + tykValues["AUTH_SERVER.issuer"] + `/v1/keys"`, new: `"jwt_source": "` + pem + `"`, want: "api.json: jwt_source: a base64 PEM or secret is not emulated"},
		{name: "no jwt_source", old: `"jwt_source"`, new: `"jwt_sourc"`, want: "api.json: jwt_source: missing"},
		{name: "hmac", old: `"jwt_signing_method": "rsa"`, new: `"jwt_signing_method": "hmac"`, want: `api.json: jwt_signing_method: "hmac": the tyk profile emulates rsa`},
		{name: "keyless", old: `"use_keyless": false`, new: `"use_keyless": true`, want: "api.json: use_keyless: true"},
		{name: "JWT off", old: `"enable_jwt": true`, new: `"enable_jwt": false`, want: "api.json: enable_jwt: not true"},
		{name: "another auth method", old: `"enable_jwt": true`, new: `"enable_jwt": true, "use_standard_auth": true`, want: "api.json: use_standard_auth: true: the tyk profile emulates JWT auth alone"},
		{name: "versioned", old: `"not_versioned": true`, new: `"not_versioned": false`, want: "api.json: version_data.not_versioned: not true"},
		{name: "another header", old: `"auth_header_name": "Authorization"`, new: `"auth_header_name": "X-Token"`, want: `api.json: auth.auth_header_name: "X-Token"`},
		{name: "a skew", old: `"enable_jwt": true`, new: `"enable_jwt": true, "jwt_expires_at_validation_skew": 30`, want: "api.json: jwt_*_validation_skew"},
		{name: "no target", old: `"target_url": "https://solar-system.example.com"`, new: `"target_url": ""`, want: "api.json: proxy.target_url"},
		{name: "a mapped policy missing", old: `"solar-system-gold"` + "\n", new: `"solar-system-platinum"` + "\n", want: `profile tyk: the API definition names the policy "solar-system-platinum", which no policies file holds`},
		{name: "a default policy missing", old: `["solar-system-asteroids"]`, new: `["solar-system-base"]`, want: `names the policy "solar-system-base"`},
		{name: "the old top-level mapping", old: `"scopes": {`, new: `"jwt_scope_claim_name": "scp", "jwt_scope_to_policy_mapping": {"x": "solar-system-nope"}, "scope": {`, want: `names the policy "solar-system-nope"`},
		{name: "a policy of another org", old: `"org_id": "default",` + "\n    \"active\": true,\n    \"rate\": 1000,\n    \"per\": 1,\n    \"quota_max\": -1,\n    \"quota_renewal_rate\": -1,\n    \"throttle_interval\": -1,\n    \"throttle_retry_limit\": -1,\n    \"key_expires_in\": 0,\n    \"access_rights\": {\n      \"solar-system\": {\n        \"api_id\": \"solar-system\",\n        \"api_name\": \"solar system\",\n        \"versions\": [\"Default\"],\n        \"allowed_urls\": [\n          {\"url\": \"/moons\"", new: `"org_id": "5e9d9544a1dcd60001d0ed20",` + "\n    \"active\": true,\n    \"rate\": 1000,\n    \"per\": 1,\n    \"quota_max\": -1,\n    \"quota_renewal_rate\": -1,\n    \"throttle_interval\": -1,\n    \"throttle_retry_limit\": -1,\n    \"key_expires_in\": 0,\n    \"access_rights\": {\n      \"solar-system\": {\n        \"api_id\": \"solar-system\",\n        \"api_name\": \"solar system\",\n        \"versions\": [\"Default\"],\n        \"allowed_urls\": [\n          {\"url\": \"/moons\"", policies: true, want: `policies.json: policy solar-system-gold: org_id "5e9d9544a1dcd60001d0ed20" is not the API's "default"`},
		{name: "a regular expression", old: `{"url": "/moons"`, new: `{"url": "/moons/.*"`, policies: true, want: `policies.json: policy solar-system-gold: access_rights.solar-system.allowed_urls[0].url: "/moons/.*" is not a plain path`},
		{name: "no methods", old: `{"url": "/moons", "methods": ["GET"]}`, new: `{"url": "/moons", "methods": []}`, policies: true, want: "allowed_urls[0].methods: none"},
		{name: "an id that is not the key", old: `"id": "solar-system-silver"`, new: `"id": "silver"`, policies: true, want: `policies.json: policy solar-system-silver: id "silver" differs from its key`},
		{name: "not JSON", old: `"solar-system-gold": {`, new: `"solar-system-gold": {,`, policies: true, want: "policies.json: line 49: invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a, p := api, pols
			doc := &a
			if tt.policies {
				doc = &p
			}
			if !strings.Contains(*doc, tt.old) {
				t.Fatalf("the template has no %q", tt.old)
			}
			*doc = strings.Replace(*doc, tt.old, tt.new, 1)
			_, err := loadTyk([]Artifact{{Name: "api.json", Data: []byte(a)}, {Name: "policies.json", Data: []byte(p)}})
			switch {
			case tt.want == "" && err != nil:
				t.Errorf("error %v, want none", err)
			case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
				t.Errorf("error %v\nwant %q", err, tt.want)
			}
		})
	}
	for _, tt := range []struct {
		name  string
		files []Artifact
		want  string
	}{
		{"no policies", files[:1], "profile tyk: no policies file beside api.json"},
		{"no API definition", files[1:], "profile tyk: no API definition"},
		{"two API definitions", []Artifact{files[0], {Name: "other.json", Data: files[0].Data}, files[1]}, "other.json: a second API definition (the first is api.json)"},
		{"a policy twice", []Artifact{files[0], files[1], {Name: "more.json", Data: files[1].Data}}, "more.json: policy solar-system-asteroids: also in policies.json"},
	} {
		if _, err := loadTyk(tt.files); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: error %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestTykDecide: Tyk's choice of policies and its access checks for a
// valid token's claims.
func TestTykDecide(t *testing.T) {
	c, err := loadTyk(tykArtifacts(t, tykValues))
	if err != nil {
		t.Fatal(err)
	}
	route := map[string]tykRoute{}
	for _, r := range c.Routes {
		ex := r.Extra.(tykRoute)
		route[strings.TrimSpace(r.Method+" "+r.Path)] = ex
	}
	api := route["GET /solar-system/planets"].API
	s, g := tykValues["SILVER_SCOPE"], tykValues["GOLD_SCOPE"]
	arr := func(v ...string) []any {
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = e
		}
		return out
	}
	const (
		ok           = ""
		disallowed   = "Access to this resource has been disallowed"
		noScopeMatch = "key not authorized: no matching policy found in scope claim"
	)
	tests := []struct {
		name   string
		route  string
		claims map[string]any
		want   string
	}{
		{"silver, planets", "GET /solar-system/planets", map[string]any{"sub": "u", "scp": arr("openid", s)}, ok},
		{"silver, moons", "GET /solar-system/moons", map[string]any{"sub": "u", "scp": arr("openid", s)}, disallowed},
		{"silver, asteroids", "GET /solar-system/asteroids", map[string]any{"sub": "u", "scp": arr("openid", s)}, ok},
		{"gold, moons", "GET /solar-system/moons", map[string]any{"sub": "u", "scp": arr("openid", s, g)}, ok},
		{"gold alone, planets (its policy grants them)", "GET /solar-system/planets", map[string]any{"sub": "u", "scp": arr(g)}, ok},
		{"silver, a path under planets", "GET /solar-system/planets/", map[string]any{"sub": "u", "scp": arr(s)}, ok},
		{"gold, another path", "/solar-system/", map[string]any{"sub": "u", "scp": arr(s, g)}, disallowed},
		{"scopes as a space-separated string", "GET /solar-system/moons", map[string]any{"sub": "u", "scp": "openid " + g}, ok},
		{"only unmapped scopes", "GET /solar-system/asteroids", map[string]any{"sub": "u", "scp": arr("openid", "profile")}, noScopeMatch},
		{"an empty scope string", "GET /solar-system/asteroids", map[string]any{"sub": "u", "scp": ""}, noScopeMatch},
		{"no scope claim: the default policy", "GET /solar-system/asteroids", map[string]any{"sub": "u"}, ok},
		{"no scope claim, planets", "GET /solar-system/planets", map[string]any{"sub": "u"}, disallowed},
		{"scope (not scp) is not read", "GET /solar-system/planets", map[string]any{"sub": "u", "scope": s}, disallowed},
		{"no sub", "GET /solar-system/planets", map[string]any{"scp": arr(s)}, "no suitable claims for user ID were found"},
		{"an empty sub", "GET /solar-system/planets", map[string]any{"sub": "", "scp": arr(s)}, "found an empty user ID in predefined base claim, claim: sub"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rt, found := route[tt.route]
			if !found {
				t.Fatalf("no route %s", tt.route)
			}
			if got := api.decide(rt, tt.claims); got != tt.want {
				t.Errorf("decide = %q, want %q", got, tt.want)
			}
		})
	}

	// The original's design: a base policy from the pol claim, no mapping.
	pol := *api
	pol.PolicyField, pol.ScopeToPolicy, pol.Defaults = "pol", nil, nil
	planets := route["GET /solar-system/planets"]
	for _, tt := range []struct {
		claims map[string]any
		want   string
	}{
		{map[string]any{"sub": "u", "pol": "solar-system-silver"}, ok},
		{map[string]any{"sub": "u", "pol": "solar-system-asteroids"}, disallowed},
		{map[string]any{"sub": "u", "pol": "solar-system-platinum"}, "key not authorized: no matching policy"},
		{map[string]any{"sub": "u"}, "key not authorized: no matching policy found"},
		{map[string]any{"sub": "u", "app": map[string]any{"pol": "solar-system-gold"}}, "key not authorized: no matching policy found"},
	} {
		if got := pol.decide(planets, tt.claims); got != tt.want {
			t.Errorf("pol claim %v: %q, want %q", tt.claims, got, tt.want)
		}
	}
	pol.PolicyField = "app.pol"
	if got := pol.decide(planets, map[string]any{"sub": "u", "app": map[string]any{"pol": "solar-system-gold"}}); got != ok {
		t.Errorf("a dotted policy claim: %q", got)
	}
	// A policy from the claim stays beside the mapped ones.
	pol.PolicyField, pol.ScopeToPolicy = "pol", api.ScopeToPolicy
	if got := pol.decide(route["GET /solar-system/moons"], map[string]any{"sub": "u", "pol": "solar-system-gold", "scp": arr(s)}); got != ok {
		t.Errorf("pol gold and scope silver, moons: %q", got)
	}
}

// tykBenchConfig is BenchmarkGateway's tyk case: the rendered artifacts
// for the authorization server as and the upstream api.
func tykBenchConfig(b *testing.B, as *authServer, api string) Config {
	c, err := loadTyk(tykArtifacts(b, map[string]string{"AUTH_SERVER.issuer": as.issuer(), "SILVER_SCOPE": silver, "GOLD_SCOPE": gold, "UPSTREAM_URI": api}))
	if err != nil {
		b.Fatal(err)
	}
	c.Profile = "tyk"
	return c
}

// tykBody is Tyk's error template filled with message.
func tykBody(message string) string { return "{\n    \"error\": \"" + message + "\"\n}" }

// TestTykGateway: the gateway loaded from the rendered artifacts answers as
// Tyk does, with tokens of a real issuer (its JWKS over HTTP).
func TestTykGateway(t *testing.T) {
	as := newAuthServer(t)
	up := newUpstream(t)
	values := map[string]string{"AUTH_SERVER.issuer": as.issuer(), "SILVER_SCOPE": silver, "GOLD_SCOPE": gold, "UPSTREAM_URI": up.srv.URL}
	dir := t.TempDir()
	var paths []string
	for _, f := range tykArtifacts(t, values) {
		p := filepath.Join(dir, f.Name)
		if err := os.WriteFile(p, f.Data, 0o644); err != nil {
			t.Fatal(err)
		}
		paths = append(paths, p)
	}
	c, err := LoadArtifacts(tykProfile(), paths)
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Now()}
	c.Now = clock.Now
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	gw := newServer(t, g) + "/solar-system"

	with := func(change func(map[string]any), scopes ...string) string {
		cl := as.claims(scopes...)
		cl["iat"] = clock.Now().Unix()
		if change != nil {
			change(cl)
		}
		return as.mint(cl, nil, as.kid)
	}
	silverTok := with(nil, "openid", silver)
	goldTok := with(nil, "openid", silver, gold)
	keyNotAuthorized := tykBody("Key not authorized")
	tests := []struct {
		name, path, auth string
		method           string
		wantStatus       int
		wantBody         string
	}{
		{name: "silver, planets", path: "/planets", auth: "Bearer " + silverTok, wantStatus: 200, wantBody: `{"path":"/planets"}`},
		{name: "silver, asteroids", path: "/asteroids", auth: "Bearer " + silverTok, wantStatus: 200, wantBody: `{"path":"/asteroids"}`},
		{name: "silver, moons", path: "/moons", auth: "Bearer " + silverTok, wantStatus: 403, wantBody: tykBody("Access to this resource has been disallowed")},
		{name: "gold, moons", path: "/moons", auth: "Bearer " + goldTok, wantStatus: 200, wantBody: `{"path":"/moons"}`},
		{name: "gold, a planet", path: "/planets/earth", auth: "Bearer " + goldTok, wantStatus: 200, wantBody: `{"path":"/planets/earth"}`},
		{name: "the token without Bearer", path: "/planets", auth: silverTok, wantStatus: 200, wantBody: `{"path":"/planets"}`},
		{name: "gold, a path no policy grants", path: "/comets", auth: "Bearer " + goldTok, wantStatus: 403, wantBody: tykBody("Access to this resource has been disallowed")},
		{name: "gold, POST", path: "/planets", auth: "Bearer " + goldTok, method: http.MethodPost, wantStatus: 403, wantBody: tykBody("Access to this resource has been disallowed")},
		{name: "gold, HEAD (not in the policy's methods)", path: "/planets", auth: "Bearer " + goldTok, method: http.MethodHead, wantStatus: 403},
		{name: "no token", path: "/planets", wantStatus: 400, wantBody: tykBody("Authorization field missing")},
		{name: "no token, a path no policy grants", path: "/comets", wantStatus: 400, wantBody: tykBody("Authorization field missing")},
		{name: "another issuer (not checked)", path: "/planets", auth: "Bearer " + with(func(c map[string]any) { c["iss"] = "https://evil.example.com/oauth2/default" }, "openid", silver), wantStatus: 200, wantBody: `{"path":"/planets"}`},
		{name: "another audience (not checked)", path: "/planets", auth: "Bearer " + with(func(c map[string]any) { c["aud"] = "api://other" }, "openid", silver), wantStatus: 200, wantBody: `{"path":"/planets"}`},
		{name: "no exp (not required)", path: "/planets", auth: "Bearer " + with(func(c map[string]any) { delete(c, "exp") }, "openid", silver), wantStatus: 200, wantBody: `{"path":"/planets"}`},
		{name: "only unmapped scopes", path: "/asteroids", auth: "Bearer " + with(nil, "openid", "profile"), wantStatus: 403, wantBody: tykBody("key not authorized: no matching policy found in scope claim")},
		{name: "no scp: the default policy", path: "/asteroids", auth: "Bearer " + with(func(c map[string]any) { delete(c, "scp") }), wantStatus: 200, wantBody: `{"path":"/asteroids"}`},
		{name: "no sub", path: "/planets", auth: "Bearer " + with(func(c map[string]any) { delete(c, "sub") }, "openid", silver), wantStatus: 403, wantBody: tykBody("no suitable claims for user ID were found")},
		{name: "basic credentials", path: "/planets", auth: "Basic c2lsdmVyOnB3", wantStatus: 403, wantBody: keyNotAuthorized},
		{name: "not a JWT", path: "/planets", auth: "Bearer not.a.jwt", wantStatus: 403, wantBody: keyNotAuthorized},
		{name: "forged: another key, the issuer's kid", path: "/planets", auth: "Bearer " + as.mint(as.claims("openid", silver), issuertest.NewKey(t), as.kid), wantStatus: 403, wantBody: keyNotAuthorized},
		{name: "an unknown kid", path: "/planets", auth: "Bearer " + as.mint(as.claims("openid", silver), issuertest.NewKey(t), "nokid"), wantStatus: 403, wantBody: keyNotAuthorized},
		{name: "alg none", path: "/planets", auth: "Bearer " + as.mintNone(as.claims("openid", silver)), wantStatus: 403, wantBody: tykBody("Key not authorized: Unexpected signing method")},
		{name: "HS256 keyed with the public key", path: "/planets", auth: "Bearer " + as.mintHS256WithPublicKey(as.claims("openid", silver)), wantStatus: 403, wantBody: tykBody("Key not authorized: Unexpected signing method")},
		{name: "expired a second ago (skew 0)", path: "/planets", auth: "Bearer " + with(func(c map[string]any) { c["exp"] = clock.Now().Add(-time.Second).Unix() }, "openid", silver), wantStatus: 401, wantBody: tykBody("Key not authorized: token has expired")},
		{name: "not valid for another minute (nbf)", path: "/planets", auth: "Bearer " + with(func(c map[string]any) { c["nbf"] = clock.Now().Add(time.Minute).Unix() }, "openid", silver), wantStatus: 401, wantBody: tykBody("Key not authorized: token is not valid yet")},
		{name: "issued in a minute (iat)", path: "/planets", auth: "Bearer " + with(func(c map[string]any) { c["iat"] = clock.Now().Add(time.Minute).Unix() }, "openid", silver), wantStatus: 401, wantBody: tykBody("Key not authorized: token used before issued")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}
			req, err := http.NewRequest(method, gw+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			if resp.StatusCode != tt.wantStatus || body.String() != tt.wantBody {
				t.Fatalf("%d %q, want %d %q", resp.StatusCode, body.String(), tt.wantStatus, tt.wantBody)
			}
			if tt.wantStatus == 200 {
				if up.lastHeader().Get("Authorization") != "" {
					t.Error("the upstream saw the Authorization header")
				}
				return
			}
			if resp.Header.Get("X-Generator") != "tyk.io" || resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("headers %v, want Tyk's X-Generator and application/json", resp.Header)
			}
		})
	}

	// Outside the listen path: Tyk's router.
	if resp, body := get(t, strings.TrimSuffix(gw, "/solar-system")+"/planets", "Bearer "+goldTok); resp.StatusCode != 404 || body != "Not Found" {
		t.Errorf("outside the listen path: %d %q", resp.StatusCode, body)
	}
	// A token good now is refused once the gateway's clock passes its exp.
	clock.advance(2 * time.Hour)
	if resp, body := get(t, gw+"/planets", "Bearer "+silverTok); resp.StatusCode != 401 || body != tykBody("Key not authorized: token has expired") {
		t.Errorf("after exp: %d %s", resp.StatusCode, body)
	}
}

// TestTykUpstreamDown: Tyk's answer when the upstream does not answer.
func TestTykUpstreamDown(t *testing.T) {
	as := newAuthServer(t)
	dead := newUpstream(t)
	dead.srv.Close()
	c, err := loadTyk(tykArtifacts(t, map[string]string{"AUTH_SERVER.issuer": as.issuer(), "SILVER_SCOPE": silver, "GOLD_SCOPE": gold, "UPSTREAM_URI": dead.srv.URL}))
	if err != nil {
		t.Fatal(err)
	}
	c.Profile = "tyk"
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	resp, body := get(t, newServer(t, g)+"/solar-system/planets", "Bearer "+as.mint(as.claims("openid", silver), nil, as.kid))
	if resp.StatusCode != 500 || body != tykBody("There was a problem proxying the request") {
		t.Errorf("%d %s", resp.StatusCode, body)
	}
}

// TestTykWithLocalOrg runs the tyk input's flow against the local org,
// validates and loads the API definition and policies rendered from the
// recorded objects, and sends real tokens of the org's users through the
// gateway: silver gets the planets and is refused the moons, gold gets
// both; no token, a forged token and an expired one get Tyk's answers.
func TestTykWithLocalOrg(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	up := newUpstream(t)
	fl, err := flow.New("tyk")
	if err != nil {
		t.Fatal(err)
	}
	o := flow.Options{OrgURL: srv.URL, Token: srv.Token, OutputDir: t.TempDir(), Values: map[string]string{
		"REDIRECT_URI": localRedirect, "GATEWAY_URI": "http://127.0.0.1:9/solar-system", "UPSTREAM_URI": up.srv.URL}}
	if err := fl.Run(t.Context(), o, nil); err != nil {
		t.Fatal(err)
	}
	app, err := fl.App(o)
	if err != nil {
		t.Fatal(err)
	}
	native, err := fl.Gateway(o)
	if err != nil {
		t.Fatal(err)
	}
	if native.Profile != "tyk" || len(native.Artifacts) != 2 || native.Artifacts[0].Name != "api.json" || native.Artifacts[1].Name != "policies.json" {
		t.Fatalf("demo gateway: profile %q, %d artifacts", native.Profile, len(native.Artifacts))
	}
	v := newTykValidator(t)
	if err := v.validateAPI(native.Artifacts[0].Data); err != nil {
		t.Fatal(err)
	}
	if err := v.validatePolicies(native.Artifacts[1].Data); err != nil {
		t.Fatal(err)
	}
	var files []Artifact
	for _, a := range native.Artifacts {
		files = append(files, Artifact{Name: a.Name, Data: a.Data})
	}
	c, err := loadTyk(files)
	if err != nil {
		t.Fatal(err)
	}
	if c.JWKSURL != app["ISSUER"]+"/v1/keys" || c.Upstream != up.srv.URL {
		t.Fatalf("loaded JWKS %s, upstream %s; the org's issuer is %s", c.JWKSURL, c.Upstream, app["ISSUER"])
	}
	c.Profile = "tyk"
	clock := &fakeClock{now: time.Now()}
	c.Now = clock.Now
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	gw := newServer(t, g) + "/solar-system"

	s := &mulesoft.Settings{App: app}
	silverTok := mulesofttest.SignIn(t, s, app["SILVER_USERNAME"], app["SILVER_PASSWORD"], "openid", app["SILVER_SCOPE"]).AccessToken
	goldTok := mulesofttest.SignIn(t, s, app["GOLD_USERNAME"], app["GOLD_PASSWORD"], "openid", app["SILVER_SCOPE"], app["GOLD_SCOPE"]).AccessToken
	forged := forge(t, silverTok, app["GOLD_SCOPE"])
	// The gateway's clock starts once the tokens exist (Tyk refuses an
	// iat in the future).
	clock.mu.Lock()
	clock.now = time.Now()
	clock.mu.Unlock()

	tests := []struct {
		name, path, auth string
		wantStatus       int
		wantBody         string
	}{
		{"silver, planets", "/planets", "Bearer " + silverTok, 200, `{"path":"/planets"}`},
		{"silver, asteroids", "/asteroids", "Bearer " + silverTok, 200, `{"path":"/asteroids"}`},
		{"silver, moons", "/moons", "Bearer " + silverTok, 403, tykBody("Access to this resource has been disallowed")},
		{"gold, moons", "/moons", "Bearer " + goldTok, 200, `{"path":"/moons"}`},
		{"gold, planets", "/planets", "Bearer " + goldTok, 200, `{"path":"/planets"}`},
		{"no token", "/planets", "", 400, tykBody("Authorization field missing")},
		{"forged", "/moons", "Bearer " + forged, 403, tykBody("Key not authorized")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, gw+tt.path, tt.auth)
			if resp.StatusCode != tt.wantStatus || body != tt.wantBody {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	// The tokens live 60 minutes; past that, the gold token is expired.
	clock.advance(61 * time.Minute)
	if resp, body := get(t, gw+"/moons", "Bearer "+goldTok); resp.StatusCode != 401 || body != tykBody("Key not authorized: token has expired") {
		t.Errorf("expired gold token: %d %s", resp.StatusCode, body)
	}
}
