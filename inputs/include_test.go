package inputs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeFiles writes name -> content under a temporary directory and
// returns it.
func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

const gatewayInput = `description: a gateway
include: standard
defaults:
  AUDIENCE: https://gw.example.com
  GATEWAY: mygw
items:
  - value: EXTRA
    default: "{{AUDIENCE}}/extra"
settings:
  mygw:
    description: app and console
    include: app
    keys:
      JWKS_URI: "{{AUTH_SERVER.issuer}}/v1/keys"
  mygw_doc:
    document: templates/doc.txt
  mygw_bundle:
    bundle: templates/bundle
demo:
  gateway:
    profile: mygw
    config: [mygw_doc, mygw_bundle]
  app: mygw
`

func TestIncludeStandard(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"mygw.yaml":                  gatewayInput,
		"templates/doc.txt":          "issuer {{AUTH_SERVER.issuer}} client {{WEB_APP.clientId}}\n",
		"templates/bundle/a.xml":     "<a>{{AUDIENCE}}</a>\n",
		"templates/bundle/sub/b.xml": "<b>{{GOLD_SCOPE}}</b>\n",
	})
	f, err := LoadFile(filepath.Join(dir, "mygw.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	// The base's items come first, then the file's own.
	if f.Items[0].Name != "AUTH_SERVER_NAME" || f.Items[len(f.Items)-1].Name != "EXTRA" {
		t.Errorf("items run from %s to %s", f.Items[0].Name, f.Items[len(f.Items)-1].Name)
	}
	kinds := map[Kind]int{}
	for _, it := range f.Items {
		if it.Obj != nil {
			kinds[it.Obj.Kind]++
		}
	}
	want := map[Kind]int{KindAuthServer: 1, KindScope: 2, KindGroup: 2, KindUser: 2, KindApp: 1, KindGroupAssignment: 2, KindPolicy: 1, KindRule: 2, KindTrustedOrigin: 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%d %s, want %d", kinds[k], k, n)
		}
	}
	if d := f.Item("AUDIENCE").Value.Default.Raw; d != "https://gw.example.com" {
		t.Errorf("AUDIENCE default = %q", d)
	}
	// The override is the file's own: the base's item stays as it was.
	other, err := LoadFile(filepath.Join(writeFiles(t, map[string]string{"plain.yaml": "include: standard\n"}), "plain.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if d := other.Item("AUDIENCE").Value.Default.Raw; d != "api://solarsystem" {
		t.Errorf("a file without defaults has AUDIENCE default %q", d)
	}
	// The base's key set is private: only the file's own sets are listed.
	var sets []string
	for _, s := range f.Settings {
		sets = append(sets, s.Name)
	}
	if got := strings.Join(sets, " "); got != "mygw mygw_doc mygw_bundle" {
		t.Errorf("settings sets = %s", got)
	}
	set, _ := f.SettingsSet("mygw")
	var keys []string
	for _, s := range set.Keys {
		keys = append(keys, s.Key)
	}
	if got := strings.Join(keys, " "); got != "ORG_URL ISSUER AUDIENCE CLIENT_ID CLIENT_SECRET REDIRECT_URI GATEWAY_URI GATEWAY SILVER_SCOPE GOLD_SCOPE SILVER_USERNAME SILVER_PASSWORD GOLD_USERNAME GOLD_PASSWORD JWKS_URI" {
		t.Errorf("keys = %s", got)
	}
	b, _ := f.SettingsSet("mygw_bundle")
	var names []string
	for _, bf := range b.Bundle {
		names = append(names, bf.Name)
	}
	if got := strings.Join(names, " "); got != "a.xml sub/b.xml" {
		t.Errorf("bundle files = %s", got)
	}
	if f.Demo == nil || f.Demo.Gateway.Profile != "mygw" || f.Demo.App != "mygw" || strings.Join(f.Demo.Gateway.Config, ",") != "mygw_doc,mygw_bundle" {
		t.Errorf("demo = %+v", f.Demo)
	}
}

func TestIncludeErrors(t *testing.T) {
	for _, tc := range []struct {
		name, replace, with, want string
	}{
		{"unknown base", "include: standard", "include: nosuch", `mygw.yaml:2:10: include "nosuch": no such base (have: standard)`},
		{"default of nothing", "  GATEWAY: mygw", "  NOSUCH: x", `mygw.yaml:5:3: defaults: "NOSUCH" is not a value of the included file (its values: AUTH_SERVER_NAME`},
		{"default of an object", "  GATEWAY: mygw", "  AUTH_SERVER: x", `defaults: "AUTH_SERVER" is not a value`},
		{"defaults without include", "include: standard\n", "", `mygw.yaml:3:3: defaults override the values of an included file: add include: NAME`},
		{"item defined twice", "  - value: EXTRA", "  - value: AUDIENCE", `mygw.yaml:7:5: AUDIENCE is already defined at inputs/base/standard.yaml:`},
		{"settings include of nothing", "    include: app", "    include: nosuch", `mygw.yaml:12:14: settings mygw: include "nosuch": the included file has no key set called "nosuch"`},
		{"empty bundle", "bundle: templates/bundle", "bundle: templates/nosuch", `mygw.yaml:18:13: bundle "templates/nosuch": no such file or directory`},
		{"demo names no set", "app: mygw\n", "app: nosuch\n", `demo: no settings set called "nosuch"`},
		{"demo config is keys", "config: [mygw_doc, mygw_bundle]", "config: [mygw]", `demo.gateway.config: settings mygw is a key set`},
		{"demo unknown key", "  app: mygw\n", "  app: mygw\n  port: 1\n", `unknown key "port" (expected one of: app, gateway, steps)`},
		{"bundle bad ref", "templates/doc.txt\n", "templates/doc.txt\n  x:\n    bundle: templates/bad\n", `{{NOPE}} refers to nothing`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			in := strings.Replace(gatewayInput, tc.replace, tc.with, 1)
			if in == gatewayInput {
				t.Fatalf("%q not found in the input", tc.replace)
			}
			dir := writeFiles(t, map[string]string{
				"mygw.yaml":              in,
				"templates/doc.txt":      "x\n",
				"templates/bundle/a.xml": "a\n",
				"templates/bad/c.xml":    "{{NOPE}}\n",
			})
			_, err := LoadFile(filepath.Join(dir, "mygw.yaml"))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v\nwant it to contain %q", err, tc.want)
			}
		})
	}
}
