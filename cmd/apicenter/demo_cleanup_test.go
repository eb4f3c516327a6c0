package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestDemoRemovesItsTempDirOnEveryExit runs the real binary and ends it
// every way a user does, and checks that the demo's temporary directory,
// which holds the passwords and client secrets, is gone afterwards: Ctrl-C,
// SIGTERM and SIGHUP (a closed terminal) once running; a failed start; a
// signal while starting; Ctrl-C after the reader of its output has gone (a
// write to a closed pipe, EPIPE/SIGPIPE); and `make demo 2>&1 | tee log`
// followed by Ctrl-C at the terminal, which signals the whole process group
// (make, the demo and tee) at once.
func TestDemoRemovesItsTempDirOnEveryExit(t *testing.T) {
	bin := buildApicenter(t)
	makefile, err := filepath.Abs(filepath.Join("..", "..", "Makefile"))
	must(t, err)
	// make's directory: bin/apicenter is the binary just built, so that
	// `make -o build demo` runs it without building.
	makeDir := t.TempDir()
	must(t, os.Mkdir(filepath.Join(makeDir, "bin"), 0o755))
	must(t, os.Symlink(bin, filepath.Join(makeDir, "bin", "apicenter")))

	const running, orgUp = "output files:", "demo: local Okta org on"
	tests := []struct {
		name string
		// argv is the command; "BIN" is replaced by the binary.
		argv []string
		// waitFor is the output after which the signal is sent; empty:
		// none is sent, the process ends by itself.
		waitFor string
		signal  syscall.Signal
		// group sends the signal to the process group, as a terminal's
		// Ctrl-C does; closeOutput closes the reading end of the demo's
		// output first.
		group, closeOutput bool
		// wantCode is the exit code; -1: not checked (a shell pipeline's).
		wantCode int
	}{
		{name: "Ctrl-C", argv: []string{"BIN", "demo"}, waitFor: running, signal: syscall.SIGINT},
		{name: "SIGTERM", argv: []string{"BIN", "demo"}, waitFor: running, signal: syscall.SIGTERM},
		{name: "SIGHUP", argv: []string{"BIN", "demo", "--gateway", "kong"}, waitFor: running, signal: syscall.SIGHUP},
		{name: "failed start", argv: []string{"BIN", "demo", "--faults", "rate=1,kinds=500"}, wantCode: 4},
		// With 100 ms a request, the bootstrap is still running.
		{name: "Ctrl-C while starting", argv: []string{"BIN", "demo", "--latency", "100ms"}, waitFor: orgUp, signal: syscall.SIGINT, wantCode: 130},
		{name: "Ctrl-C after the output's reader is gone", argv: []string{"BIN", "demo"}, waitFor: running, signal: syscall.SIGINT, closeOutput: true},
		{name: "make demo | tee log, Ctrl-C",
			argv:    []string{"bash", "-c", `make -s -f "$0" -o build demo ARGS='--gateway aws --port 0' 2>&1 | tee log`, makefile},
			waitFor: running, signal: syscall.SIGINT, group: true, wantCode: -1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			argv := append([]string(nil), tt.argv...)
			if argv[0] == "BIN" {
				argv[0] = bin
			} else if strings.Contains(strings.Join(argv, " "), "make ") {
				if _, err := exec.LookPath("make"); err != nil {
					t.Skip("make is not installed (apt-get install make)")
				}
			}
			cmd := exec.Command(argv[0], argv[1:]...)
			cmd.Dir = makeDir
			cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "TMPDIR="+tmp,
				"OKTA_CLIENT_ORGURL=", "OKTA_CLIENT_TOKEN=", "OKTA_ORG_URL=", "OKTA_API_TOKEN=")
			cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
			r, w, err := os.Pipe()
			must(t, err)
			cmd.Stdout, cmd.Stderr = w, w
			must(t, cmd.Start())
			w.Close()
			t.Cleanup(func() { _ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })

			out := &lockedBuffer{}
			seen := make(chan struct{})
			go func() {
				sc := bufio.NewScanner(r)
				found := false
				for sc.Scan() {
					out.Write([]byte(sc.Text() + "\n"))
					if tt.waitFor != "" && !found && strings.Contains(sc.Text(), tt.waitFor) {
						found = true
						close(seen)
					}
				}
			}()
			exited := make(chan error, 1)
			go func() { exited <- cmd.Wait() }()

			if tt.waitFor != "" {
				select {
				case <-seen:
				case err := <-exited:
					t.Fatalf("exited (%v) before printing %q:\n%s", err, tt.waitFor, out)
				case <-time.After(30 * time.Second):
					t.Fatalf("no %q in 30 s:\n%s", tt.waitFor, out)
				}
				if dirs, _ := filepath.Glob(filepath.Join(tmp, "apicenter-demo-*")); len(dirs) != 1 {
					t.Fatalf("want the demo's temporary directory under TMPDIR before the signal, got %q", dirs)
				}
				if tt.closeOutput {
					r.Close()
				}
				pid := cmd.Process.Pid
				if tt.group {
					pid = -pid
				}
				must(t, syscall.Kill(pid, tt.signal))
			}
			var err2 error
			select {
			case err2 = <-exited:
			case <-time.After(20 * time.Second):
				t.Fatalf("still running 20 s after the signal:\n%s", out)
			}
			code := 0
			var ee *exec.ExitError
			if errors.As(err2, &ee) {
				code = ee.ExitCode()
			}
			if tt.wantCode >= 0 && code != tt.wantCode {
				t.Errorf("exit code %d (%v), want %d; output:\n%s", code, err2, tt.wantCode, out)
			}
			// A pipeline's shell may end before the demo has finished
			// stopping: wait for the demo's process group to empty.
			for deadline := time.Now().Add(20 * time.Second); syscall.Kill(-cmd.Process.Pid, 0) == nil; {
				if time.Now().After(deadline) {
					t.Fatalf("the demo's processes still run 20 s after the signal:\n%s", out)
				}
				time.Sleep(50 * time.Millisecond)
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, "apicenter-demo-*")); len(left) != 0 {
				t.Errorf("left behind: %q; output:\n%s", left, out)
			}
		})
	}
}
