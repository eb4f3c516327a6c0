package devorg_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"
)

func newOrigin(name, origin string, scopes ...string) okta.TrustedOrigin {
	to := okta.TrustedOrigin{Name: name, Origin: origin}
	for _, s := range scopes {
		to.Scopes = append(to.Scopes, &okta.Scope{Type: s})
	}
	return to
}

func TestTrustedOrigins(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	to := must[*okta.TrustedOrigin](t)(c.TrustedOrigin.CreateOrigin(ctx, newOrigin("app", "http://127.0.0.1:8080", "CORS", "REDIRECT")))
	if to.Id[:3] != "tos" || to.Status != "ACTIVE" || len(to.Scopes) != 2 || to.CreatedBy == "" {
		t.Fatalf("created = %+v", to)
	}
	tests := []struct {
		name  string
		body  okta.TrustedOrigin
		cause string
	}{
		{"name taken", newOrigin("APP", "http://other:1", "CORS"), "name: An object with this field already exists"},
		{"origin taken", newOrigin("other", "http://127.0.0.1:8080", "CORS"), "origin: An object with this field already exists"},
		{"path in origin", newOrigin("p", "http://host/path", "CORS"), "origin: The origin must be of the form"},
		{"no scheme", newOrigin("s", "host:80", "CORS"), "origin"},
		{"unknown scope", newOrigin("u", "http://u", "NOPE"), "scopes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.TrustedOrigin.CreateOrigin(ctx, tt.body)
			wantOktaErr(t, err, "E0000001", tt.cause)
		})
	}
	if l := must[[]*okta.TrustedOrigin](t)(c.TrustedOrigin.ListOrigins(ctx, query.NewQueryParams(query.WithQ("ap")))); len(l) != 1 {
		t.Fatalf("list q=ap: %v", l)
	}
	if got := must[*okta.TrustedOrigin](t)(c.TrustedOrigin.DeactivateOrigin(ctx, to.Id)); got.Status != "INACTIVE" {
		t.Fatalf("deactivate: %s", got.Status)
	}
	must[*okta.TrustedOrigin](t)(c.TrustedOrigin.ActivateOrigin(ctx, to.Id))
	upd := newOrigin("app2", "http://127.0.0.1:8081", "CORS")
	if got := must[*okta.TrustedOrigin](t)(c.TrustedOrigin.UpdateOrigin(ctx, to.Id, upd)); got.Name != "app2" || got.Origin != "http://127.0.0.1:8081" {
		t.Fatalf("update = %+v", got)
	}
	mustDo(t)(c.TrustedOrigin.DeleteOrigin(ctx, to.Id))
	_, _, err := c.TrustedOrigin.GetOrigin(ctx, to.Id)
	wantOktaErr(t, err, "E0000007", "")
}

func TestCORSForTrustedOrigins(t *testing.T) {
	srv, c := startOrg(t)
	ctx := context.Background()
	must[*okta.TrustedOrigin](t)(c.TrustedOrigin.CreateOrigin(ctx, newOrigin("spa", "http://127.0.0.1:3000", "CORS")))
	must[*okta.TrustedOrigin](t)(c.TrustedOrigin.CreateOrigin(ctx, newOrigin("redirect only", "http://127.0.0.1:4000", "REDIRECT")))
	tests := []struct {
		name, method, path, origin string
		wantStatus                 int
		wantAllow                  string
	}{
		{"preflight from a CORS origin", "OPTIONS", "/oauth2/default/v1/token", "http://127.0.0.1:3000", 200, "http://127.0.0.1:3000"},
		{"preflight from a REDIRECT-only origin", "OPTIONS", "/oauth2/default/v1/token", "http://127.0.0.1:4000", 403, ""},
		{"preflight from an unknown origin", "OPTIONS", "/api/v1/users/me", "http://evil.example", 403, ""},
		{"simple request from a CORS origin", "GET", "/api/v1/users/me", "http://127.0.0.1:3000", 200, "http://127.0.0.1:3000"},
		{"simple request from an unknown origin", "GET", "/api/v1/users/me", "http://evil.example", 200, ""},
		// What a browser SPA calls on the OAuth side.
		{"discovery from a CORS origin", "GET", "/oauth2/default/.well-known/openid-configuration", "http://127.0.0.1:3000", 200, "http://127.0.0.1:3000"},
		{"org server discovery from a CORS origin", "GET", "/.well-known/openid-configuration", "http://127.0.0.1:3000", 200, "http://127.0.0.1:3000"},
		{"keys from a CORS origin", "GET", "/oauth2/default/v1/keys", "http://127.0.0.1:3000", 200, "http://127.0.0.1:3000"},
		{"token error from a CORS origin", "POST", "/oauth2/default/v1/token", "http://127.0.0.1:3000", 401, "http://127.0.0.1:3000"},
		{"userinfo error from a CORS origin", "GET", "/oauth2/default/v1/userinfo", "http://127.0.0.1:3000", 401, "http://127.0.0.1:3000"},
		{"org server token from a CORS origin", "POST", "/oauth2/v1/token", "http://127.0.0.1:3000", 401, "http://127.0.0.1:3000"},
		{"token from an unknown origin", "POST", "/oauth2/default/v1/token", "http://evil.example", 401, ""},
		{"preflight for keys from a CORS origin", "OPTIONS", "/oauth2/default/v1/keys", "http://127.0.0.1:3000", 200, "http://127.0.0.1:3000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+tt.path, nil)
			req.Header.Set("Origin", tt.origin)
			req.Header.Set("Authorization", "SSWS "+srv.Token)
			if tt.method == "OPTIONS" {
				req.Header.Set("Access-Control-Request-Method", "POST")
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.Header.Get("X-Rate-Limit-Limit") == "" || resp.Header.Get("X-Okta-Request-Id") == "" {
				t.Fatal("a CORS answer lacks Okta's headers")
			}
			if resp.StatusCode != tt.wantStatus || resp.Header.Get("Access-Control-Allow-Origin") != tt.wantAllow {
				t.Fatalf("status %d, allow-origin %q; want %d, %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"), tt.wantStatus, tt.wantAllow)
			}
		})
	}
}
