package gateway

import (
	"fmt"
	"net/http"
)

// authServerError is an authorization server that answered, but not as
// the gateway's configuration expects: a 404 means the issuer (or the
// endpoint's URL) is wrong, a 401 or 403 that the introspection client is.
// It is not "unreachable": that is the network's failure, not the
// configuration's.
type authServerError struct {
	// What is the request: "introspection", "discovery" or "JWKS".
	What string
	// URL is the endpoint asked; Status its answer's status.
	URL    string
	Status int
	// Body is the start of the answer, for the log.
	Body string
}

// Error is the log line's reason: the endpoint, its answer and what to fix.
func (e *authServerError) Error() string {
	s := fmt.Sprintf("the %s endpoint %s answered %d %s", e.What, e.URL, e.Status, http.StatusText(e.Status))
	if e.Body != "" {
		s += fmt.Sprintf(" (%.200s)", e.Body)
	}
	return s + ": " + e.Fix()
}

// Fix says which setting is wrong.
func (e *authServerError) Fix() string {
	switch {
	case e.What == "introspection" && (e.Status == http.StatusUnauthorized || e.Status == http.StatusForbidden):
		return "the authorization server refused the introspection client: check its client id and secret"
	case e.Status == http.StatusNotFound && e.What == "introspection":
		return "no authorization server there: check the issuer (or the introspection URL)"
	case e.Status == http.StatusNotFound:
		return "no authorization server there: check the issuer (or the JWKS URL)"
	default:
		return "the authorization server failed; try again, or check the issuer"
	}
}

// Answer is what the client is told (the reference profile's 502 body):
// the status and the setting to check, without URLs.
func (e *authServerError) Answer() string {
	return fmt.Sprintf("the gateway could not check the token: the authorization server answered %d %s to its %s request; %s",
		e.Status, http.StatusText(e.Status), e.What, e.Fix())
}
