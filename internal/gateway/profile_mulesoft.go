package gateway

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
)

// mulesoftProfile emulates Mulesoft's "OpenID Connect access token
// enforcement" policy (GATEWAYS.md section 6), the policy the article's
// Mulesoft API uses: the token is introspected through the client provider
// (mode introspect, with the introspection client), and a route's scopes
// are a space-separated list that the token must hold all of (the policy's
// default scope validation criteria, AND).
//
// Its artifact is the reference YAML with `profile: mulesoft`: Mulesoft's
// own configuration lives in Anypoint's console (client provider, policy
// form), which has no file to read.
//
// The token is read from the Authorization header or the access_token query
// parameter (Mule 4's OAuth policies, "a well-formed query param or
// authorization header"); the query parameter is forwarded to the upstream
// as it came [u].
//
// Answers, from Mulesoft's documentation of the policy ("Returned status
// codes": 400 invalid token, 401 unauthorized access or error connecting to
// the authorization server, 403 forbidden, 500 bad response from the
// authorization server) and of Mule 4's OAuth policies ("Possible
// responses", which say what each code means):
//   - 400: no token, a token in both the header and the access_token query
//     parameter, or an Authorization header without the Bearer prefix;
//   - 401: the token is unauthorized (introspection says it is not active,
//     or it has expired), or the authorization server could not be reached;
//   - 403: the token lacks the route's scopes (or, when client id
//     validation is on, the client is not allowed: not emulated, as the
//     policy skips it by default);
//   - 500 (a bad answer from the authorization server) is answered 401 here,
//     as the gateway does not tell a bad answer from no answer.
//
// Unconfirmed ([u]): the bodies and headers. Mulesoft documents the status
// codes but not the bodies (searched: docs.mulesoft.com's pages of the
// policy, of Mule 4's OAuth policy implementation, and of Flex Gateway);
// the JSON {"error": "<reason>"} here is our choice, not a quotation, and is
// the shape the web app explains. No WWW-Authenticate header is sent [u]. Whether the
// policy checks iss and aud itself [u]: it trusts the introspection answer's
// active, so the profile checks iss when the answer has one and no
// audience. A route with no match is 404 and an upstream failure 502, as
// a Mule proxy answers [u].
func mulesoftProfile() Profile {
	return Profile{
		Name:        "mulesoft",
		Description: `Mulesoft's "OpenID Connect access token enforcement" policy (the reference YAML with profile: mulesoft)`,
		Load:        loadYAMLArtifacts("mulesoft"),
		Checks:      Checks{Issuer: true, RequireExpiry: true},
		Allows:      mulesoftAllows,
		CheckRoute:  mulesoftCheckRoute,
		Refuse:      mulesoftRefuse,
		Credentials: mulesoftCredentials,
	}
}

// mulesoftCredentials takes the token from the Authorization: Bearer header
// or the access_token query parameter, as Mule 4's OAuth policies do; both
// at once, or a header without the Bearer prefix, is a bad request.
func mulesoftCredentials(r *http.Request) (string, error) {
	header, err := BearerToken(r)
	query, inQuery := r.URL.Query()["access_token"]
	switch {
	case inQuery && !errors.Is(err, ErrNoToken):
		return "", errors.New("the token was sent both in the Authorization header and as the access_token query parameter")
	case inQuery && (len(query) != 1 || query[0] == ""):
		return "", errors.New("the access_token query parameter is not one token")
	case inQuery:
		return query[0], nil
	}
	return header, err
}

// mulesoftAllows allows a route when the token holds every scope of every
// entry, an entry being the policy's space-separated Scopes field.
func mulesoftAllows(route Route, tok Token) bool {
	for _, entry := range route.Scopes {
		for _, need := range strings.Fields(entry) {
			if !slices.Contains(tok.Scopes, need) {
				return false
			}
		}
	}
	return true
}

// mulesoftCheckRoute checks that each entry is a space-separated list of
// scope tokens.
func mulesoftCheckRoute(route Route) error {
	if route.Method == "" {
		return fmt.Errorf("method: %q is not an HTTP method", route.Method)
	}
	for j, entry := range route.Scopes {
		if strings.TrimSpace(entry) == "" || strings.ContainsAny(entry, "\"\\") {
			return fmt.Errorf("scopes[%d]: %q is not a space-separated list of scopes", j, entry)
		}
	}
	return nil
}

// mulesoftRefuse answers as the policy's documented status codes say, with
// a JSON {"error"} body (format unconfirmed, see mulesoftProfile).
func mulesoftRefuse(w http.ResponseWriter, _ *http.Request, why Refusal) {
	status, msg := http.StatusUnauthorized, "Unauthorized"
	switch k := why.Kind; {
	case k == NoToken:
		status, msg = http.StatusBadRequest, "No token was provided"
	case k == BadRequest:
		status, msg = http.StatusBadRequest, "Invalid token format: "+why.Description
	case k.TokenRefused():
		status, msg = http.StatusUnauthorized, "Invalid token: "+why.Description
	case k == Unreachable:
		status, msg = http.StatusUnauthorized, "Error connecting to the authorization server"
	case k == InsufficientScope:
		status, msg = http.StatusForbidden, "The token does not hold the scopes "+strings.Join(why.Route.Scopes, " ")
	case k == NotFound:
		status, msg = http.StatusNotFound, "Not found: "+why.Description
	case k == UpstreamFailed:
		status, msg = http.StatusBadGateway, "The upstream API did not answer"
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]string{"error": msg})
}
