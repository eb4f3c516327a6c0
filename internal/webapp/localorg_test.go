package webapp

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/internal/demo/mulesoft/mulesofttest"
	"github.com/apicenter/apicenter/internal/gateway"
	"github.com/apicenter/apicenter/internal/solarsystem"
)

// localStack is the demo's parts on 127.0.0.1: the local org bootstrapped
// for Mulesoft, the solar-system API, the gateway in introspect mode, and
// the app.
type localStack struct {
	org    *mulesofttest.Org
	appURL string
	app    *App
}

func startLocalStack(t *testing.T) *localStack {
	t.Helper()
	var appHandler, gwHandler http.Handler
	appSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { appHandler.ServeHTTP(w, r) }))
	t.Cleanup(appSrv.Close)
	gwSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { gwHandler.ServeHTTP(w, r) }))
	t.Cleanup(gwSrv.Close)

	org := mulesofttest.Start(t, appSrv.URL+"/authorization-code/callback", gwSrv.URL)
	s := org.App
	api := httptest.NewServer(solarsystem.Handler())
	t.Cleanup(api.Close)
	gc := gateway.MulesoftConfig(api.URL, s["ISSUER"], s["AUDIENCE"],
		org.Introspect["INTROSPECT_CLIENT_ID"], org.Introspect["INTROSPECT_CLIENT_SECRET"], s["SILVER_SCOPE"], s["GOLD_SCOPE"])
	gc.Introspection.URL = org.Introspect["TOKEN_INTROSPECTION_URL"]
	gc.ErrorLog = t.Logf
	g, err := gateway.New(gc)
	if err != nil {
		t.Fatalf("gateway: %v", err)
	}
	gwHandler = g

	cfg, err := ConfigFromEnv(org.Lookup)
	if err != nil {
		t.Fatalf("app settings: %v", err)
	}
	cfg.ErrorLog = t.Logf
	app, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	appHandler = app
	t.Logf("local stack: %s, app %s, gateway %s", org.Describe(), appSrv.URL, gwSrv.URL)
	return &localStack{org: org, appURL: appSrv.URL, app: app}
}

// TestOrgErrorOnRedirectIsShown: the silver user signing in through the
// gold button asks for the gold scope, which the access policy refuses;
// the org sends access_denied to the redirect and the page says so.
func TestOrgErrorOnRedirectIsShown(t *testing.T) {
	st := startLocalStack(t)
	s := st.org.App
	h := &harness{appURL: st.appURL, app: st.app, passwords: map[string]string{s["SILVER_USERNAME"]: s["SILVER_PASSWORD"]}}
	c := browser(t)
	u := h.startSignIn(t, c, "gold")
	q := u.Query()
	q.Set("login_hint", s["SILVER_USERNAME"])
	u.RawQuery = q.Encode()
	cb := h.authorize(t, c, u)
	if !strings.Contains(cb, "error=access_denied") {
		t.Fatalf("the org redirected to %s, want error=access_denied", cb)
	}
	resp, body := do(t, c, http.MethodGet, cb, nil)
	if resp.StatusCode != http.StatusBadRequest || !strings.Contains(body, "The authorization server refused the sign-in: access_denied") {
		t.Fatalf("%s:\n%s", resp.Status, body)
	}
	if !strings.Contains(body, "the access policy grants them only to the gold group") {
		t.Errorf("the page does not explain the refusal:\n%s", body)
	}
	if !strings.Contains(body, `id="notice-detail"`) {
		t.Errorf("the page does not show the org's error_description:\n%s", body)
	}
}
