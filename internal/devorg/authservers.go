package devorg

import (
	"net/http"
	"slices"
	"strings"
	"time"
)

func (o *Org) authServerRoutes(mux *http.ServeMux) {
	const as = "/api/v1/authorizationServers/{authServerId}"
	mux.HandleFunc("POST /api/v1/authorizationServers", o.api(o.createAuthServer))
	mux.HandleFunc("GET /api/v1/authorizationServers", o.api(o.listAuthServers))
	mux.HandleFunc("GET "+as, o.api(o.getAuthServer))
	mux.HandleFunc("PUT "+as, o.api(o.updateAuthServer))
	mux.HandleFunc("DELETE "+as, o.api(o.deleteAuthServer))
	mux.HandleFunc("POST "+as+"/lifecycle/activate", o.api(o.authServerLifecycle("ACTIVE")))
	mux.HandleFunc("POST "+as+"/lifecycle/deactivate", o.api(o.authServerLifecycle("INACTIVE")))
	mux.HandleFunc("GET "+as+"/credentials/keys", o.api(o.listAuthServerKeys))
	mux.HandleFunc("GET "+as+"/credentials/keys/{keyId}", o.api(o.getAuthServerKey))

	mux.HandleFunc("GET "+as+"/scopes", o.api(o.listScopes))
	mux.HandleFunc("POST "+as+"/scopes", o.api(o.createScope))
	mux.HandleFunc("GET "+as+"/scopes/{scopeId}", o.api(o.getScope))
	mux.HandleFunc("PUT "+as+"/scopes/{scopeId}", o.api(o.updateScope))
	mux.HandleFunc("DELETE "+as+"/scopes/{scopeId}", o.api(o.deleteScope))

	mux.HandleFunc("GET "+as+"/claims", o.api(o.listClaims))
	mux.HandleFunc("POST "+as+"/claims", o.api(o.createClaim))
	mux.HandleFunc("GET "+as+"/claims/{claimId}", o.api(o.getClaim))
	mux.HandleFunc("PUT "+as+"/claims/{claimId}", o.api(o.updateClaim))
	mux.HandleFunc("DELETE "+as+"/claims/{claimId}", o.api(o.deleteClaim))

	const pol = as + "/policies/{policyId}"
	mux.HandleFunc("GET "+as+"/policies", o.api(o.listPolicies))
	mux.HandleFunc("POST "+as+"/policies", o.api(o.createPolicy))
	mux.HandleFunc("GET "+pol, o.api(o.getPolicy))
	mux.HandleFunc("PUT "+pol, o.api(o.updatePolicy))
	mux.HandleFunc("DELETE "+pol, o.api(o.deletePolicy))
	mux.HandleFunc("POST "+pol+"/lifecycle/activate", o.api(o.policyLifecycle("ACTIVE")))
	mux.HandleFunc("POST "+pol+"/lifecycle/deactivate", o.api(o.policyLifecycle("INACTIVE")))

	const rule = pol + "/rules/{ruleId}"
	mux.HandleFunc("GET "+pol+"/rules", o.api(o.listRules))
	mux.HandleFunc("POST "+pol+"/rules", o.api(o.createRule))
	mux.HandleFunc("GET "+rule, o.api(o.getRule))
	mux.HandleFunc("PUT "+rule, o.api(o.updateRule))
	mux.HandleFunc("DELETE "+rule, o.api(o.deleteRule))
	mux.HandleFunc("POST "+rule+"/lifecycle/activate", o.api(o.ruleLifecycle("ACTIVE")))
	mux.HandleFunc("POST "+rule+"/lifecycle/deactivate", o.api(o.ruleLifecycle("INACTIVE")))
}

func nowMillis(o *Org) time.Time { return o.now().UTC().Truncate(time.Millisecond) }

// authServerIssuer is the issuer of an authorization server:
// {org}/oauth2/default for the default one, {org}/oauth2/{id} otherwise.
func authServerIssuer(base string, as *AuthServer) string {
	if as.Default {
		return base + "/oauth2/" + defaultAuthServerID
	}
	return base + "/oauth2/" + as.ID
}

func renderAuthServer(base string, as *AuthServer) obj {
	self := base + "/api/v1/authorizationServers/" + as.ID
	issuer := authServerIssuer(base, as)
	links := obj{
		"rotateKey": linkAllow(self+"/credentials/lifecycle/keyRotate", "POST"),
		"metadata": []obj{
			{"name": "oauth-authorization-server", "href": issuer + "/.well-known/oauth-authorization-server", "hints": obj{"allow": []string{"GET"}}},
			{"name": "openid-configuration", "href": issuer + "/.well-known/openid-configuration", "hints": obj{"allow": []string{"GET"}}},
		},
		"keys":     linkAllow(self+"/credentials/keys", "GET"),
		"claims":   linkAllow(self+"/claims", "GET", "POST"),
		"policies": linkAllow(self+"/policies", "GET", "POST"),
		"self":     linkAllow(self, "GET", "DELETE", "PUT"),
		"scopes":   linkAllow(self+"/scopes", "GET", "POST"),
	}
	if as.Status == "ACTIVE" {
		links["deactivate"] = linkAllow(self+"/lifecycle/deactivate", "POST")
	} else {
		links["activate"] = linkAllow(self+"/lifecycle/activate", "POST")
	}
	signing := obj{"rotationMode": "AUTO"}
	if as.Key != nil {
		signing["kid"] = as.Key.KID
		signing["lastRotated"] = oktaTime(as.Key.Created)
		signing["nextRotation"] = oktaTime(as.Key.Created.Add(90 * 24 * time.Hour))
	}
	audiences := as.Audiences
	if audiences == nil {
		audiences = []string{}
	}
	var description any
	if as.Description != "" {
		description = as.Description // Okta answers null for an empty one
	}
	return obj{
		"id":          as.ID,
		"name":        as.Name,
		"description": description,
		"audiences":   audiences,
		"issuer":      issuer,
		"issuerMode":  as.IssuerMode,
		"status":      as.Status,
		"created":     oktaTime(as.Created),
		"lastUpdated": oktaTime(as.LastUpdated),
		"credentials": obj{"signing": signing},
		"default":     as.Default,
		"_links":      links,
	}
}

type authServerBody struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Audiences   []string `json:"audiences"`
	IssuerMode  string   `json:"issuerMode"`
}

func (b *authServerBody) validate() error {
	if strings.TrimSpace(b.Name) == "" {
		return errBlank("name")
	}
	if len(b.Audiences) == 0 {
		return errBlank("audiences")
	}
	switch b.IssuerMode {
	case "":
		b.IssuerMode = "ORG_URL"
	case "ORG_URL", "CUSTOM_URL", "DYNAMIC":
	default:
		return errValidation("issuerMode", "issuerMode: must be ORG_URL, CUSTOM_URL or DYNAMIC")
	}
	return nil
}

func (st *State) authServerNameTaken(name, exceptID string) bool {
	for _, as := range st.AuthServers {
		if as.ID != exceptID && strings.EqualFold(as.Name, name) {
			return true
		}
	}
	return false
}

func (o *Org) createAuthServer(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in authServerBody
	if err := decodeValid(r, &in); err != nil {
		return 0, nil, err
	}
	key, err := o.newKey(o.now())
	if err != nil {
		return 0, nil, err
	}
	var out obj
	err = o.update(func(st *State) error {
		if st.authServerNameTaken(in.Name, "") {
			return errExists("name")
		}
		as := o.newAuthServerLocked(in.Name, in.Description, in.Audiences, key)
		as.IssuerMode = in.IssuerMode
		st.AuthServers[as.ID] = as
		out = renderAuthServer(base, as)
		return nil
	})
	return http.StatusCreated, out, err
}

func (o *Org) listAuthServers(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	q := r.URL.Query().Get("q")
	var items []any
	o.view(func(st *State) {
		for _, as := range sortedBySeq(st.AuthServers, func(a *AuthServer) int64 { return a.Seq }) {
			if q == "" || startsWithFold(as.Name, q) {
				items = append(items, renderAuthServer(base, as))
			}
		}
	})
	page, err := paginate(r, base, items, idOfObj, 200, 200)
	return http.StatusOK, page, err
}

// withAuthServer runs fn on the request's authorization server, under the
// lock, for reading (update false) or for a change (update true).
func (o *Org) withAuthServer(r *http.Request, update bool, fn func(st *State, as *AuthServer) error) error {
	return o.locked(update, func(st *State) error {
		id := r.PathValue("authServerId")
		as := st.lookupAuthServer(id)
		if as == nil {
			return errNotFound(id)
		}
		return fn(st, as)
	})
}

func (o *Org) getAuthServer(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	err := o.withAuthServer(r, false, func(_ *State, as *AuthServer) error {
		out = renderAuthServer(base, as)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) updateAuthServer(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in authServerBody
	if err := decodeValid(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withAuthServer(r, true, func(st *State, as *AuthServer) error {
		if st.authServerNameTaken(in.Name, as.ID) {
			return errExists("name")
		}
		as.Name, as.Description, as.Audiences, as.IssuerMode = in.Name, in.Description, in.Audiences, in.IssuerMode
		as.LastUpdated = nowMillis(o)
		out = renderAuthServer(base, as)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) deleteAuthServer(r *http.Request) (int, any, error) {
	err := o.withAuthServer(r, true, func(st *State, as *AuthServer) error {
		delete(st.AuthServers, as.ID)
		return nil
	})
	return http.StatusNoContent, nil, err
}

func (o *Org) authServerLifecycle(status string) apiHandler {
	return func(r *http.Request) (int, any, error) {
		err := o.withAuthServer(r, true, func(_ *State, as *AuthServer) error {
			as.Status, as.LastUpdated = status, nowMillis(o)
			return nil
		})
		return http.StatusNoContent, nil, err
	}
}

// renderJWK answers the public half of a signing key as a JSON Web Key.
func renderJWK(self string, k *SigningKey) (obj, error) {
	priv, err := k.Private()
	if err != nil {
		return nil, err
	}
	j := publicJWK(k.KID, &priv.PublicKey) // the key as the JWKS endpoint shows it
	return obj{
		"kty":    j.Kty,
		"status": "ACTIVE",
		"alg":    j.Alg,
		"kid":    j.Kid,
		"use":    j.Use,
		"e":      j.E,
		"n":      j.N,
		"_links": obj{"self": linkAllow(self+"/"+k.KID, "GET")},
	}, nil
}

func (o *Org) listAuthServerKeys(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	out := []obj{}
	err := o.withAuthServer(r, false, func(_ *State, as *AuthServer) error {
		if as.Key == nil {
			return nil
		}
		k, err := renderJWK(base+"/api/v1/authorizationServers/"+as.ID+"/credentials/keys", as.Key)
		out = append(out, k)
		return err
	})
	return http.StatusOK, out, err
}

func (o *Org) getAuthServerKey(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	err := o.withAuthServer(r, false, func(_ *State, as *AuthServer) error {
		if as.Key == nil || as.Key.KID != r.PathValue("keyId") {
			return errNotFound(r.PathValue("keyId"))
		}
		var err error
		out, err = renderJWK(base+"/api/v1/authorizationServers/"+as.ID+"/credentials/keys", as.Key)
		return err
	})
	return http.StatusOK, out, err
}

// --- scopes

func renderScope(base string, as *AuthServer, s *Scope) obj {
	return obj{
		"id":              s.ID,
		"name":            s.Name,
		"displayName":     s.DisplayName,
		"description":     s.Description,
		"system":          s.System,
		"metadataPublish": s.MetadataPublish,
		"consent":         s.Consent,
		"optional":        s.Optional,
		"apiResourceId":   nil,
		"default":         s.Default,
		"_links":          obj{"self": linkAllow(base+"/api/v1/authorizationServers/"+as.ID+"/scopes/"+s.ID, "GET", "PUT", "DELETE")},
	}
}

type scopeBody struct {
	Name            string `json:"name"`
	DisplayName     string `json:"displayName"`
	Description     string `json:"description"`
	Consent         string `json:"consent"`
	MetadataPublish string `json:"metadataPublish"`
	Default         bool   `json:"default"`
	Optional        bool   `json:"optional"`
}

func (b *scopeBody) validate() error {
	if strings.TrimSpace(b.Name) == "" {
		return errBlank("name")
	}
	if strings.ContainsAny(b.Name, " \t\"\\") {
		return errValidation("name", "name: A scope name must not contain spaces, quotes or backslashes")
	}
	if b.Consent == "" {
		b.Consent = "IMPLICIT"
	}
	if b.MetadataPublish == "" {
		b.MetadataPublish = "NO_CLIENTS"
	}
	return nil
}

func (as *AuthServer) scopeNameTaken(name, exceptID string) bool {
	for _, s := range as.Scopes {
		if s.ID != exceptID && s.Name == name {
			return true
		}
	}
	return false
}

func errScopeExists(name string) *apiError {
	return errValidation("name", "name: A scope with the name '"+name+"' already exists in this authorization server")
}

func (o *Org) listScopes(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	q := r.URL.Query().Get("q")
	var items []any
	err := o.withAuthServer(r, false, func(_ *State, as *AuthServer) error {
		for _, s := range sortedBySeq(as.Scopes, func(s *Scope) int64 { return s.Seq }) {
			if q == "" || startsWithFold(s.Name, q) {
				items = append(items, renderScope(base, as, s))
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	page, err := paginate(r, base, items, idOfObj, 200, 200)
	return http.StatusOK, page, err
}

func (o *Org) createScope(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in scopeBody
	if err := decodeValid(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withAuthServer(r, true, func(_ *State, as *AuthServer) error {
		if as.scopeNameTaken(in.Name, "") {
			return errScopeExists(in.Name)
		}
		s := &Scope{Meta: o.nextMeta(prefixScope, ""), Name: in.Name, DisplayName: in.DisplayName, Description: in.Description,
			Consent: in.Consent, MetadataPublish: in.MetadataPublish, Default: in.Default, Optional: in.Optional}
		as.Scopes[s.ID] = s
		out = renderScope(base, as, s)
		return nil
	})
	return http.StatusCreated, out, err
}

func (o *Org) withScope(r *http.Request, update bool, fn func(as *AuthServer, s *Scope) error) error {
	return o.withAuthServer(r, update, func(_ *State, as *AuthServer) error {
		return withNamed(r, "scopeId", as.Scopes, func(s *Scope) error { return fn(as, s) })
	})
}

func (o *Org) getScope(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	err := o.withScope(r, false, func(as *AuthServer, s *Scope) error {
		out = renderScope(base, as, s)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) updateScope(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in scopeBody
	if err := decodeValid(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withScope(r, true, func(as *AuthServer, s *Scope) error {
		if s.System && in.Name != s.Name {
			return errForbidden()
		}
		if as.scopeNameTaken(in.Name, s.ID) {
			return errScopeExists(in.Name)
		}
		s.Name, s.DisplayName, s.Description, s.Consent, s.MetadataPublish, s.Default = in.Name, in.DisplayName, in.Description, in.Consent, in.MetadataPublish, in.Default
		s.Optional = in.Optional
		s.LastUpdated = nowMillis(o)
		out = renderScope(base, as, s)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) deleteScope(r *http.Request) (int, any, error) {
	err := o.withScope(r, true, func(as *AuthServer, s *Scope) error {
		if s.System {
			return errForbidden()
		}
		delete(as.Scopes, s.ID)
		return nil
	})
	return http.StatusNoContent, nil, err
}

// --- claims

func renderClaim(base string, as *AuthServer, c *Claim) obj {
	scopes := c.Scopes
	if scopes == nil {
		scopes = []string{}
	}
	out := obj{
		"id":                   c.ID,
		"name":                 c.Name,
		"status":               c.Status,
		"claimType":            c.ClaimType,
		"valueType":            c.ValueType,
		"value":                c.Value,
		"conditions":           obj{"scopes": scopes},
		"system":               c.System,
		"alwaysIncludeInToken": c.AlwaysIncludeInToken,
		"apiResourceId":        nil,
		"_links":               obj{"self": linkAllow(base+"/api/v1/authorizationServers/"+as.ID+"/claims/"+c.ID, "GET", "PUT", "DELETE")},
	}
	if c.ValueType == "GROUPS" {
		out["group_filter_type"] = c.GroupFilterType
	}
	return out
}

type claimBody struct {
	Name                 string `json:"name"`
	Status               string `json:"status"`
	ClaimType            string `json:"claimType"`
	ValueType            string `json:"valueType"`
	Value                string `json:"value"`
	AlwaysIncludeInToken *bool  `json:"alwaysIncludeInToken"`
	GroupFilterType      string `json:"group_filter_type"`
	Conditions           struct {
		Scopes []string `json:"scopes"`
	} `json:"conditions"`
}

func (b *claimBody) apply(c *Claim) error {
	if strings.TrimSpace(b.Name) == "" {
		return errBlank("name")
	}
	switch b.ClaimType {
	case "RESOURCE", "IDENTITY":
	default:
		return errValidation("claimType", "claimType: must be RESOURCE or IDENTITY")
	}
	switch b.ValueType {
	case "EXPRESSION", "GROUPS", "SYSTEM":
	default:
		return errValidation("valueType", "valueType: must be EXPRESSION, GROUPS or SYSTEM")
	}
	if b.Value == "" {
		return errBlank("value")
	}
	if b.ValueType == "GROUPS" && b.GroupFilterType == "" {
		return errBlank("group_filter_type")
	}
	c.Name, c.ClaimType, c.ValueType, c.Value, c.GroupFilterType = b.Name, b.ClaimType, b.ValueType, b.Value, b.GroupFilterType
	c.Scopes = b.Conditions.Scopes
	c.AlwaysIncludeInToken = b.AlwaysIncludeInToken == nil || *b.AlwaysIncludeInToken
	if b.Status != "" {
		c.Status = b.Status
	}
	return nil
}

func (o *Org) listClaims(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var items []any
	err := o.withAuthServer(r, false, func(_ *State, as *AuthServer) error {
		for _, c := range sortedBySeq(as.Claims, func(c *Claim) int64 { return c.Seq }) {
			items = append(items, renderClaim(base, as, c))
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	page, err := paginate(r, base, items, idOfObj, 200, 200)
	return http.StatusOK, page, err
}

func (o *Org) createClaim(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in claimBody
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withAuthServer(r, true, func(_ *State, as *AuthServer) error {
		c := &Claim{Meta: o.nextMeta(prefixClaim, "ACTIVE")}
		if err := in.apply(c); err != nil {
			return err
		}
		for _, other := range as.Claims {
			if !other.System && other.Name == c.Name && other.ClaimType == c.ClaimType {
				return errValidation("name", "name: A claim with the name '"+c.Name+"' already exists for this claim type")
			}
		}
		as.Claims[c.ID] = c
		out = renderClaim(base, as, c)
		return nil
	})
	return http.StatusCreated, out, err
}

func (o *Org) withClaim(r *http.Request, update bool, fn func(as *AuthServer, c *Claim) error) error {
	return o.withAuthServer(r, update, func(_ *State, as *AuthServer) error {
		return withNamed(r, "claimId", as.Claims, func(c *Claim) error { return fn(as, c) })
	})
}

func (o *Org) getClaim(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	err := o.withClaim(r, false, func(as *AuthServer, c *Claim) error {
		out = renderClaim(base, as, c)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) updateClaim(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in claimBody
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withClaim(r, true, func(as *AuthServer, c *Claim) error {
		if c.System {
			return errForbidden()
		}
		next := *c
		if err := in.apply(&next); err != nil {
			return err
		}
		*c = next
		c.LastUpdated = nowMillis(o)
		out = renderClaim(base, as, c)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) deleteClaim(r *http.Request) (int, any, error) {
	err := o.withClaim(r, true, func(as *AuthServer, c *Claim) error {
		if c.System {
			return errForbidden()
		}
		delete(as.Claims, c.ID)
		return nil
	})
	return http.StatusNoContent, nil, err
}

// --- policies

// setPriority puts item at the requested priority among the values of m
// (1 is first; 0 or past the end means last; item need not be in m yet),
// and renumbers them all 1..n.
func setPriority[T ranked](m map[string]T, item T, priority int) {
	others := slices.DeleteFunc(inPriorityOrder(m), func(v T) bool { return v == item })
	at := len(others)
	if priority >= 1 && priority-1 < len(others) {
		at = priority - 1
	}
	renumber(slices.Insert(others, at, item))
}

// renumber numbers list 1..n in its order, as Okta keeps priorities contiguous.
func renumber[T ranked](list []T) {
	for i, v := range list {
		*v.rank() = i + 1
	}
}

func renderPolicy(base string, as *AuthServer, p *Policy) obj {
	self := base + "/api/v1/authorizationServers/" + as.ID + "/policies/" + p.ID
	links := obj{
		"self":  linkAllow(self, "GET", "PUT", "DELETE"),
		"rules": linkAllow(self+"/rules", "GET"),
	}
	if p.Status == "ACTIVE" {
		links["deactivate"] = linkAllow(self+"/lifecycle/deactivate", "POST")
	} else {
		links["activate"] = linkAllow(self+"/lifecycle/activate", "POST")
	}
	clients := p.Clients
	if clients == nil {
		clients = []string{}
	}
	return obj{
		"id":          p.ID,
		"status":      p.Status,
		"name":        p.Name,
		"description": p.Description,
		"priority":    p.Priority,
		"system":      p.System,
		"conditions":  obj{"clients": obj{"include": clients}},
		"created":     oktaTime(p.Created),
		"lastUpdated": oktaTime(p.LastUpdated),
		"_links":      links,
		"type":        "OAUTH_AUTHORIZATION_POLICY",
	}
}

type policyBody struct {
	Name        string `json:"name"`
	Description string `json:"description"`
	Priority    *int   `json:"priority"`
	Status      string `json:"status"`
	Type        string `json:"type"`
	Conditions  *struct {
		Clients *struct {
			Include []string `json:"include"`
		} `json:"clients"`
	} `json:"conditions"`
}

func (b *policyBody) validate(st *State) error {
	if strings.TrimSpace(b.Name) == "" {
		return errBlank("name")
	}
	if b.Type != "" && b.Type != "OAUTH_AUTHORIZATION_POLICY" {
		return errValidation("type", "type: must be OAUTH_AUTHORIZATION_POLICY")
	}
	if b.Description == "" {
		return errBlank("description")
	}
	for _, c := range b.clients() {
		if c == "ALL_CLIENTS" {
			continue
		}
		if st.appByClientID(c) == nil {
			return errValidation("conditions.clients.include", "conditions.clients.include: Invalid client id "+c)
		}
	}
	return nil
}

func (b *policyBody) clients() []string {
	if b.Conditions == nil || b.Conditions.Clients == nil || len(b.Conditions.Clients.Include) == 0 {
		return []string{"ALL_CLIENTS"}
	}
	return b.Conditions.Clients.Include
}

// orLast is a body's requested priority: 0, which means last, when it has none.
func orLast(priority *int) int {
	if priority == nil {
		return 0
	}
	return *priority
}

func (o *Org) listPolicies(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var items []any
	err := o.withAuthServer(r, false, func(_ *State, as *AuthServer) error {
		for _, p := range inPriorityOrder(as.Policies) {
			items = append(items, renderPolicy(base, as, p))
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	page, err := paginate(r, base, items, idOfObj, 200, 200)
	return http.StatusOK, page, err
}

func (o *Org) createPolicy(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in policyBody
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withAuthServer(r, true, func(st *State, as *AuthServer) error {
		if err := in.validate(st); err != nil {
			return err
		}
		status := in.Status
		if status == "" {
			status = "ACTIVE"
		}
		p := &Policy{Meta: o.nextMeta(prefixPolicy, status), Name: in.Name, Description: in.Description,
			Clients: in.clients(), Rules: map[string]*Rule{}}
		setPriority(as.Policies, p, orLast(in.Priority))
		as.Policies[p.ID] = p
		out = renderPolicy(base, as, p)
		return nil
	})
	return http.StatusCreated, out, err
}

func (o *Org) withPolicy(r *http.Request, update bool, fn func(st *State, as *AuthServer, p *Policy) error) error {
	return o.withAuthServer(r, update, func(st *State, as *AuthServer) error {
		return withNamed(r, "policyId", as.Policies, func(p *Policy) error { return fn(st, as, p) })
	})
}

func (o *Org) getPolicy(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	err := o.withPolicy(r, false, func(_ *State, as *AuthServer, p *Policy) error {
		out = renderPolicy(base, as, p)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) updatePolicy(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in policyBody
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withPolicy(r, true, func(st *State, as *AuthServer, p *Policy) error {
		if err := in.validate(st); err != nil {
			return err
		}
		p.Name, p.Description, p.Clients = in.Name, in.Description, in.clients()
		if in.Status != "" {
			p.Status = in.Status
		}
		if in.Priority != nil {
			setPriority(as.Policies, p, *in.Priority)
		}
		p.LastUpdated = nowMillis(o)
		out = renderPolicy(base, as, p)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) deletePolicy(r *http.Request) (int, any, error) {
	err := o.withPolicy(r, true, func(_ *State, as *AuthServer, p *Policy) error {
		delete(as.Policies, p.ID)
		renumber(inPriorityOrder(as.Policies))
		return nil
	})
	return http.StatusNoContent, nil, err
}

func (o *Org) policyLifecycle(status string) apiHandler {
	return func(r *http.Request) (int, any, error) {
		err := o.withPolicy(r, true, func(_ *State, _ *AuthServer, p *Policy) error {
			p.Status, p.LastUpdated = status, nowMillis(o)
			return nil
		})
		return http.StatusNoContent, nil, err
	}
}

// --- rules

func renderRule(base string, as *AuthServer, p *Policy, ru *Rule) obj {
	self := base + "/api/v1/authorizationServers/" + as.ID + "/policies/" + p.ID + "/rules/" + ru.ID
	links := obj{"self": linkAllow(self, "GET", "PUT", "DELETE")}
	if ru.Status == "ACTIVE" {
		links["deactivate"] = linkAllow(self+"/lifecycle/deactivate", "POST")
	} else {
		links["activate"] = linkAllow(self+"/lifecycle/activate", "POST")
	}
	orEmpty := func(s []string) []string {
		if s == nil {
			return []string{}
		}
		return s
	}
	users := obj{"exclude": []string{}}
	if len(ru.Users) > 0 {
		users["include"] = ru.Users
	}
	people := obj{"users": users, "groups": obj{"include": orEmpty(ru.Groups)}}
	return obj{
		"id":          ru.ID,
		"status":      ru.Status,
		"name":        ru.Name,
		"priority":    ru.Priority,
		"created":     oktaTime(ru.Created),
		"lastUpdated": oktaTime(ru.LastUpdated),
		"system":      ru.System,
		"conditions": obj{
			"people":     people,
			"grantTypes": obj{"include": orEmpty(ru.GrantTypes)},
			"scopes":     obj{"include": orEmpty(ru.Scopes)},
		},
		"actions": obj{"token": obj{
			"accessTokenLifetimeMinutes":  ru.AccessTokenLifetimeMinutes,
			"refreshTokenLifetimeMinutes": ru.RefreshTokenLifetimeMinutes,
			"refreshTokenWindowMinutes":   ru.RefreshTokenWindowMinutes,
		}},
		"_links": links,
		"type":   "RESOURCE_ACCESS",
	}
}

type include struct {
	Include []string `json:"include"`
}

type ruleBody struct {
	Name       string `json:"name"`
	Priority   *int   `json:"priority"`
	Status     string `json:"status"`
	Type       string `json:"type"`
	Conditions *struct {
		People *struct {
			Groups *include `json:"groups"`
			Users  *include `json:"users"`
		} `json:"people"`
		GrantTypes *include `json:"grantTypes"`
		Scopes     *include `json:"scopes"`
	} `json:"conditions"`
	Actions *struct {
		Token *struct {
			AccessTokenLifetimeMinutes  *int `json:"accessTokenLifetimeMinutes"`
			RefreshTokenLifetimeMinutes *int `json:"refreshTokenLifetimeMinutes"`
			RefreshTokenWindowMinutes   *int `json:"refreshTokenWindowMinutes"`
		} `json:"token"`
	} `json:"actions"`
}

// apply validates the body and copies it into ru.
func (b *ruleBody) apply(st *State, ru *Rule) error {
	if strings.TrimSpace(b.Name) == "" {
		return errBlank("name")
	}
	if b.Type != "" && b.Type != "RESOURCE_ACCESS" {
		return errValidation("type", "type: must be RESOURCE_ACCESS")
	}
	c := b.Conditions
	if c == nil || c.GrantTypes == nil || len(c.GrantTypes.Include) == 0 {
		return errValidation("conditions", "conditions.grantTypes.include: The field cannot be left blank")
	}
	var groups, users, scopes []string
	if c.People != nil && c.People.Groups != nil {
		groups = c.People.Groups.Include
	}
	if c.People != nil && c.People.Users != nil {
		users = c.People.Users.Include
	}
	if len(groups) == 0 && len(users) == 0 {
		return errValidation("conditions", "conditions.people: A rule must include at least one group or user")
	}
	for _, g := range groups {
		if _, ok := st.Groups[g]; !ok && g != "EVERYONE" {
			return errValidation("conditions", "conditions.people.groups.include: Invalid group id "+g)
		}
	}
	for _, u := range users {
		if _, ok := st.Users[u]; !ok {
			return errValidation("conditions", "conditions.people.users.include: Invalid user id "+u)
		}
	}
	if c.Scopes != nil {
		scopes = c.Scopes.Include
	}
	access, refresh, window := 60, 0, 10080
	if b.Actions != nil && b.Actions.Token != nil {
		t := b.Actions.Token
		if t.AccessTokenLifetimeMinutes != nil {
			access = *t.AccessTokenLifetimeMinutes
		}
		if t.RefreshTokenLifetimeMinutes != nil {
			refresh = *t.RefreshTokenLifetimeMinutes
		}
		if t.RefreshTokenWindowMinutes != nil {
			window = *t.RefreshTokenWindowMinutes
		}
	}
	if access < 5 || access > 1440 {
		return errValidation("actions", "actions.token.accessTokenLifetimeMinutes: must be between 5 and 1440")
	}
	ru.Name, ru.Groups, ru.Users, ru.GrantTypes, ru.Scopes = b.Name, groups, users, c.GrantTypes.Include, scopes
	ru.AccessTokenLifetimeMinutes, ru.RefreshTokenLifetimeMinutes, ru.RefreshTokenWindowMinutes = access, refresh, window
	if b.Status != "" {
		ru.Status = b.Status
	}
	return nil
}

func (o *Org) listRules(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var items []any
	err := o.withPolicy(r, false, func(_ *State, as *AuthServer, p *Policy) error {
		for _, ru := range inPriorityOrder(p.Rules) {
			items = append(items, renderRule(base, as, p, ru))
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	page, err := paginate(r, base, items, idOfObj, 200, 200)
	return http.StatusOK, page, err
}

func (o *Org) createRule(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in ruleBody
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withPolicy(r, true, func(st *State, as *AuthServer, p *Policy) error {
		ru := &Rule{Meta: o.nextMeta(prefixRule, "ACTIVE")}
		if err := in.apply(st, ru); err != nil {
			return err
		}
		setPriority(p.Rules, ru, orLast(in.Priority))
		p.Rules[ru.ID] = ru
		out = renderRule(base, as, p, ru)
		return nil
	})
	return http.StatusCreated, out, err
}

func (o *Org) withRule(r *http.Request, update bool, fn func(st *State, as *AuthServer, p *Policy, ru *Rule) error) error {
	return o.withPolicy(r, update, func(st *State, as *AuthServer, p *Policy) error {
		return withNamed(r, "ruleId", p.Rules, func(ru *Rule) error { return fn(st, as, p, ru) })
	})
}

func (o *Org) getRule(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	err := o.withRule(r, false, func(_ *State, as *AuthServer, p *Policy, ru *Rule) error {
		out = renderRule(base, as, p, ru)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) updateRule(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in ruleBody
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withRule(r, true, func(st *State, as *AuthServer, p *Policy, ru *Rule) error {
		next := *ru
		if err := in.apply(st, &next); err != nil {
			return err
		}
		*ru = next
		if in.Priority != nil {
			setPriority(p.Rules, ru, *in.Priority)
		}
		ru.LastUpdated = nowMillis(o)
		out = renderRule(base, as, p, ru)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) deleteRule(r *http.Request) (int, any, error) {
	err := o.withRule(r, true, func(_ *State, _ *AuthServer, p *Policy, ru *Rule) error {
		delete(p.Rules, ru.ID)
		renumber(inPriorityOrder(p.Rules))
		return nil
	})
	return http.StatusNoContent, nil, err
}

func (o *Org) ruleLifecycle(status string) apiHandler {
	return func(r *http.Request) (int, any, error) {
		err := o.withRule(r, true, func(_ *State, _ *AuthServer, _ *Policy, ru *Rule) error {
			ru.Status, ru.LastUpdated = status, nowMillis(o)
			return nil
		})
		return http.StatusNoContent, nil, err
	}
}
