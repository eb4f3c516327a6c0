package gateway

import (
	"encoding/json"
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
// Answers, from Mulesoft's documentation of the policy ("Returned status
// codes") and of Mule 4's OAuth policies ("Possible responses"):
//   - 400: no token, a token in both the header and the access_token query
//     parameter, or an Authorization header without the Bearer prefix;
//   - 401: the token is not valid (introspection says not active, expired),
//     or the authorization server could not be reached;
//   - 403: the token lacks the route's scopes (or, when client id
//     validation is on, the client is not allowed: not emulated, as the
//     policy skips it by default);
//   - 500 (a bad answer from the authorization server) is answered 401 here,
//     as the gateway does not tell a bad answer from no answer.
//
// Unconfirmed ([u]): the bodies. Mulesoft documents the status codes but
// not the bodies; the JSON {"error": "..."} with the short reason is what
// Mule 4 policies are commonly reported to answer, not a quotation of a
// documented format. No WWW-Authenticate header is sent [u]. Whether the
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
	}
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
