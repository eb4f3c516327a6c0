package main

import (
	"context"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
)

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
		{"unknown flag is a usage error", []string{"--nope"}, exitcode.Usage, "", "unknown flag: --nope"},
		{"unknown command is a usage error", []string{"nope"}, exitcode.Usage, "", "unknown command"},
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
