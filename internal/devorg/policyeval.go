package devorg

import (
	"net/http"
	"slices"
	"sort"
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

// byPriority orders by priority (1 first; 0, meaning unset, last), then by
// creation.
func byPriority[T any](items []T, prio func(T) int, seq func(T) int64) {
	key := func(t T) int {
		if p := prio(t); p > 0 {
			return p
		}
		return int(^uint(0) >> 1)
	}
	sort.SliceStable(items, func(i, j int) bool {
		ki, kj := key(items[i]), key(items[j])
		if ki != kj {
			return ki < kj
		}
		return seq(items[i]) < seq(items[j])
	})
}

// evaluatePolicy finds the rule of server as that grants the request, as
// Okta does: ACTIVE policies by priority, the first whose clients include
// the client (or ALL_CLIENTS); in it, ACTIVE rules by priority, the first
// whose grant type, people and scopes match. userID is empty for
// client_credentials, where people conditions do not apply. Call with o.mu
// held.
func (st *State) evaluatePolicy(as *AuthServer, clientID, userID, grantType string, scopes []string) (*Rule, *oauthError) {
	var policies []*Policy
	for _, p := range as.Policies {
		if activeForOAuth(p.Meta) {
			policies = append(policies, p)
		}
	}
	byPriority(policies, func(p *Policy) int { return p.Priority }, func(p *Policy) int64 { return p.Seq })
	var policy *Policy
	for _, p := range policies {
		if slices.Contains(p.Clients, "ALL_CLIENTS") || slices.Contains(p.Clients, clientID) {
			policy = p
			break
		}
	}
	if policy == nil {
		return nil, errAccessDenied(descPolicyFailed)
	}
	var rules []*Rule
	for _, r := range policy.Rules {
		if activeForOAuth(r.Meta) {
			rules = append(rules, r)
		}
	}
	byPriority(rules, func(r *Rule) int { return r.Priority }, func(r *Rule) int64 { return r.Seq })
	var groups []string
	if userID != "" {
		groups = st.groupIDsOf(userID)
	}
	for _, r := range rules {
		if !slices.Contains(r.GrantTypes, grantType) {
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
