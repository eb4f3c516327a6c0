package bootstrap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/orgenv"
	"github.com/apicenter/apicenter/outputs"
)

// TestConcurrentRunsSharedOutputDir starts 4 bootstraps of each Mulesoft
// step at once against one org, in one output directory, for several
// rounds on fresh orgs: each round must end with exactly one of every
// object, recorded in the output files, and the recorded passwords must
// sign their users in.
func TestConcurrentRunsSharedOutputDir(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	const runs, rounds = 4, 5
	for round := 1; round <= rounds; round++ {
		t.Run(fmt.Sprintf("round %d", round), func(t *testing.T) {
			statePath := filepath.Join(t.TempDir(), "org.json")
			srv := devorgtest.Start(t, devorg.Options{StatePath: statePath})
			env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": srv.Token}
			outDir := t.TempDir()
			together := func(step string) {
				f, err := inputs.LoadEmbedded(step)
				if err != nil {
					t.Fatal(err)
				}
				var wg sync.WaitGroup
				errs := make([]error, runs)
				logs := make([]bytes.Buffer, runs)
				for i := range runs {
					wg.Add(1)
					go func() {
						defer wg.Done()
						_, errs[i] = bootstrap.Run(context.Background(), bootstrap.Options{
							IO:        &iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &logs[i]},
							Input:     f,
							Env:       &orgenv.Env{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }},
							Yes:       true,
							OutputDir: outDir,
						})
					}()
				}
				wg.Wait()
				for i, err := range errs {
					if err != nil {
						t.Fatalf("%s run %d: %v\n%s", step, i, err, logs[i].String())
					}
				}
			}
			together("mulesoft")
			clientID, clientSecret := registerClient(t, srv)
			env["AUTHN_CLIENT_ID"], env["AUTHN_CLIENT_SECRET"] = clientID, clientSecret
			together("mulesoft_policy")
			checkExactlyOne(t, orgState(t, statePath), clientID, outDir)
			out, err := outputs.Load(outputs.Path(outDir, "mulesoft"))
			if err != nil {
				t.Fatal(err)
			}
			for _, u := range []struct{ login, password string }{{"SILVER_USERNAME", "SILVER_PASSWORD"}, {"GOLD_USERNAME", "GOLD_PASSWORD"}} {
				login, _ := out.Value(u.login)
				pw, _ := out.Value(u.password)
				if !signsIn(t, srv.URL, login.Value, pw.Value) {
					t.Errorf("the recorded %s does not sign %s in", u.password, login.Value)
				}
			}
		})
	}
}

// signsIn reports whether login and password pass Okta's primary
// authentication at the org.
func signsIn(t *testing.T, orgURL, login, password string) bool {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": login, "password": password})
	resp, err := http.Post(orgURL+"/api/v1/authn", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}
