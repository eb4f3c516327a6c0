package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/outputs"
)

// TestPlanGolden runs `apicenter plan --mulesoft` against the local org
// over HTTP on a fresh org, a bootstrapped one, the same without its
// output file, and a drifted one (an audience and a scope description
// changed through the API, as in the admin console), comparing each plan
// with a golden file and its exit code with the documented one. A plan
// must change neither the org nor the output directory.
func TestPlanGolden(t *testing.T) {
	srv := devorgtest.Start(t)
	requireManagementAPI(t, srv)
	dir := orgEnv(t, srv)
	c := sdk(t, srv)
	plan := func(args ...string) cliResult {
		t.Helper()
		before := orgObjects(t, c)
		r := runCLI(t, append([]string{"plan", "--mulesoft"}, args...)...)
		if after := orgObjects(t, c); fmtCounts(counts(after)) != fmtCounts(counts(before)) {
			t.Errorf("plan changed the org: %s\nwas %s", fmtCounts(counts(after)), fmtCounts(counts(before)))
		}
		return r
	}
	tests := []struct {
		name     string
		before   func(t *testing.T)
		wantCode int
		golden   string
	}{
		{"fresh org", func(t *testing.T) {}, exitcode.Changes, "plan-fresh.txt"},
		{"bootstrapped org", func(t *testing.T) {
			if r := runCLI(t, "bootstrap", "--mulesoft", "--yes"); r.code != 0 {
				t.Fatalf("bootstrap: exit %d\n%s", r.code, r.errOut)
			}
		}, exitcode.OK, "plan-bootstrapped.txt"},
		{"bootstrapped org without the output file", func(t *testing.T) {
			must(t, os.Rename(filepath.Join(dir, "outputs"), filepath.Join(dir, "outputs.bak")))
		}, exitcode.OK, "plan-bootstrapped.txt"},
		{"drifted org", func(t *testing.T) {
			must(t, os.Rename(filepath.Join(dir, "outputs.bak"), filepath.Join(dir, "outputs")))
			out, err := outputs.Load(filepath.Join(dir, "outputs", "mulesoft.yaml"))
			must(t, err)
			ctx := context.Background()
			id := out.Object("AUTH_SERVER").ID
			as, _, err := c.AuthorizationServer.GetAuthorizationServer(ctx, id)
			must(t, err)
			as.Audiences = []string{"api://edited-in-the-console"}
			_, _, err = c.AuthorizationServer.UpdateAuthorizationServer(ctx, id, *as)
			must(t, err)
		}, exitcode.Changes, "plan-drifted.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.before(t)
			entries, _ := os.ReadDir(filepath.Join(dir, "outputs"))
			r := plan()
			if r.code != tt.wantCode {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", r.code, tt.wantCode, r.out, r.errOut)
			}
			checkGolden(t, tt.golden, normalize(r.out, srv.URL, []string{srv.Token}))
			if after, _ := os.ReadDir(filepath.Join(dir, "outputs")); len(after) != len(entries) {
				t.Errorf("plan wrote in the output directory: %d entries, was %d", len(after), len(entries))
			}
			js := plan("--format", "json")
			if js.code != tt.wantCode {
				t.Fatalf("--format json: exit %d, want %d\n%s", js.code, tt.wantCode, js.errOut)
			}
			var p bootstrap.PlanResult
			if err := json.Unmarshal([]byte(js.out), &p); err != nil {
				t.Fatalf("--format json: %v\n%s", err, js.out)
			}
			if len(p.Objects) != 8 || p.Changes() != (tt.wantCode == exitcode.Changes) {
				t.Errorf("--format json: %d objects, changes %v\n%s", len(p.Objects), p.Changes(), js.out)
			}
			for _, e := range p.Objects {
				if (e.Action == bootstrap.ActionDiffers) != (len(e.Differences) > 0) || (e.Action == bootstrap.ActionCreate) == (e.ID != "") {
					t.Errorf("--format json: inconsistent entry %+v", e)
				}
			}
			if tt.wantCode == exitcode.Changes && !strings.Contains(r.errOut, "a bootstrap would make changes") {
				t.Errorf("stderr does not say there are changes:\n%s", r.errOut)
			}
		})
	}
}
