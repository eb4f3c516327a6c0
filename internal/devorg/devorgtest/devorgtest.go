// Package devorgtest starts a local Okta org on a loopback port for tests.
package devorgtest

import (
	"net/http/httptest"
	"testing"

	"github.com/apicenter/apicenter/internal/devorg"
)

// Server is a running local org.
type Server struct {
	// URL is the org URL (http://127.0.0.1:port).
	URL string
	// Token is the SSWS API token the org accepts.
	Token string
	// Org is the org itself, for assertions on its state.
	Org *devorg.Org
}

// Start starts an org on 127.0.0.1 for the duration of the test. opts may
// set anything but the API token, which Start picks unless opts sets one.
func Start(t testing.TB, opts ...devorg.Options) *Server {
	t.Helper()
	var o devorg.Options
	if len(opts) > 0 {
		o = opts[0]
	}
	if o.APIToken == "" {
		o.APIToken = "00devorgtest-token-0123456789abcdefghijklmn"
	}
	org, err := devorg.New(o)
	if err != nil {
		t.Fatalf("devorg.New: %v", err)
	}
	srv := httptest.NewServer(org.Handler()) // httptest binds 127.0.0.1
	t.Cleanup(srv.Close)
	org.SetBaseURL(srv.URL)
	return &Server{URL: srv.URL, Token: o.APIToken, Org: org}
}
