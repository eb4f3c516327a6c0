package main

import (
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/exitcode"
)

// TestBootstrapRefusesBrokenInputsAndSettings runs bootstrap with broken
// input files, flags, settings and orgs. Each gives its clear error and
// exit code, and no object it created is missing from the output file.
func TestBootstrapRefusesBrokenInputsAndSettings(t *testing.T) {
	srv := devorgtest.Start(t)
	requireManagementAPI(t, srv)
	c := sdk(t, srv)

	failing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(500)
		w.Write([]byte(`{"errorCode":"E0000009","errorSummary":"Internal Server Error"}`))
	}))
	defer failing.Close()
	notOkta := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(404)
		w.Write([]byte("<html>nothing here</html>"))
	}))
	defer notOkta.Close()
	notAdmin := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(403)
		w.Write([]byte(`{"errorCode":"E0000006","errorSummary":"You do not have permission to perform the requested action","errorCauses":[]}`))
	}))
	defer notAdmin.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	refused := "http://" + ln.Addr().String()
	ln.Close()

	const good = "items:\n  - value: A\n    default: x\n"
	tests := []struct {
		name  string
		args  []string
		env   map[string]string // "" unsets
		files map[string]string // written in the working directory
		code  int
		want  string
	}{
		// flags
		{name: "no input", args: []string{}, code: exitcode.Usage, want: "or --input FILE (see 'apicenter bootstrap --help')"},
		{name: "two inputs", args: []string{"--mulesoft", "--mulesoft-policy"}, code: exitcode.Usage, want: "pass exactly one of"},
		{name: "unknown flag", args: []string{"--mulesoft", "--colour"}, code: exitcode.Usage, want: "unknown flag: --colour"},
		{name: "set without =", args: []string{"--mulesoft", "--set", "AUDIENCE"}, code: exitcode.Usage, want: `--set "AUDIENCE": write --set NAME=VALUE`},
		{name: "set of an unknown value", args: []string{"--mulesoft", "--set", "NOPE=1"}, code: exitcode.Usage, want: "--set NOPE: inputs/mulesoft.yaml has no value called NOPE"},
		{name: "concurrency 0", args: []string{"--mulesoft", "--concurrency", "0"}, code: exitcode.Usage, want: "--concurrency must be 1 or more"},
		// settings of the org
		{name: "no org URL", args: []string{"--mulesoft", "--yes"}, env: map[string]string{"OKTA_ORG_URL": ""}, code: exitcode.Usage, want: "no Okta org URL: pass --org-url or set OKTA_ORG_URL"},
		{name: "no token", args: []string{"--mulesoft", "--yes"}, env: map[string]string{"OKTA_API_TOKEN": ""}, code: exitcode.Usage, want: "no Okta API token: set OKTA_API_TOKEN or OKTA_CLIENT_TOKEN"},
		{name: "bad org URL", args: []string{"--mulesoft", "--yes", "--org-url", "dev-123.okta.com"}, code: exitcode.Usage, want: `org URL "dev-123.okta.com" is not a URL`},
		{name: "org URL with a path", args: []string{"--mulesoft", "--yes", "--org-url", "https://dev-1.okta.com/oauth2/default"}, code: exitcode.Usage, want: "must be just scheme://host[:port]"},
		{name: "the admin console's URL", args: []string{"--mulesoft", "--yes"}, env: map[string]string{"OKTA_ORG_URL": "https://dev-123-admin.okta.com"}, code: exitcode.Usage, want: "is the admin console's: use the org's own, https://dev-123.okta.com (from OKTA_ORG_URL (environment))"},
		{name: "http to a non-loopback host", args: []string{"--mulesoft", "--yes"}, env: map[string]string{"OKTA_ORG_URL": "http://dev-123.okta.com"}, code: exitcode.Usage, want: "plain http is accepted only for loopback addresses"},
		{name: "missing --env-file", args: []string{"--mulesoft", "--yes", "--env-file", "nope.env"}, code: exitcode.Usage, want: "reading env file"},
		{name: "malformed .env", args: []string{"--mulesoft", "--yes"}, files: map[string]string{".env": "JUST A LINE\n"}, code: exitcode.Usage, want: ".env:1: expected KEY=VALUE"},
		// input files
		{name: "missing input file", args: []string{"--input", "nope.yaml"}, code: exitcode.Input, want: "reading input file"},
		{name: "bad YAML", args: []string{"--input", "in.yaml", "--yes"}, files: map[string]string{"in.yaml": "items: [\n"}, code: exitcode.Input, want: "in.yaml:1: bad YAML"},
		{name: "unknown key", args: []string{"--input", "in.yaml", "--yes"}, files: map[string]string{"in.yaml": good + "    hnit: x\n"}, code: exitcode.Input, want: `in.yaml:4:5: unknown key "hnit"`},
		{name: "unknown kind", args: []string{"--input", "in.yaml", "--yes"}, files: map[string]string{"in.yaml": "items:\n  - object: X\n    kind: role\n    spec: {}\n"}, code: exitcode.Input, want: `in.yaml:3:11: unknown kind "role"`},
		{name: "unknown reference", args: []string{"--input", "in.yaml", "--yes"}, files: map[string]string{"in.yaml": "items:\n  - object: G\n    kind: group\n    spec: {name: \"{{GROUP_NAME}}\"}\n"}, code: exitcode.Input, want: "in.yaml:4:19: {{GROUP_NAME}} refers to nothing"},
		{name: "cycle", args: []string{"--input", "in.yaml", "--yes"}, files: map[string]string{"in.yaml": "items:\n  - object: G\n    kind: group\n    spec: {name: \"{{H.name}}\"}\n  - object: H\n    kind: group\n    spec: {name: \"{{G.name}}\"}\n"}, code: exitcode.Input, want: "reference cycle: G -> H -> G"},
		{name: "wrong type", args: []string{"--input", "in.yaml", "--yes"}, files: map[string]string{"in.yaml": "items:\n  - value: A\n    secret: 1\n"}, code: exitcode.Input, want: "in.yaml:3:13: secret must be true or false"},
		{name: "value needing an answer without a terminal", args: []string{"--mulesoft"}, code: exitcode.Input, want: "AUTH_SERVER_NAME needs an answer and there is no terminal to ask at: pass --yes to accept the defaults, or --set AUTH_SERVER_NAME=VALUE"},
		{name: "value without default under --yes", args: []string{"--input", "in.yaml", "--yes"}, files: map[string]string{"in.yaml": "items:\n  - value: CLIENT\n"}, code: exitcode.Input, want: "CLIENT has no default: pass --set CLIENT=VALUE"},
		{name: "policy step before the first", args: []string{"--mulesoft_policy", "--yes"}, code: exitcode.Input, want: "outputs/mulesoft.yaml does not exist: run `apicenter bootstrap --mulesoft` first"},
		{name: "invalid --set value", args: []string{"--mulesoft", "--yes", "--set", "SILVER_USERNAME=silver"}, code: exitcode.Input, want: `SILVER_USERNAME (from --set SILVER_USERNAME): "silver" is not an email address`},
		{name: "invalid value in the environment", args: []string{"--mulesoft", "--yes"}, env: map[string]string{"REDIRECT_URI": "ftp://x"}, code: exitcode.Input, want: `REDIRECT_URI (from environment): "ftp://x" is not an http(s) URL`},
		{name: "invalid secret value, not shown", args: []string{"--input", "in.yaml", "--yes", "--set", "S=hunter2 secret"}, files: map[string]string{"in.yaml": "items:\n  - value: S\n    secret: true\n    validate: email\n"}, code: exitcode.Input, want: `S (from --set S): "********" is not an email address`},
		{name: "weak --set password", args: []string{"--mulesoft", "--yes", "--set", "GOLD_PASSWORD=short"}, code: exitcode.Input, want: "a password needs at least 8 characters"},
		{name: "damaged output file", args: []string{"--mulesoft", "--yes"}, files: map[string]string{"outputs/mulesoft.yaml": "input: mulesoft\nvalues: 3\n"}, code: exitcode.Input, want: "outputs/mulesoft.yaml:2: the output file is damaged (cannot unmarshal"},
		// /proc takes no new directory, even from root; reading finds no
		// earlier output there, so only writing fails.
		{name: "output directory that cannot be written", args: []string{"--mulesoft", "--yes", "--output-dir", "/proc/apicenter-outputs"}, code: exitcode.Usage, want: "cannot write the output file /proc/apicenter-outputs/mulesoft.yaml, which records what is created: mkdir /proc/apicenter-outputs: no such file or directory (choose another --output-dir)"},
		{name: "output directory that is a file", args: []string{"--mulesoft", "--yes", "--output-dir", "afile"}, files: map[string]string{"afile": "not a directory\n"}, code: exitcode.Usage, want: "not a directory (choose another --output-dir)"},
		{name: "output directory that cannot be written, literal object", args: []string{"--input", "in.yaml", "--yes", "--output-dir", "/proc/apicenter-outputs"}, files: map[string]string{"in.yaml": "items:\n  - object: G\n    kind: group\n    spec: {name: unrecordable}\n"}, code: exitcode.Usage, want: "cannot write the output file /proc/apicenter-outputs/in.yaml"},
		{name: "output of another org", args: []string{"--mulesoft", "--yes"}, files: map[string]string{"outputs/mulesoft.yaml": "input: mulesoft\norgUrl: https://other.okta.com\n"}, code: exitcode.Usage, want: "outputs/mulesoft.yaml was written for the org https://other.okta.com"},
		// the org
		{name: "wrong token", args: []string{"--mulesoft", "--yes"}, env: map[string]string{"OKTA_API_TOKEN": "00wrong-token"}, code: exitcode.Org, want: "rejected the API token (E0000011 Invalid token provided): check OKTA_API_TOKEN (environment)"},
		{name: "wrong token in .env", args: []string{"--mulesoft", "--yes"}, env: map[string]string{"OKTA_API_TOKEN": ""}, files: map[string]string{".env": "OKTA_CLIENT_TOKEN=00wrong-token\n"}, code: exitcode.Org, want: "rejected the API token (E0000011 Invalid token provided): check OKTA_CLIENT_TOKEN (.env)"},
		{name: "no such host from OKTA_TENANT", args: []string{"--mulesoft", "--yes"}, env: map[string]string{"OKTA_ORG_URL": "", "OKTA_TENANT": "https://nonexistent.invalid"}, code: exitcode.Org, want: "no such host nonexistent.invalid; check OKTA_TENANT (environment)"},
		{name: "token without admin rights", args: []string{"--mulesoft", "--yes", "--org-url", notAdmin.URL}, code: exitcode.Org, want: "the API token has no admin rights in " + notAdmin.URL + " (E0000006"},
		{name: "org answering 500", args: []string{"--mulesoft", "--yes", "--org-url", failing.URL}, code: exitcode.Org, want: "answered 500 Internal Server Error"},
		{name: "not an Okta org", args: []string{"--mulesoft", "--yes", "--org-url", notOkta.URL}, code: exitcode.Org, want: "does not look like an Okta org: it answered 404 (text/html)"},
		{name: "connection refused", args: []string{"--mulesoft", "--yes", "--org-url", refused}, code: exitcode.Org, want: "connection refused"},
		{name: "no such host", args: []string{"--mulesoft", "--yes", "--org-url", "https://nonexistent.invalid"}, code: exitcode.Org, want: "no such host nonexistent.invalid; check --org-url"},
		// Okta's password policy refuses a part of the username: refused
		// before anything is created, naming the value.
		{name: "--set password holding a part of the login", args: []string{"--mulesoft", "--yes", "--set", "SILVER_PASSWORD=Silver1user", "--set", "SILVER_USERNAME=silver.user@e2e.example.com", "--set", "AUTH_SERVER_NAME=rejects"}, code: exitcode.Input, want: `SILVER_PASSWORD (from --set SILVER_PASSWORD): it contains "silver", a part of the login silver.user@e2e.example.com (SILVER_USERNAME)`},
		{name: "password holding a part of the default login", args: []string{"--mulesoft", "--yes"}, env: map[string]string{"GOLD_PASSWORD": "Xy-12-GOLD-ab"}, code: exitcode.Input, want: `GOLD_PASSWORD (from environment): it contains "gold", a part of the login gold.user@example.com (GOLD_USERNAME)`},
		{name: "default password holding a part of a literal login", args: []string{"--input", "in.yaml", "--yes"}, files: map[string]string{"in.yaml": "items:\n  - value: P\n    default: Alice-Xy-12\n  - object: U\n    kind: user\n    spec: {login: alice@x.example, firstName: A, lastName: B, password: \"{{P}}\"}\n"}, code: exitcode.Input, want: `in.yaml:2:5: the default of P is not valid: it contains "alice", a part of the login alice@x.example`},
		{name: "literal password holding a part of the login", args: []string{"--input", "in.yaml", "--yes"}, files: map[string]string{"in.yaml": "items:\n  - object: U\n    kind: user\n    spec: {login: alice@x.example, firstName: A, lastName: B, password: Alice-Xy-12}\n"}, code: exitcode.Input, want: `user "alice@x.example" (U, in.yaml:2:5): its password contains "alice", a part of its login`},
		{name: "a group name Okta rejects", args: []string{"--input", "in.yaml", "--yes"}, files: map[string]string{"in.yaml": "items:\n  - object: G\n    kind: group\n    spec: {name: \"\"}\n"}, code: exitcode.Org, want: `group "" (G, in.yaml:2:5): the org answered E0000001`},
		{name: "an app that does not exist", args: []string{"--input", "in.yaml", "--yes"}, files: map[string]string{"in.yaml": "items:\n  - object: E\n    kind: group\n    existing: true\n    spec: {name: Everyone}\n  - object: A\n    kind: groupAssignment\n    spec: {app: 0oanotthere000000000, group: \"{{E.id}}\"}\n"}, code: exitcode.Org, want: `groupAssignment "0oanotthere000000000 / `},
		{name: "an existing group that is not there", args: []string{"--input", "in.yaml", "--yes"}, files: map[string]string{"in.yaml": "items:\n  - object: E\n    kind: group\n    existing: true\n    spec: {name: Nobody}\n"}, code: exitcode.Org, want: `no group called "Nobody" in the org (it must exist; it is never created)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := orgEnv(t, srv)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			for name, content := range tt.files {
				p := filepath.Join(dir, name)
				must(t, os.MkdirAll(filepath.Dir(p), 0o700))
				must(t, os.WriteFile(p, []byte(content), 0o600))
			}
			before := orgObjects(t, c)
			r := runCLI(t, append([]string{"bootstrap"}, tt.args...)...)
			if r.code != tt.code {
				t.Errorf("exit code %d, want %d\nstderr:\n%s", r.code, tt.code, r.errOut)
			}
			if !strings.Contains(r.errOut, tt.want) {
				t.Errorf("stderr lacks %q:\n%s", tt.want, r.errOut)
			}
			if strings.Count(r.errOut, "apicenter: ") != 1 {
				t.Errorf("the error is not printed exactly once:\n%s", r.errOut)
			}
			if m := regexp.MustCompile(`recorded in ([^\s):]+)`).FindStringSubmatch(r.errOut); m != nil {
				if _, err := os.Stat(filepath.Join(dir, m[1])); err != nil {
					t.Errorf("stderr says %s records the run, but %v", m[1], err)
				}
			}
			if regexp.MustCompile(`(?m) +$`).MatchString(r.errOut) {
				t.Errorf("stderr has lines ending in spaces:\n%q", r.errOut)
			}
			if strings.Contains(r.errOut+r.out, "hunter2") {
				t.Errorf("a secret value is in the output:\n%s", r.errOut)
			}
			if strings.Contains(r.errOut+r.out, srv.Token) {
				t.Errorf("the token is in the output")
			}
			created := newObjects(before, orgObjects(t, c))
			if (tt.code == exitcode.Usage || tt.code == exitcode.Input) && len(created) > 0 {
				t.Errorf("a bad setting or input created objects: %v", created)
			}
			assertRecorded(t, dir, created)
			assertNoToken(t, dir, srv.Token)
		})
	}
	if len(tests) < 25 {
		t.Fatalf("only %d cases", len(tests))
	}
}
