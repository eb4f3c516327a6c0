package devorg

import (
	"cmp"
	"maps"
	"math"
	"net/http"
	"slices"
	"strings"
)

// oauthError is an OAuth 2.0 error: {error, error_description} on the token
// endpoints, error & error_description parameters on the redirect URI.
type oauthError struct {
	Status      int
	Code        string
	Description string
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func newOAuthError(status int, code, description string) *oauthError {
	return &oauthError{Status: status, Code: code, Description: description}
}

// Okta's messages for the errors a client can meet.
const (
	descPolicyFailed = "Policy evaluation failed for this request, please check the policy configurations."
	descNotAssigned  = "User is not assigned to the client application."
	descBadScope     = "One or more scopes are not configured for the authorization server resource."
	descNoScopes     = "The authorization server resource does not have any configured default scopes, 'scope' must be provided."
	descBadClient    = "Client authentication failed. Either the client or the client credentials are invalid."
)

func errAccessDenied(desc string) *oauthError {
	return newOAuthError(http.StatusBadRequest, "access_denied", desc)
}

func errInvalidScope(desc string) *oauthError {
	return newOAuthError(http.StatusBadRequest, "invalid_scope", desc)
}

// orgServerScopes are the scopes of the org authorization server.
var orgServerScopes = []string{"openid", "profile", "email", "address", "phone", "offline_access", "groups"}

// isActive reports whether an object's status is ACTIVE. An empty status
// counts as active: objects made without a lifecycle are active in Okta.
func activeForOAuth(m Meta) bool { return m.Status == "" || m.Status == "ACTIVE" }

// checkScopes resolves the requested scopes of a request to server s: every
// one must exist on the server; none requested means the server's default
// scopes.
func (s *oauthServer) checkScopes(requested []string) ([]string, *oauthError) {
	if s.as == nil {
		for _, sc := range requested {
			if !slices.Contains(orgServerScopes, sc) {
				return nil, errInvalidScope(descBadScope)
			}
		}
		if len(requested) == 0 {
			return nil, errInvalidScope(descNoScopes)
		}
		return requested, nil
	}
	byName := map[string]*Scope{}
	for _, sc := range s.as.Scopes {
		byName[sc.Name] = sc
	}
	for _, name := range requested {
		if byName[name] == nil {
			return nil, errInvalidScope(descBadScope)
		}
	}
	if len(requested) > 0 {
		return requested, nil
	}
	var defaults []string
	for _, sc := range sortedBySeq(s.as.Scopes, func(sc *Scope) int64 { return sc.Seq }) {
		if sc.Default {
			defaults = append(defaults, sc.Name)
		}
	}
	if len(defaults) == 0 {
		return nil, errInvalidScope(descNoScopes)
	}
	return defaults, nil
}

// ranked is what Okta keeps in priority order, numbered 1..n without gaps
// (see setPriority): the policies of an authorization server and the rules
// of a policy.
type ranked interface {
	comparable
	meta() *Meta
	rank() *int
}

func (p *Policy) meta() *Meta { return &p.Meta }
func (p *Policy) rank() *int  { return &p.Priority }
func (ru *Rule) meta() *Meta  { return &ru.Meta }
func (ru *Rule) rank() *int   { return &ru.Priority }

// inPriorityOrder returns the values of m by priority (1 first; 0, meaning
// unset, last), then by creation.
func inPriorityOrder[T ranked](m map[string]T) []T {
	key := func(v T) int {
		if p := *v.rank(); p > 0 {
			return p
		}
		return math.MaxInt
	}
	list := slices.Collect(maps.Values(m))
	slices.SortFunc(list, func(a, b T) int {
		return cmp.Or(cmp.Compare(key(a), key(b)), cmp.Compare(a.meta().Seq, b.meta().Seq))
	})
	return list
}

// evaluatePolicy finds the rule of server as that grants the request, as
// Okta does: ACTIVE policies by priority, the first whose clients include
// the client (or ALL_CLIENTS); in it, ACTIVE rules by priority, the first
// whose grant type, people and scopes match. userID is empty for
// client_credentials, where people conditions do not apply. Call with o.mu
// held.
func (st *State) evaluatePolicy(as *AuthServer, clientID, userID, grantType string, scopes []string) (*Rule, *oauthError) {
	var policy *Policy
	for _, p := range inPriorityOrder(as.Policies) {
		if activeForOAuth(p.Meta) && (slices.Contains(p.Clients, "ALL_CLIENTS") || slices.Contains(p.Clients, clientID)) {
			policy = p
			break
		}
	}
	if policy == nil {
		return nil, errAccessDenied(descPolicyFailed)
	}
	var groups []string
	if userID != "" {
		groups = st.groupIDsOf(userID)
	}
	for _, r := range inPriorityOrder(policy.Rules) {
		if !activeForOAuth(r.Meta) || !slices.Contains(r.GrantTypes, grantType) {
			continue
		}
		if grantType != "client_credentials" && !ruleMatchesPerson(r, userID, groups) {
			continue
		}
		if !ruleGrantsScopes(r, scopes) {
			continue
		}
		return r, nil
	}
	return nil, errAccessDenied(descPolicyFailed)
}

// ruleMatchesPerson reports whether the rule's people condition includes
// the user: EVERYONE, one of the user's groups, or the user itself. A rule
// with no people condition applies to everyone.
func ruleMatchesPerson(r *Rule, userID string, groups []string) bool {
	if len(r.Groups) == 0 && len(r.Users) == 0 {
		return true
	}
	if slices.Contains(r.Users, userID) {
		return true
	}
	for _, g := range r.Groups {
		if strings.EqualFold(g, "EVERYONE") || slices.Contains(groups, g) {
			return true
		}
	}
	return false
}

// ruleGrantsScopes reports whether the rule allows every requested scope.
func ruleGrantsScopes(r *Rule, scopes []string) bool {
	if slices.Contains(r.Scopes, "*") {
		return true
	}
	for _, s := range scopes {
		if !slices.Contains(r.Scopes, s) {
			return false
		}
	}
	return true
}
