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
	"strings"
	"testing"
	"time"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/flow"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// TestDemoFlow starts the whole demo of every gateway with a demo section
// and walks the article's payoff with real OAuth clients: the silver user
// reaches the planets but not the moons, the gold user reaches both, and a
// request without a token is refused; the web app's settings name the
// demo's app and gateway.
func TestDemoFlow(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	for _, gw := range flow.Gateways() {
		t.Run(gw, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var progress bytes.Buffer
			d, err := Start(ctx, Options{Gateway: gw, IO: &iostreams.IOStreams{Out: &progress, ErrOut: &progress}})
			if err != nil {
				t.Fatalf("Start: %v\n%s", err, progress.String())
			}
			defer func() {
				d.Close(context.Background())
				if t.Failed() {
					t.Logf("progress:\n%s", progress.String())
				}
			}()
			// An input that takes UPSTREAM_URI renders it into the native
			// configuration: the gateway forwards where that says. (Read
			// before any request: the parts write progress when they serve.)
			if in, _ := inputs.LoadEmbedded(gw); in != nil && in.Item("UPSTREAM_URI") != nil &&
				strings.Contains(progress.String(), "not to the configuration's upstream") {
				t.Errorf("the native configuration does not name the demo's API as its upstream:\n%s", progress.String())
			}
			if d.Gateway != gw {
				t.Errorf("Gateway = %q, want %q", d.Gateway, gw)
			}

			s := d.Settings.App
			for _, k := range []string{"ISSUER", "CLIENT_ID", "CLIENT_SECRET", "SILVER_PASSWORD", "GOLD_PASSWORD"} {
				if s[k] == "" {
					t.Fatalf("setting %s is empty", k)
				}
			}
			if got, want := s["REDIRECT_URI"], d.AppURL+"/authorization-code/callback"; got != want {
				t.Errorf("REDIRECT_URI = %q, want %q", got, want)
			}
			if !strings.HasPrefix(s["GATEWAY_URI"], d.GatewayURL) {
				t.Errorf("GATEWAY_URI = %q, want it on the demo's gateway %s", s["GATEWAY_URI"], d.GatewayURL)
			}

			if code := get(t, s["GATEWAY_URI"]+"/planets", ""); code < 400 || code > 401 {
				t.Errorf("GET /planets without a token: %d, want 400 or 401", code)
			}
			home, err := http.Get(d.AppURL + "/")
			if err != nil {
				t.Fatalf("web app: %v", err)
			}
			home.Body.Close()
			if home.StatusCode != http.StatusOK {
				t.Errorf("web app home: %s", home.Status)
			}

			ms := &mulesoft.Settings{App: s}
			tests := []struct {
				user, password string
				scopes         []string
				planets, moons int
			}{
				{s["SILVER_USERNAME"], s["SILVER_PASSWORD"], []string{s["SILVER_SCOPE"]}, http.StatusOK, http.StatusForbidden},
				{s["GOLD_USERNAME"], s["GOLD_PASSWORD"], []string{s["SILVER_SCOPE"], s["GOLD_SCOPE"]}, http.StatusOK, http.StatusOK},
			}
			for _, tt := range tests {
				tok := mulesofttest.SignIn(t, ms, tt.user, tt.password, append([]string{"openid"}, tt.scopes...)...)
				if code := get(t, s["GATEWAY_URI"]+"/planets", tok.AccessToken); code != tt.planets {
					t.Errorf("%s: GET /planets: %d, want %d", tt.user, code, tt.planets)
				}
				if code := get(t, s["GATEWAY_URI"]+"/moons", tok.AccessToken); code != tt.moons {
					t.Errorf("%s: GET /moons: %d, want %d", tt.user, code, tt.moons)
				}
			}
		})
	}
}

// TestDemoUnknownGateway: a gateway without a demo section is refused
// before anything starts, naming the gateways that have one.
func TestDemoUnknownGateway(t *testing.T) {
	tmp := t.TempDir()
	t.Setenv("TMPDIR", tmp)
	for _, name := range []string{"nosuch", "mulesoft_policy"} {
		d, err := Start(context.Background(), Options{Gateway: name})
		if err == nil {
			d.Close(context.Background())
			t.Fatalf("%s: Start succeeded", name)
		}
		if !strings.Contains(err.Error(), strings.Join(flow.Gateways(), ", ")) {
			t.Errorf("%s: error %q does not name the gateways", name, err)
		}
	}
	if left, _ := filepath.Glob(filepath.Join(tmp, "apicenter-demo-*")); len(left) != 0 {
		t.Errorf("left behind: %q", left)
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

// TestREADMEListsEveryGateway: the README's gateways table has a row, with
// its bootstrap flag and demo flag, for every gateway the demo runs.
func TestREADMEListsEveryGateway(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var rows []string
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "| ") {
			rows = append(rows, l)
		}
	}
	for _, gw := range flow.Gateways() {
		found := false
		for _, r := range rows {
			if strings.Contains(r, "`--"+gw+"`") && strings.Contains(r, "`--gateway "+gw+"`") {
				found = true
			}
		}
		if !found {
			t.Errorf("README.md's gateways table has no row with `--%s` and `--gateway %s`", gw, gw)
		}
	}
}
