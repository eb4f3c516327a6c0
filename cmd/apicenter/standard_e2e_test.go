package main

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"io"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// standardFlows are the inputs on the original's one-step standard flow:
// every embedded input whose demo runs it alone (no steps of its own), and
// a user's input file that includes the standard base.
func standardFlows(t *testing.T) []standardFlow {
	t.Helper()
	var flows []standardFlow
	for _, name := range inputs.Embedded() {
		f, err := inputs.LoadEmbedded(name)
		must(t, err)
		if f.Demo != nil && len(f.Demo.Steps) == 0 {
			flows = append(flows, standardFlow{name: name, input: f, flag: []string{"--" + name}})
		}
	}
	src, err := filepath.Abs(filepath.Join("testdata", "standard"))
	must(t, err)
	f, err := inputs.LoadFile(filepath.Join(src, "mygw.yaml"))
	must(t, err)
	flows = append(flows, standardFlow{name: "mygw", input: f, flag: []string{"--input", filepath.Join(src, "mygw.yaml")}})
	return flows
}

type standardFlow struct {
	name  string
	input *inputs.File
	flag  []string // bootstrap's input flag
}

// settingsFlag is get-settings' flag for set.
func (s standardFlow) settingsFlag(set string) []string {
	if s.flag[0] == "--input" {
		return []string{"--input", s.flag[1], "--settings", set}
	}
	return []string{"--" + set}
}

// TestStandardFlows runs every standard-flow input against a fresh local
// org: the objects it creates, the web app's settings, every document and
// bundle rendered from the recorded objects, real sign-ins whose tokens
// carry the audience and scopes the gateway checks, and a second run that
// creates nothing.
func TestStandardFlows(t *testing.T) {
	for _, flow := range standardFlows(t) {
		t.Run(flow.name, func(t *testing.T) {
			srv := devorgtest.Start(t)
			dir := orgEnv(t, srv)
			c := sdk(t, srv)
			before := orgObjects(t, c)
			run := func(args ...string) cliResult {
				t.Helper()
				r := runCLI(t, args...)
				if r.code != 0 {
					t.Fatalf("apicenter %s: exit %d\n%s", strings.Join(args, " "), r.code, r.errOut)
				}
				return r
			}
			r := run(append([]string{"bootstrap", "--yes"}, flow.flag...)...)
			if !strings.Contains(r.errOut, "14 created, 0 found") {
				t.Errorf("fresh run:\n%s", r.errOut)
			}
			after := orgObjects(t, c)
			created := newObjects(before, after)
			assertRecorded(t, dir, created)
			wantNew := map[string]int{"authorizationServer": 1, "scope": 2, "group": 2, "user": 2, "app": 1, "policy": 1, "rule": 2, "trustedOrigin": 1, "groupAssignment": 2, "membership": 5}
			if got := counts(created); fmtCounts(got) != fmtCounts(wantNew) {
				t.Errorf("new objects: %s\nwant %s", fmtCounts(got), fmtCounts(wantNew))
			}

			app := parseEnv(t, run(append([]string{"get-settings"}, flow.settingsFlag(flow.input.Demo.App)...)...).out)
			aud := flow.input.Item("AUDIENCE").Value.Default.Raw
			if app["AUDIENCE"] != aud || !strings.HasPrefix(app["ISSUER"], srv.URL+"/oauth2/aus") || app["CLIENT_SECRET"] == "" {
				t.Errorf("settings: %v", app)
			}
			for _, set := range flow.input.Settings {
				if len(set.Keys) > 0 {
					continue
				}
				out := run(append([]string{"get-settings"}, flow.settingsFlag(set.Name)...)...).out
				texts := []string{out}
				if len(set.Bundle) > 0 {
					// A bundle holds the values somewhere, not in each file
					// (an Apigee target endpoint names only the upstream).
					texts = []string{strings.Join(unzip(t, out, len(set.Bundle)), "\n")}
				}
				for _, text := range texts {
					// A policies file (Tyk's) names the scopes, not the server.
					holds := strings.Contains(text, app["ISSUER"]) || strings.Contains(text, aud) || strings.Contains(text, app["GATEWAY_URI"]) || strings.Contains(text, app["SILVER_SCOPE"])
					if strings.Contains(text, "{{") || !holds {
						t.Errorf("--%s does not hold the recorded values:\n%s", set.Name, text)
					}
				}
			}

			// Real sign-ins: the tokens carry what the gateway checks.
			ms := &mulesoft.Settings{App: app}
			silver, gold := app["SILVER_SCOPE"], app["GOLD_SCOPE"]
			tok := mulesofttest.SignIn(t, ms, app["SILVER_USERNAME"], app["SILVER_PASSWORD"], "openid", silver)
			claims := accessClaims(t, tok.AccessToken)
			if claims.Aud != aud || claims.Cid != app["CLIENT_ID"] || !slices.Equal(claims.Scp, []string{"openid", silver}) {
				t.Errorf("silver token: %+v", claims)
			}
			if _, e := mulesofttest.TrySignIn(t, ms, app["SILVER_USERNAME"], app["SILVER_PASSWORD"], "openid", gold); e != "access_denied" {
				t.Errorf("silver user asking for gold: error %q, want access_denied", e)
			}
			tok = mulesofttest.SignIn(t, ms, app["GOLD_USERNAME"], app["GOLD_PASSWORD"], "openid", silver, gold)
			if claims := accessClaims(t, tok.AccessToken); !slices.Contains(claims.Scp, gold) || !slices.Contains(claims.Scp, silver) {
				t.Errorf("gold token: %+v", claims)
			}

			// A second run creates nothing and changes nothing.
			r = run(append([]string{"bootstrap", "--yes"}, flow.flag...)...)
			if !strings.Contains(r.errOut, "0 created, 14 found") {
				t.Errorf("second run:\n%s", r.errOut)
			}
			if again := orgObjects(t, c); fmtCounts(counts(again)) != fmtCounts(counts(after)) {
				t.Errorf("second run changed the org: %s\nwas %s", fmtCounts(counts(again)), fmtCounts(counts(after)))
			}
			assertNoToken(t, dir, srv.Token)
		})
	}
}

// TestBundleNotToATerminal: a bundle is a zip archive, refused on a
// terminal with the redirect to use.
func TestBundleNotToATerminal(t *testing.T) {
	src, err := filepath.Abs(filepath.Join("testdata", "standard", "mygw.yaml"))
	must(t, err)
	srv := devorgtest.Start(t)
	orgEnv(t, srv)
	if r := runCLI(t, "bootstrap", "--yes", "--input", src); r.code != 0 {
		t.Fatalf("bootstrap: exit %d\n%s", r.code, r.errOut)
	}
	if r := runCLI(t, "get-settings", "--input", src, "--settings", "mygw_bundle", "--format", "json"); r.code != exitcode.Usage || !strings.Contains(r.errOut, "--format json: --mygw_bundle prints a zip archive") {
		t.Errorf("--format json: exit %d\n%s", r.code, r.errOut)
	}
	ios, _, out, errOut := iostreams.Test()
	ios.OutTTY = true
	if code := Execute(t.Context(), []string{"get-settings", "--input", src, "--settings", "mygw_bundle"}, ios); code != exitcode.Usage || out.Len() != 0 ||
		!strings.Contains(errOut.String(), "--mygw_bundle prints a zip archive: redirect it to a file (apicenter get-settings --mygw_bundle > mygw_bundle.zip)") {
		t.Errorf("to a terminal: exit %d, %d bytes out\n%s", code, out.Len(), errOut)
	}
}

// unzip reads a zip archive of n files and returns their contents.
func unzip(t *testing.T, data string, n int) []string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader([]byte(data)), int64(len(data)))
	must(t, err)
	if len(zr.File) != n {
		t.Fatalf("the zip has %d files, want %d", len(zr.File), n)
	}
	var out []string
	for _, f := range zr.File {
		rc, err := f.Open()
		must(t, err)
		b, err := io.ReadAll(rc)
		must(t, err)
		rc.Close()
		out = append(out, string(b))
	}
	return out
}

// tokenClaims are the access-token claims a gateway checks.
type tokenClaims struct {
	Iss string   `json:"iss"`
	Aud string   `json:"aud"`
	Cid string   `json:"cid"`
	Scp []string `json:"scp"`
}

// accessClaims decodes (without verifying: the gateways' tests verify) an
// access token's claims.
func accessClaims(t *testing.T, token string) tokenClaims {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("not a JWT: %q", token)
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	must(t, err)
	var c tokenClaims
	must(t, json.Unmarshal(b, &c))
	return c
}
