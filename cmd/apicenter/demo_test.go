package main

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/flow"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// demoPrinted is what `apicenter demo` prints on stdout once it runs.
type demoPrinted struct {
	appURL, outputDir  string
	usernames, passwds []string
	stdout             []string
}

// readDemoOutput reads the demo's stdout until its last line, the output
// files' directory.
func readDemoOutput(t *testing.T, lines <-chan string, stderr *lockedBuffer) demoPrinted {
	t.Helper()
	var p demoPrinted
	timeout := time.After(30 * time.Second)
	for p.outputDir == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("demo exited before printing the app's URL and the credentials; stdout:\n%s\nstderr:\n%s", strings.Join(p.stdout, "\n"), stderr)
			}
			p.stdout = append(p.stdout, l)
			if v, ok := strings.CutPrefix(l, "output files:"); ok {
				p.outputDir, _, _ = strings.Cut(strings.TrimSpace(v), " ")
			}
			if v, ok := strings.CutPrefix(l, "The API Center web app:"); ok {
				p.appURL = strings.TrimSpace(v)
			}
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "username:"); ok {
				p.usernames = append(p.usernames, strings.TrimSpace(v))
			}
			if v, ok := strings.CutPrefix(strings.TrimSpace(l), "password:"); ok {
				p.passwds = append(p.passwds, strings.TrimSpace(v))
			}
		case <-timeout:
			t.Fatalf("demo printed no URL and credentials in 30 s; stdout:\n%s\nstderr:\n%s", strings.Join(p.stdout, "\n"), stderr)
		}
	}
	return p
}

// TestDemoProcess runs the real binary as a newcomer does: `apicenter demo
// --port 0` prints the app's URL and the two users' credentials on stdout
// (progress on stderr), the app answers, and SIGINT stops everything with
// exit 0, removing the temporary output directory, or keeping the one
// --output-dir names.
func TestDemoProcess(t *testing.T) {
	bin := buildApicenter(t)
	kept := filepath.Join(t.TempDir(), "out")
	tests := []struct {
		name string
		args []string
		// keptDir is the output directory left after exit; empty: a
		// temporary one under TMPDIR, removed.
		keptDir string
	}{
		{name: "temporary output", args: []string{"--port", "0"}},
		{name: "--output-dir", args: []string{"--port", "0", "--output-dir", kept}, keptDir: kept},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			p, stop := startDemo(t, bin, tmp, tt.args...)

			if len(p.usernames) != 2 || p.usernames[0] == p.usernames[1] || p.passwds[0] == "" || p.passwds[0] == p.passwds[1] {
				t.Errorf("want the silver and the gold users' distinct credentials, got usernames %q", p.usernames)
			}
			if !strings.HasPrefix(p.appURL, "http://127.0.0.1:") || strings.HasSuffix(p.appURL, ":0") {
				t.Errorf("app URL %q: want http://127.0.0.1:<a free port>", p.appURL)
			}
			resp, err := http.Get(p.appURL)
			if err != nil {
				t.Fatalf("GET %s: %v", p.appURL, err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Sign in as the silver user") {
				t.Errorf("GET %s: %s\n%s", p.appURL, resp.Status, body)
			}

			wantDir := tt.keptDir
			if wantDir == "" {
				temps, _ := filepath.Glob(filepath.Join(tmp, "apicenter-demo-*"))
				if len(temps) != 1 {
					t.Fatalf("want one temporary output directory under TMPDIR while the demo runs, got %q", temps)
				}
				wantDir = temps[0]
			}
			if p.outputDir != wantDir {
				t.Errorf("stdout names the output files' directory %q, want %q", p.outputDir, wantDir)
			}

			code, stderr := stop(syscall.SIGINT)
			if code != 0 {
				t.Fatalf("demo exited with %d after SIGINT, want 0; stderr:\n%s", code, stderr)
			}
			if !strings.Contains(stderr, "demo: local Okta org on http://127.0.0.1:") {
				t.Errorf("stderr lacks the demo's progress:\n%s", stderr)
			}
			for _, l := range p.stdout {
				if strings.HasPrefix(l, "demo:") {
					t.Errorf("progress on stdout: %q", l)
				}
			}
			for _, pw := range p.passwds {
				if strings.Contains(stderr, pw) {
					t.Errorf("a password is on stderr:\n%s", stderr)
				}
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, "apicenter-demo-*")); len(left) != 0 {
				t.Errorf("the temporary output directory is left after exit: %q", left)
			}
			if tt.keptDir != "" {
				for _, f := range []string{"mulesoft.yaml", "mulesoft_policy.yaml"} {
					if _, err := os.Stat(filepath.Join(tt.keptDir, f)); err != nil {
						t.Errorf("--output-dir: %v", err)
					}
				}
			}
			if resp, err := http.Get(p.appURL); err == nil {
				resp.Body.Close()
				t.Errorf("the app still answers at %s after exit", p.appURL)
			}
		})
	}
}

// startDemo starts `apicenter demo args...` with HOME a temp dir and TMPDIR
// tmp, and reads its stdout until the URL and the credentials are printed.
// stop sends a signal and returns the exit code and the whole stderr.
func startDemo(t *testing.T, bin, tmp string, args ...string) (p demoPrinted, stop func(os.Signal) (int, string)) {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"demo"}, args...)...)
	cmd.Env = append(os.Environ(), "HOME="+t.TempDir(), "TMPDIR="+tmp,
		"OKTA_CLIENT_ORGURL=", "OKTA_CLIENT_TOKEN=", "OKTA_ORG_URL=", "OKTA_API_TOKEN=")
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	lines := startLines(t, cmd)
	p = readDemoOutput(t, lines, stderr)
	exited := make(chan error, 1)
	go func() {
		for range lines { // the rest of stdout
		}
		exited <- cmd.Wait()
	}()
	return p, func(sig os.Signal) (int, string) {
		t.Helper()
		if err := cmd.Process.Signal(sig); err != nil {
			t.Fatal(err)
		}
		select {
		case err := <-exited:
			var ee *exec.ExitError
			if errors.As(err, &ee) {
				return ee.ExitCode(), stderr.String()
			}
			if err != nil {
				t.Fatal(err)
			}
			return 0, stderr.String()
		case <-time.After(10 * time.Second):
			t.Fatalf("demo did not stop in 10 s after %v; stderr:\n%s", sig, stderr)
			return -1, ""
		}
	}
}

// TestDemoRefusesBadPort: a busy or invalid --port is a usage error that
// names the flag, before anything is started.
func TestDemoRefusesBadPort(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)
	t.Setenv("HOME", t.TempDir())
	t.Setenv("TMPDIR", t.TempDir())

	tests := []struct {
		name, port string
		wantErr    []string
	}{
		{"busy", busyPort, []string{"--port " + busyPort, "address already in use"}},
		{"negative", "-1", []string{"--port -1", "between 0 and 65535"}},
		{"too large", "65536", []string{"--port 65536", "between 0 and 65535"}},
		{"not a number", "http", []string{"--port", "invalid argument"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := runCLI(t, "demo", "--port", tt.port)
			if r.code != exitcode.Usage {
				t.Errorf("exit code %d, want %d; stderr: %s", r.code, exitcode.Usage, r.errOut)
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(r.errOut, w) {
					t.Errorf("stderr %q lacks %q", r.errOut, w)
				}
			}
			if strings.Count(strings.TrimSpace(r.errOut), "\n") != 0 {
				t.Errorf("want a one-line error, got:\n%s", r.errOut)
			}
			if r.out != "" {
				t.Errorf("stdout: %q", r.out)
			}
		})
	}
	if left, _ := filepath.Glob(filepath.Join(os.Getenv("TMPDIR"), "apicenter-demo-*")); len(left) != 0 {
		t.Errorf("a refused demo left %q", left)
	}
}

// TestDemoInterruptedWhileStarting: Ctrl-C before the demo runs is exit
// code 130 with a one-line message, not bootstrap's "run the same command
// again to continue" (the org lived in memory), and nothing is left.
func TestDemoInterruptedWhileStarting(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	ios, _, out, errOut := iostreams.Test()
	code := Execute(ctx, []string{"demo"}, ios)
	if code != exitcode.Interrupted {
		t.Errorf("exit code %d, want %d; stderr:\n%s", code, exitcode.Interrupted, errOut)
	}
	if got := errOut.String(); !strings.HasSuffix(got, "apicenter: demo: interrupted\n") || strings.Contains(got, "run the same command") {
		t.Errorf("stderr:\n%s\nwant it to end with the one line %q", got, "apicenter: demo: interrupted")
	}
	if out.Len() != 0 {
		t.Errorf("stdout: %q", out)
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "apicenter-demo-*")); len(left) != 0 {
		t.Errorf("an interrupted demo left %q", left)
	}
}

// TestDemoGatewayFlag: --help lists every gateway with a demo section (taken
// from the inputs), and a --gateway without one is a usage error naming
// them, before anything is started.
func TestDemoGatewayFlag(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	gws := flow.Gateways()
	if len(gws) < 2 {
		t.Fatalf("flow.Gateways() = %v: want every input with a demo section", gws)
	}
	help := runCLI(t, "demo", "--help")
	for _, gw := range gws {
		if !strings.Contains(help.out, gw) {
			t.Errorf("demo --help does not list the gateway %s:\n%s", gw, help.out)
		}
	}
	for _, name := range []string{"nosuch", "mulesoft_policy", ""} {
		r := runCLI(t, "demo", "--gateway", name)
		want := "--gateway " + name + ": not a gateway with a demo (one of: " + strings.Join(gws, ", ") + ")"
		if r.code != exitcode.Usage || !strings.Contains(r.errOut, want) || strings.Count(strings.TrimSpace(r.errOut), "\n") != 0 {
			t.Errorf("--gateway %q: exit %d, stderr %q; want exit %d and the one line %q", name, r.code, r.errOut, exitcode.Usage, want)
		}
		if r.out != "" {
			t.Errorf("--gateway %q: stdout %q", name, r.out)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "apicenter-demo-*")); len(left) != 0 {
		t.Errorf("a refused demo left %q", left)
	}
}
