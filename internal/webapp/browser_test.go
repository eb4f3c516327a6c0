package webapp_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/apicenter/apicenter/internal/demo"
	"github.com/apicenter/apicenter/internal/flow"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// TestBrowserLocalOrg is the article's payoff in headless chromium, for
// every gateway with a demo (flow.Gateways(): a new input with a demo
// section is covered without a change here), against `apicenter demo`'s
// parts started by demo.Start: the local org's sign-in page, the reference
// gateway emulating the product from its native configuration, the
// solar-system API and the app. Silver gets the planets and is refused the
// moons, the refusal explained; gold gets both.
func TestBrowserLocalOrg(t *testing.T) {
	chromiumPath(t)
	t.Setenv("HOME", t.TempDir()) // the okta SDK reads ~/.okta
	for _, gw := range flow.Gateways() {
		t.Run(gw, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			var progress lockedBuffer // read only once the demo is stopped
			d, err := demo.Start(ctx, demo.Options{Gateway: gw, OutputDir: t.TempDir(), IO: &iostreams.IOStreams{Out: &progress, ErrOut: &progress}})
			if err != nil {
				t.Fatalf("starting the demo: %v\n%s", err, progress.String())
			}
			t.Cleanup(func() {
				if err := d.Close(context.Background()); err != nil {
					t.Errorf("stopping the demo: %v", err)
				}
				if t.Failed() {
					t.Logf("the demo's progress and logs:\n%s", progress.String())
				}
			})
			s := d.Settings.App
			runBrowserScenario(t, d.AppURL,
				browserUser{as: "silver", username: s["SILVER_USERNAME"], password: s["SILVER_PASSWORD"]},
				browserUser{as: "gold", username: s["GOLD_USERNAME"], password: s["GOLD_PASSWORD"]},
				s["SILVER_SCOPE"], s["GOLD_SCOPE"], s["GATEWAY"], gw == demo.DefaultGateway)
		})
	}
}

// lockedBuffer is a buffer the demo's parts write to from their goroutines
// while a parallel test runs.
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

// chromiumPath finds Debian's chromium. Without it the browser test fails
// (CI installs it), unless APICENTER_SKIP_BROWSER=1.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if os.Getenv("APICENTER_SKIP_BROWSER") == "1" {
		t.Skip("APICENTER_SKIP_BROWSER=1")
	}
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if path, err := exec.LookPath(p); err == nil {
			return path
		}
	}
	t.Fatal("chromium is not installed (apt-get install chromium), or set APICENTER_SKIP_BROWSER=1 to skip the browser test")
	return ""
}

// newBrowser starts a headless chromium for the test.
func newBrowser(t *testing.T) context.Context {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("no-proxy-server", true),
		chromedp.UserDataDir(t.TempDir()),
		// chromium's own temporary files (org.chromium.Chromium.*) go to a
		// directory of the test's, removed even when chromium is killed.
		chromedp.Env("TMPDIR=" + chromiumTempDir(t)),
		chromedp.WindowSize(1200, 900),
	}
	ctx, cancelTimeout := context.WithTimeout(context.Background(), 60*time.Second)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	browserCtx, cancelBrowser := chromedp.NewContext(allocCtx)
	t.Cleanup(func() {
		cancelBrowser()
		cancelAlloc()
		cancelTimeout()
	})
	if err := chromedp.Do(browserCtx); err != nil {
		t.Fatalf("starting chromium: %v", err)
	}
	return browserCtx
}

// browserUser is a user the test signs in as, through the sign-in page.
type browserUser struct {
	as, username, password string
}

// pageDriver drives the app in the browser and keeps screenshots.
type pageDriver struct {
	t      *testing.T
	ctx    context.Context
	appURL string
	shots  string
	n      int
	// keepShots: take screenshots, and copy them to APICENTER_SCREENSHOTS.
	keepShots bool
}

// click clicks the element with id and waits for the page it loads.
func (d *pageDriver) click(id string) {
	d.t.Helper()
	if _, err := chromedp.RunResponse(d.ctx, chromedp.Click(chromedp.ID(id))); err != nil {
		d.t.Fatalf("clicking #%s: %v", id, err)
	}
}

func (d *pageDriver) text() string {
	d.t.Helper()
	s, err := chromedp.Run(d.ctx, chromedp.Text(chromedp.CSS("body")))
	if err != nil {
		d.t.Fatalf("reading the page: %v", err)
	}
	return s
}

// expect asserts the page shows every want and none of absent, then saves
// a screenshot named after the state (with keepShots).
func (d *pageDriver) expect(state string, want []string, absent ...string) {
	d.t.Helper()
	body := d.text()
	for _, w := range want {
		if !strings.Contains(body, w) {
			d.t.Errorf("%s: the page lacks %q; it shows:\n%s", state, w, body)
		}
	}
	for _, a := range absent {
		if strings.Contains(body, a) {
			d.t.Errorf("%s: the page shows %q", state, a)
		}
	}
	if !d.keepShots {
		return // one gateway's screenshots are enough, and each costs time
	}
	png, err := chromedp.Run(d.ctx, chromedp.FullScreenshot(100))
	if err != nil {
		d.t.Fatalf("%s: screenshot: %v", state, err)
	}
	d.n++
	p := filepath.Join(d.shots, fmt.Sprintf("%02d-%s.png", d.n, state))
	if err := os.WriteFile(p, png, 0o644); err != nil {
		d.t.Fatal(err)
	}
	d.t.Logf("screenshot: %s", p)
	// APICENTER_SCREENSHOTS keeps a copy (for the README) past the test.
	if dir := os.Getenv("APICENTER_SCREENSHOTS"); dir != "" && d.keepShots {
		if err := os.WriteFile(filepath.Join(dir, filepath.Base(p)), png, 0o644); err != nil {
			d.t.Errorf("copying the screenshot: %v", err)
		}
	}
}

// signIn presses the user's sign-in button and types the credentials into
// the authorization server's sign-in form.
func (d *pageDriver) signIn(u browserUser) {
	d.t.Helper()
	d.click("signin-" + u.as)
	// The app asks for prompt=login: the org must show its form even when
	// it holds a session, rather than send the browser straight back.
	form, err := chromedp.Run(d.ctx, chromedp.Evaluate[bool](`document.getElementById("username") !== null`))
	if err != nil {
		d.t.Fatalf("reading the sign-in page: %v", err)
	}
	if !form {
		d.t.Fatalf("signing in as %s: the org showed no sign-in form; the page says:\n%s", u.as, d.text())
	}
	if err := chromedp.Do(d.ctx, chromedp.WaitVisible(chromedp.ID("username"))); err != nil {
		d.t.Fatalf("waiting for the sign-in form: %v", err)
	}
	d.expect("org-sign-in-"+u.as, []string{"Sign In", "Username", "Password"})
	err = chromedp.Do(d.ctx,
		chromedp.Clear(chromedp.ID("username")),
		chromedp.SendKeys(chromedp.ID("username"), u.username),
		chromedp.SendKeys(chromedp.ID("password"), u.password),
	)
	if err != nil {
		d.t.Fatalf("filling the sign-in form: %v", err)
	}
	d.click("signin-submit")
}

// runBrowserScenario walks the article's payoff in a real browser: no token,
// silver, gold, sign-out.
// The refusal is explained in the gateway's terms: the app names the
// gateway (its GATEWAY setting, when set) and the status it answered.
// keepShots takes screenshots, which APICENTER_SCREENSHOTS keeps (one
// gateway's are the README's).
func runBrowserScenario(t *testing.T, appURL string, silver, gold browserUser, silverScope, goldScope, gateway string, keepShots bool) {
	refused := "The gateway refused GET /moons (403 "
	if gateway != "" {
		refused = "The gateway (" + gateway + ") refused GET /moons (403 "
	}
	d := &pageDriver{t: t, ctx: newBrowser(t), appURL: appURL, shots: t.TempDir(), keepShots: keepShots}
	if err := chromedp.Do(d.ctx, chromedp.Navigate(appURL)); err != nil {
		t.Fatalf("opening the app: %v", err)
	}
	d.expect("home", []string{"Sign in as the silver user", "Sign in as the gold user", "Not signed in."},
		silver.password, gold.password)

	d.click("show-planets")
	d.expect("no-token", []string{"You need an access token: sign in first."}, "Mercury")

	d.signIn(silver)
	d.expect("signed-in-silver", []string{"Signed in as the silver user (" + silver.username + ").", "ID token claims", "Access token claims", silverScope},
		silver.password, goldScope, gold.username)

	d.click("show-planets")
	d.expect("silver-planets", []string{"The gateway let you through to GET /planets.", "Mercury", "Neptune"})

	d.click("show-moons")
	d.expect("silver-moons-refused", []string{
		refused, "it needs the scope " + goldScope,
		"Your access token has the scopes:", silverScope, "Sign in as the gold user to get the gold scope."}, "Ganymede")

	d.click("signout")
	d.expect("signed-out", []string{"You are signed out.", "Not signed in."}, "ID token claims", silver.username)

	d.signIn(gold)
	// The org still holds the silver user's session: prompt=login made it
	// show the form again (signIn waits for it), and the user changed.
	d.expect("signed-in-gold", []string{"Signed in as the gold user (" + gold.username + ").", goldScope}, gold.password, silver.username)

	d.click("show-planets")
	d.expect("gold-planets", []string{"Mercury", "Neptune"})

	d.click("show-moons")
	d.expect("gold-moons", []string{"The gateway let you through to GET /moons.", "Ganymede"})

	// Switching user without signing out: the org's gold session does not
	// carry over (prompt=login), and the gold token is gone.
	d.signIn(silver)
	d.expect("switched-to-silver", []string{"Signed in as the silver user (" + silver.username + ")."}, gold.username, goldScope)
	d.click("show-moons")
	d.expect("switched-silver-moons-refused", []string{refused}, "Ganymede")

	d.click("signout")
	d.click("show-planets")
	d.expect("signed-out-no-token", []string{"You need an access token: sign in first."}, "Mercury")
}

// chromiumTempDir is a directory for chromium's temporary files, removed
// at the test's end. Not t.TempDir(): chromium's socket paths under it
// would pass the 108-byte limit of a Unix socket's path.
func chromiumTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "chromium")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}
