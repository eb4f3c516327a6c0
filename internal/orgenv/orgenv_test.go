package orgenv

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	src := `# comment
export OKTA_ORG_URL=https://a.okta.com
PLAIN=value # trailing comment
DQ="with \"quotes\" and \$dollar\nnewline"
SQ='lit $x \n'
EMPTY=
 SPACED = x 
`
	got, err := Parse(".env", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"OKTA_ORG_URL": "https://a.okta.com",
		"PLAIN":        "value",
		"DQ":           "with \"quotes\" and $dollar\nnewline",
		"SQ":           `lit $x \n`,
		"EMPTY":        "",
		"SPACED":       "x",
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	for _, bad := range []string{"NOEQUALS\n", "A=\"unterminated\n", "BAD KEY=1\n"} {
		if _, err := Parse(".env", []byte(bad)); err == nil || !strings.Contains(err.Error(), ".env:1:") {
			t.Errorf("Parse(%q) err = %v, want .env:1: error", bad, err)
		}
	}
}

func TestResolveOrg(t *testing.T) {
	dir := t.TempDir()
	envPath := filepath.Join(dir, ".env")
	os.WriteFile(envPath, []byte("OKTA_TENANT=https://file.okta.com\nOKTA_CLIENT_TOKEN=filetoken\n"), 0o600)
	tests := []struct {
		name    string
		flag    string
		environ map[string]string
		file    bool
		wantURL string
		wantTok string
		wantSrc string
		wantErr string
	}{
		{"flag wins", "https://flag.okta.com", map[string]string{"OKTA_ORG_URL": "https://env.okta.com", "OKTA_API_TOKEN": "t"}, true, "https://flag.okta.com", "t", "OKTA_API_TOKEN (environment)", ""},
		{"environment before .env", "", map[string]string{"OKTA_CLIENT_ORGURL": "https://env.okta.com"}, true, "https://env.okta.com", "filetoken", "OKTA_CLIENT_TOKEN (" + envPath + ")", ""},
		{".env", "", nil, true, "https://file.okta.com", "filetoken", "OKTA_CLIENT_TOKEN (" + envPath + ")", ""},
		{"no url", "", map[string]string{"OKTA_API_TOKEN": "t"}, false, "", "", "", "pass --org-url or set OKTA_ORG_URL"},
		{"no token", "https://a.okta.com", nil, false, "", "", "", "set OKTA_API_TOKEN or OKTA_CLIENT_TOKEN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			get := func(k string) (string, bool) { v, ok := tt.environ[k]; return v, ok }
			path := ""
			if tt.file {
				path = envPath
			}
			env, err := Load(path, false, get)
			if err != nil {
				t.Fatal(err)
			}
			org, err := ResolveOrg(tt.flag, env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if org.URL != tt.wantURL || org.Token != tt.wantTok || org.TokenSource != tt.wantSrc {
				t.Errorf("got %q %q from %q, want %q %q from %q", org.URL, org.Token, org.TokenSource, tt.wantURL, tt.wantTok, tt.wantSrc)
			}
		})
	}
	if _, err := Load(filepath.Join(dir, "missing"), true, nil); err != nil {
		t.Errorf("optional missing .env: %v", err)
	}
	if _, err := Load(filepath.Join(dir, "missing"), false, nil); err == nil {
		t.Error("a missing --env-file was accepted")
	}
}
