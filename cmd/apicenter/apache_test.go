package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"

	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/solarsystem"
)

// apacheModules is where Debian's apache2 keeps its modules.
const apacheModules = "/usr/lib/apache2/modules"

// apacheInstall is what a machine without the real gateway needs.
const apacheInstall = "apt-get install apache2 libapache2-mod-auth-openidc"

// apacheBinary returns Debian's apache2, or skips the test naming the
// packages to install.
func apacheBinary(t *testing.T) string {
	t.Helper()
	bin, err := exec.LookPath("apache2")
	if err != nil {
		bin = "/usr/sbin/apache2"
	}
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("apache2 is not installed (%s)", apacheInstall)
	}
	if _, err := os.Stat(filepath.Join(apacheModules, "mod_auth_openidc.so")); err != nil {
		t.Skipf("mod_auth_openidc is not installed (%s)", apacheInstall)
	}
	return bin
}

// apacheServer is the minimal server configuration the rendered
// configuration is included in: what /etc/apache2 gives on a real machine.
// The local org's CA is trusted with OIDCCABundlePath (a real org's
// certificate is trusted by the system's bundle).
func apacheServer(dir, port, caFile, gatewayConf string) string {
	var b strings.Builder
	fmt.Fprintf(&b, "ServerRoot %s\nServerName 127.0.0.1\nListen 127.0.0.1:%s\n", dir, port)
	fmt.Fprintf(&b, "PidFile %s\nErrorLog %s\nLogLevel warn\n", filepath.Join(dir, "httpd.pid"), filepath.Join(dir, "error.log"))
	if os.Geteuid() == 0 {
		// httpd serves as root only when built to; its children need a user.
		b.WriteString("User nobody\nGroup nogroup\n")
	}
	for _, m := range []string{"mpm_event", "authn_core", "authz_core", "headers", "env", "proxy", "proxy_http", "auth_openidc"} {
		fmt.Fprintf(&b, "LoadModule %s_module %s/mod_%s.so\n", m, apacheModules, m)
	}
	fmt.Fprintf(&b, "OIDCCABundlePath %s\nInclude %s\n", caFile, gatewayConf)
	return b.String()
}

// trustOrgCA makes http.DefaultTransport trust the local org's CA until the
// test ends: the okta SDK of the in-process CLI clones it, and the sign-in
// helper uses http.DefaultClient.
func trustOrgCA(t *testing.T, caPEM []byte) {
	t.Helper()
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("the local org's CA certificate does not parse")
	}
	tr := http.DefaultTransport.(*http.Transport)
	old := tr.TLSClientConfig
	tr.TLSClientConfig = &tls.Config{RootCAs: pool}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		tr.TLSClientConfig = old
	})
}

// freePort returns a port of 127.0.0.1 nothing listens on now.
func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	must(t, err)
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	ln.Close()
	return port
}

// startApache runs apache2 in the foreground with conf until the test ends
// and returns its base URL once it accepts connections.
func startApache(t *testing.T, bin, dir, port string, env []string) string {
	t.Helper()
	cmd := exec.Command(bin, "-f", filepath.Join(dir, "httpd.conf"), "-DFOREGROUND")
	cmd.Env = append(os.Environ(), env...)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	must(t, cmd.Start())
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	})
	for deadline := time.Now().Add(20 * time.Second); ; {
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(dir, "error.log"))
			t.Fatalf("apache2 exited: %v\n%s%s", err, out, log)
		default:
		}
		if c, err := net.Dial("tcp", "127.0.0.1:"+port); err == nil {
			c.Close()
			return "http://127.0.0.1:" + port
		}
		if time.Now().After(deadline) {
			t.Fatalf("apache2 does not listen on %s after 20 s\n%s", port, out)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// apacheTokens are the access tokens the test sends through httpd.
type apacheTokens struct {
	silver, gold, expired, foreign, forged, revoked string
}

// TestApache runs Debian's apache2 with mod_auth_openidc, configured by
// `get-settings --apache_jwks` and `--apache_introspect` from a fresh
// `bootstrap --apache` against a local org over https, in front of the
// solar-system API, and sends it real tokens of the org's users.
func TestApache(t *testing.T) {
	httpd := apacheBinary(t)
	var offset atomic.Int64 // the org's clock offset, to issue tokens that are already expired
	srv, err := devorg.Listen(devorg.ServeOptions{Addr: "127.0.0.1:0", TLS: true},
		devorg.Options{APIToken: "00apache-test-token-0123456789abcdefghij", Clock: func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }})
	must(t, err)
	t.Cleanup(func() { _ = srv.Shutdown(t.Context()) })
	trustOrgCA(t, srv.CACertPEM)
	// The CA file is read by httpd's children, which run as nobody when
	// the test runs as root.
	caDir, err := os.MkdirTemp("", "apicenter-apache-ca")
	must(t, err)
	t.Cleanup(func() { os.RemoveAll(caDir) })
	must(t, os.Chmod(caDir, 0o755))
	caFile := filepath.Join(caDir, "ca.pem")
	must(t, os.WriteFile(caFile, srv.CACertPEM, 0o644))

	orgEnv(t, &devorgtest.Server{URL: srv.URL, Token: srv.Org.APIToken(), Org: srv.Org})
	upstreamLog := &lockedBuffer{}
	upstream := httptest.NewServer(solarsystem.NewHandler(slog.New(slog.NewTextHandler(upstreamLog, nil))))
	t.Cleanup(upstream.Close)

	run := func(args ...string) cliResult {
		t.Helper()
		r := runCLI(t, args...)
		if r.code != 0 {
			t.Fatalf("apicenter %s: exit %d\n%s", strings.Join(args, " "), r.code, r.errOut)
		}
		return r
	}
	boot := []string{"bootstrap", "--apache", "--yes", "--set", "UPSTREAM_URI=" + upstream.URL, "--set", "GATEWAY_URI=http://127.0.0.1:8081"}
	if r := run(boot...); !strings.Contains(r.errOut, "15 created, 0 found") {
		t.Errorf("fresh bootstrap --apache:\n%s", r.errOut)
	}
	if r := run(boot...); !strings.Contains(r.errOut, "0 created, 15 found") {
		t.Errorf("second bootstrap --apache:\n%s", r.errOut)
	}
	app := parseEnv(t, run("get-settings", "--apache").out)
	if app["INTROSPECT_CLIENT_ID"] == "" || app["INTROSPECT_CLIENT_ID"] == app["CLIENT_ID"] || app["INTROSPECT_CLIENT_SECRET"] == "" {
		t.Fatalf("get-settings --apache has no introspection client of its own: %v", app)
	}
	tokens := apacheSignIns(t, app, &offset)

	for _, mode := range []struct {
		name, set string
		env       []string
		revoked   int // what a revoked (but unexpired) token gets
	}{
		// JWKS mode checks the signature and the expiry: it cannot know of a revocation.
		{"jwks", "apache_jwks", nil, http.StatusOK},
		{"introspect", "apache_introspect", []string{"INTROSPECT_CLIENT_SECRET=" + app["INTROSPECT_CLIENT_SECRET"]}, http.StatusUnauthorized},
	} {
		t.Run(mode.name, func(t *testing.T) {
			conf := run("get-settings", "--"+mode.set).out
			if strings.Contains(conf, "{{") || !strings.Contains(conf, app["ISSUER"]) || strings.Contains(conf, app["INTROSPECT_CLIENT_SECRET"]) {
				t.Fatalf("--%s is not the recorded configuration, or holds the secret:\n%s", mode.set, conf)
			}
			dir := t.TempDir()
			port := freePort(t)
			must(t, os.WriteFile(filepath.Join(dir, "gateway.conf"), []byte(conf), 0o644))
			must(t, os.WriteFile(filepath.Join(dir, "httpd.conf"), []byte(apacheServer(dir, port, caFile, filepath.Join(dir, "gateway.conf"))), 0o644))
			apacheSyntaxOK(t, httpd, dir, mode.env)
			base := startApache(t, httpd, dir, port, mode.env)

			for _, c := range []struct {
				name, path, token string
				status            int
				challenge         string // in WWW-Authenticate; "" for none
			}{
				{"no token", "/planets", "", 401, `error="invalid_request"`},
				{"silver planets", "/planets", tokens.silver, 200, ""},
				{"silver asteroids", "/asteroids", tokens.silver, 200, ""},
				{"silver moons", "/moons", tokens.silver, 403, `error="insufficient_scope"`},
				{"gold planets", "/planets", tokens.gold, 200, ""},
				{"gold moons", "/moons?planet=Jupiter", tokens.gold, 200, ""},
				{"forged", "/planets", tokens.forged, 401, `error="invalid_token"`},
				{"expired", "/planets", tokens.expired, 401, `error="invalid_token"`},
				{"foreign issuer", "/asteroids", tokens.foreign, 401, `error="invalid_token"`},
				{"revoked", "/asteroids", tokens.revoked, mode.revoked, map[bool]string{true: "", false: `error="invalid_token"`}[mode.revoked == 200]},
			} {
				status, challenge, body := apacheGet(t, base+c.path, c.token)
				if status != c.status || !strings.Contains(challenge, c.challenge) || c.challenge == "" && challenge != "" {
					t.Errorf("%s: GET %s = %d, WWW-Authenticate %q; want %d, %q\n%s", c.name, c.path, status, challenge, c.status, c.challenge, body)
				}
				if c.status == 200 && !strings.HasPrefix(strings.TrimSpace(body), "{") {
					t.Errorf("%s: GET %s is not the API's answer: %s", c.name, c.path, body)
				}
			}
			if want := "path=/planets status=200 subject=" + app["SILVER_USERNAME"]; !strings.Contains(upstreamLog.String(), want) {
				t.Errorf("the API was not told the verified subject (%q):\n%s", want, upstreamLog)
			}
		})
	}

	// The issuer and audience are checked by the Require lines alone (the
	// module checks neither): a configuration for another audience or
	// issuer refuses the org's valid tokens.
	for _, c := range []struct{ name, from, to string }{
		{"another audience", `"aud:` + app["AUDIENCE"] + `"`, `"aud:api://another"`},
		{"another issuer", `"iss:` + app["ISSUER"] + `"`, `"iss:https://another.example.com/oauth2/default"`},
	} {
		t.Run(c.name, func(t *testing.T) {
			conf := run("get-settings", "--apache_jwks").out
			if !strings.Contains(conf, c.from) {
				t.Fatalf("the configuration has no %s", c.from)
			}
			dir := t.TempDir()
			port := freePort(t)
			must(t, os.WriteFile(filepath.Join(dir, "gateway.conf"), []byte(strings.ReplaceAll(conf, c.from, c.to)), 0o644))
			must(t, os.WriteFile(filepath.Join(dir, "httpd.conf"), []byte(apacheServer(dir, port, caFile, filepath.Join(dir, "gateway.conf"))), 0o644))
			base := startApache(t, httpd, dir, port, nil)
			if status, challenge, _ := apacheGet(t, base+"/asteroids", tokens.gold); status != 403 || !strings.Contains(challenge, "insufficient_scope") {
				t.Errorf("gold token with %s: %d %q, want 403 insufficient_scope", c.name, status, challenge)
			}
		})
	}
}

// apacheSyntaxOK runs apache2 -t on the server configuration in dir, with
// env; it fails on anything but "Syntax OK" without warnings.
func apacheSyntaxOK(t *testing.T, bin, dir string, env []string) {
	t.Helper()
	cmd := exec.Command(bin, "-t", "-f", filepath.Join(dir, "httpd.conf"))
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "Syntax OK" {
		t.Fatalf("apache2 -t: %v\n%s", err, out)
	}
}

// TestApacheConfigCheck: apache2 -t refuses what breaks the configuration
// (a JWKS URI over http, an unknown directive) and warns when the
// introspection secret is not in httpd's environment.
func TestApacheConfigCheck(t *testing.T) {
	httpd := apacheBinary(t)
	jwks, err := os.ReadFile(filepath.Join("..", "..", "inputs", "templates", "apache", "jwks.conf"))
	must(t, err)
	introspect, err := os.ReadFile(filepath.Join("..", "..", "inputs", "templates", "apache", "introspect.conf"))
	must(t, err)
	values := map[string]string{
		"{{AUTH_SERVER.issuer}}": "https://dev-123456.okta.com/oauth2/aus1a2b3c4d5e6f7g8h9", "{{AUDIENCE}}": "api://solarsystem",
		"{{SILVER_SCOPE}}": "http://myapp.com/scp/silver", "{{GOLD_SCOPE}}": "http://myapp.com/scp/gold",
		"{{UPSTREAM_URI}}": "http://localhost:8082", "{{GATEWAY_URI}}": "http://localhost:8081", "{{INTROSPECT_CLIENT.clientId}}": "0oa1b2c3d4e5f6g7h8i9",
	}
	render := func(tmpl []byte) string {
		s := string(tmpl)
		for k, v := range values {
			s = strings.ReplaceAll(s, k, v)
		}
		if strings.Contains(s, "{{") {
			t.Fatalf("a reference is left: %s", s)
		}
		return s
	}
	check := func(conf string, env []string) (string, error) {
		dir := t.TempDir()
		must(t, os.WriteFile(filepath.Join(dir, "ca.pem"), nil, 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "gateway.conf"), []byte(conf), 0o644))
		must(t, os.WriteFile(filepath.Join(dir, "httpd.conf"), []byte(apacheServer(dir, "8081", filepath.Join(dir, "ca.pem"), filepath.Join(dir, "gateway.conf"))), 0o644))
		cmd := exec.Command(httpd, "-t", "-f", filepath.Join(dir, "httpd.conf"))
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		return string(out), err
	}
	secret := []string{"INTROSPECT_CLIENT_SECRET=s3cr3t"}
	for _, c := range []struct {
		name  string
		conf  string
		env   []string
		ok    bool
		extra string // in apache2 -t's output
	}{
		{"jwks", render(jwks), nil, true, ""},
		{"introspect", render(introspect), secret, true, ""},
		{"introspect without the secret", render(introspect), nil, true, "${INTROSPECT_CLIENT_SECRET} is not defined"},
		{"jwks uri over http", strings.Replace(render(jwks), "OIDCOAuthVerifyJwksUri https://", "OIDCOAuthVerifyJwksUri http://", 1), nil, false, `cannot be parsed as a "https" URL`},
		{"unknown directive", strings.Replace(render(jwks), "AuthzSendForbiddenOnFailure", "AuthzSendForbiddenOnFailur", 1), nil, false, "AuthzSendForbiddenOnFailur"},
		{"unbalanced section", strings.Replace(render(jwks), "</RequireAll>", "", 1), nil, false, "RequireAll"},
	} {
		t.Run(c.name, func(t *testing.T) {
			out, err := check(c.conf, c.env)
			ok := err == nil && strings.Contains(out, "Syntax OK")
			if ok != c.ok || !strings.Contains(out, c.extra) || c.ok && c.extra == "" && strings.TrimSpace(out) != "Syntax OK" {
				t.Errorf("apache2 -t: %v, want ok=%v with %q\n%s", err, c.ok, c.extra, out)
			}
		})
	}
}

// apacheGet sends GET url with the bearer token (none if "") and returns
// the status, the WWW-Authenticate header and the body.
func apacheGet(t *testing.T, url, token string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	must(t, err)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	return resp.StatusCode, strings.Join(resp.Header.Values("WWW-Authenticate"), ", "), string(b)
}

// apacheSignIns signs the users in through the local org, as the web app
// does, and makes the tokens httpd must refuse: one signed with another key
// (with the gold scope), one already expired (issued two hours ago by the
// org's clock), one of the org authorization server (another issuer), and
// one revoked by the web app.
func apacheSignIns(t *testing.T, app map[string]string, offset *atomic.Int64) apacheTokens {
	t.Helper()
	s := &mulesoft.Settings{App: app}
	silver, gold := app["SILVER_SCOPE"], app["GOLD_SCOPE"]
	var tk apacheTokens
	tk.silver = mulesofttest.SignIn(t, s, app["SILVER_USERNAME"], app["SILVER_PASSWORD"], "openid", silver).AccessToken
	tk.gold = mulesofttest.SignIn(t, s, app["GOLD_USERNAME"], app["GOLD_PASSWORD"], "openid", silver, gold).AccessToken
	tk.revoked = mulesofttest.SignIn(t, s, app["GOLD_USERNAME"], app["GOLD_PASSWORD"], "openid", silver, gold).AccessToken
	revoke(t, app, tk.revoked)

	offset.Store(int64(-2 * time.Hour))
	tk.expired = mulesofttest.SignIn(t, s, app["GOLD_USERNAME"], app["GOLD_PASSWORD"], "openid", silver, gold).AccessToken
	offset.Store(0)

	orgServer := maps.Clone(app)
	orgServer["ISSUER"] = app["ORG_URL"] + "/oauth2"
	tk.foreign = mulesofttest.SignIn(t, &mulesoft.Settings{App: orgServer}, app["GOLD_USERNAME"], app["GOLD_PASSWORD"], "openid").AccessToken
	if c := accessClaims(t, tk.foreign); c.Iss != app["ORG_URL"] {
		t.Fatalf("the org authorization server's token has iss %q", c.Iss)
	}

	// The forged token claims what the gold token does, under the org's
	// key id, signed with a key of its own.
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	must(t, err)
	parsed, err := jwt.ParseSigned(tk.silver, []jose.SignatureAlgorithm{jose.RS256})
	must(t, err)
	var claims map[string]any
	must(t, parsed.UnsafeClaimsWithoutVerification(&claims))
	claims["scp"] = []string{"openid", silver, gold}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", parsed.Headers[0].KeyID))
	must(t, err)
	tk.forged, err = jwt.Signed(signer).Claims(claims).Serialize()
	must(t, err)
	return tk
}

// revoke revokes token with the web app's credentials (RFC 7009).
func revoke(t *testing.T, app map[string]string, token string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, app["ISSUER"]+"/v1/revoke", strings.NewReader(url.Values{"token": {token}, "token_type_hint": {"access_token"}}.Encode()))
	must(t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.SetBasicAuth(app["CLIENT_ID"], app["CLIENT_SECRET"])
	resp, err := http.DefaultClient.Do(req)
	must(t, err)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("revoke: %s", resp.Status)
	}
}
