package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// buildApicenter is the real binary, built once for the package's tests
// (binary).
func buildApicenter(t *testing.T) string {
	t.Helper()
	return binary(t)
}

// devOrgProcess is a running `apicenter dev-org`.
type devOrgProcess struct {
	cmd        *exec.Cmd
	vars       map[string]string
	stderr     *strings.Builder
	exitStatus chan error
}

// startDevOrg starts the binary and waits for its OKTA_* lines.
func startDevOrg(t *testing.T, bin string, env []string, args ...string) *devOrgProcess {
	t.Helper()
	cmd := exec.Command(bin, append([]string{"dev-org", "--addr", "127.0.0.1:0"}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	p := &devOrgProcess{cmd: cmd, vars: map[string]string{}, stderr: &strings.Builder{}, exitStatus: make(chan error, 1)}
	cmd.Stderr = p.stderr
	lines := startLines(t, cmd)
	timeout := time.After(20 * time.Second)
	for p.vars["OKTA_API_TOKEN"] == "" {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("dev-org exited before printing its URL and token; stderr: %s", p.stderr)
			}
			if k, v, ok := strings.Cut(l, "="); ok {
				p.vars[k] = v
			}
		case <-timeout:
			t.Fatalf("dev-org printed no token in 20 s; stderr: %s", p.stderr)
		}
	}
	go func() {
		for range lines { // drain
		}
	}()
	go func() { p.exitStatus <- cmd.Wait() }()
	return p
}

// stop sends sig and returns the exit code.
func (p *devOrgProcess) stop(t *testing.T, sig os.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.exitStatus:
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	case <-time.After(10 * time.Second):
		t.Fatalf("dev-org did not stop on %v", sig)
		return -1
	}
}

func sdkFor(t *testing.T, url, token string, hc *http.Client) *okta.Client {
	t.Helper()
	t.Setenv("HOME", t.TempDir())
	_, c, err := okta.NewClient(context.Background(), okta.WithOrgUrl(url), okta.WithToken(token), okta.WithCache(false),
		okta.WithTestingDisableHttpsCheck(true), okta.WithHttpClientPtr(hc), okta.WithRequestTimeout(10), okta.WithRateLimitMaxRetries(1))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestDevOrgProcess(t *testing.T) {
	bin := buildApicenter(t)
	state := filepath.Join(t.TempDir(), "org.json")
	ctx := context.Background()
	hc := &http.Client{Timeout: 10 * time.Second}

	first := startDevOrg(t, bin, nil, "--state", state, "--api-token", "00flag-token")
	if first.vars["OKTA_API_TOKEN"] != "00flag-token" || !strings.HasPrefix(first.vars["OKTA_ORG_URL"], "http://127.0.0.1:") {
		t.Fatalf("printed %v", first.vars)
	}
	c := sdkFor(t, first.vars["OKTA_ORG_URL"], first.vars["OKTA_API_TOKEN"], hc)
	g, _, err := c.Group.CreateGroup(ctx, okta.Group{Profile: &okta.GroupProfile{Name: "survives-restart"}})
	if err != nil {
		t.Fatal(err)
	}
	if code := first.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code on SIGTERM = %d; stderr: %s", code, first.stderr)
	}
	if fi, err := os.Stat(state); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
	if b, _ := os.ReadFile(state); strings.Contains(string(b), "00flag-token") {
		t.Fatal("the API token was written to the state file")
	}
	if strings.Contains(first.stderr.String(), "00flag-token") {
		t.Fatalf("the API token was logged on stderr: %s", first.stderr)
	}

	// Restarted on the same state, with the token from the environment.
	second := startDevOrg(t, bin, []string{"APICENTER_DEV_ORG_API_TOKEN=00env-token"}, "--state", state)
	if second.vars["OKTA_API_TOKEN"] != "00env-token" {
		t.Fatalf("token = %q, want the one from the environment", second.vars["OKTA_API_TOKEN"])
	}
	c = sdkFor(t, second.vars["OKTA_ORG_URL"], "00env-token", hc)
	gs, _, err := c.Group.ListGroups(ctx, query.NewQueryParams(query.WithQ("survives")))
	if err != nil || len(gs) != 1 || gs[0].Id != g.Id {
		t.Fatalf("after restart: %v %v", gs, err)
	}
	if code := second.stop(t, syscall.SIGINT); code != 0 {
		t.Fatalf("exit code on SIGINT = %d", code)
	}

	// A random token when none is given.
	third := startDevOrg(t, bin, []string{"APICENTER_DEV_ORG_API_TOKEN="})
	if len(third.vars["OKTA_API_TOKEN"]) < 20 {
		t.Fatalf("random token = %q", third.vars["OKTA_API_TOKEN"])
	}
	third.stop(t, syscall.SIGTERM)
}

func TestDevOrgTLS(t *testing.T) {
	bin := buildApicenter(t)
	caFile := filepath.Join(t.TempDir(), "ca.pem")
	p := startDevOrg(t, bin, nil, "--tls", "--tls-ca", caFile)
	defer p.stop(t, syscall.SIGTERM)
	if !strings.HasPrefix(p.vars["OKTA_ORG_URL"], "https://127.0.0.1:") {
		t.Fatalf("URL = %q", p.vars["OKTA_ORG_URL"])
	}
	caPEM, err := os.ReadFile(caFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("no certificate in --tls-ca file")
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c := sdkFor(t, p.vars["OKTA_ORG_URL"], p.vars["OKTA_API_TOKEN"], hc)
	if _, _, err := c.User.GetUser(context.Background(), "me"); err != nil {
		t.Fatalf("SDK over https with the CA: %v", err)
	}
	// Without the CA the certificate is not trusted.
	if _, err := http.Get(p.vars["OKTA_ORG_URL"] + "/api/v1/users/me"); err == nil {
		t.Fatal("an untrusting client accepted the certificate")
	}
}

func TestDevOrgBadStateFile(t *testing.T) {
	state := filepath.Join(t.TempDir(), "org.json")
	if err := os.WriteFile(state, []byte("not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	ios, _, out, errOut := iostreams.Test()
	code := Execute(context.Background(), []string{"dev-org", "--addr", "127.0.0.1:0", "--state", state}, ios)
	if code != exitcode.Input || !strings.Contains(errOut.String(), state) || out.Len() != 0 {
		t.Fatalf("code %d, stderr %q, stdout %q; want exit %d naming the file", code, errOut, out, exitcode.Input)
	}
}

func TestDevOrgAddressInUse(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	ios, _, _, errOut := iostreams.Test()
	code := Execute(context.Background(), []string{"dev-org", "--addr", l.Addr().String()}, ios)
	if code != exitcode.Usage || !strings.Contains(errOut.String(), "--addr "+l.Addr().String()+": the address is in use") {
		t.Fatalf("code %d, stderr %q; want exit %d naming --addr and the busy address", code, errOut, exitcode.Usage)
	}
}

func TestDevOrgFlagErrors(t *testing.T) {
	tests := []struct {
		args    []string
		wantErr string
	}{
		{[]string{"dev-org", "--tls"}, "--tls needs --tls-ca"},
		{[]string{"dev-org", "--latency", "soon"}, "--latency"},
		{[]string{"dev-org", "--faults", "rate=2"}, "--faults"},
		{[]string{"dev-org", "--rate-limit", "-1"}, "--rate-limit"},
		{[]string{"dev-org", "--addr", "0.0.0.0:0"}, "loopback"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			ios, _, _, errOut := iostreams.Test()
			code := Execute(context.Background(), tt.args, ios)
			if code == exitcode.OK || !strings.Contains(errOut.String(), tt.wantErr) {
				t.Fatalf("code %d, stderr %q; want an error about %s", code, errOut, tt.wantErr)
			}
			if code != exitcode.Usage {
				t.Fatalf("code = %d, want %d", code, exitcode.Usage)
			}
		})
	}
}

func TestDevOrgLinesAreShellSafe(t *testing.T) {
	tests := []struct{ value, wantLine string }{
		{"http://127.0.0.1:8484", "V=http://127.0.0.1:8484\n"},
		{"00Abc-_xyz", "V=00Abc-_xyz\n"},
		{"it's a $token `x`", `V='it'\''s a $token ` + "`x`'\n"},
		{"/tmp/a b/ca.pem", "V='/tmp/a b/ca.pem'\n"},
		{"", "V=''\n"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			line := envLine("V", tt.value)
			if line != tt.wantLine {
				t.Fatalf("envLine = %q, want %q", line, tt.wantLine)
			}
			// What a script does with it: eval the line, read the variable.
			out, err := exec.Command("sh", "-c", `eval "$1"; printf %s "$V"`, "sh", line).Output()
			if err != nil || string(out) != tt.value {
				t.Fatalf("sh eval gave %q (%v), want %q", out, err, tt.value)
			}
		})
	}
}

// TestDevOrgKnobs checks that the knob flags reach the org, by the
// statuses of a few requests to one endpoint.
func TestDevOrgKnobs(t *testing.T) {
	bin := buildApicenter(t)
	tests := []struct {
		args []string
		n    int
		want func(statuses []int) bool
	}{
		// Five requests with two a minute allowed: a 429 even if the
		// minute turns in between.
		{[]string{"--rate-limit", "2"}, 5, func(s []int) bool { return s[0] == 200 && slices.Contains(s, 429) }},
		{[]string{"--faults", "rate=1,kinds=500"}, 3, func(s []int) bool { return slices.Equal(s, []int{500, 500, 500}) }},
		{[]string{"--latency", "1ms", "--faults", "rate=0"}, 3, func(s []int) bool { return slices.Equal(s, []int{200, 200, 200}) }},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			p := startDevOrg(t, bin, nil, tt.args...)
			defer p.stop(t, syscall.SIGTERM)
			var got []int
			for range tt.n {
				req, _ := http.NewRequest(http.MethodGet, p.vars["OKTA_ORG_URL"]+"/api/v1/users/me", nil)
				req.Header.Set("Authorization", "SSWS "+p.vars["OKTA_API_TOKEN"])
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
				got = append(got, resp.StatusCode)
			}
			if !tt.want(got) {
				t.Fatalf("statuses %v", got)
			}
		})
	}
}
