package gateway

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
)

// mulesoftArtifact is the mulesoft profile's artifact for the local org:
// the reference YAML with profile: mulesoft, the secret left to the
// environment variable it names.
func mulesoftArtifact(upstream string, org *mulesofttest.Org) Artifact {
	s := org.App
	yaml := fmt.Sprintf(`profile: mulesoft
upstream: %s
mode: introspect
issuer: %s
audience: %s
introspection:
  client_id: %s
  client_secret_env: TEST_MULESOFT_INTROSPECT_SECRET
routes:
  - {method: GET, path: /planets, scopes: [%s]}
  - {method: GET, path: /moons, scopes: ["%s %s"]}
  - {method: GET, path: /asteroids}
`, upstream, s["ISSUER"], s["AUDIENCE"], org.Introspect["INTROSPECT_CLIENT_ID"], s["SILVER_SCOPE"], s["SILVER_SCOPE"], s["GOLD_SCOPE"])
	return Artifact{Name: "mulesoft.yaml", Data: []byte(yaml)}
}

// TestMulesoftProfileWithLocalOrgTokens: the mulesoft profile, loaded from
// its artifact, answers real tokens of the local org as the policy's
// documentation says (400, 401, 403 and JSON bodies, no RFC 6750
// challenge), while the reference profile answers the same requests as it
// always has (401 and 403 with challenges).
func TestMulesoftProfileWithLocalOrgTokens(t *testing.T) {
	org, silverTok, goldTok, revokedTok := localOrgTokens(t)
	s := org.App

	up := newUpstream(t)
	env := map[string]string{"TEST_MULESOFT_INTROSPECT_SECRET": org.Introspect["INTROSPECT_CLIENT_SECRET"]}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	p, err := LookupProfile("mulesoft")
	if err != nil {
		t.Fatal(err)
	}
	mc, err := LoadProfile(p, []Artifact{mulesoftArtifact(up.srv.URL, org)}, lookup)
	if err != nil {
		t.Fatalf("LoadProfile: %v", err)
	}
	mc.ErrorLog = t.Logf
	mule, err := New(mc)
	if err != nil {
		t.Fatal(err)
	}
	rc := MulesoftConfig(up.srv.URL, s["ISSUER"], s["AUDIENCE"], org.Introspect["INTROSPECT_CLIENT_ID"],
		org.Introspect["INTROSPECT_CLIENT_SECRET"], s["SILVER_SCOPE"], s["GOLD_SCOPE"])
	rc.ErrorLog = t.Logf
	ref, err := New(rc)
	if err != nil {
		t.Fatal(err)
	}
	gateways := map[string]string{"mulesoft": newServer(t, mule), "reference": newServer(t, ref)}

	type want struct {
		status int
		inBody string // mulesoft: in the JSON error; reference: the challenge's error
	}
	tests := []struct {
		name      string
		path      string
		auth      string
		mulesoft  want
		reference want
	}{
		{name: "silver token, planets", path: "/planets", auth: "Bearer " + silverTok,
			mulesoft: want{200, ""}, reference: want{200, ""}},
		{name: "silver token in the query, planets", path: "/planets?access_token=" + url.QueryEscape(silverTok),
			mulesoft: want{200, ""}, reference: want{401, ""}},
		{name: "gold token, moons (silver AND gold)", path: "/moons", auth: "Bearer " + goldTok,
			mulesoft: want{200, ""}, reference: want{200, ""}},
		{name: "silver token, moons", path: "/moons", auth: "Bearer " + silverTok,
			mulesoft: want{403, "does not hold the scopes"}, reference: want{403, "insufficient_scope"}},
		{name: "no token", path: "/planets",
			mulesoft: want{400, "No token"}, reference: want{401, ""}},
		{name: "not a bearer header", path: "/planets", auth: "Basic dXNlcjpwYXNz",
			mulesoft: want{400, "Invalid token format"}, reference: want{401, ""}},
		{name: "header and query at once", path: "/planets?access_token=" + url.QueryEscape(silverTok), auth: "Bearer " + silverTok,
			mulesoft: want{400, "both"}, reference: want{200, ""}},
		{name: "not a token", path: "/planets", auth: "Bearer not-a-token",
			mulesoft: want{401, "Invalid token"}, reference: want{401, "invalid_token"}},
		{name: "revoked token", path: "/planets", auth: "Bearer " + revokedTok,
			mulesoft: want{401, "not active"}, reference: want{401, "invalid_token"}},
		{name: "no route", path: "/comets", auth: "Bearer " + silverTok,
			mulesoft: want{404, "Not found"}, reference: want{404, ""}},
	}
	for _, tt := range tests {
		for _, name := range []string{"mulesoft", "reference"} {
			w := tt.mulesoft
			if name == "reference" {
				w = tt.reference
			}
			t.Run(name+"/"+tt.name, func(t *testing.T) {
				resp, body := get(t, gateways[name]+tt.path, tt.auth)
				if resp.StatusCode != w.status {
					t.Fatalf("status %d, want %d: %s", resp.StatusCode, w.status, body)
				}
				if w.status == 200 {
					if got := up.lastHeader().Get(SubjectHeader); got == "" {
						t.Error("the upstream saw no subject")
					}
					return
				}
				switch name {
				case "mulesoft":
					if h := resp.Header.Get("WWW-Authenticate"); h != "" {
						t.Errorf("WWW-Authenticate = %q, want none", h)
					}
					var e map[string]string
					if err := json.Unmarshal([]byte(body), &e); err != nil || len(e) != 1 || !strings.Contains(e["error"], w.inBody) {
						t.Errorf("body %s, want {\"error\": \"...%s...\"}", body, w.inBody)
					}
					if strings.Contains(body, strings.TrimPrefix(tt.auth, "Bearer ")) && tt.auth != "" {
						t.Error("the body repeats the token")
					}
				case "reference":
					if w.status == 401 || w.status == 403 {
						if got := wwwAuthError(t, resp.Header.Get("WWW-Authenticate")); got != w.inBody {
							t.Errorf("WWW-Authenticate error %q, want %q", got, w.inBody)
						}
					}
				}
			})
		}
	}
}

// TestMulesoftProfileLoad: the artifact's mistakes are one-line errors
// naming the file and the key.
func TestMulesoftProfileLoad(t *testing.T) {
	base := "upstream: http://127.0.0.1:1\nmode: introspect\nissuer: http://127.0.0.1:2/oauth2/x\n" +
		"introspection: {client_id: 0oa1, client_secret_env: TEST_SECRET}\n"
	p, err := LookupProfile("mulesoft")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, yaml string
		env        map[string]string
		wantErr    string
	}{
		{name: "good, no audience needed", yaml: "profile: mulesoft\n" + base + "routes: [{method: GET, path: /planets, scopes: [\"a b\"]}]\n",
			env: map[string]string{"TEST_SECRET": "s"}},
		{name: "another profile's file", yaml: "profile: kong\n" + base + "routes: [{method: GET, path: /planets}]\n",
			env: map[string]string{"TEST_SECRET": "s"}, wantErr: `m.yaml: profile: "kong", but the file is read as profile "mulesoft" (its artifact says profile: mulesoft)`},
		{name: "secret unset", yaml: "profile: mulesoft\n" + base + "routes: [{method: GET, path: /planets}]\n",
			wantErr: "m.yaml: introspection.client_secret_env: environment variable TEST_SECRET is not set"},
		{name: "empty scope entry", yaml: "profile: mulesoft\n" + base + "routes: [{method: GET, path: /planets, scopes: [\" \"]}]\n",
			env: map[string]string{"TEST_SECRET": "s"}, wantErr: `m.yaml: routes[0].scopes[0]: " " is not a space-separated list of scopes`},
		{name: "no method", yaml: "profile: mulesoft\n" + base + "routes: [{path: /planets}]\n",
			env: map[string]string{"TEST_SECRET": "s"}, wantErr: `m.yaml: routes[0].method: "" is not an HTTP method`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			lookup := func(k string) (string, bool) { v, ok := tt.env[k]; return v, ok }
			c, err := LoadProfile(p, []Artifact{{Name: "m.yaml", Data: []byte(tt.yaml)}}, lookup)
			if tt.wantErr == "" {
				if err != nil || c.Profile != "mulesoft" || c.Introspection.ClientSecret != "s" {
					t.Fatalf("LoadProfile: %+v, %v", c, err)
				}
				return
			}
			if err == nil || err.Error() != tt.wantErr {
				t.Fatalf("error %v, want %q", err, tt.wantErr)
			}
		})
	}
}

// TestMulesoftAllows: a route's scope entries are space-separated lists,
// all of whose scopes the token needs.
func TestMulesoftAllows(t *testing.T) {
	route := Route{Method: http.MethodGet, Path: "/moons", Scopes: []string{"silver gold"}}
	tests := []struct {
		have []string
		want bool
	}{
		{[]string{"openid", "silver", "gold"}, true},
		{[]string{"silver"}, false},
		{[]string{"gold"}, false},
		{nil, false},
	}
	for _, tt := range tests {
		if got := mulesoftAllows(route, Token{Scopes: tt.have}); got != tt.want {
			t.Errorf("scopes %v: allowed %v, want %v", tt.have, got, tt.want)
		}
	}
	if !mulesoftAllows(Route{Method: http.MethodGet, Path: "/asteroids"}, Token{}) {
		t.Error("a route without scopes refuses a valid token")
	}
}
