package main

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/outputs"
)

// TestConvergeDrift edits the authorization server's audience through the
// API, as an admin would in the console: bootstrap without --yes and
// without a terminal only reports it; bootstrap --yes changes it back,
// shows the change, and leaves the fields the input does not name (the
// description) as the org has them; then plan has nothing to do.
func TestConvergeDrift(t *testing.T) {
	srv := devorgtest.Start(t)
	requireManagementAPI(t, srv)
	dir := orgEnv(t, srv)
	c := sdk(t, srv)
	if r := runCLI(t, "bootstrap", "--mulesoft", "--yes"); r.code != 0 {
		t.Fatalf("bootstrap: exit %d\n%s", r.code, r.errOut)
	}
	out, err := outputs.Load(filepath.Join(dir, "outputs", "mulesoft.yaml"))
	must(t, err)
	ctx := context.Background()
	id := out.Object("AUTH_SERVER").ID
	as, _, err := c.AuthorizationServer.GetAuthorizationServer(ctx, id)
	must(t, err)
	as.Audiences = []string{"api://edited-in-the-console"}
	as.Description = "edited in the console too"
	_, _, err = c.AuthorizationServer.UpdateAuthorizationServer(ctx, id, *as)
	must(t, err)

	tests := []struct {
		name    string
		args    []string
		want    string
		wantAud string
	}{
		{"report only without --yes or a terminal", []string{"bootstrap", "--mulesoft", "--set", "REDIRECT_URI=http://localhost:8080/authorization-code/callback"}, `its audiences are [api://edited-in-the-console], the input says "api://solarsystem"; it was left unchanged`, "api://edited-in-the-console"},
		{"--yes changes it back", []string{"bootstrap", "--mulesoft", "--yes"}, `updated authorizationServer "solar system API" (AUTH_SERVER): its audiences are [api://edited-in-the-console], the input says "api://solarsystem"`, "api://solarsystem"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != 0 || !strings.Contains(r.errOut, tt.want) {
				t.Fatalf("exit %d; stderr lacks %q:\n%s", r.code, tt.want, r.errOut)
			}
			got, _, err := c.AuthorizationServer.GetAuthorizationServer(ctx, id)
			must(t, err)
			if !slices.Equal(got.Audiences, []string{tt.wantAud}) {
				t.Errorf("audiences = %v, want [%s]", got.Audiences, tt.wantAud)
			}
			if got.Description != "edited in the console too" {
				t.Errorf("description = %q: a field the input does not name was changed", got.Description)
			}
		})
	}
	if r := runCLI(t, "plan", "--mulesoft"); r.code != exitcode.OK {
		t.Errorf("plan after converging: exit %d\n%s\n%s", r.code, r.out, r.errOut)
	}
}
