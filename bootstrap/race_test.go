package bootstrap_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
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

// TestLostRaceAdoptsTheOldest makes two runs of the policy step, in
// separate output directories, race for the policy: both look it up and
// find nothing, then the first creates it and only then the second. The
// second's policy is the newer, and its rules were made under it at once
// (what refers to a created object does not wait for the re-read): it
// must delete its own policy, take the first's, and make or find its rules
// under that one. The org ends with one policy holding one of each rule in
// priority order, both output files record those objects, and only the
// first run records the policy as its own.
func TestLostRaceAdoptsTheOldest(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	statePath := filepath.Join(t.TempDir(), "org.json")
	srv := devorgtest.Start(t, devorg.Options{StatePath: statePath})
	env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": srv.Token}
	first, second := t.TempDir(), t.TempDir()
	untilSuccess(t, "bootstrap --mulesoft", env, first)
	b, err := os.ReadFile(outputs.Path(first, "mulesoft"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(outputs.Path(second, "mulesoft"), b, 0o600); err != nil {
		t.Fatal(err)
	}
	clientID, clientSecret := registerClient(t, srv)
	env["AUTHN_CLIENT_ID"], env["AUTHN_CLIENT_SECRET"] = clientID, clientSecret

	// The order: both policy lookups answered, then the first run's
	// create, then the second's.
	policies := regexp.MustCompile(`^/api/v1/authorizationServers/[^/]+/policies$`)
	var lookups sync.WaitGroup
	lookups.Add(2)
	firstCreated := make(chan struct{})
	transport := func(isFirst bool) http.RoundTripper {
		var lookedUp sync.Once
		return roundTrip(func(r *http.Request) (*http.Response, error) {
			if !policies.MatchString(r.URL.Path) {
				return http.DefaultTransport.RoundTrip(r)
			}
			if r.Method == http.MethodPost {
				lookups.Wait()
				if !isFirst {
					<-firstCreated
				}
			}
			resp, err := http.DefaultTransport.RoundTrip(r)
			switch {
			case r.Method == http.MethodGet:
				lookedUp.Do(lookups.Done)
			case isFirst:
				close(firstCreated)
			}
			return resp, err
		})
	}
	f, err := inputs.LoadEmbedded("mulesoft_policy")
	if err != nil {
		t.Fatal(err)
	}
	dirs := []string{first, second}
	logs := make([]bytes.Buffer, 2)
	errs := make([]error, 2)
	var wg sync.WaitGroup
	for i := range dirs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = bootstrap.Run(context.Background(), bootstrap.Options{
				IO:        &iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &logs[i]},
				Input:     f,
				Env:       &orgenv.Env{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }},
				Yes:       true,
				OutputDir: dirs[i],
				Transport: transport(i == 0),
			})
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("run %d: %v\n%s", i, err, logs[i].String())
		}
	}

	st := orgState(t, statePath)
	checkExactlyOne(t, st, clientID, first)
	checkExactlyOne(t, st, clientID, second)
	outs := make([]*outputs.File, 2)
	for i, dir := range dirs {
		if outs[i], err = outputs.Load(outputs.Path(dir, "mulesoft_policy")); err != nil {
			t.Fatal(err)
		}
	}
	p0, p1 := outs[0].Object("POLICY"), outs[1].Object("POLICY")
	if p0.ID != p1.ID || !p0.Created || p1.Created {
		t.Errorf("POLICY recorded as %s (created %v) by the first run and %s (created %v) by the second; want the first's, created by the first only", p0.ID, p0.Created, p1.ID, p1.Created)
	}
	for _, rule := range []string{"SILVER_RULE", "GOLD_RULE"} {
		if a, b := outs[0].Object(rule), outs[1].Object(rule); a.ID != b.ID {
			t.Errorf("%s recorded as %s by the first run and %s by the second", rule, a.ID, b.ID)
		}
	}
	for _, as := range st.AuthServers {
		for _, p := range as.Policies {
			if p.ID != p0.ID {
				continue
			}
			for _, r := range p.Rules {
				want := map[string]int{"silver access to planets": 1, "gold access to moons": 2}[r.Name]
				if r.Priority != want {
					t.Errorf("rule %q has priority %d, want %d", r.Name, r.Priority, want)
				}
			}
		}
	}
	log := logs[1].String()
	for _, want := range []string{
		`policy "solar system API access": another run created it first (` + p0.ID + `)`,
		`deleted policy "solar system API access"`,
		`finding again what refers to POLICY: SILVER_RULE, GOLD_RULE`,
	} {
		if !strings.Contains(log, want) {
			t.Errorf("the second run's progress lacks %q:\n%s", want, log)
		}
	}
	if !strings.Contains(log, "found    POLICY") {
		t.Errorf("the second run's summary does not say it found the policy:\n%s", log)
	}
	if strings.Count(log, "Summary (recorded in") != 1 {
		t.Errorf("the second run's progress has %d summaries, want one:\n%s", strings.Count(log, "Summary (recorded in"), log)
	}
}
