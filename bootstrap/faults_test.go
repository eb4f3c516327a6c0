package bootstrap_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/orgenv"
	"github.com/apicenter/apicenter/outputs"
)

// TestConcurrentBootstrapUnderFaults runs the whole Mulesoft flow with the
// default concurrency against orgs that fail a seeded share of requests
// (429, 500, a connection closed before or after the request is applied),
// running each step again after a failed run until one succeeds, then the
// whole flow once more. The org (read from its state file, not through the
// faults) must hold exactly one of each object, the output files must
// record those very objects, and the last round must create nothing.
func TestConcurrentBootstrapUnderFaults(t *testing.T) {
	tests := []struct {
		name      string
		faults    devorg.FaultOptions
		rateLimit int // per endpoint and second
	}{
		{"no faults", devorg.FaultOptions{}, 0},
		{"all kinds, seed 1", devorg.FaultOptions{Rate: 0.2, Seed: 1}, 0},
		{"all kinds, seed 2", devorg.FaultOptions{Rate: 0.2, Seed: 2}, 0},
		{"all kinds, seed 3", devorg.FaultOptions{Rate: 0.2, Seed: 3}, 0},
		{"lost answers, seed 4", devorg.FaultOptions{Rate: 0.3, Seed: 4, Kinds: []string{"close-after", "500"}}, 0},
		{"lost answers, seed 5", devorg.FaultOptions{Rate: 0.3, Seed: 5, Kinds: []string{"close-after", "close"}}, 0},
		// So many that runs fail and are run again.
		{"heavy, seed 7", devorg.FaultOptions{Rate: 0.5, Seed: 7, Kinds: []string{"500", "close", "close-after"}}, 0},
		{"heavy, seed 8", devorg.FaultOptions{Rate: 0.5, Seed: 8, Kinds: []string{"500", "close", "close-after"}}, 0},
		// A rate limit lower than the concurrency: the client waits for the
		// reset the org announces.
		{"rate limit 2/s", devorg.FaultOptions{}, 2},
	}
	t.Setenv("HOME", t.TempDir()) // the okta SDK reads ~/.okta
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			statePath := filepath.Join(t.TempDir(), "org.json")
			srv := devorgtest.Start(t, devorg.Options{Faults: tt.faults, StatePath: statePath, RateLimit: tt.rateLimit, RateLimitWindow: time.Second})
			env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": srv.Token}
			outDir := t.TempDir()

			untilSuccess(t, "bootstrap --mulesoft", env, outDir)
			clientID, clientSecret := registerClient(t, srv)
			env["AUTHN_CLIENT_ID"], env["AUTHN_CLIENT_SECRET"] = clientID, clientSecret
			untilSuccess(t, "bootstrap --mulesoft_policy", env, outDir)
			first := orgState(t, statePath)
			checkExactlyOne(t, first, clientID, outDir)

			// Again on the same org, through the same faults: nothing new.
			untilSuccess(t, "bootstrap --mulesoft", env, outDir)
			untilSuccess(t, "bootstrap --mulesoft_policy", env, outDir)
			again := orgState(t, statePath)
			checkExactlyOne(t, again, clientID, outDir)
			if a, b := objectIDs(first), objectIDs(again); a != b {
				t.Errorf("the second round changed the org's objects:\nbefore %s\nafter  %s", a, b)
			}
		})
	}
}

// untilSuccess runs a bootstrap step with the default concurrency until a
// run succeeds (at most 10 runs), as a user or a CI job would.
func untilSuccess(t *testing.T, step string, env map[string]string, outDir string) {
	t.Helper()
	name := strings.TrimPrefix(step, "bootstrap --")
	f, err := inputs.LoadEmbedded(name)
	if err != nil {
		t.Fatal(err)
	}
	var last error
	var progress bytes.Buffer
	for run := 1; run <= 10; run++ {
		progress.Reset()
		_, last = bootstrap.Run(context.Background(), bootstrap.Options{
			IO:        &iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &progress},
			Input:     f,
			Env:       &orgenv.Env{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }},
			Yes:       true,
			OutputDir: outDir,
		})
		if last == nil {
			t.Logf("%s: %d run(s)", step, run)
			return
		}
	}
	t.Fatalf("%s failed 10 times; last: %v\n%s", step, last, progress.String())
}

// registerClient is Mulesoft's dynamic client registration, tried again
// until the org answers (a lost answer makes an extra client, which the
// bootstrap never sees).
func registerClient(t *testing.T, srv *devorgtest.Server) (id, secret string) {
	t.Helper()
	reg := mulesoft.ClientRegistration{Name: "solar system web app", RedirectURIs: []string{"http://localhost:8080/authorization-code/callback"}}
	var err error
	for try := 0; try < 20; try++ {
		if id, secret, err = mulesoft.RegisterClient(t.Context(), nil, srv.URL, srv.Token, reg); err == nil {
			return id, secret
		}
	}
	t.Fatalf("could not register a client through the faults: %v", err)
	return "", ""
}

// orgState reads the org's state file: what the org holds, whatever the
// faults.
func orgState(t *testing.T, path string) *devorg.State {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var st devorg.State
	if err := json.Unmarshal(b, &st); err != nil {
		t.Fatal(err)
	}
	return &st
}

// flowObjects finds the flow's objects in the org by natural key: for each
// key, the ids of the objects that have it.
func flowObjects(st *devorg.State, clientID string) map[string][]string {
	m := map[string][]string{}
	add := func(k, id string) { m[k] = append(m[k], id) }
	for _, g := range st.Groups {
		add("group:"+g.Name, g.ID)
	}
	for _, u := range st.Users {
		add("user:"+strings.ToLower(u.Login()), u.ID)
	}
	for _, a := range st.Apps {
		add("app:"+a.Label, a.ID)
		if a.ID == clientID {
			for gid := range a.Groups {
				if g := st.Groups[gid]; g != nil {
					add("groupAssignment:"+g.Name, a.ID+"/"+gid)
				}
			}
		}
	}
	for _, o := range st.TrustedOrigins {
		add("trustedOrigin:"+o.Origin, o.ID)
	}
	for _, as := range st.AuthServers {
		add("authorizationServer:"+as.Name, as.ID)
		for _, sc := range as.Scopes {
			add("scope:"+as.Name+"/"+sc.Name, sc.ID)
		}
		for _, p := range as.Policies {
			add("policy:"+as.Name+"/"+p.Name, p.ID)
			for _, r := range p.Rules {
				add("rule:"+as.Name+"/"+p.Name+"/"+r.Name, r.ID)
			}
		}
	}
	return m
}

// flowKeys are the objects of the two Mulesoft steps, and where the
// output files record them.
var flowKeys = []struct{ key, output, name string }{
	{"authorizationServer:solar system API", "mulesoft", "AUTH_SERVER"},
	{"scope:solar system API/http://myapp.com/scp/silver", "mulesoft", "SILVER_SCOPE_OBJ"},
	{"scope:solar system API/http://myapp.com/scp/gold", "mulesoft", "GOLD_SCOPE_OBJ"},
	{"group:silver subscribers", "mulesoft", "SILVER_GROUP"},
	{"group:gold subscribers", "mulesoft", "GOLD_GROUP"},
	{"app:solar system token introspection", "mulesoft", "INTROSPECT_CLIENT"},
	{"user:silver.user@example.com", "mulesoft", "SILVER_USER"},
	{"user:gold.user@example.com", "mulesoft", "GOLD_USER"},
	{"policy:solar system API/solar system API access", "mulesoft_policy", "POLICY"},
	{"rule:solar system API/solar system API access/silver access to planets", "mulesoft_policy", "SILVER_RULE"},
	{"rule:solar system API/solar system API access/gold access to moons", "mulesoft_policy", "GOLD_RULE"},
	{"trustedOrigin:http://localhost:8080", "mulesoft_policy", "WEB_APP_ORIGIN"},
	{"groupAssignment:Everyone", "mulesoft_policy", "AUTHN_CLIENT_TO_EVERYONE"},
}

func checkExactlyOne(t *testing.T, st *devorg.State, clientID, outDir string) {
	t.Helper()
	objs := flowObjects(st, clientID)
	outs := map[string]*outputs.File{}
	for _, name := range []string{"mulesoft", "mulesoft_policy"} {
		o, err := outputs.Load(outputs.Path(outDir, name))
		if err != nil {
			t.Fatal(err)
		}
		outs[name] = o
	}
	for _, k := range flowKeys {
		ids := objs[k.key]
		if len(ids) != 1 {
			t.Errorf("%s: %d in the org, want exactly one", k.key, len(ids))
			continue
		}
		rec := outs[k.output].Object(k.name)
		if rec == nil || rec.ID != ids[0] {
			t.Errorf("%s: the org has %s, %s records %v", k.key, ids[0], k.output, rec)
		}
	}
	// The rules are in priority order: silver 1, gold 2.
	for _, as := range st.AuthServers {
		for _, p := range as.Policies {
			for _, r := range p.Rules {
				want := map[string]int{"silver access to planets": 1, "gold access to moons": 2}[r.Name]
				if want != 0 && r.Priority != want {
					t.Errorf("rule %q has priority %d, want %d", r.Name, r.Priority, want)
				}
			}
		}
	}
}

// objectIDs renders the ids of the flow's objects, for comparing rounds.
func objectIDs(st *devorg.State) string {
	var b strings.Builder
	objs := flowObjects(st, "")
	for _, k := range flowKeys {
		fmt.Fprintf(&b, "%s=%v ", k.key, objs[k.key])
	}
	return b.String()
}
