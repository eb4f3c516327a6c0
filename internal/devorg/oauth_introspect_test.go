package devorg

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"testing"
	"time"

	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

func TestIntrospectAndRevoke(t *testing.T) {
	f := newOAuthFixture(t)
	ctx := ctxWithClient(t, &http.Client{})
	token := func(issuer, id, secret string, style oauth2.AuthStyle, scopes ...string) string {
		cc := clientcredentials.Config{ClientID: id, ClientSecret: secret, TokenURL: issuer + "/v1/token", Scopes: scopes, AuthStyle: style}
		tok, err := cc.Token(ctx)
		if err != nil {
			t.Fatal(err)
		}
		return tok.AccessToken
	}
	custom := token(f.issuer, f.svcID, f.svcSecret, oauth2.AuthStyleInHeader, "silver")
	other := token(f.defaultIssuer, f.otherID, f.otherSecr, oauth2.AuthStyleInParams)
	toExpire := token(f.issuer, f.svcID, f.svcSecret, oauth2.AuthStyleInHeader, "gold")
	toRevoke := token(f.issuer, f.svcID, f.svcSecret, oauth2.AuthStyleInHeader, "gold")

	introspect := func(tok string) (int, map[string]any) {
		return postForm(t, f.issuer+"/v1/introspect", url.Values{"token": {tok}, "token_type_hint": {"access_token"}}, f.svcID, f.svcSecret)
	}
	status, got := introspect(custom)
	want := map[string]any{"active": true, "token_type": "Bearer", "scope": "silver", "client_id": f.svcID,
		"username": f.svcID, "sub": f.svcID, "aud": "api://apicenter", "iss": f.issuer}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("introspect %s = %v, want %v", k, got[k], v)
		}
	}
	for _, k := range []string{"exp", "iat", "jti"} {
		if got[k] == nil {
			t.Errorf("introspect: no %s in %v", k, got)
		}
	}
	if status != 200 {
		t.Errorf("introspect status %d", status)
	}

	if status, _ := postForm(t, f.issuer+"/v1/revoke", url.Values{"token": {toRevoke}}, f.svcID, f.svcSecret); status != 200 {
		t.Fatalf("revoke: %d", status)
	}
	inactive := []struct{ name, token string }{
		{"another server's token", other},
		{"garbage", "not-a-token"},
		{"revoked", toRevoke},
	}
	for _, tt := range inactive {
		t.Run(tt.name, func(t *testing.T) {
			status, got := introspect(tt.token)
			if status != 200 || len(got) != 1 || got["active"] != false {
				t.Errorf("got %d %v, want 200 {active:false}", status, got)
			}
		})
	}
	t.Run("expired", func(t *testing.T) {
		f.clock.Advance(16 * time.Minute) // the service rule's tokens live 15 minutes
		if _, got := introspect(toExpire); got["active"] != false {
			t.Errorf("got %v", got)
		}
	})
	t.Run("client must authenticate", func(t *testing.T) {
		status, got := postForm(t, f.issuer+"/v1/introspect", url.Values{"token": {custom}}, f.svcID, "wrong")
		if status != 401 || got["error"] != "invalid_client" {
			t.Errorf("got %d %v", status, got)
		}
	})
}

// TestTokensSurviveRestart: the signing keys, refresh tokens and revocations
// are in the state file, so a token issued before a restart is still
// valid after it, and a revoked one still revoked.
func TestTokensSurviveRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "org.json")
	serve := func(o *Org) *httptest.Server {
		srv := httptest.NewServer(o.Handler())
		t.Cleanup(srv.Close)
		o.SetBaseURL("http://org.test") // the issuer must not change with the port
		return srv
	}
	o1, err := New(Options{APIToken: testAPIToken, StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	var clientID, secret string
	err = o1.update(func(st *State) error {
		if st.lookupAuthServer("default") == nil {
			as := &AuthServer{Meta: o1.nextMeta(prefixAuthServer, "ACTIVE"), Default: true, Audiences: []string{"api://default"},
				Scopes: map[string]*Scope{}, Policies: map[string]*Policy{}}
			st.AuthServers[as.ID] = as
		}
		as := st.lookupAuthServer("default")
		sc := &Scope{Meta: o1.nextMeta(prefixScope, ""), Name: "keep"}
		as.Scopes[sc.ID] = sc
		p := &Policy{Meta: o1.nextMeta(prefixPolicy, "ACTIVE"), Priority: 1, Clients: []string{"ALL_CLIENTS"}, Rules: map[string]*Rule{}}
		r := &Rule{Meta: o1.nextMeta(prefixRule, "ACTIVE"), Priority: 1, GrantTypes: []string{"client_credentials"}, Scopes: []string{"keep"}}
		p.Rules[r.ID] = r
		as.Policies = map[string]*Policy{p.ID: p}
		app := &App{Meta: o1.nextMeta(prefixApp, "ACTIVE"), GrantTypes: []string{"client_credentials"}, TokenEndpointAuthMethod: "client_secret_basic",
			Secrets: []*ClientSecret{{Meta: o1.nextMeta(prefixSecret, "ACTIVE"), Secret: "s3cret-s3cret"}}}
		st.Apps[app.ID] = app
		clientID, secret = app.ID, app.Secrets[0].Secret
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	srv1 := serve(o1)
	token := func(srvURL string) string {
		status, got := postForm(t, srvURL+"/oauth2/default/v1/token", url.Values{"grant_type": {"client_credentials"}, "scope": {"keep"}}, clientID, secret)
		if status != 200 {
			t.Fatalf("token: %d %v", status, got)
		}
		return got["access_token"].(string)
	}
	kept, revoked := token(srv1.URL), token(srv1.URL)
	if status, _ := postForm(t, srv1.URL+"/oauth2/default/v1/revoke", url.Values{"token": {revoked}}, clientID, secret); status != 200 {
		t.Fatal("revoke failed")
	}

	o2, err := New(Options{APIToken: testAPIToken, StatePath: path})
	if err != nil {
		t.Fatal(err)
	}
	srv2 := serve(o2)
	for tok, want := range map[string]bool{kept: true, revoked: false} {
		_, got := postForm(t, srv2.URL+"/oauth2/default/v1/introspect", url.Values{"token": {tok}}, clientID, secret)
		if got["active"] != want {
			t.Errorf("after restart: active = %v, want %v", got["active"], want)
		}
	}
}
