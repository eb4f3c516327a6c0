package bootstrap

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/oktaclient"
	"github.com/apicenter/apicenter/outputs"
)

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestOutputDirLostMidRun checks that when the output directory can no
// longer be written during a run (here it is replaced by a file when the
// first scope is created), the run fails and its summary says that not
// everything was recorded, instead of "recorded in".
func TestOutputDirLostMidRun(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	f := loadInput(t, `items:
  - object: AS
    kind: authorizationServer
    spec: {name: lost-dir-server, audience: api://lost}
  - object: S1
    kind: scope
    spec: {server: "{{AS.id}}", name: lost:one}
  - object: S2
    kind: scope
    spec: {server: "{{AS.id}}", name: lost:two}
`)
	dir := filepath.Join(t.TempDir(), "out")
	var once sync.Once
	tr := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/scopes") {
			once.Do(func() {
				os.RemoveAll(dir)
				os.WriteFile(dir, []byte("not a directory"), 0o600)
			})
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	ios, _, _, errOut := iostreams.Test()
	_, err := Run(context.Background(), Options{IO: ios, Input: f, OutputDir: dir, Yes: true, Env: orgOf(srv), Transport: tr, Concurrency: 1})
	if err == nil {
		t.Fatalf("the run succeeded though its output directory was gone\n%s", errOut)
	}
	if !strings.Contains(err.Error(), filepath.Join(dir, "prompts.yaml")) {
		t.Errorf("error %q does not name the output file", err)
	}
	if strings.Contains(errOut.String(), "Summary (recorded in") {
		t.Errorf("summary claims everything was recorded:\n%s", errOut)
	}
	if !strings.Contains(errOut.String(), "Summary (NOT all recorded: writing "+filepath.Join(dir, "prompts.yaml")+" failed") {
		t.Errorf("summary does not say what was not recorded:\n%s", errOut)
	}
}

// TestUnknownPasswordIsRecordedAndRefused checks a user that was in the
// org before apicenter, with a password apicenter does not know: the run
// says which password it does not know and exits 3, the output file
// records it as unknown, and get-settings refuses to print it; once the
// real password is passed with --set, it is known again.
func TestUnknownPasswordIsRecordedAndRefused(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	c, err := oktaclient.New(context.Background(), oktaclient.Config{OrgURL: srv.URL, Token: srv.Token})
	if err != nil {
		t.Fatal(err)
	}
	const real = "Real-Pa55-word!"
	_, _, err = c.User.CreateUser(context.Background(), okta.CreateUserRequest{
		Profile:     &okta.UserProfile{"login": "pat@example.com", "email": "pat@example.com", "firstName": "Pat", "lastName": "Before"},
		Credentials: &okta.UserCredentials{Password: &okta.PasswordCredential{Value: real}},
	}, &query.Params{Activate: boolPtr(true)})
	if err != nil {
		t.Fatal(err)
	}
	f := loadInput(t, `items:
  - value: PAT_PASSWORD
    secret: true
    generate: password
  - object: PAT
    kind: user
    spec: {login: pat@example.com, email: pat@example.com, firstName: Pat, lastName: Before, password: "{{PAT_PASSWORD}}"}
settings:
  pat:
    description: Pat's sign-in
    keys:
      PAT_USERNAME: "{{PAT.login}}"
      PAT_PASSWORD: "{{PAT_PASSWORD}}"
`)
	dir := t.TempDir()
	tests := []struct {
		name     string
		set      []string
		wantCode int
		wantErr  string
		unknown  bool
	}{
		{"generated password", nil, exitcode.Input, `the recorded password does not sign in: PAT_PASSWORD of user "pat@example.com" (PAT)`, true},
		{"run again, still unknown", nil, exitcode.Input, "PAT_PASSWORD of user", true},
		{"the real one passed", []string{"PAT_PASSWORD=" + real}, exitcode.OK, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			_, err := Run(context.Background(), Options{IO: ios, Input: f, OutputDir: dir, Yes: true, Set: tt.set, Env: orgOf(srv)})
			if code := exitcode.Of(err); code != tt.wantCode || (tt.wantErr != "" && !strings.Contains(err.Error(), tt.wantErr)) {
				t.Fatalf("exit %d, err %v; want %d and %q\n%s", code, err, tt.wantCode, tt.wantErr, errOut)
			}
			out, err := outputs.Load(outputs.Path(dir, f.Name))
			if err != nil {
				t.Fatal(err)
			}
			if got := out.Object("PAT").Fields[PasswordUnknownField] == "true"; got != tt.unknown {
				t.Errorf("recorded as unknown = %v, want %v", got, tt.unknown)
			}
			settings, err := Settings("pat", SettingsOptions{OutputDir: dir, Inputs: []*inputs.File{f}})
			if tt.unknown {
				if exitcode.Of(err) != exitcode.Input || err == nil || !strings.Contains(err.Error(), `PAT_PASSWORD is not the password of user "pat@example.com"`) {
					t.Errorf("get-settings of an unknown password: %v, %v", settings, err)
				}
				return
			}
			if err != nil || len(settings) != 2 || settings[1].Value != real {
				t.Errorf("get-settings = %v, %v; want the real password", settings, err)
			}
		})
	}
}
