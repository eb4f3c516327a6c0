package inputs

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestEmbeddedInputsLoad(t *testing.T) {
	names := Embedded()
	if !slices.Contains(names, "mulesoft") || !slices.Contains(names, "mulesoft_policy") {
		t.Fatalf("Embedded() = %v", names)
	}
	for _, n := range names {
		if _, err := LoadEmbedded(n); err != nil {
			t.Errorf("embedded input %s: %v", n, err)
		}
	}
	m, err := LoadEmbedded("mulesoft")
	if err != nil {
		t.Fatal(err)
	}
	kinds := map[Kind]int{}
	for _, it := range m.Items {
		if it.Obj != nil {
			kinds[it.Obj.Kind]++
		}
	}
	want := map[Kind]int{KindAuthServer: 1, KindScope: 2, KindGroup: 2, KindUser: 2, KindApp: 1}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("mulesoft has %d %s, want %d", kinds[k], k, n)
		}
	}
	p, err := LoadEmbedded("mulesoft_policy")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Needs) != 1 || p.Needs[0].Name != "mulesoft" {
		t.Fatalf("mulesoft_policy needs %v", p.Needs)
	}
	set, owner := p.SettingsSet("mulesoft")
	if set == nil || owner != p {
		t.Fatal("mulesoft_policy has no settings set mulesoft")
	}
	var keys []string
	secret := map[string]bool{}
	for _, s := range set.Keys {
		keys = append(keys, s.Key)
		secret[s.Key] = s.Secret
	}
	wantKeys := "ORG_URL ISSUER AUDIENCE CLIENT_ID CLIENT_SECRET REDIRECT_URI GATEWAY_URI GATEWAY SILVER_SCOPE GOLD_SCOPE SILVER_USERNAME SILVER_PASSWORD GOLD_USERNAME GOLD_PASSWORD"
	if strings.Join(keys, " ") != wantKeys {
		t.Errorf("mulesoft settings keys = %s\nwant %s", strings.Join(keys, " "), wantKeys)
	}
	for _, k := range []string{"CLIENT_SECRET", "SILVER_PASSWORD", "GOLD_PASSWORD"} {
		if !secret[k] {
			t.Errorf("%s is not marked secret", k)
		}
	}
	if secret["ISSUER"] {
		t.Error("ISSUER is marked secret")
	}
	raml, _ := m.SettingsSet("mulesoft_raml")
	if raml == nil || raml.Document == nil {
		t.Fatal("no RAML document")
	}
	refs := map[string]bool{}
	for _, r := range raml.Document.Refs() {
		refs[r.String()] = true
	}
	if !refs["{{AUTH_SERVER.issuer}}"] || !strings.Contains(raml.Document.Raw, "/planets:") || !strings.Contains(raml.Document.Raw, "/moons:") {
		t.Errorf("RAML lacks the templated issuer or the resources: %v", refs)
	}
}

// TestBrokenInputs checks that each broken input is refused with an error
// naming the place (file:line:column) and the problem.
func TestBrokenInputs(t *testing.T) {
	const head = "items:\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"bad yaml", "items: [\n  - value: A\n", "broken.yaml:1: bad YAML: did not find expected node content"},
		{"tab indentation", "items:\n\t- value: A\n", "broken.yaml:2: bad YAML"},
		{"empty file", "", "broken.yaml: empty input file"},
		{"not a mapping", "- value: A\n", "broken.yaml:1:1: an input file is a mapping"},
		{"unknown top-level key", "itemz: []\n", `broken.yaml:1:1: unknown key "itemz"`},
		{"missing items", "description: x\n", `missing key "items"`},
		{"items not a list", "items: {a: 1}\n", "broken.yaml:1:8: items must be a list"},
		{"item without value or object", head + "  - hint: x\n", "broken.yaml:2:5: an item has exactly one of value: NAME or object: NAME"},
		{"item with both", head + "  - value: A\n    object: B\n", "exactly one of"},
		{"unknown value key", head + "  - value: A\n    defualt: x\n", `broken.yaml:3:5: unknown key "defualt"`},
		{"secret not a bool", head + "  - value: A\n    secret: yes please\n", "broken.yaml:3:13: secret must be true or false"},
		{"bad generator", head + "  - value: A\n    generate: uuid\n", `broken.yaml:3:15: unknown generator "uuid"`},
		{"default and generate", head + "  - value: A\n    default: x\n    generate: tag\n", "has both default and generate"},
		{"bad name", head + "  - value: a-b\n", `broken.yaml:2:12: bad name "a-b"`},
		{"duplicate name", head + "  - value: A\n  - value: A\n", "broken.yaml:3:5: A is already defined at "},
		{"builtin name", head + "  - value: ORG_URL\n", "ORG_URL is a built-in name"},
		{"unknown kind", head + "  - object: G\n    kind: grupe\n    spec: {name: x}\n", `broken.yaml:3:11: unknown kind "grupe"`},
		{"missing kind", head + "  - object: G\n    spec: {name: x}\n", "object G has no kind"},
		{"missing spec", head + "  - object: G\n    kind: group\n", "object G has no spec"},
		{"unknown spec key", head + "  - object: G\n    kind: group\n    spec: {name: x, colour: red}\n", `broken.yaml:4:21: unknown key "colour"`},
		{"missing required spec key", head + "  - object: U\n    kind: user\n    spec: {login: a@b.c}\n", `user U: spec is missing "firstName"`},
		{"policy without description", head + "  - object: P\n    kind: policy\n    spec: {server: s, name: n, clients: [c]}\n", `policy P: spec is missing "description"`},
		{"list where string", head + "  - object: G\n    kind: group\n    spec: {name: [x]}\n", "broken.yaml:4:18: group.name must be a string"},
		{"string where list", head + "  - object: O\n    kind: trustedOrigin\n    spec: {name: x, origin: http://a, scopes: CORS}\n", "trustedOrigin.scopes must be a list"},
		{"int where number", head + "  - object: P\n    kind: policy\n    spec: {server: s, name: n, clients: [c], priority: first}\n", "policy.priority must be a whole number"},
		{"token lifetime out of range", head + "  - object: R\n    kind: rule\n    spec: {server: s, policy: p, name: n, priority: 1, groups: [g], grantTypes: [x], scopes: [y], accessTokenLifetimeMinutes: 2000}\n", "accessTokenLifetimeMinutes must be between 5 and 1440"},
		{"bad app type", head + "  - object: A\n    kind: app\n    spec: {label: x, type: spa, grantTypes: [c]}\n", `app type "spa"`},
		{"unknown reference", head + "  - value: A\n    default: \"x{{NOPE}}\"\n", "broken.yaml:3:16: {{NOPE}} refers to nothing"},
		{"bad reference syntax", head + "  - value: A\n    default: \"{{ no good }}\"\n", "bad reference"},
		{"field of a value", head + "  - value: A\n  - value: B\n    default: \"{{A.id}}\"\n", "A is a value and has no fields"},
		{"object without field", head + "  - object: G\n    kind: group\n    spec: {name: x}\n  - value: B\n    default: \"{{G}}\"\n", "broken.yaml:6:15: {{G}} is an object; refer to one of its fields: {{G.id}}, {{G.name}}"},
		{"unknown field", head + "  - object: G\n    kind: group\n    spec: {name: x}\n  - value: B\n    default: \"{{G.issuer}}\"\n", `a group has no field "issuer"`},
		{"token in an object", head + "  - object: G\n    kind: group\n    spec: {name: \"{{OKTA_API_TOKEN}}\"}\n", "the API token may be used only in settings"},
		{"cycle", head + "  - value: A\n    default: \"{{B}}\"\n  - value: B\n    default: \"{{A}}\"\n", "reference cycle: A -> B -> A"},
		{"object cycle", head + "  - object: G\n    kind: group\n    spec: {name: \"{{H.name}}\"}\n  - object: H\n    kind: group\n    spec: {name: \"{{G.name}}\"}\n", "reference cycle: G -> H -> G"},
		{"rules out of order", head + "  - object: R1\n    kind: rule\n    spec: {server: s, policy: p, name: a, priority: 2, groups: [g], grantTypes: [x], scopes: [y]}\n  - object: R2\n    kind: rule\n    spec: {server: s, policy: p, name: b, priority: 1, groups: [g], grantTypes: [x], scopes: [y]}\n", "priority 1 after priority 2"},
		{"unknown need", "needs: [nope]\n" + head + "  - value: A\n", `needs "nope"`},
		{"settings without keys", head + "  - value: A\nsettings:\n  s: {description: x}\n", "settings s needs exactly one of keys, document or bundle"},
		{"settings unknown ref", head + "  - value: A\nsettings:\n  s: {keys: {K: \"{{B}}\"}}\n", "{{B}} refers to nothing"},
		{"missing document", head + "  - value: A\nsettings:\n  s: {document: nope.raml}\n", `document "nope.raml"`},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "broken.yaml")
			if err := os.WriteFile(path, []byte(tt.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadFile(path)
			if err == nil {
				t.Fatalf("loaded without error; want %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error = %q\nwant it to contain %q", err, tt.want)
			}
		})
	}
}

func TestNeedsMakeNamesVisible(t *testing.T) {
	dir := t.TempDir()
	write := func(name, s string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(s), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	write("doc.txt", "issuer={{AUTH_SERVER.issuer}} client={{C}}")
	p := write("mine.yaml", `needs: [mulesoft]
items:
  - value: C
    default: "{{SILVER_SCOPE}}"
  - object: G
    kind: group
    spec: {name: "{{GOLD_GROUP.name}}-copy"}
settings:
  d: {document: doc.txt}
`)
	f, err := LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	if f.Name != "mine" {
		t.Errorf("name = %q", f.Name)
	}
	if it, owner := f.Lookup("SILVER_SCOPE"); it == nil || owner.Name != "mulesoft" {
		t.Errorf("SILVER_SCOPE not found in the needed input")
	}
	// redefining a needed name is refused
	p2 := write("clash.yaml", "needs: [mulesoft]\nitems:\n  - value: AUDIENCE\n")
	if _, err := LoadFile(p2); err == nil || !strings.Contains(err.Error(), "AUDIENCE is already defined at inputs/mulesoft.yaml") {
		t.Errorf("err = %v", err)
	}
	// a file needing itself
	p3 := write("self.yaml", "needs: [self.yaml]\nitems: []\n")
	if _, err := LoadFile(p3); err == nil || !strings.Contains(err.Error(), "needs itself") {
		t.Errorf("err = %v", err)
	}
}

func TestTemplate(t *testing.T) {
	tm, err := ParseTemplate(Pos{File: "f", Line: 3, Column: 10}, "a{{X}}b{{ Y.id }}c")
	if err != nil {
		t.Fatal(err)
	}
	refs := tm.Refs()
	if len(refs) != 2 || refs[0].Name != "X" || refs[1].Name != "Y" || refs[1].Field != "id" {
		t.Fatalf("refs = %+v", refs)
	}
	if refs[0].Pos.Column != 11 || refs[1].Pos.Column != 17 {
		t.Errorf("columns = %d, %d; want 11, 17", refs[0].Pos.Column, refs[1].Pos.Column)
	}
	got, err := tm.Expand(func(r Ref) (string, error) { return "<" + r.Name + r.Field + ">", nil })
	if err != nil || got != "a<X>b<Yid>c" {
		t.Errorf("Expand = %q, %v", got, err)
	}
	if _, err := ParseTemplate(Pos{File: "f", Line: 1, Column: 1}, "x {{unclosed"); err == nil {
		t.Error("an unclosed reference was accepted")
	}
}
