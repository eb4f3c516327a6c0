package devorg

import (
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// reservedClaims cannot be overridden by a custom claim.
var reservedClaims = []string{"ver", "jti", "iss", "aud", "iat", "exp", "cid", "uid", "scp", "sub", "auth_time",
	"nonce", "at_hash", "amr", "idp"}

// customClaimsLocked evaluates the ACTIVE custom claims of server as of the
// given type (RESOURCE for access tokens, IDENTITY for ID tokens and
// userinfo) for a user (nil for client credentials) and the granted scopes.
// A claim with scope conditions is included when any of its scopes was
// granted. For ID tokens (forIDToken) only claims marked
// alwaysIncludeInToken are included, as Okta does in the code flow. Value
// types: EXPRESSION (a quoted string, true/false, a number, user.<attr>,
// user.profile.<attr>, user.id, app.clientId) and GROUPS (the user's group
// names filtered by GroupFilterType STARTS_WITH, EQUALS, CONTAINS or REGEX).
// Expressions the org does not understand yield no claim. Call with o.mu
// held.
func (st *State) customClaimsLocked(as *AuthServer, claimType string, forIDToken bool, u *User, clientID string, scopes []string) map[string]any {
	if as == nil || len(as.Claims) == 0 {
		return nil
	}
	out := map[string]any{}
	for _, c := range sortedBySeq(as.Claims, func(c *Claim) int64 { return c.Seq }) {
		if c.System || !activeForOAuth(c.Meta) || c.ClaimType != claimType || slices.Contains(reservedClaims, c.Name) {
			continue
		}
		if forIDToken && !c.AlwaysIncludeInToken {
			continue
		}
		if len(c.Scopes) > 0 && !slices.ContainsFunc(c.Scopes, func(s string) bool { return slices.Contains(scopes, s) }) {
			continue
		}
		var v any
		switch c.ValueType {
		case "GROUPS":
			if u != nil {
				v = st.groupClaim(u.ID, c.GroupFilterType, c.Value)
			}
		default:
			v = evalClaimExpression(c.Value, u, clientID)
		}
		if v != nil {
			out[c.Name] = v
		}
	}
	return out
}

// groupClaim lists the names of the user's groups that pass the filter.
func (st *State) groupClaim(userID, filter, value string) []string {
	names := []string{}
	var re *regexp.Regexp
	if filter == "REGEX" {
		var err error
		if re, err = regexp.Compile("^(?:" + value + ")$"); err != nil {
			return names
		}
	}
	lv := strings.ToLower(value)
	for _, gid := range st.groupIDsOf(userID) {
		g := st.Groups[gid]
		if g == nil {
			continue
		}
		ln := strings.ToLower(g.Name)
		var ok bool
		switch filter {
		case "EQUALS":
			ok = ln == lv
		case "CONTAINS":
			ok = strings.Contains(ln, lv)
		case "REGEX":
			ok = re.MatchString(g.Name)
		default: // STARTS_WITH
			ok = strings.HasPrefix(ln, lv)
		}
		if ok {
			names = append(names, g.Name)
		}
	}
	return names
}

// evalClaimExpression evaluates the small part of the Okta Expression
// Language a local org needs; nil means no claim.
func evalClaimExpression(expr string, u *User, clientID string) any {
	e := strings.TrimSpace(expr)
	switch {
	case len(e) >= 2 && (e[0] == '"' && e[len(e)-1] == '"' || e[0] == '\'' && e[len(e)-1] == '\''):
		return e[1 : len(e)-1]
	case e == "true" || e == "false":
		return e == "true"
	case e == "app.clientId":
		return clientID
	}
	if n, err := strconv.ParseFloat(e, 64); err == nil {
		return n
	}
	if u == nil {
		return nil
	}
	if e == "user.id" || e == `user.getInternalProperty("id")` {
		return u.ID
	}
	attr, ok := strings.CutPrefix(e, "user.profile.")
	if !ok {
		attr, ok = strings.CutPrefix(e, "user.")
	}
	if !ok {
		return nil
	}
	return u.Profile[attr]
}
