package gateway

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/flow"
	"github.com/apicenter/apicenter/internal/gateway/issuertest"
)

// apigeeTemplates is the apigee input's bundle directory, as get-settings
// --apigee_bundle renders it.
var apigeeTemplates = filepath.Join("..", "..", "inputs", "templates", "apigee", "bundle")

// apigeeValues are realistic values of an Okta org for the bundle.
var apigeeValues = map[string]string{
	"AUTH_SERVER.issuer": "https://dev-123456.okta.com/oauth2/aus8x2kq1tGZ3mVqW5d7",
	"AUTH_SERVER.name":   "solar-system",
	"AUDIENCE":           "api://solarsystem",
	"SILVER_SCOPE":       "http://myapp.com/scp/silver",
	"GOLD_SCOPE":         "http://myapp.com/scp/gold",
	"UPSTREAM_URI":       "https://solar-system.example.com",
}

// renderApigee renders every template of the bundle with values: the
// bundle's files by path (apiproxy/...).
func renderApigee(t *testing.T, values map[string]string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	err := filepath.WalkDir(apigeeTemplates, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(apigeeTemplates, p)
		out[filepath.ToSlash(rel)] = renderTemplate(t, p, values)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// zipApigee writes the bundle's files as a zip archive, as get-settings
// does.
func zipApigee(t *testing.T, files map[string][]byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		w, err := zw.Create(n)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(files[n]); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// lintApigee checks a bundle offline: every file is well-formed XML, every
// <Condition> parses with Apigee's condition grammar, every step names a
// policy of apiproxy/policies, every policy file is named as its policy,
// listed in the APIProxy file and used by a step, and the endpoints the
// APIProxy file lists exist.
func lintApigee(files map[string][]byte) []error {
	var errs []error
	type element struct {
		XMLName xml.Name
		Name    string `xml:"name,attr"`
	}
	var conditions []string
	var steps []string
	for _, p := range slices.Sorted(func(yield func(string) bool) {
		for p := range files {
			if !yield(p) {
				return
			}
		}
	}) {
		if !strings.HasSuffix(p, ".xml") {
			errs = append(errs, fmt.Errorf("%s: not an XML file", p))
			continue
		}
		d := xml.NewDecoder(bytes.NewReader(files[p]))
		var stack []string
		for {
			tok, err := d.Token()
			if err == io.EOF {
				break
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %v", p, err))
				break
			}
			switch tok := tok.(type) {
			case xml.StartElement:
				stack = append(stack, tok.Name.Local)
			case xml.EndElement:
				stack = stack[:len(stack)-1]
			case xml.CharData:
				if len(stack) == 0 {
					continue
				}
				switch stack[len(stack)-1] {
				case "Condition":
					conditions = append(conditions, p+": "+string(tok))
				case "Name":
					if len(stack) > 1 && stack[len(stack)-2] == "Step" {
						steps = append(steps, strings.TrimSpace(string(tok)))
					}
				}
			}
		}
	}
	for _, c := range conditions {
		where, cond, _ := strings.Cut(c, ": ")
		if _, err := parseApigeeCondition(cond); err != nil {
			errs = append(errs, fmt.Errorf("%s: Condition %q: %v", where, cond, err))
		}
	}
	policies := map[string]bool{}
	for p, data := range files {
		if path.Dir(p) != "apiproxy/policies" {
			continue
		}
		var el element
		if err := xml.Unmarshal(data, &el); err != nil {
			continue // reported above
		}
		if el.Name+".xml" != path.Base(p) {
			errs = append(errs, fmt.Errorf("%s: policy %q is not named as its file", p, el.Name))
		}
		policies[el.Name] = true
	}
	for _, s := range steps {
		if !policies[s] {
			errs = append(errs, fmt.Errorf("a step names the policy %q, which apiproxy/policies does not hold", s))
		}
	}
	for pol := range policies {
		if !slices.Contains(steps, pol) {
			errs = append(errs, fmt.Errorf("apiproxy/policies/%s.xml: no step uses it", pol))
		}
	}
	var manifest struct {
		Policies []string `xml:"Policies>Policy"`
		Proxies  []string `xml:"ProxyEndpoints>ProxyEndpoint"`
		Targets  []string `xml:"TargetEndpoints>TargetEndpoint"`
	}
	var roots []string
	for p := range files {
		if path.Dir(p) == "apiproxy" {
			roots = append(roots, p)
		}
	}
	if len(roots) != 1 {
		return append(errs, fmt.Errorf("want one apiproxy/NAME.xml, have %v", roots))
	}
	if err := xml.Unmarshal(files[roots[0]], &manifest); err != nil {
		return errs
	}
	listed := slices.Clone(manifest.Policies)
	sort.Strings(listed)
	have := slices.Sorted(func(yield func(string) bool) {
		for p := range policies {
			if !yield(p) {
				return
			}
		}
	})
	if !slices.Equal(listed, have) {
		errs = append(errs, fmt.Errorf("%s: <Policies> lists %v, the bundle holds %v", roots[0], listed, have))
	}
	for _, e := range manifest.Proxies {
		if files["apiproxy/proxies/"+e+".xml"] == nil {
			errs = append(errs, fmt.Errorf("%s: ProxyEndpoint %s has no apiproxy/proxies/%s.xml", roots[0], e, e))
		}
	}
	for _, e := range manifest.Targets {
		if files["apiproxy/targets/"+e+".xml"] == nil {
			errs = append(errs, fmt.Errorf("%s: TargetEndpoint %s has no apiproxy/targets/%s.xml", roots[0], e, e))
		}
	}
	return errs
}

// TestApigeeBundleLints: the rendered bundle passes our lint, and each way
// of breaking it is caught.
func TestApigeeBundleLints(t *testing.T) {
	edit := func(file, old, new string) func(map[string][]byte) {
		return func(f map[string][]byte) {
			if !bytes.Contains(f[file], []byte(old)) {
				t.Fatalf("%s does not hold %q", file, old)
			}
			f[file] = bytes.Replace(f[file], []byte(old), []byte(new), 1)
		}
	}
	const proxy = "apiproxy/proxies/default.xml"
	tests := []struct {
		name   string
		break_ func(map[string][]byte)
		want   string
	}{
		{"as rendered", nil, ""},
		{"the original's scope condition", edit(proxy, `not ((jwt.JWT-VerifyOkta.claim.scp = "http://myapp.com/scp/silver")`, `(jwt.JWT-VerifyOkta.claim.scp !~ "*http://myapp.com/scp/silver*") or ((jwt.JWT-VerifyOkta.claim.scp = "x")`), `"!~" is not an operator`},
		{"an unterminated grouping", edit(proxy, `(request.verb = "GET")</Condition>`, `(request.verb = "GET"</Condition>`), "unterminated grouping"},
		{"an unquoted value", edit(proxy, `request.verb = "GET"`, `request.verb = GET`), "needs a quoted string"},
		{"a step naming no policy", edit(proxy, "<Name>RF-NotFound</Name>", "<Name>RF-Missing</Name>"), `the policy "RF-Missing"`},
		{"a policy no step uses", func(f map[string][]byte) {
			f["apiproxy/policies/Spare.xml"] = []byte(`<RaiseFault name="Spare"/>`)
		}, "Spare.xml: no step uses it"},
		{"a policy named otherwise", edit("apiproxy/policies/JWT-VerifyOkta.xml", `name="JWT-VerifyOkta"`, `name="Verify"`), "is not named as its file"},
		{"malformed XML", edit("apiproxy/targets/default.xml", "</URL>", "</Url>"), "element <URL> closed by </Url>"},
		{"a policy left out of the manifest", edit("apiproxy/solar-system.xml", "<Policy>RF-NotFound</Policy>", ""), "<Policies> lists"},
		{"a proxy endpoint without its file", edit("apiproxy/solar-system.xml", "<ProxyEndpoint>default</ProxyEndpoint>", "<ProxyEndpoint>other</ProxyEndpoint>"), "ProxyEndpoint other"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := renderApigee(t, apigeeValues)
			if tt.break_ != nil {
				tt.break_(files)
			}
			errs := lintApigee(files)
			if tt.want == "" {
				if len(errs) > 0 {
					t.Fatalf("the rendered bundle: %v", errors.Join(errs...))
				}
				return
			}
			if err := errors.Join(errs...); err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("lint: %v, want an error with %q", err, tt.want)
			}
		})
	}
}

// TestApigeeBundleApigeelint runs apigeelint, Apigee's own linter, on the
// rendered bundle (.ci/run installs it: npm install -g apigeelint@2.85.1):
// no error may be reported.
func TestApigeeBundleApigeelint(t *testing.T) {
	bin, err := exec.LookPath("apigeelint")
	if err != nil {
		t.Skip("apigeelint is not installed: npm install -g apigeelint@2.85.1 (.ci/run installs it)")
	}
	dir := t.TempDir()
	for p, data := range renderApigee(t, apigeeValues) {
		full := filepath.Join(dir, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	out, err := exec.Command(bin, "-s", filepath.Join(dir, "apiproxy"), "-f", "unix.js", "--profile", "apigeex").CombinedOutput()
	if err != nil {
		t.Fatalf("apigeelint: %v\n%s", err, out)
	}
	t.Logf("apigeelint:\n%s", out)
}

// TestApigeeConditions: the condition grammar parses Apigee's operators
// and evaluates them as Apigee does; the scope check of the bundle holds
// exactly when the scope is not one of scp's elements.
func TestApigeeConditions(t *testing.T) {
	const scp = "jwt.V.claim.scp"
	scopeMissing := `not ((` + scp + ` = "a:b/c") or (` + scp + ` ~ "a:b/c,*") or (` + scp + ` ~ "*,a:b/c") or (` + scp + ` ~ "*,a:b/c,*"))`
	tests := []struct {
		cond string
		vars map[string]string
		want bool
	}{
		{`request.header.authorization = null`, map[string]string{}, true},
		{`request.header.authorization = null`, map[string]string{"request.header.authorization": "Bearer x"}, false},
		{`(proxy.pathsuffix MatchesPath "/planets") and (request.verb = "GET")`, map[string]string{"proxy.pathsuffix": "/planets", "request.verb": "GET"}, true},
		{`(proxy.pathsuffix MatchesPath "/planets") and (request.verb = "GET")`, map[string]string{"proxy.pathsuffix": "/planets", "request.verb": "POST"}, false},
		{`proxy.pathsuffix ~/ "/planets/*"`, map[string]string{"proxy.pathsuffix": "/planets/earth"}, true},
		{`proxy.pathsuffix ~/ "/planets/*"`, map[string]string{"proxy.pathsuffix": "/planets/earth/moons"}, false},
		{`proxy.pathsuffix MatchesPath "/planets/**"`, map[string]string{"proxy.pathsuffix": "/planets/earth/moons"}, true},
		{`a JavaRegex "b+c"`, map[string]string{"a": "bbc"}, true},
		{`a ~~ "b+c"`, map[string]string{"a": "xbbc"}, false},
		{`a Like "*x*" OR a Equals "y"`, map[string]string{"a": "y"}, true},
		{`!(a != "y") && a == "y"`, map[string]string{"a": "y"}, true},
		{`a`, map[string]string{"a": "true"}, true},
		{scopeMissing, map[string]string{scp: "openid,a:b/c"}, false},
		{scopeMissing, map[string]string{scp: "a:b/c"}, false},
		{scopeMissing, map[string]string{scp: "a:b/c,openid"}, false},
		{scopeMissing, map[string]string{scp: "openid,a:b/c,profile"}, false},
		{scopeMissing, map[string]string{scp: "openid,a:b/cd"}, true},
		{scopeMissing, map[string]string{scp: "xa:b/c"}, true},
		{scopeMissing, map[string]string{}, true},
	}
	for _, tt := range tests {
		c, err := parseApigeeCondition(tt.cond)
		if err != nil {
			t.Errorf("%s: %v", tt.cond, err)
			continue
		}
		if got := c.eval(tt.vars); got != tt.want {
			t.Errorf("%s with %v = %v, want %v", tt.cond, tt.vars, got, tt.want)
		}
	}
	for _, bad := range []string{
		`jwt.Verify-JWT-1.claim.scp !~ "*silver*"`, // the original's
		`(a = "b"`, `a = "b")`, `a = b`, `a = "b`, `= "b"`, `a and`, `not`, ``, `a ~~ "("`, `a > "b"`,
	} {
		if _, err := parseApigeeCondition(bad); err == nil {
			t.Errorf("%s: parsed", bad)
		}
	}
}

// TestApigeeBundleLoads: the rendered bundle, zipped or file by file,
// loads into the apigee profile's Config.
func TestApigeeBundleLoads(t *testing.T) {
	files := renderApigee(t, apigeeValues)
	var each []Artifact
	for p, data := range files {
		each = append(each, Artifact{Name: "bundle/" + p, Data: data})
	}
	for name, arts := range map[string][]Artifact{
		"zip":   {{Name: "solar-system.zip", Data: zipApigee(t, files)}},
		"files": each,
	} {
		t.Run(name, func(t *testing.T) {
			c, err := LoadProfile(apigeeProfile(), arts, func(string) (string, bool) { return "", false })
			if err != nil {
				t.Fatal(err)
			}
			iss := apigeeValues["AUTH_SERVER.issuer"]
			if c.Issuer != iss || c.Audience != "api://solarsystem" || c.JWKSURL != iss+"/v1/keys" ||
				c.Upstream != apigeeValues["UPSTREAM_URI"] || c.StripPrefix != "/solar-system" || c.Mode != ModeJWT {
				t.Errorf("loaded %+v", c)
			}
			var routes []string
			for _, r := range c.Routes {
				routes = append(routes, fmt.Sprintf("%s %s %v", r.Method, r.Path, r.Scopes))
			}
			want := []string{
				"GET /solar-system/planets [http://myapp.com/scp/silver]",
				"GET /solar-system/moons [http://myapp.com/scp/gold]",
				"GET /solar-system/asteroids []",
			}
			if !slices.Equal(routes, want) {
				t.Errorf("routes %q, want %q", routes, want)
			}
		})
	}
}

// TestApigeeBundleLoadErrors: a bundle the emulator cannot run as Apigee
// would is refused by name.
func TestApigeeBundleLoadErrors(t *testing.T) {
	const proxy = "apiproxy/proxies/default.xml"
	tests := []struct {
		file, old, new, want string
	}{
		{proxy, `(request.verb = "GET")</Condition>`, `(request.verb = "GET"</Condition>`, "flow planets: Condition: column"},
		{proxy, `jwt.JWT-VerifyOkta.claim.scp = "http://myapp.com/scp/gold"`, `jwt.JWT-VerifyOkta.claim.scp !~ "http://myapp.com/scp/gold"`, `step RF-NeedsGoldScope: Condition: column`},
		{proxy, "<Name>JWT-VerifyOkta</Name>", "<Name>EV-BearerToken</Name>", "flow planets: step RF-NeedsSilverScope: before VerifyJWT"},
		{"apiproxy/policies/JWT-VerifyOkta.xml", "RS256", "HS256", `Algorithm "HS256"`},
		{"apiproxy/policies/JWT-VerifyOkta.xml", "<Audience>api://solarsystem</Audience>", "", "Issuer and Audience are needed"},
		{"apiproxy/policies/JWT-VerifyOkta.xml", "<Source>okta.token</Source>", "<Source>other.token</Source>", `Source "other.token"`},
		{"apiproxy/policies/RF-NeedsGoldScope.xml", "<StatusCode>403</StatusCode>", "<StatusCode>forbidden</StatusCode>", `StatusCode "forbidden"`},
		{proxy, "<Name>RF-NeedsSilverScope</Name>", "<Name>RF-Nothing</Name>", `no policy "RF-Nothing"`},
	}
	for _, tt := range tests {
		t.Run(tt.want, func(t *testing.T) {
			files := renderApigee(t, apigeeValues)
			if !bytes.Contains(files[tt.file], []byte(tt.old)) {
				t.Fatalf("%s does not hold %q", tt.file, tt.old)
			}
			files[tt.file] = bytes.Replace(files[tt.file], []byte(tt.old), []byte(tt.new), 1)
			_, err := LoadProfile(apigeeProfile(), []Artifact{{Name: "b.zip", Data: zipApigee(t, files)}}, func(string) (string, bool) { return "", false })
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("%v, want an error with %q", err, tt.want)
			}
		})
	}
}

// TestApigeeNotFoundIsTheBundles: the emulator's 404 is the bundle's
// RF-NotFound fault.
func TestApigeeNotFoundIsTheBundles(t *testing.T) {
	var pol apigeePolicyXML
	if err := xml.Unmarshal(renderApigee(t, apigeeValues)["apiproxy/policies/RF-NotFound.xml"], &pol); err != nil {
		t.Fatal(err)
	}
	if pol.Payload.Text != apigeeNotFound || strings.TrimSpace(pol.Status) != "404" {
		t.Errorf("RF-NotFound: %s %s, the emulator answers 404 %s", pol.Status, pol.Payload.Text, apigeeNotFound)
	}
}

// newApigeeGateway serves the bundle rendered for the test issuer.
func newApigeeGateway(t *testing.T, as *authServer, up string, now func() time.Time) string {
	t.Helper()
	vals := map[string]string{"AUTH_SERVER.issuer": as.issuer(), "AUTH_SERVER.name": "test", "AUDIENCE": "api://test",
		"SILVER_SCOPE": silver, "GOLD_SCOPE": gold, "UPSTREAM_URI": up}
	c, err := LoadProfile(apigeeProfile(), []Artifact{{Name: "b.zip", Data: zipApigee(t, renderApigee(t, vals))}}, func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	c.Now = now
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	return newServer(t, g)
}

// apigeeJWTFault is VerifyJWT's fault body for errorcode steps.jwt.code.
func apigeeJWTFault(code string) string {
	return `"errorcode":"steps.jwt.` + code + `"`
}

// TestApigeeProfileAnswers: the apigee profile runs the bundle's checks on
// tokens and answers with its faults and VerifyJWT's.
func TestApigeeProfileAnswers(t *testing.T) {
	as := newAuthServer(t)
	up := newUpstream(t)
	gw := newApigeeGateway(t, as, up.srv.URL, nil) + "/solar-system"
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
		missing     = `{"fault":{"faultstring":"Missing Authorization Header","detail":{"errorcode":"solar-system.MissingAuthorization"}}}`
		needsGold   = `{"fault":{"faultstring":"The access token does not hold the scope ` + gold + `","detail":{"errorcode":"solar-system.InsufficientScope"}}}`
		needsSilver = `{"fault":{"faultstring":"The access token does not hold the scope ` + silver + `","detail":{"errorcode":"solar-system.InsufficientScope"}}}`
	)
	tests := []struct {
		name, path, auth string
		status           int
		body             string // the whole body, or a part of a fault
	}{
		{"no Authorization", "/planets", "", 400, missing},
		{"not Bearer", "/planets", "Basic dXNlcjpwYXNz", 401, apigeeJWTFault("FailedToResolveVariable")},
		{"silver, planets", "/planets", "Bearer " + silverTok, 200, `{"path":"/planets"}`},
		{"silver, moons", "/moons", "Bearer " + silverTok, 403, needsGold},
		{"gold, moons", "/moons", "Bearer " + goldTok, 200, `{"path":"/moons"}`},
		{"gold only, planets", "/planets", "Bearer " + as.Sign(as.claims(gold)), 403, needsSilver},
		{"a scope that only starts like silver", "/planets", "Bearer " + as.Sign(as.claims(silver+"x")), 403, needsSilver},
		{"silver as a space-separated scope string", "/planets", "Bearer " + as.Sign(with(as.claims(), map[string]any{"scp": "openid " + silver})), 403, needsSilver},
		{"any valid token, asteroids", "/asteroids", "Bearer " + as.Sign(as.claims()), 200, `{"path":"/asteroids"}`},
		{"another audience", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"aud": "api://other"})), 401, apigeeJWTFault("JwtAudienceMismatch")},
		{"another issuer", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"iss": "https://evil.example.com/oauth2/aus1"})), 401, apigeeJWTFault("JwtIssuerMismatch")},
		{"expired", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"exp": time.Now().Add(-time.Minute).Unix(), "iat": time.Now().Add(-time.Hour).Unix()})), 401, apigeeJWTFault("TokenExpired")},
		{"not yet valid", "/asteroids", "Bearer " + as.Sign(with(as.claims(), map[string]any{"nbf": time.Now().Add(time.Hour).Unix()})), 401, apigeeJWTFault("TokenNotYetValid")},
		{"another key", "/asteroids", "Bearer " + as.mint(as.claims(), issuertest.NewKey(t), "forged"), 401, apigeeJWTFault("NoMatchingPublicKey")},
		{"another key under the issuer's kid", "/asteroids", "Bearer " + as.mint(as.claims(), issuertest.NewKey(t), as.kid), 401, apigeeJWTFault("InvalidSignature")},
		{"HS256 keyed by the public key", "/asteroids", "Bearer " + as.mintHS256WithPublicKey(as.claims()), 401, apigeeJWTFault("AlgorithmMismatch")},
		{"not a JWT", "/asteroids", "Bearer not.a.jwt", 401, apigeeJWTFault("InvalidToken")},
		{"POST is no flow's", "/comets", "Bearer " + goldTok, 404, apigeeNotFound},
		{"another path", "/comets", "Bearer " + goldTok, 404, apigeeNotFound},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, gw+tt.path, tt.auth)
			body = strings.TrimSpace(body)
			if resp.StatusCode != tt.status || (body != tt.body && !(strings.HasPrefix(tt.body, `"`) && strings.Contains(body, tt.body))) {
				t.Errorf("%d %s, want %d %s", resp.StatusCode, body, tt.status, tt.body)
			}
			if tt.status != 200 && resp.Header.Get("Content-Type") != "application/json" {
				t.Errorf("Content-Type %q", resp.Header.Get("Content-Type"))
			}
			if tt.status == 200 && up.lastHeader().Get(SubjectHeader) != "silver@example.com" {
				t.Errorf("the upstream got subject %q", up.lastHeader().Get(SubjectHeader))
			}
		})
	}
}

// TestApigeeWithLocalOrgTokens runs the apigee input's flow on the local
// org (bootstrap --apigee, twice: the second run writes nothing), lints the
// bundle rendered from the recorded objects, loads it into the apigee
// profile, and sends it real tokens of the org's users.
func TestApigeeWithLocalOrgTokens(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	up := newUpstream(t)
	fl, err := flow.New("apigee")
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
	if art.Profile != "apigee" || len(art.Artifacts) != 1 || art.Artifacts[0].Name != "apigee_bundle.zip" {
		t.Fatalf("the demo's gateway: profile %q, %d artifacts", art.Profile, len(art.Artifacts))
	}
	zr, err := zip.NewReader(bytes.NewReader(art.Artifacts[0].Data), int64(len(art.Artifacts[0].Data)))
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]byte{}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		files[f.Name], _ = io.ReadAll(rc)
		rc.Close()
	}
	if errs := lintApigee(files); len(errs) > 0 {
		t.Fatalf("the rendered bundle: %v", errors.Join(errs...))
	}
	arts := []Artifact{{Name: art.Artifacts[0].Name, Data: art.Artifacts[0].Data}}
	serve := func(now func() time.Time) string {
		c, err := LoadProfile(apigeeProfile(), arts, func(string) (string, bool) { return "", false })
		if err != nil {
			t.Fatal(err)
		}
		if c.Issuer != app["ISSUER"] || c.Audience != app["AUDIENCE"] || c.Upstream != up.srv.URL || c.JWKSURL != app["ISSUER"]+"/v1/keys" {
			t.Fatalf("loaded %+v", c)
		}
		c.Now = now
		c.ErrorLog = t.Logf
		g, err := New(c)
		if err != nil {
			t.Fatal(err)
		}
		return newServer(t, g) + "/solar-system"
	}
	gw := serve(nil)
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
		{name: "silver, moons", gateway: gw, path: "/moons", token: silverTok, status: 403, body: `"errorcode":"solar-system.InsufficientScope"`},
		{name: "silver, asteroids", gateway: gw, path: "/asteroids", token: silverTok, status: 200, subject: app["SILVER_USERNAME"]},
		{name: "gold, planets", gateway: gw, path: "/planets", token: goldTok, status: 200, subject: app["GOLD_USERNAME"]},
		{name: "gold, moons", gateway: gw, path: "/moons", token: goldTok, status: 200, subject: app["GOLD_USERNAME"]},
		{name: "no token", gateway: gw, path: "/planets", status: 400, body: `"faultstring":"Missing Authorization Header"`},
		{name: "forged", gateway: gw, path: "/moons", token: forged, status: 401, body: apigeeJWTFault("InvalidSignature")},
		{name: "expired", gateway: later, path: "/planets", token: goldTok, status: 401, body: apigeeJWTFault("TokenExpired")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			auth := ""
			if tt.token != "" {
				auth = "Bearer " + tt.token
			}
			resp, body := get(t, tt.gateway+tt.path, auth)
			if resp.StatusCode != tt.status || !strings.Contains(body, tt.body) {
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
