package mulesoft

import (
	"context"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
)

// TestRegisterClient: the client Mulesoft would create, through the org's
// dynamic client registration endpoint; a refused registration names the
// endpoint and the org's answer, never the token.
func TestRegisterClient(t *testing.T) {
	org := devorgtest.Start(t)
	reg := ClientRegistration{Name: "solar system web app (Mulesoft)", RedirectURIs: []string{"http://127.0.0.1:1/authorization-code/callback"}}
	tests := []struct {
		name    string
		token   string
		reg     ClientRegistration
		wantErr []string
	}{
		{name: "registered", token: org.Token, reg: reg},
		{name: "wrong API token", token: "00wrong-token-0123456789abcdefghijklmnopq", reg: reg,
			wantErr: []string{org.URL + "/oauth2/v1/clients: 401 Unauthorized: E0000011: "}},
		{name: "no redirect URI", token: org.Token, reg: ClientRegistration{Name: "no redirect"},
			wantErr: []string{org.URL + "/oauth2/v1/clients: 400 Bad Request: invalid_redirect_uri: 'redirect_uris' is required"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, secret, err := RegisterClient(context.Background(), nil, org.URL, tt.token, tt.reg)
			if tt.wantErr == nil {
				if err != nil || !strings.HasPrefix(id, "0oa") || len(secret) < 20 {
					t.Fatalf("id %q, secret of %d characters, err %v; want a client id and its secret", id, len(secret), err)
				}
				return
			}
			if err == nil {
				t.Fatalf("registered %q, want an error", id)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q, want it to mention %q", err, w)
				}
			}
			if strings.Contains(err.Error(), tt.token) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q shows the token or spans lines", err)
			}
		})
	}
}
