package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/oktaclient"
	"github.com/apicenter/apicenter/internal/orgenv"
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

// requireManagementAPI fails when the local org does not answer its
// management API with the test's token.
func requireManagementAPI(t *testing.T, srv *devorgtest.Server) {
	t.Helper()
	req, _ := http.NewRequest("GET", srv.URL+"/api/v1/users/me", nil)
	req.Header.Set("Authorization", "SSWS "+srv.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("the local org answers GET /api/v1/users/me with %s", resp.Status)
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
	if len(created) == 0 {
		return // nothing to look for (and an output file may be damaged on purpose)
	}
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

// parseEnv reads KEY=value lines as get-settings prints them with the
// .env reader of apicenter (what `get-settings > .env` feeds), so that the
// quoting is checked too.
func parseEnv(t *testing.T, text string) map[string]string {
	t.Helper()
	m, err := orgenv.Parse("get-settings output", []byte(text))
	must(t, err)
	return m
}

// appClient is the web app's client as Mulesoft registers it through the
// org's dynamic client registration endpoint.
var appClient = mulesoft.ClientRegistration{Name: "Solar System Auth", RedirectURIs: []string{"http://localhost:8080/authorization-code/callback"}}

// accessTokenLifetime is exp - iat of a JWT access token, in seconds.
func accessTokenLifetime(t *testing.T, token string) int64 {
	t.Helper()
	tok, err := jwt.ParseSigned(token, []jose.SignatureAlgorithm{jose.RS256})
	must(t, err)
	var c jwt.Claims
	must(t, tok.UnsafeClaimsWithoutVerification(&c))
	if c.Expiry == nil || c.IssuedAt == nil {
		t.Fatalf("access token without exp or iat: %+v", c)
	}
	return int64(c.Expiry.Time().Sub(c.IssuedAt.Time()).Seconds())
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
