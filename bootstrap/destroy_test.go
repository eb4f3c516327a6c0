package bootstrap_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/oktaclient"
	"github.com/apicenter/apicenter/internal/orgenv"
	"github.com/apicenter/apicenter/outputs"
)

// orgCounts counts what the org holds, by kind, read from its state file.
func orgCounts(st *devorg.State) string {
	scopes, policies, rules := 0, 0, 0
	for _, as := range st.AuthServers {
		for _, sc := range as.Scopes {
			if !sc.System {
				scopes++
			}
		}
		policies += len(as.Policies)
		for _, p := range as.Policies {
			rules += len(p.Rules)
		}
	}
	assignments := 0
	for _, a := range st.Apps {
		assignments += len(a.Groups)
	}
	return fmt.Sprintf("groups=%d users=%d authServers=%d scopes=%d policies=%d rules=%d apps=%d groupAssignments=%d trustedOrigins=%d",
		len(st.Groups), len(st.Users), len(st.AuthServers), scopes, policies, rules, len(st.Apps), assignments, len(st.TrustedOrigins))
}

// destroyUntilSuccess runs destroy --yes of input name until a run
// succeeds (at most 10 runs), as a user or CI job would after a failure.
func destroyUntilSuccess(t *testing.T, name string, env map[string]string, outDir string) string {
	t.Helper()
	f, err := inputs.LoadEmbedded(name)
	if err != nil {
		t.Fatal(err)
	}
	var last error
	var progress bytes.Buffer
	for run := 1; run <= 10; run++ {
		progress.Reset()
		_, last = bootstrap.Destroy(context.Background(), bootstrap.DestroyOptions{Options: bootstrap.Options{
			IO:        &iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &progress},
			Input:     f,
			Env:       &orgenv.Env{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }},
			Yes:       true,
			OutputDir: outDir,
		}})
		if last == nil {
			return progress.String()
		}
	}
	t.Fatalf("destroy --%s failed 10 times; last: %v\n%s", name, last, progress.String())
	return ""
}

// TestDestroyAfterBootstrap bootstraps the Mulesoft flow on an org that
// already has one of its groups, then destroys both steps (in either
// order, and through 429 and 500 faults): the org must end with the
// object counts it had before the bootstrap, the group that was there
// must still be there, and the output files must be gone.
func TestDestroyAfterBootstrap(t *testing.T) {
	tests := []struct {
		name   string
		faults devorg.FaultOptions
		order  []string
	}{
		{"policy step first", devorg.FaultOptions{}, []string{"mulesoft_policy", "mulesoft"}},
		{"mulesoft first", devorg.FaultOptions{}, []string{"mulesoft", "mulesoft_policy"}},
		{"500, seed 1", devorg.FaultOptions{Rate: 0.3, Seed: 1, Kinds: []string{"500"}}, []string{"mulesoft_policy", "mulesoft"}},
		{"429, seed 3", devorg.FaultOptions{Rate: 0.2, Seed: 3, Kinds: []string{"429"}}, []string{"mulesoft_policy", "mulesoft"}},
		// The org applies the request, then drops the connection: the
		// delete (or deactivation) is tried again and answers 404.
		{"close-after, seed 4", devorg.FaultOptions{Rate: 0.3, Seed: 4, Kinds: []string{"close-after"}}, []string{"mulesoft_policy", "mulesoft"}},
		{"close-after, seed 5", devorg.FaultOptions{Rate: 0.4, Seed: 5, Kinds: []string{"close-after"}}, []string{"mulesoft", "mulesoft_policy"}},
		{"close, close-after and 500, seed 6", devorg.FaultOptions{Rate: 0.3, Seed: 6, Kinds: []string{"close", "close-after", "500"}}, []string{"mulesoft_policy", "mulesoft"}},
	}
	t.Setenv("HOME", t.TempDir())
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			statePath := filepath.Join(t.TempDir(), "org.json")
			// A one-second rate-limit window: an injected 429 makes the
			// client wait for the window's reset, a minute by default.
			srv := devorgtest.Start(t, devorg.Options{Faults: tt.faults, StatePath: statePath, RateLimitWindow: time.Second})
			env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": srv.Token}
			outDir := t.TempDir()
			// The group was there before apicenter.
			c, err := oktaclient.New(context.Background(), oktaclient.Config{OrgURL: srv.URL, Token: srv.Token})
			if err != nil {
				t.Fatal(err)
			}
			var existing string
			for i := 0; i < 20 && existing == ""; i++ {
				c.Group.CreateGroup(context.Background(), okta.Group{Profile: &okta.GroupProfile{Name: "silver subscribers"}})
				for id, g := range orgState(t, statePath).Groups {
					if g.Name == "silver subscribers" {
						existing = id
					}
				}
			}
			if existing == "" {
				t.Fatal("cannot create the group that was there before")
			}
			clientID, clientSecret := registerClient(t, srv)
			before := orgCounts(orgState(t, statePath))

			untilSuccess(t, "bootstrap --mulesoft", env, outDir)
			env["AUTHN_CLIENT_ID"], env["AUTHN_CLIENT_SECRET"] = clientID, clientSecret
			untilSuccess(t, "bootstrap --mulesoft_policy", env, outDir)
			if after := orgCounts(orgState(t, statePath)); after == before {
				t.Fatalf("the bootstrap created nothing: %s", after)
			}

			var logs []string
			for _, name := range tt.order {
				logs = append(logs, destroyUntilSuccess(t, name, env, outDir))
			}
			st := orgState(t, statePath)
			if got := orgCounts(st); got != before {
				t.Errorf("after destroy the org holds %s\nbefore the bootstrap it held %s\n%s", got, before, strings.Join(logs, "\n"))
			}
			if g := st.Groups[existing]; g == nil {
				t.Errorf("destroy deleted the group %q it only found", "silver subscribers")
			}
			if !strings.Contains(strings.Join(logs, "\n"), `kept    group "silver subscribers"`) {
				t.Errorf("destroy does not say it kept the found group:\n%s", strings.Join(logs, "\n"))
			}
			for _, name := range tt.order {
				if _, err := os.Stat(outputs.Path(outDir, name)); !os.IsNotExist(err) {
					t.Errorf("%s: %v, want it removed", outputs.Path(outDir, name), err)
				}
			}
			// Idempotent: destroying again does nothing and succeeds.
			again := destroyUntilSuccess(t, "mulesoft", env, outDir)
			if strings.Contains(again, "deleted ") {
				t.Errorf("a second destroy deleted something:\n%s", again)
			}
		})
	}
}
