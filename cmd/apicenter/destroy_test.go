package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/exitcode"
)

// TestDestroyCommand runs `apicenter destroy --mulesoft` after a fresh
// bootstrap against the local org over HTTP: without a terminal it needs
// --yes; with it the org is back to its object counts, the output file is
// gone, a plan shows everything to create, and a second destroy is a no-op.
func TestDestroyCommand(t *testing.T) {
	srv := devorgtest.Start(t)
	requireManagementAPI(t, srv)
	dir := orgEnv(t, srv)
	c := sdk(t, srv)
	before := orgObjects(t, c)
	if r := runCLI(t, "bootstrap", "--mulesoft", "--yes"); r.code != 0 {
		t.Fatalf("bootstrap: exit %d\n%s", r.code, r.errOut)
	}
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"no terminal, no --yes", []string{"destroy", "--mulesoft"}, exitcode.Usage, "at no terminal, pass --yes"},
		{"--yes", []string{"destroy", "--mulesoft", "--yes"}, exitcode.OK, "8 deleted, 0 found kept; removed outputs/mulesoft.yaml"},
		{"again", []string{"destroy", "--mulesoft", "--yes"}, exitcode.OK, "outputs/mulesoft.yaml does not exist: nothing recorded to destroy"},
		{"plan after destroy", []string{"plan", "--mulesoft"}, exitcode.Changes, "a bootstrap would make changes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, tt.args...)
			if r.code != tt.wantCode || !strings.Contains(r.errOut, tt.wantErr) {
				t.Fatalf("exit %d, want %d and %q\n%s", r.code, tt.wantCode, tt.wantErr, r.errOut)
			}
		})
	}
	if after := orgObjects(t, c); fmtCounts(counts(after)) != fmtCounts(counts(before)) {
		t.Errorf("after destroy: %s\nbefore bootstrap: %s", fmtCounts(counts(after)), fmtCounts(counts(before)))
	}
	if _, err := os.Stat(filepath.Join(dir, "outputs", "mulesoft.yaml")); !os.IsNotExist(err) {
		t.Errorf("output file: %v, want it removed", err)
	}
}
