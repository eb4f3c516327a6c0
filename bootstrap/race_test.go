package bootstrap_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/oktaclient"
	"github.com/apicenter/apicenter/outputs"
)

// TestLostRaceAdoptsTheOldest makes two runs of a step, in separate output
// directories, race for one object: both look it up and find nothing, then
// the first creates it and only then the second. The second's object is
// the newer, and what refers to it was made under it or with its id at
// once (it does not wait for the re-read): the second run must delete its
// own, take the first's, and find or make again what refers to it, under
// that one or with its id. The org ends with one of every object, rules in
// priority order, the policy for the app kept; both output files record
// the same objects, all in the org; only the first run records the raced
// object as its own.
func TestLostRaceAdoptsTheOldest(t *testing.T) {
	tests := []struct {
		step   string
		path   string // the object's collection: lookups GET it, creates POST to it
		object string
		kind   string
		name   string
		again  []string // among what the second run finds again
	}{
		// Rules are made under the policy at once.
		{"mulesoft_policy", `^/api/v1/authorizationServers/[^/]+/policies$`, "POLICY", "policy", "solar system API access", []string{"SILVER_RULE", "GOLD_RULE"}},
		// Group assignments and the policy's clients take the app's id
		// at once.
		{"aws", `^/api/v1/apps$`, "WEB_APP", "app", "solar system web app", []string{"WEB_APP_TO_SILVER", "WEB_APP_TO_GOLD", "POLICY"}},
	}
	for _, tt := range tests {
		t.Run(tt.step, func(t *testing.T) {
			t.Setenv("HOME", t.TempDir())
			statePath := filepath.Join(t.TempDir(), "org.json")
			srv := devorgtest.Start(t, devorg.Options{StatePath: statePath})
			// Both runs set the same passwords: a user the other run
			// created then signs in with the recorded one.
			env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": srv.Token,
				"SILVER_PASSWORD": "Blue-Race-4821", "GOLD_PASSWORD": "Green-Race-9377",
				"REDIRECT_URI": "http://localhost:8080/authorization-code/callback"}
			first, second := t.TempDir(), t.TempDir()
			if tt.step == "mulesoft_policy" {
				untilSuccess(t, "bootstrap --mulesoft", env, first)
				b, err := os.ReadFile(outputs.Path(first, "mulesoft"))
				if err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(outputs.Path(second, "mulesoft"), b, 0o600); err != nil {
					t.Fatal(err)
				}
				env["AUTHN_CLIENT_ID"], env["AUTHN_CLIENT_SECRET"] = registerClient(t, srv)
			}

			// The order: both lookups answered, then the first run's
			// create, then the second's.
			collection := regexp.MustCompile(tt.path)
			var lookups sync.WaitGroup
			lookups.Add(2)
			bothLooked := make(chan struct{})
			go func() { lookups.Wait(); close(bothLooked) }()
			firstCreated := make(chan struct{})
			// A run that never gets there fails the test, not hangs it.
			await := func(c chan struct{}, what string) error {
				select {
				case <-c:
					return nil
				case <-time.After(time.Minute):
					return errors.New("the test's ordering: " + what + " never happened")
				}
			}
			transport := func(isFirst bool) http.RoundTripper {
				var lookedUp, created sync.Once
				return roundTrip(func(r *http.Request) (*http.Response, error) {
					if !collection.MatchString(r.URL.Path) {
						return http.DefaultTransport.RoundTrip(r)
					}
					if r.Method == http.MethodPost {
						if err := await(bothLooked, "both lookups"); err != nil {
							return nil, err
						}
						if !isFirst {
							if err := await(firstCreated, "the first run's create"); err != nil {
								return nil, err
							}
						}
					}
					resp, err := http.DefaultTransport.RoundTrip(r)
					switch {
					case r.Method == http.MethodGet:
						lookedUp.Do(lookups.Done)
					case isFirst:
						created.Do(func() { close(firstCreated) })
					}
					return resp, err
				})
			}
			f, err := inputs.LoadEmbedded(tt.step)
			if err != nil {
				t.Fatal(err)
			}
			dirs := []string{first, second}
			errs, logs := runAtOnce(f, env, dirs, func(i int) http.RoundTripper { return transport(i == 0) })
			for i, err := range errs {
				if err != nil {
					t.Fatalf("run %d: %v\n%s", i, err, logs[i].String())
				}
			}

			st := orgState(t, statePath)
			for _, d := range duplicates(st) {
				t.Errorf("the org holds two of %s", d)
			}
			inOrg := orgIDs(st)
			outs := make([]*outputs.File, 2)
			for i, dir := range dirs {
				if outs[i], err = outputs.Load(outputs.Path(dir, tt.step)); err != nil {
					t.Fatal(err)
				}
				for _, o := range outs[i].Objects {
					if !inOrg[o.ID] {
						t.Errorf("run %d records %s %s, which is not in the org", i, o.Name, o.ID)
					}
				}
			}
			if len(outs[0].Objects) != len(outs[1].Objects) {
				t.Errorf("the runs record %d and %d objects", len(outs[0].Objects), len(outs[1].Objects))
			}
			for _, o := range outs[0].Objects {
				if o2 := outs[1].Object(o.Name); o2 == nil || o2.ID != o.ID {
					t.Errorf("%s: the first run records %s, the second %v", o.Name, o.ID, o2)
				}
			}
			kept := outs[0].Object(tt.object)
			if o1 := outs[1].Object(tt.object); !kept.Created || o1.Created {
				t.Errorf("%s recorded as created by the first run: %v, by the second: %v; want only the first", tt.object, kept.Created, o1.Created)
			}
			for _, as := range st.AuthServers {
				for _, p := range as.Policies {
					if p.Name == "solar system API access" && tt.object == "WEB_APP" && !slices.Equal(p.Clients, []string{kept.ID}) {
						t.Errorf("the policy applies to %v, want the app kept, %s", p.Clients, kept.ID)
					}
					for _, r := range p.Rules {
						want := map[string]int{"silver access to planets": 1, "gold access to moons": 2}[r.Name]
						if want != 0 && r.Priority != want {
							t.Errorf("rule %q has priority %d, want %d", r.Name, r.Priority, want)
						}
					}
				}
			}
			log := logs[1].String()
			wants := []string{
				tt.kind + ` "` + tt.name + `": another run created it first (` + kept.ID + `)`,
				`deleted ` + tt.kind + ` "` + tt.name + `"`,
			}
			if !regexp.MustCompile(`\n\s+found\s+` + tt.object + `\s`).MatchString(log) {
				t.Errorf("the second run's summary does not say it found %s:\n%s", tt.object, log)
			}
			_, again, _ := strings.Cut(log, "note    finding again what refers to ")
			again, _, _ = strings.Cut(again, "\n")
			lost, refer, _ := strings.Cut(again, ": ")
			if !slices.Contains(strings.Split(lost, ", "), tt.object) {
				t.Errorf("the second run does not find again what refers to %s (%q)", tt.object, again)
			}
			for _, name := range tt.again {
				if !slices.Contains(strings.Split(refer, ", "), name) {
					t.Errorf("the second run does not find %s again (%q)", name, again)
				}
			}
			for _, want := range wants {
				if !strings.Contains(log, want) {
					t.Errorf("the second run's progress lacks %q:\n%s", want, log)
				}
			}
			if n := strings.Count(log, "Summary (recorded in"); n != 1 {
				t.Errorf("the second run's progress has %d summaries, want one:\n%s", n, log)
			}
		})
	}
}

// orgIDs are the ids of everything in the org (group assignments as
// app/group, as the output files record them).
func orgIDs(st *devorg.State) map[string]bool {
	ids := map[string]bool{}
	for id := range st.Groups {
		ids[id] = true
	}
	for id := range st.Users {
		ids[id] = true
	}
	for id, a := range st.Apps {
		ids[id] = true
		for gid := range a.Groups {
			ids[id+"/"+gid] = true
		}
	}
	for id := range st.TrustedOrigins {
		ids[id] = true
	}
	for id, as := range st.AuthServers {
		ids[id] = true
		for sid := range as.Scopes {
			ids[sid] = true
		}
		for pid, p := range as.Policies {
			ids[pid] = true
			for rid := range p.Rules {
				ids[rid] = true
			}
		}
	}
	return ids
}

// duplicates names the natural keys held by more than one object among
// the kinds Okta keeps no unique names of.
func duplicates(st *devorg.State) []string {
	seen := map[string]int{}
	for _, a := range st.Apps {
		seen["app "+a.Label]++
	}
	for _, as := range st.AuthServers {
		seen["authorizationServer "+as.Name]++
		for _, p := range as.Policies {
			seen["policy "+as.Name+" / "+p.Name]++
			for _, r := range p.Rules {
				seen["rule "+as.Name+" / "+p.Name+" / "+r.Name]++
			}
		}
	}
	var out []string
	for k, n := range seen {
		if n > 1 {
			out = append(out, k)
		}
	}
	return out
}

// TestUnsettledRecordIsSettledByTheNextRun starts from what a run killed
// between its create of the policy and the re-read leaves: the policy
// recorded with SettlingField, and another run's policy of the same name.
// The next run must look the policy up again and keep the oldest: its own
// if older (recorded as created, the mark gone), else the other's, deleting
// its own (recorded as found); the rules are then made under the policy
// kept.
func TestUnsettledRecordIsSettledByTheNextRun(t *testing.T) {
	for _, ownIsOlder := range []bool{true, false} {
		t.Run(fmt.Sprintf("own policy older: %v", ownIsOlder), func(t *testing.T) {
			t.Setenv("HOME", t.TempDir())
			statePath := filepath.Join(t.TempDir(), "org.json")
			srv := devorgtest.Start(t, devorg.Options{StatePath: statePath})
			env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": srv.Token}
			dir := t.TempDir()
			untilSuccess(t, "bootstrap --mulesoft", env, dir)
			env["AUTHN_CLIENT_ID"], env["AUTHN_CLIENT_SECRET"] = registerClient(t, srv)
			first, err := outputs.Load(outputs.Path(dir, "mulesoft"))
			if err != nil {
				t.Fatal(err)
			}
			server := first.Object("AUTH_SERVER").ID

			ctx := context.Background()
			c, err := oktaclient.New(ctx, oktaclient.Config{OrgURL: srv.URL, Token: srv.Token})
			if err != nil {
				t.Fatal(err)
			}
			create := func() string {
				p, _, err := c.AuthorizationServer.CreateAuthorizationServerPolicy(ctx, server, okta.AuthorizationServerPolicy{
					Type: "OAUTH_AUTHORIZATION_POLICY", Status: "ACTIVE", Name: "solar system API access", Description: "raced",
					Conditions: &okta.PolicyRuleConditions{Clients: &okta.ClientPolicyCondition{Include: []string{env["AUTHN_CLIENT_ID"]}}},
				})
				if err != nil {
					t.Fatal(err)
				}
				time.Sleep(5 * time.Millisecond) // a later created time
				return p.Id
			}
			var own, other string
			if ownIsOlder {
				own, other = create(), create()
			} else {
				other, own = create(), create()
			}
			rec := &outputs.File{Input: "mulesoft_policy", OrgURL: first.OrgURL}
			rec.SetObject(outputs.Object{Name: "POLICY", Kind: "policy", Key: server + " / solar system API access", ID: own, Created: true,
				Fields: map[string]string{"id": own, "name": "solar system API access", bootstrap.SettlingField: "true"}})
			if err := rec.Save(outputs.Path(dir, "mulesoft_policy")); err != nil {
				t.Fatal(err)
			}

			f, err := inputs.LoadEmbedded("mulesoft_policy")
			if err != nil {
				t.Fatal(err)
			}
			errs, logs := runAtOnce(f, env, []string{dir}, nil)
			if errs[0] != nil {
				t.Fatalf("%v\n%s", errs[0], logs[0].String())
			}
			out, err := outputs.Load(outputs.Path(dir, "mulesoft_policy"))
			if err != nil {
				t.Fatal(err)
			}
			got := out.Object("POLICY")
			kept, deleted := own, other
			if !ownIsOlder {
				kept, deleted = other, own
			}
			if got.ID != kept || got.Created != ownIsOlder || got.Fields[bootstrap.SettlingField] != "" {
				t.Errorf("POLICY recorded as %s (created %v, fields %v), want %s (created %v) without the mark", got.ID, got.Created, got.Fields, kept, ownIsOlder)
			}
			st := orgState(t, statePath)
			p := st.AuthServers[server].Policies[kept]
			if p == nil {
				t.Fatalf("the policy kept, %s, is gone", kept)
			}
			if len(p.Rules) != 2 {
				t.Errorf("the policy kept holds %d rules, want the 2 of the input", len(p.Rules))
			}
			_, stays := st.AuthServers[server].Policies[deleted]
			// Its own newer policy the run deletes; another run's newer one
			// is that run's to delete.
			if stays == !ownIsOlder {
				t.Errorf("policy %s is in the org: %v; want %v", deleted, stays, ownIsOlder)
			}
			if log := logs[0].String(); !ownIsOlder && !strings.Contains(log, `deleted policy "solar system API access" (`+own+`): a stopped run created it after another run's (`+other+`)`) {
				t.Errorf("the run does not say it deleted its own newer policy:\n%s", log)
			}
		})
	}
}
