package bootstrap_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/oktaclient"
	"github.com/apicenter/apicenter/internal/orgenv"
)

// requiredSpecs give, per kind, a value for each required field and for
// no other: {{SERVER}}, {{POLICY}}, {{APP}} and {{GROUP}} are the ids of
// parents the test makes first through the API.
var requiredSpecs = map[inputs.Kind]map[string]string{
	inputs.KindGroup:           {"name": "conformance group"},
	inputs.KindUser:            {"login": "conformance@example.com", "firstName": "Con", "lastName": "Formance", "password": "Xy7-pass-Word!"},
	inputs.KindAuthServer:      {"name": "conformance server", "audience": "api://conformance"},
	inputs.KindScope:           {"server": "{{SERVER}}", "name": "conformance:read"},
	inputs.KindPolicy:          {"server": "{{SERVER}}", "name": "conformance policy", "description": "conformance", "clients": "[ALL_CLIENTS]"},
	inputs.KindRule:            {"server": "{{SERVER}}", "policy": "{{POLICY}}", "name": "conformance rule", "priority": "1", "groups": "[EVERYONE]", "grantTypes": "[client_credentials]", "scopes": "[openid]"},
	inputs.KindApp:             {"label": "conformance app", "type": "service", "grantTypes": "[client_credentials]"},
	inputs.KindTrustedOrigin:   {"name": "conformance origin", "origin": "http://conformance.example", "scopes": "[CORS]"},
	inputs.KindGroupAssignment: {"app": "{{APP}}", "group": "{{GROUP}}"},
}

// TestKindConformance runs, for every kind an input may use, an input
// holding one object of that kind with only its required fields against a
// fresh local org: the org must accept it (the loader never accepts what
// the org refuses), and the requests the bootstrap makes must be those
// bootstrap.Plan expects (the benchmark's bound rests on them).
func TestKindConformance(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	for kind, info := range inputs.Kinds {
		t.Run(string(kind), func(t *testing.T) {
			spec := requiredSpecs[kind]
			var fields []string
			for f := range spec {
				fields = append(fields, f)
			}
			if !sameStrings(fields, info.Required) {
				t.Fatalf("the test gives %v, the kind requires %v: update requiredSpecs", fields, info.Required)
			}
			srv := devorgtest.Start(t)
			ids := parents(t, srv.URL, srv.Token)
			var b strings.Builder
			fmt.Fprintf(&b, "items:\n  - object: OBJ\n    kind: %s\n    spec:\n", kind)
			sort.Strings(fields)
			for _, k := range fields {
				v := spec[k]
				for name, id := range ids {
					v = strings.ReplaceAll(v, "{{"+name+"}}", id)
				}
				fmt.Fprintf(&b, "      %s: %s\n", k, v)
			}
			path := filepath.Join(t.TempDir(), "conformance.yaml")
			if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := inputs.LoadFile(path)
			if err != nil {
				t.Fatalf("the loader refuses the required fields: %v\n%s", err, b.String())
			}
			var mu sync.Mutex
			var made []string
			tr := roundTrip(func(r *http.Request) (*http.Response, error) {
				mu.Lock()
				made = append(made, r.Method+" "+idSegment.ReplaceAllString(r.URL.Path, "/{id}"))
				mu.Unlock()
				return http.DefaultTransport.RoundTrip(r)
			})
			var progress strings.Builder
			_, err = bootstrap.Run(context.Background(), bootstrap.Options{
				IO:    &iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &progress},
				Input: f,
				Env: &orgenv.Env{Getenv: func(k string) (string, bool) {
					return map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": srv.Token}[k], true
				}},
				Yes:       true,
				OutputDir: t.TempDir(),
				Transport: tr,
			})
			if err != nil {
				t.Fatalf("the org refuses the required fields: %v\n%s\n%s", err, b.String(), progress.String())
			}
			var want []string
			for _, s := range bootstrap.Plan(f) {
				want = append(want, s.Requests...)
				want = append(want, s.Settle...)
			}
			if !slices.Equal(made, want) {
				t.Errorf("requests made:\n  %s\nbootstrap.Plan expects:\n  %s", strings.Join(made, "\n  "), strings.Join(want, "\n  "))
			}
		})
	}
}

// parents makes the objects the required specs refer to and returns their
// ids by name.
func parents(t *testing.T, orgURL, token string) map[string]string {
	t.Helper()
	ctx := context.Background()
	c, err := oktaclient.New(ctx, oktaclient.Config{OrgURL: orgURL, Token: token})
	if err != nil {
		t.Fatal(err)
	}
	as, _, err := c.AuthorizationServer.CreateAuthorizationServer(ctx, okta.AuthorizationServer{Name: "parent server", Audiences: []string{"api://parent"}})
	if err != nil {
		t.Fatal(err)
	}
	p, _, err := c.AuthorizationServer.CreateAuthorizationServerPolicy(ctx, as.Id, okta.AuthorizationServerPolicy{
		Type: "OAUTH_AUTHORIZATION_POLICY", Status: "ACTIVE", Name: "parent policy", Description: "parent",
		Conditions: &okta.PolicyRuleConditions{Clients: &okta.ClientPolicyCondition{Include: []string{"ALL_CLIENTS"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	g, _, err := c.Group.CreateGroup(ctx, okta.Group{Profile: &okta.GroupProfile{Name: "parent group"}})
	if err != nil {
		t.Fatal(err)
	}
	app := okta.NewOpenIdConnectApplication()
	app.Label = "parent app"
	cc := okta.OAuthGrantType("client_credentials")
	token2 := okta.OAuthResponseType("token")
	app.Settings = &okta.OpenIdConnectApplicationSettings{OauthClient: &okta.OpenIdConnectApplicationSettingsClient{
		ApplicationType: "service", GrantTypes: []*okta.OAuthGrantType{&cc}, ResponseTypes: []*okta.OAuthResponseType{&token2},
	}}
	activate := true
	created, _, err := c.Application.CreateApplication(ctx, app, &query.Params{Activate: &activate})
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"SERVER": as.Id, "POLICY": p.Id, "GROUP": g.Id, "APP": created.(*okta.OpenIdConnectApplication).Id}
}

func sameStrings(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}
