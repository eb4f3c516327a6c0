package main

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// lockedBuffer is a buffer a server goroutine writes while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

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
	t.Run("missing setting", func(t *testing.T) {
		short := filepath.Join(dir, "short.env")
		if err := os.WriteFile(short, []byte("ISSUER=http://127.0.0.1:1/x\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		ios, _, _, errOut := iostreams.Test()
		if code := Execute(context.Background(), []string{"app", "--env-file", short}, ios); code != exitcode.Input {
			t.Fatalf("exit code %d, want %d (stderr %s)", code, exitcode.Input, errOut)
		}
		if !strings.Contains(errOut.String(), "setting CLIENT_ID is missing") {
			t.Errorf("stderr = %q", errOut)
		}
	})
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
