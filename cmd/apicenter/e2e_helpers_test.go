package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"
	"golang.org/x/oauth2"

	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/oktaclient"
	"github.com/apicenter/apicenter/outputs"
)

// cliResult is what one in-process run of the command tree gave.
type cliResult struct {
	code        int
	out, errOut string
}

// runCLI runs apicenter in-process in the current directory with args.
func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	ios, _, out, errOut := iostreams.Test()
	code := Execute(context.Background(), args, ios)
	return cliResult{code: code, out: out.String(), errOut: errOut.String()}
}

// orgEnv makes a temp working directory with HOME and the org's URL and
// token in the environment, and changes into it.
func orgEnv(t *testing.T, srv *devorgtest.Server) string {
	t.Helper()
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("HOME", t.TempDir())
	for _, k := range []string{"OKTA_TENANT", "OKTA_CLIENT_ORGURL", "OKTA_CLIENT_TOKEN", "AUTHN_CLIENT_ID", "AUTHN_CLIENT_SECRET"} {
		t.Setenv(k, "")
	}
	t.Setenv("OKTA_ORG_URL", srv.URL)
	t.Setenv("OKTA_API_TOKEN", srv.Token)
	return dir
}

// requireManagementAPI skips when the local org has no management API yet
// (before the dev-org branches are merged).
func requireManagementAPI(t *testing.T, srv *devorgtest.Server) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/users/me", nil)
	req.Header.Set("Authorization", "SSWS "+srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		t.Skip("the local org has no management API yet")
	}
}

func sdk(t *testing.T, srv *devorgtest.Server) *oktaclient.Client {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	c, err := oktaclient.New(context.Background(), oktaclient.Config{OrgURL: srv.URL, Token: srv.Token})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// orgObjects returns the ids of every object of the kinds bootstrap makes,
// by kind, read from the org through the SDK.
func orgObjects(t *testing.T, c *oktaclient.Client) map[string][]string {
	t.Helper()
	ctx := context.Background()
	ids := map[string][]string{}
	add := func(kind, id string) { ids[kind] = append(ids[kind], id) }
	groups, _, err := c.Group.ListGroups(ctx, &query.Params{Limit: 200})
	must(t, err)
	for _, g := range groups {
		add("group", g.Id)
	}
	users, _, err := c.User.ListUsers(ctx, &query.Params{Limit: 200})
	must(t, err)
	for _, u := range users {
		add("user", u.Id)
		ug, _, err := c.User.ListUserGroups(ctx, u.Id)
		must(t, err)
		for _, g := range ug {
			add("membership", u.Id+"/"+g.Id)
		}
	}
	servers, _, err := c.AuthorizationServer.ListAuthorizationServers(ctx, &query.Params{Limit: 200})
	must(t, err)
	for _, as := range servers {
		add("authorizationServer", as.Id)
		scopes, _, err := c.AuthorizationServer.ListOAuth2Scopes(ctx, as.Id, nil)
		must(t, err)
		for _, s := range scopes {
			if s.System == nil || !*s.System {
				add("scope", s.Id)
			}
		}
		policies, _, err := c.AuthorizationServer.ListAuthorizationServerPolicies(ctx, as.Id)
		must(t, err)
		for _, p := range policies {
			add("policy", p.Id)
			rules, _, err := c.AuthorizationServer.ListAuthorizationServerPolicyRules(ctx, as.Id, p.Id)
			must(t, err)
			for _, r := range rules {
				add("rule", r.Id)
			}
		}
	}
	apps, _, err := c.Application.ListApplications(ctx, &query.Params{Limit: 200})
	must(t, err)
	for _, a := range apps {
		id := appID(a)
		add("app", id)
		as, _, err := c.Application.ListApplicationGroupAssignments(ctx, id, nil)
		must(t, err)
		for _, ga := range as {
			add("groupAssignment", id+"/"+ga.Id)
		}
	}
	origins, _, err := c.TrustedOrigin.ListOrigins(ctx, &query.Params{Limit: 200})
	must(t, err)
	for _, o := range origins {
		add("trustedOrigin", o.Id)
	}
	for k := range ids {
		sort.Strings(ids[k])
	}
	return ids
}

func counts(ids map[string][]string) map[string]int {
	c := map[string]int{}
	for k, v := range ids {
		c[k] = len(v)
	}
	return c
}

// newObjects returns the objects in after that are not in before.
func newObjects(before, after map[string][]string) map[string][]string {
	out := map[string][]string{}
	for k, ids := range after {
		old := map[string]bool{}
		for _, id := range before[k] {
			old[id] = true
		}
		for _, id := range ids {
			if !old[id] {
				out[k] = append(out[k], id)
			}
		}
	}
	return out
}

// assertRecorded fails if an object created in the org (a key of created,
// memberships aside) is in no output file of dir.
func assertRecorded(t *testing.T, dir string, created map[string][]string, notOurs ...string) {
	t.Helper()
	recorded := map[string]bool{}
	files, _ := filepath.Glob(filepath.Join(dir, "outputs", "*.yaml"))
	for _, f := range files {
		out, err := outputs.Load(f)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, o := range out.Objects {
			recorded[o.ID] = true
		}
	}
	for _, id := range notOurs {
		recorded[id] = true
	}
	for kind, ids := range created {
		if kind == "membership" {
			continue
		}
		for _, id := range ids {
			if kind == "groupAssignment" {
				continue // recorded as app/group; checked by the e2e test
			}
			if !recorded[id] {
				t.Errorf("%s %s was created but is in no output file", kind, id)
			}
		}
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

// parseEnv reads KEY=value lines as get-settings prints them, through a
// real POSIX shell so that the quoting is checked too.
func parseEnv(t *testing.T, text string) map[string]string {
	t.Helper()
	m := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(text), "\n") {
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("not KEY=value: %q", line)
		}
		if strings.HasPrefix(v, `"`) {
			var s string
			// the quoting is a subset of JSON's for our values
			if err := json.Unmarshal([]byte(strings.ReplaceAll(v, `\$`, `$`)), &s); err != nil {
				t.Fatalf("bad quoting in %q: %v", line, err)
			}
			v = s
		}
		m[k] = v
	}
	return m
}

// registerClient creates the web app's client as Mulesoft does, through
// the org's dynamic client registration endpoint.
func registerClient(t *testing.T, srv *devorgtest.Server, regURL, redirect string) (id, secret string) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{
		"client_name":                "Solar System Auth",
		"redirect_uris":              []string{redirect},
		"grant_types":                []string{"authorization_code"},
		"response_types":             []string{"code"},
		"token_endpoint_auth_method": "client_secret_basic",
		"application_type":           "web",
	})
	req, _ := http.NewRequest("POST", regURL, bytes.NewReader(body))
	req.Header.Set("Authorization", "SSWS "+srv.Token)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("dynamic client registration: %d %s", resp.StatusCode, b)
	}
	var c struct {
		ClientID     string `json:"client_id"`
		ClientSecret string `json:"client_secret"`
	}
	must(t, json.Unmarshal(b, &c))
	return c.ClientID, c.ClientSecret
}

// tryRegisterClient is registerClient that reports failures (for orgs
// with faults).
func tryRegisterClient(srv *devorgtest.Server) (string, error) {
	body := `{"client_name":"Solar System Auth","redirect_uris":["http://localhost:8080/authorization-code/callback"],"grant_types":["authorization_code"],"response_types":["code"],"application_type":"web"}`
	req, _ := http.NewRequest("POST", srv.URL+"/oauth2/v1/clients", strings.NewReader(body))
	req.Header.Set("Authorization", "SSWS "+srv.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var c struct {
		ClientID string `json:"client_id"`
	}
	if resp.StatusCode != http.StatusCreated {
		return "", fmt.Errorf("status %d", resp.StatusCode)
	}
	err = json.NewDecoder(resp.Body).Decode(&c)
	return c.ClientID, err
}

// signIn signs user in headlessly (/api/v1/authn, then /v1/authorize with
// the sessionToken) and runs the authorization code flow with PKCE through
// golang.org/x/oauth2. It returns the token, or the OAuth error code.
func signIn(t *testing.T, settings map[string]string, user, password string, scopes ...string) (*oauth2.Token, string) {
	t.Helper()
	ctx := context.Background()
	body, _ := json.Marshal(map[string]string{"username": user, "password": password})
	resp, err := http.Post(settings["ORG_URL"]+"/api/v1/authn", "application/json", bytes.NewReader(body))
	must(t, err)
	var authn struct {
		Status       string `json:"status"`
		SessionToken string `json:"sessionToken"`
	}
	json.NewDecoder(resp.Body).Decode(&authn)
	resp.Body.Close()
	if authn.Status != "SUCCESS" {
		t.Fatalf("authn of %s: status %d %q", user, resp.StatusCode, authn.Status)
	}
	conf := &oauth2.Config{
		ClientID:     settings["CLIENT_ID"],
		ClientSecret: settings["CLIENT_SECRET"],
		Endpoint:     oauth2.Endpoint{AuthURL: settings["ISSUER"] + "/v1/authorize", TokenURL: settings["ISSUER"] + "/v1/token", AuthStyle: oauth2.AuthStyleInHeader},
		RedirectURL:  settings["REDIRECT_URI"],
		Scopes:       scopes,
	}
	verifier := oauth2.GenerateVerifier()
	state, nonce := randomString(), randomString()
	u := conf.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier),
		oauth2.SetAuthURLParam("nonce", nonce), oauth2.SetAuthURLParam("sessionToken", authn.SessionToken))
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err = noRedirect.Get(u)
	must(t, err)
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusFound || err != nil {
		t.Fatalf("authorize: %d, Location %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	q := loc.Query()
	if e := q.Get("error"); e != "" {
		return nil, e
	}
	if q.Get("state") != state {
		t.Fatalf("state = %q, want %q", q.Get("state"), state)
	}
	tok, err := conf.Exchange(ctx, q.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		if re, ok := err.(*oauth2.RetrieveError); ok {
			return nil, re.ErrorCode
		}
		t.Fatal(err)
	}
	return tok, ""
}

func randomString() string {
	b := make([]byte, 16)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// introspect asks the authorization server about token with the
// introspection client's credentials.
func introspect(t *testing.T, introspectURL, clientID, secret, token string) (active bool, scope string, lifetime int64) {
	t.Helper()
	form := url.Values{"token": {token}, "token_type_hint": {"access_token"}}
	req, _ := http.NewRequest("POST", introspectURL, strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(clientID, secret)
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	var r struct {
		Active bool   `json:"active"`
		Scope  string `json:"scope"`
		Exp    int64  `json:"exp"`
		Iat    int64  `json:"iat"`
	}
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("introspect: %d %s", resp.StatusCode, b)
	}
	must(t, json.Unmarshal(b, &r))
	return r.Active, r.Scope, r.Exp - r.Iat
}

// assertNoToken fails if token appears in any file under dir.
func assertNoToken(t *testing.T, dir, token string) {
	t.Helper()
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		b, _ := os.ReadFile(p)
		if bytes.Contains(b, []byte(token)) {
			t.Errorf("the API token is in %s", p)
		}
		return nil
	})
}

func fmtCounts(c map[string]int) string {
	var keys []string
	for k := range c {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%s=%d", k, c[k]))
	}
	return strings.Join(parts, " ")
}

func appID(a okta.App) string {
	if ga, ok := a.(*okta.Application); ok {
		return ga.Id
	}
	return ""
}
