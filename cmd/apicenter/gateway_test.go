package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/gateway"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// startServing runs a serving command until the test ends and returns the
// URL it prints and its stderr.
func startServing(t *testing.T, args []string) (string, *lockedBuffer) {
	t.Helper()
	out, errOut := &lockedBuffer{}, &lockedBuffer{}
	ios := &iostreams.IOStreams{In: strings.NewReader(""), Out: out, ErrOut: errOut}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	go func() { done <- Execute(ctx, args, ios) }()
	t.Cleanup(func() {
		cancel()
		if code := <-done; code != exitcode.OK {
			t.Errorf("%v: exit code %d after Ctrl-C, want 0 (stderr %s)", args, code, errOut)
		}
	})
	for i := 0; i < 200; i++ {
		if s := strings.TrimSpace(out.String()); strings.HasPrefix(s, "http://") {
			return s, errOut
		}
		select {
		case code := <-done:
			done <- code
			t.Fatalf("%v exited %d: %s", args, code, errOut)
		case <-time.After(10 * time.Millisecond):
		}
	}
	t.Fatalf("%v printed no URL; stderr %s", args, errOut)
	return "", nil
}

func TestGatewayCommand(t *testing.T) {
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer upstream.Close()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "gateway.yaml")
	yaml := "upstream: " + upstream.URL + "\nmode: introspect\nissuer: http://127.0.0.1:1/oauth2/aus1\naudience: api://default\n" +
		"introspection: {client_id: 0oa1, client_secret_env: APICENTER_TEST_INTROSPECTION_SECRET}\n" +
		"routes:\n  - {method: GET, path: /planets, scopes: [silver]}\n"
	if err := os.WriteFile(cfg, []byte(yaml), 0o600); err != nil {
		t.Fatal(err)
	}

	t.Run("errors", func(t *testing.T) {
		tests := []struct {
			name     string
			args     []string
			wantCode int
			wantErr  string
		}{
			{"no config", []string{"gateway"}, exitcode.Usage, "--config is required"},
			{"missing file", []string{"gateway", "--config", filepath.Join(dir, "nope.yaml")}, exitcode.Input, "nope.yaml"},
			{"secret env unset", []string{"gateway", "--config", cfg}, exitcode.Input, "APICENTER_TEST_INTROSPECTION_SECRET is not set"},
			{"unknown profile", []string{"gateway", "--profile", "nope", "--config", cfg}, exitcode.Usage,
				`--profile: profile "nope" is not one of: ` + strings.Join(gateway.ProfileNames(), ", ")},
			{"two files for the reference", []string{"gateway", "--config", cfg, "--config", cfg}, exitcode.Usage, "more than one needs --profile"},
			{"the reference file as mulesoft's", []string{"gateway", "--profile", "mulesoft", "--config", cfg}, exitcode.Input,
				`profile: "", but the file is read as profile "mulesoft"`},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				ios, _, _, errOut := iostreams.Test()
				if code := Execute(context.Background(), tt.args, ios); code != tt.wantCode {
					t.Fatalf("exit code %d, want %d (stderr %s)", code, tt.wantCode, errOut)
				}
				if !strings.Contains(errOut.String(), tt.wantErr) {
					t.Errorf("stderr = %q, want %q", errOut, tt.wantErr)
				}
			})
		}
	})

	t.Run("help lists the profiles", func(t *testing.T) {
		ios, _, out, _ := iostreams.Test()
		Execute(context.Background(), []string{"gateway", "--help"}, ios)
		for _, p := range gateway.Profiles() {
			if !strings.Contains(out.String(), p.Description) {
				t.Errorf("gateway --help lacks profile %q (%s)", p.Name, p.Description)
			}
		}
	})

	t.Run("serves as mulesoft", func(t *testing.T) {
		t.Setenv("APICENTER_TEST_INTROSPECTION_SECRET", "shh")
		mule := filepath.Join(dir, "mulesoft.yaml")
		if err := os.WriteFile(mule, []byte("profile: mulesoft\n"+yaml), 0o600); err != nil {
			t.Fatal(err)
		}
		url, _ := startServing(t, []string{"gateway", "--profile", "mulesoft", "--config", mule, "--addr", "127.0.0.1:0"})
		resp, err := http.Get(url + "/planets")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || resp.Header.Get("WWW-Authenticate") != "" {
			t.Errorf("GET /planets without a token: %s %q, want Mulesoft's 400 without a challenge", resp.Status, resp.Header.Get("WWW-Authenticate"))
		}
	})

	t.Run("serves", func(t *testing.T) {
		t.Setenv("APICENTER_TEST_INTROSPECTION_SECRET", "shh")
		url, stderr := startServing(t, []string{"gateway", "--config", cfg, "--addr", "127.0.0.1:0"})
		resp, err := http.Get(url + "/planets")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || resp.Header.Get("WWW-Authenticate") != `Bearer realm="apicenter"` {
			t.Errorf("GET /planets without a token: %s %q", resp.Status, resp.Header.Get("WWW-Authenticate"))
		}
		req, _ := http.NewRequest(http.MethodGet, url+"/planets", nil)
		req.Header.Set("Authorization", "Bearer")
		resp, err = http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !strings.Contains(resp.Header.Get("WWW-Authenticate"), `error="invalid_request"`) {
			t.Errorf("GET /planets with a bare Bearer: %s %q", resp.Status, resp.Header.Get("WWW-Authenticate"))
		}
		if !strings.Contains(stderr.String(), "gateway: GET /planets -> 401 no token") {
			t.Errorf("stderr lacks the access log line: %s", stderr)
		}
	})
}

func TestAppCommand(t *testing.T) {
	dir := t.TempDir()
	env := filepath.Join(dir, "app.env")
	settings := "ISSUER=http://127.0.0.1:1/oauth2/aus1\nCLIENT_ID=0oa1\nCLIENT_SECRET=s\n" +
		"REDIRECT_URI=http://127.0.0.1:1/authorization-code/callback\nGATEWAY_URI=http://127.0.0.1:1\n" +
		"SILVER_SCOPE=silver\nGOLD_SCOPE=gold\nSILVER_PASSWORD=Never-Shown-1\n"
	if err := os.WriteFile(env, []byte(settings), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("serves the home page", func(t *testing.T) {
		url, _ := startServing(t, []string{"app", "--env-file", env, "--addr", "127.0.0.1:0"})
		resp, err := http.Get(url + "/")
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		for _, w := range []string{"Sign in as the silver user", "Sign in as the gold user", "Show me the planets", "Show me the moons", "Sign out"} {
			if !strings.Contains(string(b), w) {
				t.Errorf("home page lacks %q", w)
			}
		}
		if strings.Contains(string(b), "Never-Shown") {
			t.Error("home page shows a password")
		}
	})
}

// TestServerCommandsRefuseBadInput: each bad flag, file or setting of app
// and gateway is one line on stderr that names it, with the documented
// exit code, before anything listens.
func TestServerCommandsRefuseBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	short := write("short.env", "ISSUER=http://127.0.0.1:1/x\n")
	notURL := write("noturl.env", "ISSUER=issuer\nCLIENT_ID=0oa1\nCLIENT_SECRET=s\n"+
		"REDIRECT_URI=http://127.0.0.1:1/cb\nGATEWAY_URI=http://127.0.0.1:1\nSILVER_SCOPE=silver\nGOLD_SCOPE=gold\n")
	broken := write("broken.env", "ISSUER=http://127.0.0.1:1/x\nnot a setting\n")
	dupRoutes := write("dup.yaml", "upstream: http://127.0.0.1:1\nmode: jwt\nissuer: http://127.0.0.1:2/oauth2/x\naudience: api://x\n"+
		"routes:\n  - {method: GET, path: /planets}\n  - {method: GET, path: /planets}\n")
	tests := []struct {
		name     string
		args     []string
		wantCode int
		want     []string
	}{
		{name: "app: --addr not host:port", args: []string{"app", "--addr", "8080", "--env-file", short}, wantCode: exitcode.Usage, want: []string{`--addr "8080"`}},
		{name: "app: --env-file missing", args: []string{"app", "--env-file", filepath.Join(dir, "none.env")}, wantCode: exitcode.Input, want: []string{"--env-file", "none.env"}},
		{name: "app: --env-file malformed", args: []string{"app", "--env-file", broken}, wantCode: exitcode.Input, want: []string{"broken.env:2"}},
		{name: "app: a setting missing", args: []string{"app", "--env-file", short}, wantCode: exitcode.Input, want: []string{"setting CLIENT_ID is missing", "--env-file " + short}},
		{name: "app: a setting malformed", args: []string{"app", "--env-file", notURL}, wantCode: exitcode.Input, want: []string{"setting ISSUER (from " + notURL + `): "issuer" is not an http(s) URL`}},
		{name: "gateway: no --config", args: []string{"gateway"}, wantCode: exitcode.Usage, want: []string{"--config is required"}},
		{name: "gateway: --config missing", args: []string{"gateway", "--config", filepath.Join(dir, "none.yaml")}, wantCode: exitcode.Input, want: []string{"--config: open ", "none.yaml"}},
		{name: "gateway: --addr not host:port", args: []string{"gateway", "--config", dupRoutes, "--addr", "localhost"}, wantCode: exitcode.Usage, want: []string{`--addr "localhost"`}},
		{name: "gateway: the same route twice", args: []string{"gateway", "--config", dupRoutes}, wantCode: exitcode.Input, want: []string{dupRoutes + ": routes[1]:", "conflicts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			if code := Execute(context.Background(), tt.args, ios); code != tt.wantCode {
				t.Fatalf("exit code %d, want %d (stderr %s)", code, tt.wantCode, errOut)
			}
			msg := errOut.String()
			if strings.Count(msg, "\n") != 1 || !strings.HasPrefix(msg, "apicenter: ") {
				t.Errorf("stderr = %q, want one line", msg)
			}
			for _, w := range tt.want {
				if !strings.Contains(msg, w) {
					t.Errorf("stderr = %q, want it to mention %q", msg, w)
				}
			}
			if out.Len() != 0 {
				t.Errorf("stdout = %q, want nothing (no URL: nothing listens)", out)
			}
		})
	}
}

// TestGatewayExampleReachesTheSolarSystem: the upstream of the gateway's
// example config (in --help and internal/gateway/testdata) is where
// `apicenter solar-system` listens by default, so the defaults work together.
func TestGatewayExampleReachesTheSolarSystem(t *testing.T) {
	solar := newSolarSystemCmd(&iostreams.IOStreams{}).Flags().Lookup("addr").DefValue
	want := "upstream: http://" + solar
	ios, _, out, _ := iostreams.Test()
	Execute(context.Background(), []string{"gateway", "--help"}, ios)
	example, err := os.ReadFile(filepath.Join("..", "..", "internal", "gateway", "testdata", "mulesoft-introspect.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for name, text := range map[string]string{"gateway --help": out.String(), "mulesoft-introspect.yaml": string(example)} {
		if !strings.Contains(text, want) {
			t.Errorf("%s: the example's upstream is not %q", name, want)
		}
	}
}

// TestServerCommandsHelp: the --help of each serving command says what it
// does, its flags, what it reads, and its own exit codes (Ctrl-C is the
// normal stop: 0), not bootstrap's prompt and output-file codes.
// TestGatewayDocsAgree: gateway --help and the README say what the code
// does (the behaviour itself is tested in internal/gateway and in
// TestGatewayCommand): the RFC 6750 challenge without credentials, 400 for
// a malformed request, and the default cache_ttl.
func TestGatewayDocsAgree(t *testing.T) {
	ios, _, out, errOut := iostreams.Test()
	if code := Execute(context.Background(), []string{"gateway", "--help"}, ios); code != exitcode.OK {
		t.Fatalf("exit code %d: %s", code, errOut)
	}
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	ttl := gateway.DefaultCacheTTL.String() + " by default"
	for name, text := range map[string]string{"gateway --help": out.String(), "README.md": strings.Join(strings.Fields(string(readme)), " ")} {
		text = strings.Join(strings.Fields(text), " ")
		for _, want := range []string{`Bearer realm="apicenter"`, "400", "invalid_request", "invalid_token", "insufficient_scope", "cache_ttl", ttl, "never past the token's exp"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s does not say %q", name, want)
			}
		}
	}
}

func TestServerCommandsHelp(t *testing.T) {
	tests := []struct {
		cmd  string
		want []string
	}{
		{cmd: "app", want: []string{"sign in as the silver or the gold user", "--addr", "--env-file", "ISSUER", "CLIENT_SECRET", "SESSION_SECRET", "never reads\nor shows passwords"}},
		{cmd: "gateway", want: []string{"reverse proxy", "--config", "--addr", "client_secret_env", "insufficient_scope", "X-Apicenter-Subject"}},
		{cmd: "solar-system", want: []string{"GET /planets", "GET /moons", "--addr", "X-Apicenter-Subject"}},
		{cmd: "demo", want: []string{"--port", "--output-dir", "credentials", "130  Ctrl-C or a signal while starting"}},
	}
	for _, tt := range tests {
		t.Run(tt.cmd, func(t *testing.T) {
			ios, _, out, errOut := iostreams.Test()
			if code := Execute(context.Background(), []string{tt.cmd, "--help"}, ios); code != exitcode.OK {
				t.Fatalf("exit code %d: %s", code, errOut)
			}
			help := out.String()
			for _, w := range append(tt.want, "Exit codes:", "0    stopped by Ctrl-C", "2    a bad") {
				if !strings.Contains(help, w) {
					t.Errorf("--help lacks %q:\n%s", w, help)
				}
			}
			if strings.Contains(help, "quit at a prompt") {
				t.Errorf("--help lists bootstrap's exit codes, which do not apply:\n%s", help)
			}
		})
	}
}
