package inputs

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestNext checks the references of next, which the bootstrap prints with
// their values: to values and fields that exist, never to a secret.
func TestNext(t *testing.T) {
	const items = "items:\n  - value: SCOPE\n    default: s\n  - value: PASSWORD\n    secret: true\n  - object: APP\n    kind: app\n    spec: {label: x, type: service, grantTypes: [client_credentials]}\n"
	tests := []struct {
		name, next, want string
		refs             []string
	}{
		{"values and fields", `"GET /planets: {{SCOPE}}, client {{APP.clientId}} at {{ORG_URL}}"`, "", []string{"{{SCOPE}}", "{{APP.clientId}}", "{{ORG_URL}}"}},
		{"plain text", "|-\n  run this\n  then that", "", nil},
		{"a reference to nothing", `"GET /planets: {{SILVER_SCOPE}}"`, "next.yaml:1:22: {{SILVER_SCOPE}} refers to nothing", nil},
		{"a secret value", `"password {{PASSWORD}}"`, "next.yaml:1:17: next is printed: it may not show the secret {{PASSWORD}}", nil},
		{"a secret field", `"{{APP.clientSecret}}"`, "it may not show the secret {{APP.clientSecret}}", nil},
		{"the API token", `"{{OKTA_API_TOKEN}}"`, "the API token may be used only in settings", nil},
		{"not a string", "[a, b]", "next.yaml:1:7: next must be a string", nil},
	}
	dir := t.TempDir()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(dir, "next.yaml")
			if err := os.WriteFile(path, []byte("next: "+tt.next+"\n"+items), 0o600); err != nil {
				t.Fatal(err)
			}
			f, err := LoadFile(path)
			if tt.want != "" {
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Fatalf("error = %v, want %q", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var refs []string
			for _, r := range f.Next.Refs() {
				refs = append(refs, r.String())
			}
			if strings.Join(refs, " ") != strings.Join(tt.refs, " ") {
				t.Errorf("next refers to %v, want %v", refs, tt.refs)
			}
		})
	}
}
