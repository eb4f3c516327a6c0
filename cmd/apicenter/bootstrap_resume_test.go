package main

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/oktaclient"
	"github.com/apicenter/apicenter/outputs"
)

// mulesoftKeys are the natural keys of what bootstrap --mulesoft makes.
var mulesoftKeys = []string{
	"authorizationServer:solar system API",
	"scope:http://myapp.com/scp/silver",
	"scope:http://myapp.com/scp/gold",
	"group:silver subscribers",
	"group:gold subscribers",
	"user:silver.user@example.com",
	"user:gold.user@example.com",
	"app:solar system token introspection",
}

// byKey counts the org's objects by natural key.
func byKey(t *testing.T, c *oktaclient.Client) map[string]int {
	t.Helper()
	ctx := context.Background()
	n := map[string]int{}
	groups, _, err := c.Group.ListGroups(ctx, &query.Params{Limit: 200})
	must(t, err)
	for _, g := range groups {
		n["group:"+g.Profile.Name]++
	}
	users, _, err := c.User.ListUsers(ctx, &query.Params{Limit: 200})
	must(t, err)
	for _, u := range users {
		n["user:"+fmt.Sprint((*u.Profile)["login"])]++
	}
	servers, _, err := c.AuthorizationServer.ListAuthorizationServers(ctx, &query.Params{Limit: 200})
	must(t, err)
	for _, as := range servers {
		n["authorizationServer:"+as.Name]++
		scopes, _, err := c.AuthorizationServer.ListOAuth2Scopes(ctx, as.Id, nil)
		must(t, err)
		for _, s := range scopes {
			n["scope:"+s.Name]++
		}
	}
	apps, _, err := c.Application.ListApplications(ctx, &query.Params{Limit: 200})
	must(t, err)
	for _, a := range apps {
		n["app:"+a.(*okta.Application).Label]++
	}
	return n
}

func assertExactlyOne(t *testing.T, c *oktaclient.Client) {
	t.Helper()
	n := byKey(t, c)
	for _, k := range mulesoftKeys {
		if n[k] != 1 {
			t.Errorf("%d of %s, want exactly one", n[k], k)
		}
	}
}

// TestBootstrapUnderFaults runs bootstrap --mulesoft against an org that
// fails a fraction of requests (500, connections closed before and after
// the request is applied): the run completes, or a re-run does, with
// exactly one of each object, all recorded.
func TestBootstrapUnderFaults(t *testing.T) {
	for _, seed := range []int64{1, 2, 4, 6} {
		t.Run(fmt.Sprint("seed ", seed), func(t *testing.T) {
			srv := devorgtest.Start(t, devorg.Options{Faults: devorg.FaultOptions{Rate: 0.25, Seed: seed, Kinds: []string{"500", "close", "close-after"}}})
			dir := orgEnv(t, srv)
			var r cliResult
			runs := 0
			for runs < 4 {
				runs++
				if r = runCLI(t, "bootstrap", "--mulesoft", "--yes"); r.code == 0 {
					break
				}
			}
			t.Logf("%d run(s)", runs)
			if r.code != 0 {
				t.Fatalf("no run succeeded; last: exit %d\n%s", r.code, r.errOut)
			}
			c := sdkNoFaults(t, srv)
			assertExactlyOne(t, c)
			out, err := outputs.Load(filepath.Join(dir, "outputs", "mulesoft.yaml"))
			must(t, err)
			if len(out.Objects) != len(mulesoftKeys) {
				t.Errorf("%d objects recorded, want %d", len(out.Objects), len(mulesoftKeys))
			}

			// The second step too: rules are created one after another,
			// and a rule whose answer was lost is looked up, not repeated.
			var clientID string
			for i := 0; i < 10 && clientID == ""; i++ {
				clientID, _, _ = mulesoft.RegisterClient(t.Context(), nil, srv.URL, srv.Token, appClient)
			}
			if clientID == "" {
				t.Fatal("could not register a client through the faults")
			}
			runs = 0
			for runs < 4 {
				runs++
				if r = runCLI(t, "bootstrap", "--mulesoft_policy", "--yes", "--set", "AUTHN_CLIENT_ID="+clientID, "--set", "AUTHN_CLIENT_SECRET=s"); r.code == 0 {
					break
				}
			}
			if r.code != 0 {
				t.Fatalf("no policy run succeeded; last: exit %d\n%s", r.code, r.errOut)
			}
			ids := orgObjects(t, c)
			n := counts(ids)
			if n["policy"] != 2 || n["rule"] != 3 || n["trustedOrigin"] != 1 || n["groupAssignment"] != 1 {
				// the default server has one policy with one rule
				t.Errorf("after the policy step: %s", fmtCounts(n))
			}
		})
	}
}

// sdkNoFaults retries the checks' own requests, which meet the faults too.
func sdkNoFaults(t *testing.T, srv *devorgtest.Server) *oktaclient.Client {
	t.Helper()
	c, err := oktaclient.New(context.Background(), oktaclient.Config{OrgURL: srv.URL, Token: srv.Token, Transport: retrying{}})
	must(t, err)
	return c
}

type retrying struct{}

func (retrying) RoundTrip(r *http.Request) (*http.Response, error) {
	for i := 0; ; i++ {
		resp, err := http.DefaultTransport.RoundTrip(r)
		if (err == nil && resp.StatusCode < 500) || i > 20 || r.Method != http.MethodGet {
			return resp, err
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
}

var (
	buildOnce sync.Once
	binDir    string
	binPath   string
	buildErr  error
)

// testVersion is the version the tests' binary is built with.
const testVersion = "v0.0.0-test"

// binary builds apicenter once for the tests that need a real process.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "apicenter-bin")
		if err != nil {
			buildErr = err
			return
		}
		binDir = dir // removed by TestMain
		binPath = filepath.Join(dir, "apicenter")
		// Stamped as make build stamps it (TestBinaryVersion).
		out, err := exec.Command("go", "build", "-ldflags", "-X main.version="+testVersion, "-o", binPath, ".").CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

func atoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	must(t, err)
	return n
}

var createdRE = regexp.MustCompile(`^created \S+ ".*" \((\S+)\)$`)

// TestKilledRunResumes kills a real bootstrap process after it reported
// three objects created: those three are in the output file, and a second
// run completes with exactly one of each object.
func TestKilledRunResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := binary(t)
	srv := devorgtest.Start(t, devorg.Options{Latency: func(string, string) time.Duration { return 40 * time.Millisecond }})
	dir := orgEnv(t, srv)
	cmd := exec.Command(bin, "bootstrap", "--mulesoft", "--yes", "--concurrency", "2")
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	must(t, err)
	must(t, cmd.Start())
	var created []string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := createdRE.FindStringSubmatch(sc.Text()); m != nil {
			created = append(created, m[1])
			if len(created) == 3 {
				must(t, cmd.Process.Kill())
				break
			}
		}
	}
	cmd.Wait()
	if len(created) != 3 {
		t.Fatalf("saw %d objects created before the end", len(created))
	}
	out, err := outputs.Load(filepath.Join(dir, "outputs", "mulesoft.yaml"))
	must(t, err)
	recorded := map[string]bool{}
	for _, o := range out.Objects {
		recorded[o.ID] = true
	}
	for _, id := range created {
		if !recorded[id] {
			t.Errorf("%s was reported created but is not in the output file", id)
		}
	}
	if len(out.Objects) >= len(mulesoftKeys) {
		t.Fatalf("the run finished before it was killed (%d objects)", len(out.Objects))
	}

	r := runCLI(t, "bootstrap", "--mulesoft", "--yes")
	if r.code != 0 {
		t.Fatalf("re-run: exit %d\n%s", r.code, r.errOut)
	}
	// It finds what the killed run recorded (and anything it made but could
	// not record), and creates the rest.
	m := regexp.MustCompile(`(\d+) created, (\d+) found, 0 failed`).FindStringSubmatch(r.errOut)
	if m == nil {
		t.Fatalf("no summary in the re-run:\n%s", r.errOut)
	}
	if madeNow, found := atoi(t, m[1]), atoi(t, m[2]); found < len(created) || madeNow+found != len(mulesoftKeys) {
		t.Errorf("the re-run created %d and found %d, want at least the %d made before the kill found, and %d in all\n%s", madeNow, found, len(created), len(mulesoftKeys), r.errOut)
	}
	assertExactlyOne(t, sdk(t, srv))
	out, err = outputs.Load(filepath.Join(dir, "outputs", "mulesoft.yaml"))
	must(t, err)
	if len(out.Objects) != len(mulesoftKeys) {
		t.Errorf("%d objects recorded after the re-run, want %d", len(out.Objects), len(mulesoftKeys))
	}
	// The passwords chosen by the killed run are kept: every user, made
	// before or after the kill, signs in with the recorded password.
	for _, p := range [][2]string{{"SILVER_USERNAME", "SILVER_PASSWORD"}, {"GOLD_USERNAME", "GOLD_PASSWORD"}} {
		login, _ := out.Value(p[0])
		pw, _ := out.Value(p[1])
		if status := authnStatus(t, srv.URL, login.Value, pw.Value); status != "SUCCESS" {
			t.Errorf("%s signs in with the recorded %s: %s", login.Value, p[1], status)
		}
	}
}

// TestInterruptedRunRecordsEverything sends SIGINT to a real bootstrap
// process after it created two objects: it exits 130, and every object it
// made in the org, including those whose requests were in flight, is in the
// output file.
func TestInterruptedRunRecordsEverything(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := binary(t)
	srv := devorgtest.Start(t, devorg.Options{Latency: func(string, string) time.Duration { return 60 * time.Millisecond }})
	dir := orgEnv(t, srv)
	c := sdk(t, srv)
	before := orgObjects(t, c)
	cmd := exec.Command(bin, "bootstrap", "--mulesoft", "--yes")
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	must(t, err)
	must(t, cmd.Start())
	sc := bufio.NewScanner(stderr)
	seen := 0
	var rest strings.Builder
	for sc.Scan() {
		rest.WriteString(sc.Text() + "\n")
		if createdRE.MatchString(sc.Text()) {
			if seen++; seen == 2 {
				must(t, cmd.Process.Signal(os.Interrupt))
			}
		}
	}
	err = cmd.Wait()
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Fatalf("exit code %d (%v), want 130\n%s", code, err, rest.String())
	}
	if !strings.Contains(rest.String(), "interrupted: what was created is recorded in outputs/mulesoft.yaml") {
		t.Errorf("stderr:\n%s", rest.String())
	}
	created := newObjects(before, orgObjects(t, c))
	if len(created) == 0 {
		t.Fatal("nothing was created")
	}
	assertRecorded(t, dir, created)
	if r := runCLI(t, "bootstrap", "--mulesoft", "--yes"); r.code != 0 {
		t.Fatalf("re-run: exit %d\n%s", r.code, r.errOut)
	}
	assertExactlyOne(t, c)
}
