package demo

import (
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// TestDemoFlow starts the whole demo and walks the article's payoff with
// real OAuth clients: the silver user reaches the planets but not the moons,
// the gold user reaches both, a request without a token is refused, and the
// introspection client sees the tokens as active.
func TestDemoFlow(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	d, err := Start(ctx, Options{})
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	defer d.Close(context.Background())

	s := d.Settings.App
	for _, k := range []string{"ISSUER", "CLIENT_ID", "CLIENT_SECRET", "SILVER_PASSWORD", "GOLD_PASSWORD"} {
		if s[k] == "" {
			t.Fatalf("setting %s is empty", k)
		}
	}
	if got, want := s["REDIRECT_URI"], d.AppURL+"/authorization-code/callback"; got != want {
		t.Errorf("REDIRECT_URI = %q, want %q", got, want)
	}
	if got := s["GATEWAY_URI"]; got != d.GatewayURL {
		t.Errorf("GATEWAY_URI = %q, want %q", got, d.GatewayURL)
	}

	if code := get(t, d.GatewayURL+"/planets", ""); code != http.StatusUnauthorized {
		t.Errorf("GET /planets without a token: %d, want 401", code)
	}
	home, err := http.Get(d.AppURL + "/")
	if err != nil {
		t.Fatalf("web app: %v", err)
	}
	home.Body.Close()
	if home.StatusCode != http.StatusOK {
		t.Errorf("web app home: %s", home.Status)
	}

	tests := []struct {
		user, password, scope string
		planets, moons        int
	}{
		{s["SILVER_USERNAME"], s["SILVER_PASSWORD"], s["SILVER_SCOPE"], http.StatusOK, http.StatusForbidden},
		{s["GOLD_USERNAME"], s["GOLD_PASSWORD"], s["GOLD_SCOPE"] + " " + s["SILVER_SCOPE"], http.StatusOK, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			tok := mulesofttest.SignIn(t, d.Settings, tt.user, tt.password, append([]string{"openid"}, strings.Fields(tt.scope)...)...)
			if code := get(t, d.GatewayURL+"/planets", tok.AccessToken); code != tt.planets {
				t.Errorf("GET /planets: %d, want %d", code, tt.planets)
			}
			if code := get(t, d.GatewayURL+"/moons", tok.AccessToken); code != tt.moons {
				t.Errorf("GET /moons: %d, want %d", code, tt.moons)
			}
			active, scope := mulesofttest.Introspect(t, d.Settings, tok.AccessToken)
			if !active {
				t.Error("the introspection client sees the access token as inactive")
			}
			for _, want := range strings.Fields(tt.scope) {
				if !slices.Contains(strings.Fields(scope), want) {
					t.Errorf("introspection gives the scopes %q, want %s among them", scope, want)
				}
			}
		})
	}
}

func get(t *testing.T, u, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// TestStartFailureStopsEverything: when Start fails part-way, nothing it
// started is left: the app's listener it was given is closed, the local org
// no longer answers, and the temporary output directory is gone.
func TestStartFailureStopsEverything(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	notADir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	tests := []struct {
		name      string
		ctx       context.Context
		outputDir string
		wantErr   string
		wantCode  int
	}{
		// The same exit code and hint as any other output directory that
		// cannot be written (bootstrap's --output-dir).
		{"output dir is a file", context.Background(), notADir, "not a directory (choose another --output-dir)", exitcode.Usage},
		{"interrupted", cancelled, "", "context canceled", exitcode.Interrupted},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tmp := t.TempDir()
			t.Setenv("TMPDIR", tmp)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var progress bytes.Buffer
			d, err := Start(tt.ctx, Options{AppListener: ln, OutputDir: tt.outputDir, IO: &iostreams.IOStreams{Out: &progress, ErrOut: &progress}})
			if err == nil {
				d.Close(context.Background())
				t.Fatal("Start succeeded")
			}
			if d != nil {
				t.Errorf("Start returned a Demo with the error %v", err)
			}
			if !strings.Contains(err.Error(), tt.wantErr) || exitcode.Of(err) != tt.wantCode {
				t.Errorf("error %q (exit code %d): want %q, exit code %d", err, exitcode.Of(err), tt.wantErr, tt.wantCode)
			}
			if c, err := net.Dial("tcp", ln.Addr().String()); err == nil {
				c.Close()
				t.Errorf("the app's listener %s is still open", ln.Addr())
			}
			orgURL := regexp.MustCompile(`local Okta org on (\S+)`).FindStringSubmatch(progress.String())
			if orgURL == nil {
				t.Fatalf("no org URL in the progress:\n%s", progress.String())
			}
			if resp, err := http.Get(orgURL[1] + "/.well-known/openid-configuration"); err == nil {
				resp.Body.Close()
				t.Errorf("the local org still answers at %s", orgURL[1])
			}
			if left, _ := filepath.Glob(filepath.Join(tmp, "apicenter-demo-*")); len(left) != 0 {
				t.Errorf("left behind: %q", left)
			}
		})
	}
}

// TestCloseIsIdempotent: a second Close returns the first's result, and
// everything is down after the first.
func TestCloseIsIdempotent(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	d, err := Start(context.Background(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := d.Close(context.Background()); err != nil {
			t.Fatalf("Close #%d: %v", i+1, err)
		}
	}
	for _, u := range []string{d.OrgURL, d.AppURL, d.GatewayURL, d.APIURL} {
		if resp, err := http.Get(u); err == nil {
			resp.Body.Close()
			t.Errorf("%s still answers after Close", u)
		}
	}
	if _, err := os.Stat(d.OutputDir); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the temporary output directory %s: %v, want it removed", d.OutputDir, err)
	}
}
