package devorg

import (
	"context"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSignInPageFocus: the sign-in page puts the cursor in the username
// field, or in the password field when the username is filled in
// (login_hint); exactly one field has autofocus, and the page loads no
// external asset.
func TestSignInPageFocus(t *testing.T) {
	f := newOAuthFixture(t)
	autofocused := regexp.MustCompile(`<input[^>]*\bid="(\w+)"[^>]*\bautofocus\b`)
	external := regexp.MustCompile(`(?i)(src|href)="(https?:)?//`)
	tests := []struct {
		name string
		set  url.Values
		want string
	}{
		{"no username", nil, "username"},
		{"username from login_hint", url.Values{"login_hint": {f.silver.login}}, "password"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, page := get(t, browser(t), f.authorizeURL(f.issuer, tt.set))
			m := autofocused.FindAllStringSubmatch(page, -1)
			if len(m) != 1 || m[0][1] != tt.want {
				t.Fatalf("autofocus on %v, want only %s:\n%s", m, tt.want, page)
			}
			if external.MatchString(page) {
				t.Fatalf("the sign-in page loads an external asset:\n%s", page)
			}
		})
	}
}

// TestSignInPageFocusInChromium checks the focus where it matters: in a
// real browser, typing goes to the password field when the username is
// pre-filled.
func TestSignInPageFocusInChromium(t *testing.T) {
	if os.Getenv("APICENTER_SKIP_BROWSER") == "1" {
		t.Skip("APICENTER_SKIP_BROWSER=1")
	}
	path := ""
	for _, p := range []string{"/usr/bin/chromium", "chromium", "chromium-browser"} {
		if found, err := exec.LookPath(p); err == nil {
			path = found
			break
		}
	}
	if path == "" {
		t.Fatal("chromium is not installed (apt-get install chromium), or set APICENTER_SKIP_BROWSER=1 to skip the browser test")
	}
	f := newOAuthFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	alloc, cancelAlloc := chromedp.NewExecAllocator(ctx, chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox,
		chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		// chromium's own temporary files (org.chromium.Chromium.*) go to a
		// directory of the test's, removed even when chromium is killed.
		chromedp.Env("TMPDIR="+chromiumTempDir(t)),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("no-proxy-server", true))
	defer cancelAlloc()
	bctx, cancelBrowser := chromedp.NewContext(alloc)
	defer cancelBrowser()
	err := chromedp.Do(bctx,
		chromedp.Navigate(f.authorizeURL(f.issuer, url.Values{"login_hint": {f.silver.login}})),
		chromedp.WaitVisible(chromedp.ID("password")),
	)
	if err != nil {
		t.Fatal(err)
	}
	focused, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.activeElement.id`))
	if err != nil {
		t.Fatal(err)
	}
	if err := chromedp.Do(bctx, chromedp.KeyEvent("typed")); err != nil {
		t.Fatal(err)
	}
	typed, err := chromedp.Run(bctx, chromedp.Evaluate[string](`document.getElementById("password").value`))
	if err != nil {
		t.Fatal(err)
	}
	if focused != "password" || typed != "typed" {
		t.Fatalf("focus on %q, typing went to the password field: %q; want the password field focused", focused, typed)
	}
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
