package main

import (
	"context"
	"os/exec"
	"runtime/debug"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// TestBinaryVersion builds the binary as make build does, with the version
// given to the linker, and checks that --version reports it.
func TestBinaryVersion(t *testing.T) {
	out, err := exec.Command(binary(t), "--version").CombinedOutput()
	if err != nil {
		t.Fatalf("--version: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), "apicenter version "+testVersion; got != want {
		t.Errorf("--version prints %q, want %q", got, want)
	}
}

func TestRootExitCodes(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
		wantErr  string
	}{
		{"version", []string{"--version"}, exitcode.OK, "apicenter version", ""},
		{"help documents exit codes", []string{"--help"}, exitcode.OK, "130  interrupted", ""},
		{"help documents plan's exit code", []string{"--help"}, exitcode.OK, "6    plan: a bootstrap would create or change something", ""},
		{"plan --help documents its exit codes", []string{"plan", "--help"}, exitcode.OK, "6    changes: a bootstrap would create objects, or objects differ", ""},
		{"plan without an input is a usage error", []string{"plan"}, exitcode.Usage, "", "pass exactly one of --"},
		{"plan with a bad format is a usage error", []string{"plan", "--mulesoft", "--format", "xml"}, exitcode.Usage, "", `--format "xml": use text or json`},
		{"unknown flag is a usage error", []string{"--nope"}, exitcode.Usage, "", "unknown flag: --nope"},
		{"unknown command is a usage error", []string{"nope"}, exitcode.Usage, "", "unknown command"},
		{"completion for a shell", []string{"completion", "bash"}, exitcode.OK, "bash completion", ""},
		{"completion for an unknown shell is a usage error", []string{"completion", "nosuch"}, exitcode.Usage, "", `completion "nosuch": unknown shell (use one of: bash, fish, powershell, zsh)`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			code := Execute(context.Background(), tt.args, ios)
			if code != tt.wantCode {
				t.Fatalf("exit code = %d, want %d (stderr: %s)", code, tt.wantCode, errOut)
			}
			if !strings.Contains(out.String(), tt.wantOut) {
				t.Errorf("stdout = %q, want it to contain %q", out, tt.wantOut)
			}
			if !strings.Contains(errOut.String(), tt.wantErr) {
				t.Errorf("stderr = %q, want it to contain %q", errOut, tt.wantErr)
			}
		})
	}
}

func TestBuildVersion(t *testing.T) {
	info := func(v string) func() (*debug.BuildInfo, bool) {
		return func() (*debug.BuildInfo, bool) {
			return &debug.BuildInfo{Main: debug.Module{Version: v}}, true
		}
	}
	none := func() (*debug.BuildInfo, bool) { return nil, false }
	tests := []struct {
		name string
		v    string
		info func() (*debug.BuildInfo, bool)
		want string
	}{
		{"ldflags win", "v9.9.9", info("v1.2.3"), "v9.9.9"},
		{"go install build", "dev", info("v1.2.3"), "v1.2.3"},
		{"build from a checkout", "dev", info("(devel)"), "dev"},
		{"no build info", "dev", none, "dev"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := buildVersion(tt.v, tt.info); got != tt.want {
				t.Errorf("buildVersion = %q, want %q", got, tt.want)
			}
		})
	}
}
