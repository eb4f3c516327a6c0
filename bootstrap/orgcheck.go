package bootstrap

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"time"

	"github.com/apicenter/apicenter/internal/oktaclient"
	"github.com/apicenter/apicenter/internal/orgenv"
)

// checkPath is the token check: listing one user needs an administrator's
// token, and it is one of Okta's quickest reads (about 0.16 s).
const checkPath = "/api/v1/users?limit=1"

// checkOrg makes the first request of a run: it checks that the org answers
// like Okta and that the token is valid and has admin rights, with a
// distinct, clear error for each way that fails. It never includes the
// token in an error; it names where the URL and the token came from.
func checkOrg(ctx context.Context, c *oktaclient.Client, org orgenv.Org) error {
	var (
		status      int
		body        []byte
		ctype       string
		err, netErr error
	)
	// A 5xx, a 429 or a dropped connection may be passing: try a few times.
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(time.Duration(100<<attempt) * time.Millisecond):
			}
		}
		status, body, ctype, err = get(ctx, c, org.Token, checkPath)
		netErr = err
		if err != nil && !retryableNetErr(err) {
			return networkErr(c.OrgURL, orgSource(org), err)
		}
		// A 429 is tried again too: the client then waits for the reset
		// the answer announced (oktaclient's rate limiter).
		if err == nil && status < 500 && status != http.StatusTooManyRequests {
			break
		}
	}
	if netErr != nil {
		return networkErr(c.OrgURL, orgSource(org), netErr)
	}
	code := oktaErrorCode(body)
	switch {
	case status == http.StatusOK && isJSON(ctype):
		return nil
	case status == http.StatusUnauthorized && code != "":
		return orgErr("%s rejected the API token (%s %s): check %s", c.OrgURL, code, oktaSummary(body), tokenSource(org))
	case status == http.StatusForbidden && code != "":
		return orgErr("the API token has no admin rights in %s (%s %s): create the token as an administrator", c.OrgURL, code, oktaSummary(body))
	case status == http.StatusTooManyRequests && code != "":
		return orgErr("%s is rate limiting this token (%s): wait and run again", c.OrgURL, code)
	case status >= 500:
		return orgErr("%s answered %d %s to the token check: the org is failing, try again later", c.OrgURL, status, strings.TrimSpace(oktaSummary(body)))
	}
	return orgErr("%s does not look like an Okta org: it answered %d (%s) to GET %s; check %s", c.OrgURL, status, contentTypeName(ctype), checkPath, orgSource(org))
}

// retryableNetErr reports a network error that may pass (not an unknown
// host or a refused connection).
func retryableNetErr(err error) bool {
	msg := err.Error()
	return !strings.Contains(msg, "no such host") && !strings.Contains(msg, "connection refused") && !strings.Contains(msg, "cannot resolve")
}

func get(ctx context.Context, c *oktaclient.Client, token, path string) (int, []byte, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.OrgURL+path, nil)
	if err != nil {
		return 0, nil, "", orgErr("%v", err)
	}
	req.Header.Set("Authorization", "SSWS "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return 0, nil, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return 0, nil, "", err
	}
	return resp.StatusCode, body, resp.Header.Get("Content-Type"), nil
}

// networkErr explains why the org could not be reached; urlSource is
// where its URL came from.
func networkErr(orgURL, urlSource string, err error) error {
	if errors.Is(err, context.Canceled) {
		return err
	}
	host := orgURL
	if u, perr := url.Parse(orgURL); perr == nil {
		host = u.Host
	}
	var dnsErr *net.DNSError
	switch {
	case errors.As(err, &dnsErr) && dnsErr.IsNotFound:
		return orgErr("cannot reach the Okta org %s: no such host %s; check %s", orgURL, dnsErr.Name, urlSource)
	case errors.As(err, &dnsErr):
		return orgErr("cannot reach the Okta org %s: cannot resolve %s (%v)", orgURL, dnsErr.Name, dnsErr.Err)
	case errors.Is(err, syscall.ECONNREFUSED):
		return orgErr("cannot reach the Okta org %s: connection refused by %s; is the org running?", orgURL, host)
	case strings.Contains(err.Error(), "certificate"):
		return orgErr("cannot reach the Okta org %s: its TLS certificate is not trusted (%v)", orgURL, unwrapURLError(err))
	case strings.Contains(err.Error(), "Client.Timeout") || errors.Is(err, context.DeadlineExceeded):
		return orgErr("cannot reach the Okta org %s: no answer in time", orgURL)
	}
	return orgErr("cannot reach the Okta org %s: %v", orgURL, unwrapURLError(err))
}

// tokenSource is where the token came from ("OKTA_CLIENT_TOKEN (.env)").
func tokenSource(o orgenv.Org) string {
	if o.TokenSource == "" {
		return "OKTA_API_TOKEN"
	}
	return o.TokenSource
}

func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func isJSON(ctype string) bool { return strings.Contains(ctype, "json") }

func contentTypeName(ctype string) string {
	if ctype == "" {
		return "no content type"
	}
	return ctype
}

func oktaErrorCode(body []byte) string {
	var e struct {
		ErrorCode string `json:"errorCode"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.ErrorCode
}

func oktaSummary(body []byte) string {
	var e struct {
		ErrorSummary string `json:"errorSummary"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	return e.ErrorSummary
}
