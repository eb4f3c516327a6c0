package main

import (
	"context"
	"encoding/json"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/exitcode"
)

// TestTokenCommand: apicenter token signs the recorded users in at a real
// (local) org with the web app's settings and prints access tokens the
// issuer signed, with the user's scopes; refusals name the user and the
// org's reason, never the password.
func TestTokenCommand(t *testing.T) {
	srv := devorgtest.Start(t)
	dir := orgEnv(t, srv)
	if r := runCLI(t, "bootstrap", "--kong", "--yes"); r.code != 0 {
		t.Fatalf("bootstrap: %d\n%s", r.code, r.errOut)
	}
	r := runCLI(t, "get-settings", "--kong")
	if r.code != 0 {
		t.Fatalf("get-settings: %d\n%s", r.code, r.errOut)
	}
	must(t, os.WriteFile(".env", []byte(r.out), 0o600))
	settings := map[string]string{}
	for _, l := range strings.Split(r.out, "\n") {
		if k, v, ok := strings.Cut(l, "="); ok {
			settings[k] = v
		}
	}
	p, err := oidc.NewProvider(context.Background(), settings["ISSUER"])
	must(t, err)
	verifier := p.Verifier(&oidc.Config{SkipClientIDCheck: true})
	scopesOf := func(t *testing.T, raw string) []string {
		t.Helper()
		at, err := verifier.Verify(context.Background(), raw)
		if err != nil {
			t.Fatalf("the printed token does not verify against %s: %v", settings["ISSUER"], err)
		}
		var c struct {
			Scp []string `json:"scp"`
			Aud string   `json:"aud"`
		}
		must(t, at.Claims(&c))
		if c.Aud != settings["AUDIENCE"] || at.Subject != settings["SILVER_USERNAME"] && at.Subject != settings["GOLD_USERNAME"] {
			t.Errorf("aud %q sub %q: want the gateway's audience and a recorded user", c.Aud, at.Subject)
		}
		return c.Scp
	}

	t.Run("silver", func(t *testing.T) {
		r := runCLI(t, "token", "--user", "silver")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.errOut)
		}
		scp := scopesOf(t, strings.TrimSpace(r.out))
		if !slices.Contains(scp, settings["SILVER_SCOPE"]) || slices.Contains(scp, settings["GOLD_SCOPE"]) {
			t.Errorf("silver's scopes %v", scp)
		}
	})
	t.Run("gold, json", func(t *testing.T) {
		r := runCLI(t, "token", "--user", "gold", "--format", "json")
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.errOut)
		}
		var out map[string]any
		must(t, json.Unmarshal([]byte(r.out), &out))
		at, _ := out["access_token"].(string)
		if scp := scopesOf(t, at); !slices.Contains(scp, settings["GOLD_SCOPE"]) || !slices.Contains(scp, settings["SILVER_SCOPE"]) {
			t.Errorf("gold's scopes %v", scp)
		}
		if out["id_token"] == nil || out["token_type"] != "Bearer" {
			t.Errorf("json %v: want the ID token and the token type", out)
		}
	})

	refusals := []struct {
		name     string
		args     []string
		env      map[string]string
		code     int
		want     []string
		notInErr string
	}{
		{name: "wrong password", args: []string{"--user", "silver"}, env: map[string]string{"SILVER_PASSWORD": "Not-the-1-password"}, code: exitcode.Org,
			want: []string{settings["SILVER_USERNAME"] + " (SILVER_USERNAME)", "the org refused the sign-in at authn: E0000004"}, notInErr: "Not-the-1-password"},
		{name: "silver asking for gold", args: []string{"--user", "silver", "--scope", "openid", "--scope", settings["GOLD_SCOPE"]}, code: exitcode.Org,
			want: []string{"the org refused the sign-in at authorize: access_denied"}},
		{name: "a setting missing", args: []string{"--user", "gold", "--env-file", "partial.env"}, code: exitcode.Input,
			want: []string{"setting CLIENT_SECRET is missing", "--env-file partial.env"}},
		{name: "unknown user", args: []string{"--user", "bronze"}, code: exitcode.Usage, want: []string{`--user "bronze": want silver or gold`}},
		{name: "unknown format", args: []string{"--user", "gold", "--format", "yaml"}, code: exitcode.Usage, want: []string{`--format "yaml"`}},
	}
	partial := strings.Replace(r.out, "CLIENT_SECRET=", "#CLIENT_SECRET=", 1)
	must(t, os.WriteFile(dir+"/partial.env", []byte(partial), 0o600))
	for _, tt := range refusals {
		t.Run(tt.name, func(t *testing.T) {
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			r := runCLI(t, append([]string{"token"}, tt.args...)...)
			if r.code != tt.code || r.out != "" {
				t.Errorf("exit %d, stdout %q; want %d and nothing printed", r.code, r.out, tt.code)
			}
			for _, w := range tt.want {
				if !strings.Contains(r.errOut, w) {
					t.Errorf("stderr lacks %q:\n%s", w, r.errOut)
				}
			}
			if strings.Count(strings.TrimSpace(r.errOut), "\n") != 0 {
				t.Errorf("the error is not one line:\n%s", r.errOut)
			}
			if tt.notInErr != "" && strings.Contains(r.errOut, tt.notInErr) {
				t.Errorf("stderr holds %q:\n%s", tt.notInErr, r.errOut)
			}
		})
	}
}
