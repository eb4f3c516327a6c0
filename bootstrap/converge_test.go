package bootstrap

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/oktaclient"
	"github.com/apicenter/apicenter/internal/prompter"
	"github.com/apicenter/apicenter/outputs"
)

const convergeInput = `items:
  - object: AS
    kind: authorizationServer
    spec: {name: converge server, audience: api://converge}
  - object: DESCRIBED
    kind: scope
    spec: {server: "{{AS.id}}", name: "converge:described", description: what the input says}
  - object: UNDESCRIBED
    kind: scope
    spec: {server: "{{AS.id}}", name: "converge:undescribed"}
  - object: WEB
    kind: app
    spec:
      label: converge web app
      type: web
      grantTypes: [authorization_code, refresh_token]
      responseTypes: [code]
      redirectUris: ["http://localhost:8080/callback"]
  - object: SERVICE
    kind: app
    spec: {label: converge service, type: service, grantTypes: [client_credentials]}
`

// TestConvergeScopesAndApps edits, through the API as an admin would in
// the console, a scope's description and an app's redirect URIs and grant
// types, and fields the input does not name (a description it leaves
// out, an app's post-logout redirect URIs and its response types where
// the input gives none). A run without --yes and without a terminal only
// reports; a run at a terminal asks before each change; --yes changes
// back what the input names, shows each change and leaves the rest.
func TestConvergeScopesAndApps(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	ctx := context.Background()
	c, err := oktaclient.New(ctx, oktaclient.Config{OrgURL: srv.URL, Token: srv.Token})
	if err != nil {
		t.Fatal(err)
	}
	f := loadInput(t, convergeInput)
	dir := t.TempDir()
	run := func(yes bool, p prompter.Prompter) string {
		t.Helper()
		ios, _, _, errOut := iostreams.Test()
		if _, err := Run(ctx, Options{IO: ios, Input: f, OutputDir: dir, Yes: yes, Prompter: p, Env: orgOf(srv)}); err != nil {
			t.Fatalf("%v\n%s", err, errOut)
		}
		return errOut.String()
	}
	run(true, nil)
	out, err := outputs.Load(outputs.Path(dir, f.Name))
	if err != nil {
		t.Fatal(err)
	}
	server := out.Object("AS").ID
	scope := func(name string) *okta.OAuth2Scope {
		sc, _, err := c.AuthorizationServer.GetOAuth2Scope(ctx, server, out.Object(name).ID)
		if err != nil {
			t.Fatal(err)
		}
		return sc
	}
	app := func(name string) *okta.OpenIdConnectApplication {
		a, _, err := c.Application.GetApplication(ctx, out.Object(name).ID, okta.NewOpenIdConnectApplication(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return a.(*okta.OpenIdConnectApplication)
	}
	grants := func(a *okta.OpenIdConnectApplication) []string {
		var l []string
		for _, g := range a.Settings.OauthClient.GrantTypes {
			l = append(l, string(*g))
		}
		return l
	}
	responses := func(a *okta.OpenIdConnectApplication) []string {
		var l []string
		for _, r := range a.Settings.OauthClient.ResponseTypes {
			l = append(l, string(*r))
		}
		return l
	}
	edit := func() {
		t.Helper()
		for name, desc := range map[string]string{"DESCRIBED": "edited in the console", "UNDESCRIBED": "described in the console"} {
			sc := scope(name)
			sc.Description = desc
			if _, _, err := c.AuthorizationServer.UpdateOAuth2Scope(ctx, server, sc.Id, *sc); err != nil {
				t.Fatal(err)
			}
		}
		web := app("WEB")
		web.Settings.OauthClient.RedirectUris = []string{"http://console.example/callback"}
		web.Settings.OauthClient.PostLogoutRedirectUris = []string{"http://console.example/bye"}
		code := okta.OAuthGrantType("authorization_code")
		web.Settings.OauthClient.GrantTypes = []*okta.OAuthGrantType{&code}
		if _, _, err := c.Application.UpdateApplication(ctx, web.Id, web); err != nil {
			t.Fatal(err)
		}
	}
	edited := func(t *testing.T) {
		t.Helper()
		if d := scope("DESCRIBED").Description; d != "edited in the console" {
			t.Errorf("the edited description is %q before it was agreed to", d)
		}
		if u := app("WEB").Settings.OauthClient.RedirectUris; !slices.Equal(u, []string{"http://console.example/callback"}) {
			t.Errorf("the edited redirect URIs are %v before it was agreed to", u)
		}
	}
	changedBack := func(t *testing.T) {
		t.Helper()
		if d := scope("DESCRIBED").Description; d != "what the input says" {
			t.Errorf("scope description = %q, want it changed back", d)
		}
		web := app("WEB")
		if u := web.Settings.OauthClient.RedirectUris; !slices.Equal(u, []string{"http://localhost:8080/callback"}) {
			t.Errorf("redirect URIs = %v, want them changed back", u)
		}
		if g := grants(web); !sameSet(g, []string{"authorization_code", "refresh_token"}) {
			t.Errorf("grant types = %v, want them changed back", g)
		}
	}
	untouched := func(t *testing.T) {
		t.Helper()
		if d := scope("UNDESCRIBED").Description; d != "described in the console" {
			t.Errorf("a description the input leaves out was changed to %q", d)
		}
		web := app("WEB")
		if u := web.Settings.OauthClient.PostLogoutRedirectUris; !slices.Equal(u, []string{"http://console.example/bye"}) {
			t.Errorf("post-logout redirect URIs the input does not name = %v", u)
		}
		if r := responses(app("SERVICE")); !slices.Equal(r, []string{"token"}) {
			t.Errorf("the service app's response types = %v; the input names none", r)
		}
	}
	shown := []string{
		`updated scope "converge:described" (DESCRIBED): its description is "edited in the console", the input says "what the input says"`,
		`updated app "converge web app" (WEB): its grant types are [authorization_code], the input says [authorization_code refresh_token]`,
		`updated app "converge web app" (WEB): its redirect URIs are [http://console.example/callback], the input says [http://localhost:8080/callback]`,
	}

	tests := []struct {
		name   string
		yes    bool
		script []answer
		check  func(t *testing.T, log string)
	}{
		{"without --yes or a terminal it only reports", false, nil, func(t *testing.T, log string) {
			if !strings.Contains(log, `its description is "edited in the console", the input says "what the input says"; it was left unchanged`) {
				t.Errorf("the scope's drift is not reported:\n%s", log)
			}
			if strings.Contains(log, "updated ") {
				t.Errorf("something was updated:\n%s", log)
			}
			edited(t)
		}},
		{"at a terminal, (p) leaves each as it is", false, []answer{{choice: prompter.Provide}, {choice: prompter.Provide}}, func(t *testing.T, log string) {
			if strings.Contains(log, "updated ") {
				t.Errorf("something was updated though the answer was (p):\n%s", log)
			}
			edited(t)
		}},
		{"at a terminal, (C)ontinue changes each back", false, []answer{{choice: prompter.Continue}, {choice: prompter.Continue}}, func(t *testing.T, log string) {
			for _, s := range shown {
				if !strings.Contains(log, s) {
					t.Errorf("stderr lacks %q:\n%s", s, log)
				}
			}
			changedBack(t)
		}},
		{"--yes changes each back and shows it", true, nil, func(t *testing.T, log string) {
			for _, s := range shown {
				if !strings.Contains(log, s) {
					t.Errorf("stderr lacks %q:\n%s", s, log)
				}
			}
			changedBack(t)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			edit()
			var p prompter.Prompter
			var s *script
			if tt.script != nil {
				s = &script{t: t, answers: tt.script}
				p = convergeOnly{s}
			}
			tt.check(t, run(tt.yes, p))
			untouched(t)
			if s != nil && len(s.answers) != 0 {
				t.Errorf("%d changes were not asked about", len(s.answers))
			}
		})
	}
	if log := run(true, nil); strings.Contains(log, "updated ") || strings.Contains(log, "differs") {
		t.Errorf("a run after converging changed something again:\n%s", log)
	}
}

// convergeOnly answers a run's prompts from a script: the prompts of
// values with their defaults, and each change from the script.
type convergeOnly struct{ s *script }

func (p convergeOnly) Choose(name, hint, shown string, _ prompter.Words) (prompter.Choice, error) {
	if !strings.HasPrefix(name, "update ") {
		return prompter.AutoAccept, nil
	}
	a := p.s.next(name)
	return a.choice, a.err
}

func (p convergeOnly) Input(name, hint string, secret bool, validate func(string) error) (string, error) {
	p.s.t.Fatalf("asked for %s", name)
	return "", nil
}
