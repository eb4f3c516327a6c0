package devorg

import (
	"net/http"
	"net/url"
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
