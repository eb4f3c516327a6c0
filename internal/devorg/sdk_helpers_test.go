package devorg_test

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
)

// newSDK returns the real okta SDK client for a local org, configured as
// OKTA-API.md says: cache off, our own http.Client, explicit retries.
func newSDK(t testing.TB, url, token string) *okta.Client {
	t.Helper()
	t.Setenv("HOME", t.TempDir()) // the SDK reads ~/.okta/okta.yaml
	_, c, err := okta.NewClient(context.Background(),
		okta.WithOrgUrl(url),
		okta.WithToken(token),
		okta.WithCache(false),
		okta.WithTestingDisableHttpsCheck(true),
		okta.WithHttpClientPtr(&http.Client{Timeout: 20 * time.Second}),
		okta.WithRequestTimeout(20),
		okta.WithRateLimitMaxRetries(2),
		okta.WithRateLimitMaxBackOff(5),
	)
	if err != nil {
		t.Fatalf("okta.NewClient: %v", err)
	}
	return c
}

// startOrg starts a local org and an SDK client for it.
func startOrg(t testing.TB) (*devorgtest.Server, *okta.Client) {
	t.Helper()
	srv := devorgtest.Start(t)
	return srv, newSDK(t, srv.URL, srv.Token)
}

// oktaErr returns the Okta error code and causes of err, failing the test
// if err is not an Okta error.
func oktaErr(t *testing.T, err error) (code string, causes string) {
	t.Helper()
	var oe *okta.Error
	if !errors.As(err, &oe) {
		t.Fatalf("want an okta error, got %v", err)
	}
	var cs []string
	for _, c := range oe.ErrorCauses {
		if s, ok := c["errorSummary"].(string); ok {
			cs = append(cs, s)
		}
	}
	return oe.ErrorCode, strings.Join(cs, "; ")
}

func wantOktaErr(t *testing.T, err error, code, causeContains string) {
	t.Helper()
	got, causes := oktaErr(t, err)
	if got != code {
		t.Fatalf("error code = %s (%v), want %s", got, err, code)
	}
	if !strings.Contains(causes, causeContains) {
		t.Fatalf("causes %q do not contain %q", causes, causeContains)
	}
}

func must[T any](t *testing.T) func(v T, resp *okta.Response, err error) T {
	return func(v T, resp *okta.Response, err error) T {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return v
	}
}

func mustDo(t *testing.T) func(resp *okta.Response, err error) *okta.Response {
	return func(resp *okta.Response, err error) *okta.Response {
		t.Helper()
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return resp
	}
}
