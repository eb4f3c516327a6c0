package main

import (
	"flag"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/outputs"
)

var update = flag.Bool("update", false, "rewrite the golden files under testdata/")

// TestMulesoftWalkthrough is the article's whole flow against the local
// org over HTTP: bootstrap --mulesoft, the client Mulesoft registers,
// bootstrap --mulesoft_policy, get-settings both ways, then real OAuth
// sign-ins and introspection with those settings; and a second run that
// creates nothing.
func TestMulesoftWalkthrough(t *testing.T) {
	srv := devorgtest.Start(t)
	requireManagementAPI(t, srv)
	dir := orgEnv(t, srv)
	c := sdk(t, srv)
	before := orgObjects(t, c)
	var outputsSeen []string
	run := func(args ...string) cliResult {
		t.Helper()
		r := runCLI(t, args...)
		outputsSeen = append(outputsSeen, r.out, r.errOut)
		if strings.Contains(r.errOut, "\r") || strings.Contains(r.errOut, "working on") {
			t.Errorf("apicenter %s: a spinner without a terminal:\n%q", strings.Join(args, " "), r.errOut)
		}
		if r.code != 0 {
			t.Fatalf("apicenter %s: exit %d\nstderr:\n%s", strings.Join(args, " "), r.code, r.errOut)
		}
		return r
	}

	r := run("bootstrap", "--mulesoft", "--yes")
	for _, want := range []string{`created authorizationServer "solar system API"`, `created scope "http://myapp.com/scp/silver"`, `created scope "http://myapp.com/scp/gold"`, `created group "silver subscribers"`, `created user "gold.user@example.com"`, `created app "solar system token introspection"`, "8 created, 0 found"} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.errOut)
		}
	}
	// The next text shows the values to type into Mulesoft, not their names.
	if !strings.Contains(r.errOut, "GET /planets: http://myapp.com/scp/silver") || !strings.Contains(r.errOut, "redirect URI http://localhost:8080/authorization-code/callback") || strings.Contains(r.errOut, "GET /planets: SILVER_SCOPE") {
		t.Errorf("the next text does not show the values:\n%s", r.errOut)
	}
	if strings.TrimSpace(r.out) != filepath.Join("outputs", "mulesoft.yaml") {
		t.Errorf("stdout = %q, want the output file", r.out)
	}
	st, err := os.Stat(filepath.Join(dir, "outputs", "mulesoft.yaml"))
	must(t, err)
	if st.Mode().Perm() != 0o600 {
		t.Errorf("output file mode %v, want 0600", st.Mode().Perm())
	}

	intro := parseEnv(t, run("get-settings", "--mulesoft_introspect").out)
	if intro["AUTHORIZATION_HEADER"] != "SSWS ${OKTA_API_TOKEN}" {
		t.Errorf("AUTHORIZATION_HEADER = %q, want the placeholder", intro["AUTHORIZATION_HEADER"])
	}
	if intro["CLIENT_REGISTRATION_URL"] != srv.URL+"/oauth2/v1/clients" {
		t.Errorf("CLIENT_REGISTRATION_URL = %q", intro["CLIENT_REGISTRATION_URL"])
	}
	revealed := runCLI(t, "get-settings", "--mulesoft-introspect", "--reveal") // hyphenated spelling
	if !strings.Contains(revealed.out, "AUTHORIZATION_HEADER=\"SSWS "+srv.Token+"\"") {
		t.Errorf("--reveal does not print the token:\n%s", revealed.out)
	}

	// What Mulesoft does between the two steps: register the app's client.
	// Its id comes by --set, its secret from .env.
	clientID, clientSecret, err := mulesoft.RegisterClient(t.Context(), nil, srv.URL, srv.Token, appClient)
	must(t, err)
	must(t, os.WriteFile(filepath.Join(dir, ".env"), []byte("AUTHN_CLIENT_SECRET="+clientSecret+"\n"), 0o600))
	r = run("bootstrap", "--mulesoft_policy", "--yes", "--set", "AUTHN_CLIENT_ID="+clientID)
	for _, want := range []string{`created policy "solar system API access"`, `created rule "silver access to planets"`, `created rule "gold access to moons"`, `created trustedOrigin "http://localhost:8080"`, `found   group "Everyone"`, `created groupAssignment`} {
		if !strings.Contains(r.errOut, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.errOut)
		}
	}

	if !strings.Contains(r.errOut, "`apicenter get-settings --mulesoft > .env`") || !strings.Contains(r.errOut, "sign in as silver.user@example.com") {
		t.Errorf("the next text of --mulesoft_policy:\n%s", r.errOut)
	}

	web := run("get-settings", "--mulesoft")
	settings := parseEnv(t, web.out)
	if settings["CLIENT_ID"] != clientID || settings["CLIENT_SECRET"] != clientSecret {
		t.Errorf("CLIENT_ID/SECRET = %q/%q", settings["CLIENT_ID"], settings["CLIENT_SECRET"])
	}
	secrets := []string{settings["CLIENT_SECRET"], settings["SILVER_PASSWORD"], settings["GOLD_PASSWORD"], intro["INTROSPECT_CLIENT_SECRET"]}
	norm := func(s string) string { return normalize(s, srv.URL, secrets) }
	checkGolden(t, "get-settings-mulesoft.env", norm(web.out))
	checkGolden(t, "get-settings-mulesoft_introspect.env", norm(run("get-settings", "--mulesoft_introspect").out))
	checkGolden(t, "get-settings-mulesoft.json", norm(run("get-settings", "--mulesoft", "--format", "json").out))
	checkGolden(t, "get-settings-mulesoft.yaml", norm(run("get-settings", "--mulesoft", "--format=yaml").out))
	checkGolden(t, "get-settings-mulesoft_raml.raml", norm(run("get-settings", "--mulesoft_raml").out))
	checkGolden(t, "get-settings-mulesoft_gateway.yaml", norm(run("get-settings", "--mulesoft_gateway").out))
	if r := runCLI(t, "get-settings", "--mulesoft_raml", "--format", "json"); r.code != exitcode.Usage || r.out != "" || !strings.Contains(r.errOut, "--format json: --mulesoft_raml prints a document, not keys") {
		t.Errorf("--mulesoft_raml --format json: exit %d, stdout %d bytes\n%s", r.code, len(r.out), r.errOut)
	}

	// The settings work: silver gets silver and not gold, gold gets both,
	// and the introspection client sees the tokens as active.
	silver, gold := settings["SILVER_SCOPE"], settings["GOLD_SCOPE"]
	ms := &mulesoft.Settings{App: settings, Introspect: intro}
	tok, e := mulesofttest.TrySignIn(t, ms, settings["SILVER_USERNAME"], settings["SILVER_PASSWORD"], "openid", silver)
	if e != "" {
		t.Fatalf("silver user, silver scope: %s", e)
	}
	if active, scope := mulesofttest.Introspect(t, ms, tok.AccessToken); !active || !slices.Contains(strings.Fields(scope), silver) {
		t.Errorf("silver token: active=%v scope=%q", active, scope)
	}
	if life := accessTokenLifetime(t, tok.AccessToken); life != 3600 {
		t.Errorf("silver token lives %ds, want 60 minutes", life)
	}
	if _, e := mulesofttest.TrySignIn(t, ms, settings["SILVER_USERNAME"], settings["SILVER_PASSWORD"], "openid", gold); e != "access_denied" {
		t.Errorf("silver user asking for gold: error %q, want access_denied", e)
	}
	tok, e = mulesofttest.TrySignIn(t, ms, settings["GOLD_USERNAME"], settings["GOLD_PASSWORD"], "openid", silver, gold)
	if e != "" {
		t.Fatalf("gold user: %s", e)
	}
	if active, scope := mulesofttest.Introspect(t, ms, tok.AccessToken); !active || !slices.Contains(strings.Fields(scope), gold) || !slices.Contains(strings.Fields(scope), silver) {
		t.Errorf("gold token: active=%v scope=%q", active, scope)
	}

	// Every object made is recorded; a second run of both steps creates
	// nothing and changes nothing.
	after := orgObjects(t, c)
	created := newObjects(before, after)
	assertRecorded(t, dir, created, clientID) // the client Mulesoft registered is not ours
	// memberships: silver in silver, gold in silver and gold, both in Everyone
	wantNew := map[string]int{"authorizationServer": 1, "scope": 2, "group": 2, "user": 2, "app": 2, "policy": 1, "rule": 2, "trustedOrigin": 1, "groupAssignment": 1, "membership": 5}
	if got := counts(created); fmtCounts(got) != fmtCounts(wantNew) {
		t.Errorf("new objects: %s\nwant %s", fmtCounts(got), fmtCounts(wantNew))
	}
	r1 := run("bootstrap", "--mulesoft", "--yes")
	r2 := run("bootstrap", "--mulesoft_policy", "--yes", "--set", "AUTHN_CLIENT_ID="+clientID)
	if !strings.Contains(r1.errOut, "0 created, 8 found") || !strings.Contains(r2.errOut, "0 created, 6 found") {
		t.Errorf("second run created something:\n%s\n%s", r1.errOut, r2.errOut)
	}
	if again := orgObjects(t, c); fmtCounts(counts(again)) != fmtCounts(counts(after)) {
		t.Errorf("second run changed the org: %s\nwas %s", fmtCounts(counts(again)), fmtCounts(counts(after)))
	}

	// Without its output file, a run finds everything, recovers the
	// introspection client's secret from the org, and says that it does
	// not know the users' passwords (the new ones do not sign them in):
	// exit 3, and get-settings refuses to print them.
	must(t, os.Rename(filepath.Join(dir, "outputs", "mulesoft.yaml"), filepath.Join(dir, "mulesoft.yaml.bak")))
	r4 := runCLI(t, "bootstrap", "--mulesoft", "--yes")
	if r4.code != exitcode.Input || !strings.Contains(r4.errOut, "0 created, 8 found") || !strings.Contains(r4.errOut, `warning: user "silver.user@example.com" exists but it was not created by apicenter with the recorded password, so SILVER_PASSWORD may not be its password`) ||
		!strings.Contains(r4.errOut, `the recorded password does not sign in: GOLD_PASSWORD of user "gold.user@example.com" (GOLD_USER); SILVER_PASSWORD of user "silver.user@example.com" (SILVER_USER)`) {
		t.Errorf("run without the output file: exit %d\n%s", r4.code, r4.errOut)
	}
	if r := runCLI(t, "get-settings", "--mulesoft"); r.code != exitcode.Input || !strings.Contains(r.errOut, `SILVER_PASSWORD is not the password of user "silver.user@example.com"`) {
		t.Errorf("get-settings of unknown passwords: exit %d\n%s", r.code, r.errOut)
	}
	if again := parseEnv(t, run("get-settings", "--mulesoft_introspect").out); again["INTROSPECT_CLIENT_SECRET"] != intro["INTROSPECT_CLIENT_SECRET"] || again["INTROSPECT_CLIENT_ID"] != intro["INTROSPECT_CLIENT_ID"] {
		t.Errorf("the introspection client was not recovered: %v", again)
	}
	must(t, os.Rename(filepath.Join(dir, "mulesoft.yaml.bak"), filepath.Join(dir, "outputs", "mulesoft.yaml")))

	// A rule edited as in the admin console is changed back by the next
	// bootstrap --yes, and each change is shown.
	out, err := outputs.Load(filepath.Join(dir, "outputs", "mulesoft_policy.yaml"))
	must(t, err)
	server, rule := "", out.Object("SILVER_RULE")
	mout, err := outputs.Load(filepath.Join(dir, "outputs", "mulesoft.yaml"))
	must(t, err)
	server = mout.Object("AUTH_SERVER").ID
	policy := out.Object("POLICY").ID
	rl, _, err := c.AuthorizationServer.GetAuthorizationServerPolicyRule(t.Context(), server, policy, rule.ID)
	must(t, err)
	rl.Conditions.Scopes.Include = []string{"openid"}
	rl.Actions.Token.AccessTokenLifetimeMinutes = 5 // the SDK sends this field over the Ptr when it is not 0
	_, _, err = c.AuthorizationServer.UpdateAuthorizationServerPolicyRule(t.Context(), server, policy, rule.ID, *rl)
	must(t, err)
	r3 := run("bootstrap", "--mulesoft_policy", "--yes", "--set", "AUTHN_CLIENT_ID="+clientID)
	if !strings.Contains(r3.errOut, `updated rule "silver access to planets" (SILVER_RULE): it grants the scopes [openid], the input says [http://myapp.com/scp/silver openid]`) {
		t.Errorf("the changed rule's scopes are not shown:\n%s", r3.errOut)
	}
	if !strings.Contains(r3.errOut, `updated rule "silver access to planets" (SILVER_RULE): its access tokens live 5 minutes, the input says 60`) {
		t.Errorf("the changed token lifetime is not shown:\n%s", r3.errOut)
	}
	rl, _, err = c.AuthorizationServer.GetAuthorizationServerPolicyRule(t.Context(), server, policy, rule.ID)
	must(t, err)
	if !sameStrings(rl.Conditions.Scopes.Include, []string{"http://myapp.com/scp/silver", "openid"}) || rl.Actions.Token.AccessTokenLifetimeMinutesPtr == nil || *rl.Actions.Token.AccessTokenLifetimeMinutesPtr != 60 {
		t.Errorf("the rule was not changed back: scopes %v, lifetime %v", rl.Conditions.Scopes.Include, rl.Actions.Token.AccessTokenLifetimeMinutesPtr)
	}
	if r := runCLI(t, "bootstrap", "--mulesoft_policy", "--yes", "--set", "AUTHN_CLIENT_ID="+clientID); strings.Contains(r.errOut, "updated ") || r.code != 0 {
		t.Errorf("a run after converging changed something again: exit %d\n%s", r.code, r.errOut)
	}

	// The token is in no file written and in no output (--reveal aside).
	assertNoToken(t, dir, srv.Token)
	for _, o := range outputsSeen {
		if strings.Contains(o, srv.Token) {
			t.Errorf("the API token is in the output:\n%s", o)
		}
	}
}

var idRE = regexp.MustCompile(`\b(aus|0oa|00g|00u|scp|00p|0pr|tos)[0-9A-Za-z]{17}\b`)

// normalize replaces what changes from run to run: the org URL, ids,
// secrets and passwords.
func normalize(s, orgURL string, secrets []string) string {
	for _, sec := range secrets {
		if sec == "" {
			panic("normalize: an empty secret")
		}
		s = strings.ReplaceAll(s, sec, "<secret>")
	}
	s = strings.ReplaceAll(s, orgURL, "http://127.0.0.1:PORT")
	return idRE.ReplaceAllString(s, "${1}XXXXXXXXXXXXXXXXX")
}

func checkGolden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join(goldenDir(t), name)
	if *update {
		must(t, os.WriteFile(path, []byte(got), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to create it)", err, t.Name())
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (go test -update rewrites it)\ngot:\n%s\nwant:\n%s", name, got, want)
	}
}

// goldenDir is testdata/ of this package (tests chdir elsewhere).
func goldenDir(t *testing.T) string {
	t.Helper()
	return filepath.Join(pkgDir, "testdata")
}

var pkgDir = func() string { d, _ := os.Getwd(); return d }()

// TestGetSettingsWithoutOutput names the bootstrap command to run first.
func TestGetSettingsWithoutOutput(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"get-settings", "--mulesoft_introspect"}, exitcode.Input, "outputs/mulesoft.yaml does not exist: run `apicenter bootstrap --mulesoft` first"},
		{[]string{"get-settings", "--mulesoft"}, exitcode.Input, "outputs/mulesoft_policy.yaml does not exist: run `apicenter bootstrap --mulesoft_policy` first"},
		{[]string{"get-settings"}, exitcode.Usage, "pass exactly one of --"},
		{[]string{"get-settings", "--mulesoft", "--format", "xml"}, exitcode.Usage, `--format "xml"`},
	}
	for _, tt := range tests {
		r := runCLI(t, tt.args...)
		if r.code != tt.code || !strings.Contains(r.errOut, tt.want) {
			t.Errorf("%v: exit %d, stderr %q; want %d and %q", tt.args, r.code, r.errOut, tt.code, tt.want)
		}
	}
	if _, err := os.Stat(outputs.DefaultDir); err == nil {
		t.Error("get-settings created the outputs directory")
	}
}

// TestOwnInputFile runs a user's own input file and prints its settings:
// adding a gateway is adding a file.
func TestOwnInputFile(t *testing.T) {
	srv := devorgtest.Start(t)
	requireManagementAPI(t, srv)
	dir := orgEnv(t, srv)
	must(t, os.WriteFile(filepath.Join(dir, "gw.yaml"), []byte(`description: a group for my gateway
items:
  - value: GROUP_NAME
    default: my gateway users
  - object: G
    kind: group
    spec: {name: "{{GROUP_NAME}}"}
settings:
  gw:
    description: my gateway's settings
    keys:
      GROUP_ID: "{{G.id}}"
      ORG: "{{ORG_URL}}"
`), 0o600))
	r := runCLI(t, "get-settings", "--input", "gw.yaml", "--settings", "gw")
	if r.code != exitcode.Input || !strings.Contains(r.errOut, "outputs/gw.yaml does not exist: run `apicenter bootstrap --input gw.yaml` first") {
		t.Errorf("before the bootstrap: exit %d\n%s", r.code, r.errOut)
	}
	if r = runCLI(t, "bootstrap", "--input", "gw.yaml", "--yes"); r.code != 0 || !strings.Contains(r.errOut, `created group "my gateway users"`) {
		t.Fatalf("bootstrap: exit %d\n%s", r.code, r.errOut)
	}
	r = runCLI(t, "get-settings", "--input", "gw.yaml", "--settings", "gw")
	s := parseEnv(t, r.out)
	if !strings.HasPrefix(s["GROUP_ID"], "00g") || s["ORG"] != srv.URL {
		t.Errorf("settings: %v\n%s", s, r.errOut)
	}
	if r = runCLI(t, "get-settings", "--input", "gw.yaml"); r.code != exitcode.Usage {
		t.Errorf("--input without --settings: exit %d", r.code)
	}
}

// sameStrings reports whether a and b hold the same strings in any order.
func sameStrings(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	slices.Sort(x)
	slices.Sort(y)
	return slices.Equal(x, y)
}
