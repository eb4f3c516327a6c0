package gateway

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"gopkg.in/yaml.v3"

	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/flow"
	"github.com/apicenter/apicenter/internal/gateway/issuertest"
)

// kongTemplate is the kong input's decK template, as get-settings
// --kong_deck renders it.
var kongTemplate = filepath.Join("..", "..", "inputs", "templates", "kong", "kong.yaml")

// kongValues are realistic values of an Okta org for the template.
var kongValues = map[string]string{
	"AUTH_SERVER.issuer": "https://dev-123456.okta.com/oauth2/aus8x2kq1tGZ3mVqW5d7",
	"AUDIENCE":           "api://solarsystem",
	"SILVER_SCOPE":       "http://myapp.com/scp/silver",
	"GOLD_SCOPE":         "http://myapp.com/scp/gold",
	"UPSTREAM_URI":       "https://solar-system.example.com",
}

// renderKong renders the template with values, as get-settings does.
func renderKong(t *testing.T, values map[string]string) []byte {
	t.Helper()
	return renderTemplate(t, kongTemplate, values)
}

// kongValidator validates a decK file offline against Kong's published
// schemas (testdata/kong/README.md): decK's file schema, then each
// openid-connect plugin's config against the plugin's schema.
type kongValidator struct {
	deck, oidc *jsonschema.Schema
}

func newKongValidator(t testing.TB) *kongValidator {
	t.Helper()
	c := jsonschema.NewCompiler()
	deck, err := c.Compile(filepath.Join("testdata", "kong", "deck-file.schema.json"))
	if err != nil {
		t.Fatalf("deck-file.schema.json: %v", err)
	}
	// Kong refuses a plugin config with an unknown field ("unknown
	// field"); the published schema lists the fields but leaves
	// additionalProperties open, so close it here (the file is as Kong
	// publishes it).
	path := filepath.Join("testdata", "kong", "openid-connect-3.12.schema.json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	config := doc.(map[string]any)["properties"].(map[string]any)["config"].(map[string]any)
	config["additionalProperties"] = false
	abs, err := filepath.Abs(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.AddResource(abs, doc); err != nil {
		t.Fatal(err)
	}
	oidc, err := c.Compile(abs)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return &kongValidator{deck: deck, oidc: oidc}
}

// validate checks a decK file; it returns the first error, naming where.
func (v *kongValidator) validate(data []byte) error {
	var y any
	if err := yaml.Unmarshal(data, &y); err != nil {
		return err
	}
	b, err := json.Marshal(y)
	if err != nil {
		return err
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		return err
	}
	if err := v.deck.Validate(doc); err != nil {
		return fmt.Errorf("decK file schema: %v", err)
	}
	top, _ := doc.(map[string]any)
	var check func(where string, plugins any) error
	check = func(where string, plugins any) error {
		list, _ := plugins.([]any)
		for i, p := range list {
			pm, _ := p.(map[string]any)
			if pm["name"] != "openid-connect" {
				continue
			}
			if err := v.oidc.Validate(map[string]any{"config": pm["config"]}); err != nil {
				return fmt.Errorf("%s.plugins[%d]: openid-connect schema: %v", where, i, err)
			}
		}
		return nil
	}
	if err := check("", top["plugins"]); err != nil {
		return err
	}
	services, _ := top["services"].([]any)
	for i, s := range services {
		sm, _ := s.(map[string]any)
		if err := check(fmt.Sprintf("services[%d]", i), sm["plugins"]); err != nil {
			return err
		}
		routes, _ := sm["routes"].([]any)
		for j, r := range routes {
			rm, _ := r.(map[string]any)
			if err := check(fmt.Sprintf("services[%d].routes[%d]", i, j), rm["plugins"]); err != nil {
				return err
			}
		}
	}
	return nil
}

// TestKongDeckValidates: the rendered template is a decK file Kong's
// schemas accept, and a broken one is caught, each by the schema that
// knows (decK's for the entities, the plugin's for its config).
func TestKongDeckValidates(t *testing.T) {
	v := newKongValidator(t)
	good := string(renderKong(t, kongValues))
	if err := v.validate([]byte(good)); err != nil {
		t.Fatalf("the rendered template: %v", err)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"a misspelt plugin option", "scopes_claim:", "scope_claim:", "openid-connect schema"},
		{"an auth method Kong does not have", "auth_methods: [bearer]", "auth_methods: [jwt]", "openid-connect schema"},
		{"scopes_required not a list", `scopes_required: ["http://myapp.com/scp/silver"]`, `scopes_required: "http://myapp.com/scp/silver"`, "openid-connect schema"},
		{"no issuer", "issuer:", "issuer_url:", "openid-connect schema"},
		{"strip_path not a boolean", "strip_path: false", `strip_path: "no"`, "decK file schema"},
		{"a misspelt route field", "paths: [/planets]", "path: [/planets]", "decK file schema"},
		{"a misspelt top-level key", "services:", "service:", "decK file schema"},
		{"a route without a name", "- name: moons\n", "- tags: [moons]\n", "decK file schema"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(good, tt.old) {
				t.Fatalf("the template has no %q", tt.old)
			}
			err := v.validate([]byte(strings.Replace(good, tt.old, tt.new, 1)))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v, want one from the %s", err, tt.want)
			}
		})
	}
}

// TestKongLoad: the rendered template loads into what the kong profile
// emulates: the upstream, the issuer, JWT mode, and per route its method,
// path, scopes_required and the rest of its plugin's requirements.
func TestKongLoad(t *testing.T) {
	c, err := loadKong([]Artifact{{Name: "kong.yaml", Data: renderKong(t, kongValues)}})
	if err != nil {
		t.Fatal(err)
	}
	c.Profile = "kong"
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate: %v", err)
	}
	if c.Upstream != kongValues["UPSTREAM_URI"] || c.Issuer != kongValues["AUTH_SERVER.issuer"] || c.Mode != ModeJWT {
		t.Errorf("upstream %s, issuer %s, mode %s", c.Upstream, c.Issuer, c.Mode)
	}
	aud := []string{"api://solarsystem"}
	want := []struct {
		method, path string
		scopes       []string
		claim        []string
	}{
		{"GET", "/planets", []string{kongValues["SILVER_SCOPE"]}, []string{"scp"}},
		{"GET", "/moons", []string{kongValues["GOLD_SCOPE"]}, []string{"scp"}},
		{"GET", "/asteroids", nil, []string{"scope"}},
	}
	if len(c.Routes) != len(want) {
		t.Fatalf("%d routes, want %d: %+v", len(c.Routes), len(want), c.Routes)
	}
	for i, w := range want {
		r := c.Routes[i]
		a, ok := r.Extra.(kongAuthz)
		if r.Method != w.method || r.Path != w.path || !slices.Equal(r.Scopes, w.scopes) || !ok {
			t.Errorf("routes[%d] = %s %s %q (%T), want %s %s %q", i, r.Method, r.Path, r.Scopes, r.Extra, w.method, w.path, w.scopes)
			continue
		}
		if !slices.Equal(a.ScopesClaim, w.claim) || !slices.Equal(a.AudienceRequired, aud) || !slices.Equal(a.AudienceClaim, []string{"aud"}) ||
			a.Realm != "dev-123456.okta.com" || a.Unauthorized != "Unauthorized" || a.Forbidden != "Forbidden" || !a.ExposeErrorCode {
			t.Errorf("routes[%d] requirements: %+v", i, a)
		}
	}
}

// TestKongLoadRefuses: what the profile cannot emulate faithfully is an
// error naming the file, the route and the field, not a silent difference.
func TestKongLoadRefuses(t *testing.T) {
	good := string(renderKong(t, kongValues))
	planets := "      - name: planets\n"
	tests := []struct {
		name, old, new, want string
	}{
		{"strip_path true", "strip_path: false", "strip_path: true", "kong.yaml: services[0] (solar-system).routes[0] (planets): strip_path: true (Kong's default) would send /planets upstream as /"},
		{"strip_path left out", "        strip_path: false\n", "", "routes[0] (planets): strip_path: true (Kong's default)"},
		{"no methods", "        methods: [GET]\n", "", "routes[0] (planets): methods: none"},
		{"a regex path", "paths: [/planets]", "paths: [~/planets$]", `paths: "~/planets$" is not a plain path`},
		{"the OSS jwt plugin", "name: openid-connect", "name: jwt", "routes[0] (planets): plugin jwt: the kong profile emulates openid-connect"},
		{"no plugin", "name: openid-connect", "name: cors", "routes[0] (planets): no enabled openid-connect plugin: Kong would proxy the route without checking a token"},
		{"a disabled plugin", "          - name: openid-connect\n", "          - name: openid-connect\n            enabled: false\n", "routes[0] (planets): no enabled openid-connect plugin"},
		{"another issuer", kongValues["AUTH_SERVER.issuer"] + `"`, `https://dev-654321.okta.com/oauth2/default"`, "routes[1] (moons): plugin openid-connect: config.issuer: https://dev-123456.okta.com/oauth2/aus8x2kq1tGZ3mVqW5d7, but another route has https://dev-654321.okta.com/oauth2/default"},
		{"an option not emulated", "auth_methods: [bearer]", "auth_methods: [bearer]\n              introspection_endpoint: https://x.example.com/introspect", "routes[0] (planets): plugin openid-connect: config.introspection_endpoint: not emulated by the kong profile"},
		{"no bearer", "auth_methods: [bearer]", "auth_methods: [session]", "config.auth_methods: session has no bearer"},
		{"a leeway", "auth_methods: [bearer]", "auth_methods: [bearer]\n              leeway: 30", "config.leeway: 30: the kong profile checks with leeway 0"},
		{"a wrong type", "scopes_claim: [scp]", "scopes_claim: scp", "config.scopes_claim: not a []string"},
		{"decK 1.1", `_format_version: "3.0"`, `_format_version: "1.1"`, `kong.yaml: _format_version: "1.1", want "3.0"`},
		{"top-level routes", "services:", "routes: []\nservices:", "kong.yaml:9: routes: the kong profile reads services"},
		{"a second service", "    routes:\n", "    routes: []\n  - name: other\n    url: http://other.example.com\n    routes:\n", "services: 2, the kong profile emulates one service"},
		{"hosts", planets, planets + "        hosts: [api.example.com]\n", "routes[0] (planets): hosts: the kong profile matches paths and methods only"},
		{"not YAML", "services:", "services: [", "kong.yaml: yaml:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !strings.Contains(good, tt.old) {
				t.Fatalf("the template has no %q", tt.old)
			}
			_, err := loadKong([]Artifact{{Name: "kong.yaml", Data: []byte(strings.Replace(good, tt.old, tt.new, 1))}})
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %v\nwant %q", err, tt.want)
			}
		})
	}
}

// TestKongAllows: Kong's claims-based authorization: entries OR'd, values
// inside one entry AND'd, the claim an array or a space-separated string
// at a path; then the audience the same way.
func TestKongAllows(t *testing.T) {
	arr := func(s ...string) []any {
		out := make([]any, len(s))
		for i, v := range s {
			out[i] = v
		}
		return out
	}
	scp := []string{"scp"}
	tests := []struct {
		name     string
		required []string
		path     []string
		claims   map[string]any
		want     bool
	}{
		{"no requirement", nil, scp, map[string]any{}, true},
		{"one scope, in the array", []string{"silver"}, scp, map[string]any{"scp": arr("openid", "silver")}, true},
		{"one scope, missing", []string{"gold"}, scp, map[string]any{"scp": arr("openid", "silver")}, false},
		{"entries OR'd", []string{"gold", "silver"}, scp, map[string]any{"scp": arr("silver")}, true},
		{"values of one entry AND'd: both", []string{"silver gold"}, scp, map[string]any{"scp": arr("gold", "openid", "silver")}, true},
		{"values of one entry AND'd: one", []string{"silver gold"}, scp, map[string]any{"scp": arr("silver")}, false},
		{"a space-separated string", []string{"silver gold"}, []string{"scope"}, map[string]any{"scope": "openid silver gold"}, true},
		{"the claim missing", []string{"silver"}, scp, map[string]any{"scope": "silver"}, false},
		{"the default claim is scope, not scp", []string{"silver"}, []string{"scope"}, map[string]any{"scp": arr("silver")}, false},
		{"a nested path", []string{"admin"}, []string{"realm_access", "roles"}, map[string]any{"realm_access": map[string]any{"roles": arr("admin")}}, true},
		{"a nested path through a string", []string{"admin"}, []string{"realm_access", "roles"}, map[string]any{"realm_access": "admin"}, false},
		{"a number", []string{"42"}, []string{"level"}, map[string]any{"level": float64(42)}, true},
		{"no substring match", []string{"silver"}, scp, map[string]any{"scp": arr("http://myapp.com/scp/silver")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := kongAuthz{ScopesClaim: tt.path, ScopesRequired: tt.required, AudienceClaim: []string{"aud"}}
			if got := a.allows(tt.claims); got != tt.want {
				t.Errorf("scopes: allows = %v, want %v", got, tt.want)
			}
			// The audience is checked the same way, from its own claim.
			a = kongAuthz{ScopesClaim: []string{"scope"}, AudienceClaim: tt.path, AudienceRequired: tt.required}
			if got := a.allows(tt.claims); got != tt.want {
				t.Errorf("audience: allows = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestKongGateway: the gateway loaded from the rendered decK file answers
// as Kong's openid-connect plugin does, with tokens of a real issuer
// (discovery and JWKS over HTTP).
func TestKongGateway(t *testing.T) {
	as := newAuthServer(t)
	up := newUpstream(t)
	values := map[string]string{"AUTH_SERVER.issuer": as.issuer(), "AUDIENCE": "api://test",
		"SILVER_SCOPE": silver, "GOLD_SCOPE": gold, "UPSTREAM_URI": up.srv.URL}
	dir := t.TempDir()
	deckFile := filepath.Join(dir, "kong.yaml")
	if err := os.WriteFile(deckFile, renderKong(t, values), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := LoadArtifacts(kongProfile(), []string{deckFile})
	if err != nil {
		t.Fatal(err)
	}
	clock := &fakeClock{now: time.Now()}
	c.Now = clock.Now
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	gw := newServer(t, g)

	with := func(change func(map[string]any), scopes ...string) map[string]any {
		cl := as.claims(scopes...)
		// Issued at the gateway's (frozen) clock: a wall-clock iat can be a
		// second past it and Kong refuses an iat in the future.
		cl["iat"] = clock.Now().Unix()
		if change != nil {
			change(cl)
		}
		return cl
	}
	silverTok := as.mint(with(nil, "openid", silver), nil, as.kid)
	goldTok := as.mint(with(nil, "openid", silver, gold), nil, as.kid)
	realm := strings.TrimPrefix(strings.Split(as.issuer(), "/oauth2")[0], "http://")
	realm, _, _ = strings.Cut(realm, ":")
	const unauthorized, forbidden = `{"message":"Unauthorized"}`, `{"message":"Forbidden"}`
	challenge401 := fmt.Sprintf(`Bearer realm=%q, error="invalid_token"`, realm)
	challenge403 := fmt.Sprintf(`Bearer realm=%q, error="insufficient_scope"`, realm)

	tests := []struct {
		name          string
		path          string
		header        http.Header
		wantStatus    int
		wantBody      string
		wantChallenge string
	}{
		{name: "silver token, planets", path: "/planets", header: kongBearer(silverTok), wantStatus: 200},
		{name: "silver token, asteroids", path: "/asteroids", header: kongBearer(silverTok), wantStatus: 200},
		{name: "silver token, moons", path: "/moons", header: kongBearer(silverTok), wantStatus: 403, wantBody: forbidden, wantChallenge: challenge403},
		{name: "gold token, moons", path: "/moons", header: kongBearer(goldTok), wantStatus: 200},
		{name: "gold token, planets", path: "/planets", header: kongBearer(goldTok), wantStatus: 200},
		{name: "scp as a space-separated string", path: "/moons", header: kongBearer(as.mint(with(func(c map[string]any) { c["scp"] = "openid " + gold }), nil, as.kid)), wantStatus: 200},
		{name: "no token", path: "/planets", wantStatus: 401, wantBody: unauthorized, wantChallenge: challenge401},
		{name: "basic credentials", path: "/planets", header: http.Header{"Authorization": {"Basic c2lsdmVyOnB3"}}, wantStatus: 401, wantBody: unauthorized, wantChallenge: challenge401},
		{name: "not a JWT", path: "/planets", header: kongBearer("not.a.jwt"), wantStatus: 401, wantBody: unauthorized, wantChallenge: challenge401},
		{name: "forged: another key, the issuer's kid", path: "/planets", header: kongBearer(as.mint(with(nil, "openid", silver), issuertest.NewKey(t), as.kid)), wantStatus: 401, wantBody: unauthorized, wantChallenge: challenge401},
		{name: "an unknown kid", path: "/planets", header: kongBearer(as.mint(with(nil, "openid", silver), issuertest.NewKey(t), "nokid")), wantStatus: 401, wantBody: unauthorized, wantChallenge: challenge401},
		{name: "alg none", path: "/planets", header: kongBearer(as.mintNone(with(nil, "openid", silver))), wantStatus: 401, wantBody: unauthorized, wantChallenge: challenge401},
		{name: "HS256 keyed with the public key", path: "/planets", header: kongBearer(as.mintHS256WithPublicKey(with(nil, "openid", silver))), wantStatus: 401, wantBody: unauthorized, wantChallenge: challenge401},
		{name: "expired a second ago (leeway 0)", path: "/planets", header: kongBearer(as.mint(with(func(c map[string]any) { c["exp"] = clock.Now().Add(-time.Second).Unix() }, "openid", silver), nil, as.kid)), wantStatus: 401, wantBody: unauthorized, wantChallenge: challenge401},
		{name: "not valid for another minute (nbf)", path: "/planets", header: kongBearer(as.mint(with(func(c map[string]any) { c["nbf"] = clock.Now().Add(time.Minute).Unix() }, "openid", silver), nil, as.kid)), wantStatus: 401, wantBody: unauthorized, wantChallenge: challenge401},
		{name: "another issuer", path: "/planets", header: kongBearer(as.mint(with(func(c map[string]any) { c["iss"] = "https://evil.example.com/oauth2/default" }, "openid", silver), nil, as.kid)), wantStatus: 401, wantBody: unauthorized, wantChallenge: challenge401},
		{name: "another audience is forbidden, not unauthorized", path: "/asteroids", header: kongBearer(as.mint(with(func(c map[string]any) { c["aud"] = "api://other" }, "openid", silver), nil, as.kid)), wantStatus: 403, wantBody: forbidden, wantChallenge: challenge403},
		{name: "an audience list holding ours", path: "/asteroids", header: kongBearer(as.mint(with(func(c map[string]any) { c["aud"] = []string{"api://other", "api://test"} }, "openid"), nil, as.kid)), wantStatus: 200},
		{name: "no exp is not refused", path: "/asteroids", header: kongBearer(as.mint(with(func(c map[string]any) { delete(c, "exp") }, "openid"), nil, as.kid)), wantStatus: 200},
		{name: "token in the access_token header", path: "/planets", header: http.Header{"Access-Token": {silverTok}}, wantStatus: 200},
		{name: "token in the access_token query parameter", path: "/planets?access_token=" + url.QueryEscape(silverTok), wantStatus: 200},
		{name: "another method", path: "/planets", header: http.Header{"Authorization": {"Bearer " + silverTok}, "X-Method": {"POST"}}, wantStatus: 404, wantBody: `{"message":"no Route matched with those values"}`},
		{name: "no route", path: "/comets", header: kongBearer(silverTok), wantStatus: 404, wantBody: `{"message":"no Route matched with those values"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			method := http.MethodGet
			if m := tt.header.Get("X-Method"); m != "" {
				method = m
			}
			req, err := http.NewRequest(method, gw+tt.path, nil)
			if err != nil {
				t.Fatal(err)
			}
			for k, v := range tt.header {
				req.Header[k] = v
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			var body bytes.Buffer
			_, _ = body.ReadFrom(resp.Body)
			if resp.StatusCode != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", resp.StatusCode, tt.wantStatus, body.String())
			}
			if tt.wantStatus == 200 {
				if up.lastHeader().Get("Authorization") != "" {
					t.Error("the upstream saw the Authorization header")
				}
				return
			}
			if body.String() != tt.wantBody {
				t.Errorf("body %s, want %s", body.String(), tt.wantBody)
			}
			if got := resp.Header.Get("WWW-Authenticate"); got != tt.wantChallenge {
				t.Errorf("WWW-Authenticate %q, want %q", got, tt.wantChallenge)
			}
		})
	}

	// A token good now is refused once the gateway's clock passes its exp.
	clock.advance(2 * time.Hour)
	if resp, body := get(t, gw+"/planets", "Bearer "+silverTok); resp.StatusCode != 401 || body != unauthorized {
		t.Errorf("after exp: %d %s", resp.StatusCode, body)
	}
}

// TestKongMessagesAndUpstreamDown: the plugin's own messages, the RFC 6750
// error attribute turned off, and Kong's answer when the upstream is down.
func TestKongMessagesAndUpstreamDown(t *testing.T) {
	as := newAuthServer(t)
	dead := newUpstream(t)
	dead.srv.Close()
	values := map[string]string{"AUTH_SERVER.issuer": as.issuer(), "AUDIENCE": "api://test",
		"SILVER_SCOPE": silver, "GOLD_SCOPE": gold, "UPSTREAM_URI": dead.srv.URL}
	deck := strings.ReplaceAll(string(renderKong(t, values)), "auth_methods: [bearer]",
		"auth_methods: [bearer]\n              unauthorized_error_message: Who are you?\n              forbidden_error_message: Not you.\n              expose_error_code: false")
	if err := newKongValidator(t).validate([]byte(deck)); err != nil {
		t.Fatalf("the changed decK file: %v", err)
	}
	c, err := loadKong([]Artifact{{Name: "kong.yaml", Data: []byte(deck)}})
	if err != nil {
		t.Fatal(err)
	}
	c.Profile = "kong"
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	gw := newServer(t, g)
	silverTok := as.mint(as.claims("openid", silver), nil, as.kid)
	tests := []struct {
		path, auth string
		status     int
		body       string
		challenge  bool
	}{
		{"/planets", "", 401, `{"message":"Who are you?"}`, true},
		{"/moons", "Bearer " + silverTok, 403, `{"message":"Not you."}`, true},
		{"/planets", "Bearer " + silverTok, 502, `{"message":"An invalid response was received from the upstream server"}`, false},
	}
	for _, tt := range tests {
		resp, body := get(t, gw+tt.path, tt.auth)
		h := resp.Header.Get("WWW-Authenticate")
		if resp.StatusCode != tt.status || body != tt.body || (h != "") != tt.challenge || strings.Contains(h, "error=") {
			t.Errorf("%s: %d %s, WWW-Authenticate %q; want %d %s", tt.path, resp.StatusCode, body, h, tt.status, tt.body)
		}
	}
}

// kongBearer is an Authorization: Bearer header.
func kongBearer(tok string) http.Header { return http.Header{"Authorization": {"Bearer " + tok}} }

// TestKongWithLocalOrg runs the kong input's flow against the local org,
// validates and loads the decK file rendered from the recorded objects,
// and sends real tokens of the org's users through the gateway: silver gets
// the planets and is forbidden the moons, gold gets both; no token, a
// forged token and an expired one are unauthorized.
func TestKongWithLocalOrg(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	up := newUpstream(t)
	fl, err := flow.New("kong")
	if err != nil {
		t.Fatal(err)
	}
	o := flow.Options{OrgURL: srv.URL, Token: srv.Token, OutputDir: t.TempDir(), Values: map[string]string{
		"REDIRECT_URI": localRedirect, "GATEWAY_URI": "http://127.0.0.1:9", "UPSTREAM_URI": up.srv.URL}}
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
	if native.Profile != "kong" || len(native.Artifacts) != 1 {
		t.Fatalf("demo gateway: profile %q, %d artifacts", native.Profile, len(native.Artifacts))
	}
	deck := native.Artifacts[0]
	if err := newKongValidator(t).validate(deck.Data); err != nil {
		t.Fatalf("%s: %v", deck.Name, err)
	}
	c, err := loadKong([]Artifact{{Name: deck.Name, Data: deck.Data}})
	if err != nil {
		t.Fatal(err)
	}
	if c.Issuer != app["ISSUER"] || c.Upstream != up.srv.URL {
		t.Fatalf("loaded issuer %s, upstream %s; the org's issuer is %s", c.Issuer, c.Upstream, app["ISSUER"])
	}
	c.Profile = "kong"
	clock := &fakeClock{now: time.Now()}
	c.Now = clock.Now
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	gw := newServer(t, g)

	s := &mulesoft.Settings{App: app}
	silverTok := mulesofttest.SignIn(t, s, app["SILVER_USERNAME"], app["SILVER_PASSWORD"], "openid", app["SILVER_SCOPE"]).AccessToken
	goldTok := mulesofttest.SignIn(t, s, app["GOLD_USERNAME"], app["GOLD_PASSWORD"], "openid", app["SILVER_SCOPE"], app["GOLD_SCOPE"]).AccessToken
	// A forged token: the silver token's header and claims with gold's
	// scopes added, signed by a key of our own under the org's kid.
	forged := forge(t, silverTok, app["GOLD_SCOPE"])
	// The gateway's clock starts once the tokens exist: Kong refuses an
	// iat in the future, and the org's iat can be a second past a clock
	// frozen before the sign-ins.
	clock.mu.Lock()
	clock.now = time.Now()
	clock.mu.Unlock()

	const unauthorized, forbidden = `{"message":"Unauthorized"}`, `{"message":"Forbidden"}`
	tests := []struct {
		name, path, token string
		wantStatus        int
		wantBody          string
	}{
		{"silver, planets", "/planets", silverTok, 200, `{"path":"/planets"}`},
		{"silver, asteroids", "/asteroids", silverTok, 200, `{"path":"/asteroids"}`},
		{"silver, moons", "/moons", silverTok, 403, forbidden},
		{"gold, moons", "/moons", goldTok, 200, `{"path":"/moons"}`},
		{"gold, planets", "/planets", goldTok, 200, `{"path":"/planets"}`},
		{"no token", "/planets", "", 401, unauthorized},
		{"forged", "/moons", forged, 401, unauthorized},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := ""
			if tt.token != "" {
				auth = "Bearer " + tt.token
			}
			resp, body := get(t, gw+tt.path, auth)
			if resp.StatusCode != tt.wantStatus || body != tt.wantBody {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, body, tt.wantStatus, tt.wantBody)
			}
		})
	}
	// The tokens live 60 minutes; past that, the gold token is expired.
	clock.advance(61 * time.Minute)
	if resp, body := get(t, gw+"/moons", "Bearer "+goldTok); resp.StatusCode != 401 || body != unauthorized {
		t.Errorf("expired gold token: %d %s, want 401 %s", resp.StatusCode, body, unauthorized)
	}
}

// TestKongOSSVariantInDocs: the decK file of the OSS jwt plugin variant in
// docs/gateways/kong.md is one decK's schema accepts, and one the kong
// profile refuses by name (it emulates openid-connect only).
func TestKongOSSVariantInDocs(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "docs", "gateways", "kong.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(doc), "```text\n_format_version")
	if !ok {
		t.Fatal("docs/gateways/kong.md has no decK file of the jwt variant")
	}
	block, _, _ := strings.Cut(rest, "```")
	deck := []byte("_format_version" + block)
	if err := newKongValidator(t).validate(deck); err != nil {
		t.Fatalf("the jwt variant: %v", err)
	}
	var d struct {
		Consumers []struct {
			JWTSecrets []map[string]any `yaml:"jwt_secrets"`
		} `yaml:"consumers"`
	}
	if err := yaml.Unmarshal(deck, &d); err != nil {
		t.Fatal(err)
	}
	if len(d.Consumers) != 1 || len(d.Consumers[0].JWTSecrets) != 1 || d.Consumers[0].JWTSecrets[0]["algorithm"] != "RS256" ||
		!strings.Contains(fmt.Sprint(d.Consumers[0].JWTSecrets[0]["rsa_public_key"]), "BEGIN PUBLIC KEY") {
		t.Errorf("the jwt variant's consumer: %+v", d.Consumers)
	}
	withURL := bytes.Replace(deck, []byte("url: UPSTREAM_URI"), []byte("url: http://127.0.0.1:8082"), 1)
	if _, err := loadKong([]Artifact{{Name: "kong.md", Data: withURL}}); err == nil || !strings.Contains(err.Error(), "plugin jwt: the kong profile emulates openid-connect") {
		t.Errorf("loading the jwt variant: %v", err)
	}
}

// TestKongPluginPrecedence: a route's own plugin wins over its service's,
// which wins over a global one, and decK files given together are merged.
func TestKongPluginPrecedence(t *testing.T) {
	service := `_format_version: "3.0"
services:
  - name: solar-system
    url: http://127.0.0.1:8082
    plugins:
      - name: openid-connect
        config: {issuer: "https://org.example.com/oauth2/aus1", scopes_required: [service]}
    routes:
      - {name: own, paths: [/own], methods: [GET], strip_path: false,
         plugins: [{name: openid-connect, config: {issuer: "https://org.example.com/oauth2/aus1", scopes_required: [route]}}]}
      - {name: inherited, paths: [/inherited], methods: [GET], strip_path: false}
`
	global := `_format_version: "3.0"
plugins:
  - name: openid-connect
    config: {issuer: "https://org.example.com/oauth2/aus1", scopes_required: [global]}
`
	c, err := loadKong([]Artifact{{Name: "service.yaml", Data: []byte(service)}, {Name: "global.yaml", Data: []byte(global)}})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range c.Routes {
		got[r.Path] = strings.Join(r.Scopes, " ")
	}
	if got["/own"] != "route" || got["/inherited"] != "service" {
		t.Errorf("scopes by route: %v", got)
	}
	noServicePlugin := strings.Replace(service, "    plugins:\n      - name: openid-connect\n        config: {issuer: \"https://org.example.com/oauth2/aus1\", scopes_required: [service]}\n", "", 1)
	c, err = loadKong([]Artifact{{Name: "service.yaml", Data: []byte(noServicePlugin)}, {Name: "global.yaml", Data: []byte(global)}})
	if err != nil {
		t.Fatal(err)
	}
	if s := c.Routes[1].Scopes; len(s) != 1 || s[0] != "global" {
		t.Errorf("a route of a service without the plugin: scopes %q, want the global plugin's", s)
	}
	if _, err := loadKong([]Artifact{{Name: "service.yaml", Data: []byte(noServicePlugin)}}); err == nil || !strings.Contains(err.Error(), "routes[1] (inherited): no enabled openid-connect plugin") {
		t.Errorf("without the global file: %v", err)
	}
}
