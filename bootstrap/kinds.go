package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/outputs"
)

// found is an object found or created in the org.
type found struct {
	id      string
	created bool
	fields  map[string]string
	// differs lists the ways a found object differs from the spec.
	differs []string
	// converge, when set with differs, updates the object in the org to
	// what the spec says in the fields that differ, leaving every other
	// field as the org has it.
	converge func(context.Context) error
	// fixes lists the differences converge changes back, when it is not
	// all of differs (an app's missing secret is only reported).
	fixes []string
	// lost says the object was found after this run's create of it failed
	// in a way that may have been applied (a 5xx, a dropped connection).
	lost bool
	// race, on an object this run just created where Okta keeps no
	// unique names, settles a race with concurrent runs (see race).
	race *race
}

// madeBy reports whether an object created at created (by the org's
// clock, at millisecond precision), found after a create's answer was
// lost, was made by this run's creates, sent since s.since, rather than
// being there before: Okta enforces unique names for this kind, so
// nothing else made it since but a concurrent run of the same input. It
// assumes this machine's clock agrees with the org's.
func madeBy(created *time.Time, s spec) bool {
	return created != nil && !created.Before(s.since.Truncate(time.Millisecond)) && !created.After(time.Now())
}

// ensure finds the object it describes by its natural key or creates it.
// prev is what an earlier run recorded under the same key, if anything. It
// is safe to call again after a failure: it looks before it creates, or
// creates where Okta refuses duplicates and takes "already exists" as found.
func (r *run) ensure(ctx context.Context, it *inputs.Item, s spec, prev *outputs.Object) (found, error) {
	k, ok := kindDefs[it.Obj.Kind]
	if !ok {
		return found{}, fmt.Errorf("unknown kind %s", it.Obj.Kind)
	}
	return k.ensure(ctx, r.client.Client, it, s, prev)
}

func notFound(resp *okta.Response) bool {
	return resp != nil && resp.StatusCode == http.StatusNotFound
}

// alreadyExists reports Okta's answer to a create of a duplicate: 400
// E0000001 with a cause saying the object already exists.
func alreadyExists(err error) bool {
	var oe *okta.Error
	if !errors.As(err, &oe) || oe.ErrorCode != "E0000001" {
		return false
	}
	if strings.Contains(strings.ToLower(oe.ErrorSummary), "already exists") {
		return true
	}
	for _, cause := range oe.ErrorCauses {
		for _, v := range cause {
			if s, ok := v.(string); ok && strings.Contains(strings.ToLower(s), "already exist") {
				return true
			}
		}
	}
	return false
}

// transient reports an error worth trying again: a 5xx, a dropped
// connection, a timeout, or 429 retries run out.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var oe *okta.Error
	if errors.As(err, &oe) {
		return strings.Contains(oe.ErrorSummary, "x-okta-request-id") || oe.ErrorCode == "E0000009" || oe.ErrorCode == "E0000047"
	}
	var ne net.Error
	if errors.As(err, &ne) {
		return true
	}
	msg := err.Error()
	return strings.Contains(msg, "too many requests") || strings.Contains(msg, "EOF") || strings.Contains(msg, "may or may not have been applied") ||
		strings.Contains(msg, "connection reset") || strings.Contains(msg, "connection refused") ||
		strings.Contains(msg, "server closed") || strings.Contains(msg, "could not build a response")
}

// describeErr turns an error of ensure into a one-line error naming the
// object, with exit code Org.
func describeErr(it *inputs.Item, s spec, err error) error {
	var ce *exitcode.Error
	if errors.As(err, &ce) {
		return fmt.Errorf("%s %q (%s, %s): %w", it.Obj.Kind, s.name, it.Name, it.Pos, err)
	}
	msg := err.Error()
	var oe *okta.Error
	if errors.As(err, &oe) {
		msg = oktaMessage(oe)
	}
	return orgErr("%s %q (%s, %s): %s", it.Obj.Kind, s.name, it.Name, it.Pos, msg)
}

// oktaMessage renders an Okta error body on one line.
func oktaMessage(oe *okta.Error) string {
	var b strings.Builder
	b.WriteString("the org answered ")
	if oe.ErrorCode != "" {
		b.WriteString(oe.ErrorCode + " ")
	}
	summary := oe.ErrorSummary
	if summary == "" {
		summary = oe.ErrorDescription
	}
	b.WriteString(summary)
	var causes []string
	for _, c := range oe.ErrorCauses {
		for _, v := range c {
			causes = append(causes, fmt.Sprint(v))
		}
	}
	if len(causes) > 0 {
		b.WriteString(" (" + strings.Join(causes, "; ") + ")")
	}
	switch oe.ErrorCode {
	case "E0000006":
		b.WriteString(": the API token lacks the admin rights for this")
	case "E0000011":
		b.WriteString(": check OKTA_API_TOKEN")
	}
	return b.String()
}

func sameSet(a, b []string) bool {
	x, y := slices.Clone(a), slices.Clone(b)
	sort.Strings(x)
	sort.Strings(y)
	return slices.Equal(x, y)
}

// ---- groups

func ensureGroup(ctx context.Context, c *okta.Client, s spec, prev *outputs.Object, existing bool) (found, error) {
	name := s.str["name"]
	fields := func(g *okta.Group) map[string]string {
		return map[string]string{"name": g.Profile.Name}
	}
	if prev != nil && len(s.siblings) > 1 {
		v, err := s.memo("groups", func() (any, error) {
			gs, _, err := c.Group.ListGroups(ctx, &query.Params{Search: idsExpr(s.siblings), Limit: 200})
			return gs, err
		})
		if err != nil {
			return found{}, err
		}
		for _, g := range v.([]*okta.Group) {
			if g.Id == prev.ID && g.Profile != nil && g.Profile.Name == name {
				return found{id: g.Id, fields: fields(g)}, nil
			}
		}
	} else if prev != nil {
		g, resp, err := c.Group.GetGroup(ctx, prev.ID)
		if err == nil && g.Profile != nil && g.Profile.Name == name {
			return found{id: g.Id, fields: fields(g)}, nil
		}
		if err != nil && !notFound(resp) {
			return found{}, err
		}
	}
	search := func() (*okta.Group, error) {
		gs, _, err := c.Group.ListGroups(ctx, &query.Params{Search: fmt.Sprintf("profile.name eq %q", name), Limit: 200})
		if err != nil {
			return nil, err
		}
		for _, g := range gs {
			if g.Profile != nil && g.Profile.Name == name {
				return g, nil
			}
		}
		return nil, nil
	}
	if existing {
		g, err := search()
		if err != nil {
			return found{}, err
		}
		if g == nil {
			return found{}, exitcode.Wrap(exitcode.Org, fmt.Errorf("no group called %q in the org (it must exist; it is never created)", name))
		}
		return found{id: g.Id, fields: fields(g)}, nil
	}
	g, _, err := c.Group.CreateGroup(ctx, okta.Group{Profile: &okta.GroupProfile{Name: name, Description: s.str["description"]}})
	if err == nil {
		return found{id: g.Id, created: true, fields: fields(g)}, nil
	}
	if !alreadyExists(err) && !transient(err) {
		return found{}, err
	}
	g2, err2 := search()
	if err2 != nil || g2 == nil {
		return found{}, err
	}
	return found{id: g2.Id, created: madeBy(g2.Created, s), fields: fields(g2)}, nil
}

// ---- users

func ensureUser(ctx context.Context, c *okta.Client, s spec, prev *outputs.Object) (found, error) {
	login := s.str["login"]
	result := func(u *okta.User, created bool) found {
		f := found{id: u.Id, created: created, fields: map[string]string{"login": login}}
		if !created && u.Status != "" && u.Status != "ACTIVE" {
			f.differs = append(f.differs, fmt.Sprintf("its status is %s, so it cannot sign in", u.Status))
		}
		return f
	}
	if prev != nil && len(s.siblings) > 1 {
		v, err := s.memo("users", func() (any, error) {
			us, _, err := c.User.ListUsers(ctx, &query.Params{Search: idsExpr(s.siblings), Limit: 200})
			return us, err
		})
		if err != nil {
			return found{}, err
		}
		for _, u := range v.([]*okta.User) {
			if u.Id == prev.ID && u.Profile != nil && strings.EqualFold(fmt.Sprint((*u.Profile)["login"]), login) {
				return result(u, false), nil
			}
		}
	} else if prev != nil {
		u, resp, err := c.User.GetUser(ctx, prev.ID)
		if err == nil && u.Profile != nil && strings.EqualFold(fmt.Sprint((*u.Profile)["login"]), login) {
			return result(u, false), nil
		}
		if err != nil && !notFound(resp) {
			return found{}, err
		}
	}
	if part := PasswordLoginPart(s.str["password"], login); part != "" {
		return found{}, inputErr("its password contains %q, a part of its login, and Okta's password policy refuses a password with a part of the username: set another password", part)
	}
	profile := okta.UserProfile{"login": login, "firstName": s.str["firstName"], "lastName": s.str["lastName"]}
	email := s.str["email"]
	if email == "" {
		email = login
	}
	profile["email"] = email
	req := okta.CreateUserRequest{
		Profile:     &profile,
		Credentials: &okta.UserCredentials{Password: &okta.PasswordCredential{Value: s.str["password"]}},
		GroupIds:    s.list["groups"],
	}
	u, _, err := c.User.CreateUser(ctx, req, &query.Params{Activate: boolPtr(true)})
	if err == nil {
		return result(u, true), nil
	}
	if !alreadyExists(err) && !transient(err) {
		return found{}, err
	}
	// Logins are unique: the user exists. Okta reads a login in the path.
	u2, _, err2 := c.User.GetUser(ctx, login)
	if err2 != nil {
		return found{}, err
	}
	f := result(u2, false)
	// Whether this run made it is told by its password (see apply).
	f.lost = !alreadyExists(err)
	return f, nil
}

// ---- authorization servers

func ensureAuthServer(ctx context.Context, c *okta.Client, s spec, prev *outputs.Object) (found, error) {
	name, aud := s.str["name"], s.str["audience"]
	result := func(as *okta.AuthorizationServer, created bool) found {
		f := found{id: as.Id, created: created, fields: map[string]string{"name": as.Name, "issuer": as.Issuer, "audience": strings.Join(as.Audiences, " ")}}
		if !created && !slices.Contains(as.Audiences, aud) {
			f.differs = append(f.differs, fmt.Sprintf("its audiences are %v, the input says %q", as.Audiences, aud))
			f.converge = func(ctx context.Context) error {
				body := *as
				body.Audiences = []string{aud}
				_, _, err := c.AuthorizationServer.UpdateAuthorizationServer(ctx, as.Id, body)
				return err
			}
		}
		return f
	}
	if prev != nil {
		as, resp, err := c.AuthorizationServer.GetAuthorizationServer(ctx, prev.ID)
		if err == nil && as.Name == name {
			return result(as, false), nil
		}
		if err != nil && !notFound(resp) {
			return found{}, err
		}
	}
	named := func(ctx context.Context) (map[string]*okta.AuthorizationServer, []candidate, error) {
		list, _, err := c.AuthorizationServer.ListAuthorizationServers(ctx, &query.Params{Q: name, Limit: 200})
		if err != nil {
			return nil, nil, err
		}
		byID := map[string]*okta.AuthorizationServer{}
		var cs []candidate
		for _, as := range list {
			if as.Name == name {
				byID[as.Id] = as
				cs = append(cs, candidate{as.Id, timeOf(as.Created)})
			}
		}
		return byID, cs, nil
	}
	byID, cs, err := named(ctx)
	if err != nil {
		return found{}, err
	}
	if len(cs) > 0 {
		return result(byID[oldestOf(cs).id], false), nil
	}
	as, _, err := c.AuthorizationServer.CreateAuthorizationServer(ctx, okta.AuthorizationServer{Name: name, Description: s.str["description"], Audiences: []string{aud}})
	if err != nil {
		if !alreadyExists(err) && !transient(err) {
			return found{}, err
		}
		byID, cs, err2 := named(ctx)
		if err2 != nil || len(cs) == 0 {
			return found{}, err
		}
		f := result(byID[oldestOf(cs).id], false)
		f.lost = !alreadyExists(err)
		return f, nil
	}
	f := result(as, true)
	f.race = raceOf(as.Id, as, named, result, nil, func(ctx context.Context, id string) (*okta.Response, error) {
		if resp, err := c.AuthorizationServer.DeactivateAuthorizationServer(ctx, id); err != nil {
			return resp, err
		}
		return c.AuthorizationServer.DeleteAuthorizationServer(ctx, id)
	})
	return f, nil
}

// ---- scopes

func ensureScope(ctx context.Context, c *okta.Client, s spec, prev *outputs.Object) (found, error) {
	server, name := s.str["server"], s.str["name"]
	desc, descNamed := s.str["description"]
	result := func(sc *okta.OAuth2Scope, created bool) found {
		f := found{id: sc.Id, created: created, fields: map[string]string{"name": sc.Name}}
		if !created && descNamed && sc.Description != desc {
			f.differs = append(f.differs, fmt.Sprintf("its description is %q, the input says %q", sc.Description, desc))
			f.converge = func(ctx context.Context) error {
				body := *sc
				body.Description = desc
				_, _, err := c.AuthorizationServer.UpdateOAuth2Scope(ctx, server, sc.Id, body)
				return err
			}
		}
		return f
	}
	if prev != nil && len(s.siblings) > 1 {
		v, err := s.memo("scopes "+server, func() (any, error) {
			l, _, err := c.AuthorizationServer.ListOAuth2Scopes(ctx, server, nil)
			return l, err
		})
		if err != nil {
			return found{}, err
		}
		for _, sc := range v.([]*okta.OAuth2Scope) {
			if sc.Id == prev.ID && sc.Name == name {
				return result(sc, false), nil
			}
		}
	} else if prev != nil {
		sc, resp, err := c.AuthorizationServer.GetOAuth2Scope(ctx, server, prev.ID)
		if err == nil && sc.Name == name {
			return result(sc, false), nil
		}
		if err != nil && !notFound(resp) {
			return found{}, err
		}
	}
	sc, _, err := c.AuthorizationServer.CreateOAuth2Scope(ctx, server, okta.OAuth2Scope{Name: name, Description: s.str["description"], Consent: "IMPLICIT", MetadataPublish: "ALL_CLIENTS"})
	if err == nil {
		return result(sc, true), nil
	}
	if !alreadyExists(err) && !transient(err) {
		return found{}, err
	}
	list, _, err2 := c.AuthorizationServer.ListOAuth2Scopes(ctx, server, &query.Params{Q: name})
	if err2 != nil {
		return found{}, err
	}
	for _, sc := range list {
		if sc.Name == name {
			// Under a server this run created, only this run makes scopes.
			return result(sc, s.parentMine), nil
		}
	}
	return found{}, err
}

// ---- policies

func ensurePolicy(ctx context.Context, c *okta.Client, s spec, prev *outputs.Object) (found, error) {
	server, name, clients := s.str["server"], s.str["name"], s.list["clients"]
	result := func(p *okta.AuthorizationServerPolicy, created bool) found {
		f := found{id: p.Id, created: created, fields: map[string]string{"name": p.Name}}
		var have []string
		if p.Conditions != nil && p.Conditions.Clients != nil {
			have = p.Conditions.Clients.Include
		}
		if !created && !sameSet(have, clients) {
			f.differs = append(f.differs, fmt.Sprintf("it applies to the clients %v, the input says %v", have, clients))
			f.converge = func(ctx context.Context) error {
				body := *p
				cond := okta.PolicyRuleConditions{}
				if p.Conditions != nil {
					cond = *p.Conditions
				}
				cond.Clients = &okta.ClientPolicyCondition{Include: clients}
				body.Conditions = &cond
				_, _, err := c.AuthorizationServer.UpdateAuthorizationServerPolicy(ctx, server, p.Id, body)
				return err
			}
		}
		return f
	}
	if prev != nil {
		p, resp, err := c.AuthorizationServer.GetAuthorizationServerPolicy(ctx, server, prev.ID)
		if err == nil && p.Name == name {
			return result(p, false), nil
		}
		if err != nil && !notFound(resp) {
			return found{}, err
		}
	}
	named := func(ctx context.Context) (map[string]*okta.AuthorizationServerPolicy, []candidate, error) {
		list, _, err := c.AuthorizationServer.ListAuthorizationServerPolicies(ctx, server)
		if err != nil {
			return nil, nil, err
		}
		byID := map[string]*okta.AuthorizationServerPolicy{}
		var cs []candidate
		for _, p := range list {
			if p.Name == name {
				byID[p.Id] = p
				cs = append(cs, candidate{p.Id, timeOf(p.Created)})
			}
		}
		return byID, cs, nil
	}
	if !s.parentNew {
		byID, cs, err := named(ctx)
		if err != nil {
			return found{}, err
		}
		if len(cs) > 0 {
			return result(byID[oldestOf(cs).id], false), nil
		}
	}
	body := okta.AuthorizationServerPolicy{
		Type:        "OAUTH_AUTHORIZATION_POLICY",
		Status:      "ACTIVE",
		Name:        name,
		Description: s.str["description"],
		Conditions:  &okta.PolicyRuleConditions{Clients: &okta.ClientPolicyCondition{Include: clients}},
	}
	if p, ok := s.num["priority"]; ok {
		body.PriorityPtr = okta.Int64Ptr(p)
	}
	p, _, err := c.AuthorizationServer.CreateAuthorizationServerPolicy(ctx, server, body)
	if err != nil {
		return found{}, err
	}
	f := result(p, true)
	f.race = raceOf(p.Id, p, named, result, nil, func(ctx context.Context, id string) (*okta.Response, error) {
		return c.AuthorizationServer.DeleteAuthorizationServerPolicy(ctx, server, id)
	})
	return f, nil
}

// ---- rules

func ensureRule(ctx context.Context, c *okta.Client, s spec, prev *outputs.Object) (found, error) {
	server, policy, name := s.str["server"], s.str["policy"], s.str["name"]
	groups, grants, scopes := s.list["groups"], s.list["grantTypes"], s.list["scopes"]
	lifetime := int64(60)
	if m, ok := s.num["accessTokenLifetimeMinutes"]; ok {
		lifetime = m
	}
	result := func(rl *okta.AuthorizationServerPolicyRule, created bool) found {
		f := found{id: rl.Id, created: created, fields: map[string]string{"name": rl.Name}}
		if created || rl.Conditions == nil {
			return f
		}
		cond := rl.Conditions
		if cond.Scopes == nil || !sameSet(cond.Scopes.Include, scopes) {
			var have []string
			if cond.Scopes != nil {
				have = cond.Scopes.Include
			}
			f.differs = append(f.differs, fmt.Sprintf("it grants the scopes %v, the input says %v", have, scopes))
		}
		if cond.People == nil || cond.People.Groups == nil || !sameSet(cond.People.Groups.Include, groups) {
			f.differs = append(f.differs, fmt.Sprintf("it applies to other groups than %v", groups))
		}
		if cond.GrantTypes == nil || !sameSet(cond.GrantTypes.Include, grants) {
			f.differs = append(f.differs, fmt.Sprintf("it allows other grant types than %v", grants))
		}
		priority, priorityNamed := s.num["priority"]
		if priorityNamed && rl.PriorityPtr != nil && *rl.PriorityPtr != priority {
			f.differs = append(f.differs, fmt.Sprintf("its priority is %d, the input says %d", *rl.PriorityPtr, priority))
		}
		_, lifetimeNamed := s.num["accessTokenLifetimeMinutes"]
		if lifetimeNamed && rl.Actions != nil && rl.Actions.Token != nil && rl.Actions.Token.AccessTokenLifetimeMinutesPtr != nil {
			if have := *rl.Actions.Token.AccessTokenLifetimeMinutesPtr; have != lifetime {
				f.differs = append(f.differs, fmt.Sprintf("its access tokens live %d minutes, the input says %d", have, lifetime))
			}
		}
		if len(f.differs) > 0 {
			f.converge = func(ctx context.Context) error {
				body := *rl
				c2 := *cond
				c2.Scopes = &okta.OAuth2ScopesMediationPolicyRuleCondition{Include: scopes}
				people := okta.PolicyPeopleCondition{}
				if cond.People != nil {
					people = *cond.People
				}
				people.Groups = &okta.GroupCondition{Include: groups}
				c2.People = &people
				c2.GrantTypes = &okta.GrantTypePolicyRuleCondition{Include: grants}
				body.Conditions = &c2
				if priorityNamed {
					body.Priority, body.PriorityPtr = priority, okta.Int64Ptr(priority)
				}
				if lifetimeNamed {
					actions := okta.AuthorizationServerPolicyRuleActions{}
					if rl.Actions != nil {
						actions = *rl.Actions
					}
					tok := okta.TokenAuthorizationServerPolicyRuleAction{}
					if actions.Token != nil {
						tok = *actions.Token
					}
					// The SDK sends AccessTokenLifetimeMinutes over the Ptr
					// when it is not 0 (OKTA-API.md): set both.
					tok.AccessTokenLifetimeMinutesPtr = &lifetime
					tok.AccessTokenLifetimeMinutes = lifetime
					actions.Token = &tok
					body.Actions = &actions
				}
				_, _, err := c.AuthorizationServer.UpdateAuthorizationServerPolicyRule(ctx, server, policy, rl.Id, body)
				return err
			}
		}
		return f
	}
	if prev != nil && len(s.siblings) > 1 {
		v, err := s.memo("rules "+policy, func() (any, error) {
			l, _, err := c.AuthorizationServer.ListAuthorizationServerPolicyRules(ctx, server, policy)
			return l, err
		})
		if err != nil {
			return found{}, err
		}
		for _, rl := range v.([]*okta.AuthorizationServerPolicyRule) {
			if rl.Id == prev.ID && rl.Name == name {
				return result(rl, false), nil
			}
		}
	} else if prev != nil {
		rl, resp, err := c.AuthorizationServer.GetAuthorizationServerPolicyRule(ctx, server, policy, prev.ID)
		if err == nil && rl.Name == name {
			return result(rl, false), nil
		}
		if err != nil && !notFound(resp) {
			return found{}, err
		}
	}
	named := func(ctx context.Context) (map[string]*okta.AuthorizationServerPolicyRule, []candidate, error) {
		list, _, err := c.AuthorizationServer.ListAuthorizationServerPolicyRules(ctx, server, policy)
		if err != nil {
			return nil, nil, err
		}
		byID := map[string]*okta.AuthorizationServerPolicyRule{}
		var cs []candidate
		for _, rl := range list {
			if rl.Name == name {
				byID[rl.Id] = rl
				cs = append(cs, candidate{rl.Id, timeOf(rl.Created)})
			}
		}
		return byID, cs, nil
	}
	if !s.parentNew {
		byID, cs, err := named(ctx)
		if err != nil {
			return found{}, err
		}
		if len(cs) > 0 {
			return result(byID[oldestOf(cs).id], false), nil
		}
	}
	body := okta.AuthorizationServerPolicyRule{
		Type:   "RESOURCE_ACCESS",
		Status: "ACTIVE",
		Name:   name,
		Conditions: &okta.AuthorizationServerPolicyRuleConditions{
			People:     &okta.PolicyPeopleCondition{Groups: &okta.GroupCondition{Include: groups}},
			GrantTypes: &okta.GrantTypePolicyRuleCondition{Include: grants},
			Scopes:     &okta.OAuth2ScopesMediationPolicyRuleCondition{Include: scopes},
		},
		// Okta's own defaults, sent as a real Okta console and the Terraform
		// provider send them: refresh tokens unlimited, window 7 days.
		Actions: &okta.AuthorizationServerPolicyRuleActions{Token: &okta.TokenAuthorizationServerPolicyRuleAction{
			AccessTokenLifetimeMinutesPtr:  okta.Int64Ptr(60),
			RefreshTokenLifetimeMinutesPtr: okta.Int64Ptr(0),
			RefreshTokenWindowMinutesPtr:   okta.Int64Ptr(10080),
		}},
	}
	// Created last in the policy, then moved to its priority once it is
	// the one kept: a concurrent run's duplicate, created last too and
	// deleted, then never shifts the rules before it.
	if m, ok := s.num["accessTokenLifetimeMinutes"]; ok {
		body.Actions.Token.AccessTokenLifetimeMinutesPtr = okta.Int64Ptr(m)
	}
	rl, _, err := c.AuthorizationServer.CreateAuthorizationServerPolicyRule(ctx, server, policy, body)
	if err != nil {
		return found{}, err
	}
	// Once kept, it moves to its priority. Failing that, the rule is
	// still this run's: a later run moves it (a found rule's priority
	// converges).
	toPriority := func(ctx context.Context, rl *okta.AuthorizationServerPolicyRule) (*okta.AuthorizationServerPolicyRule, error) {
		p, ok := s.num["priority"]
		if !ok || rl.PriorityPtr != nil && *rl.PriorityPtr == p {
			return rl, nil
		}
		body := *rl
		body.Priority, body.PriorityPtr = p, okta.Int64Ptr(p)
		for attempt := 0; attempt < 4; attempt++ {
			moved, _, err := c.AuthorizationServer.UpdateAuthorizationServerPolicyRule(ctx, server, policy, rl.Id, body)
			if err == nil {
				return moved, nil
			}
			if !transient(err) {
				return nil, err
			}
			time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
		}
		return rl, nil
	}
	f := result(rl, true)
	f.race = raceOf(rl.Id, rl, named, result, toPriority, func(ctx context.Context, id string) (*okta.Response, error) {
		return c.AuthorizationServer.DeleteAuthorizationServerPolicyRule(ctx, server, policy, id)
	})
	return f, nil
}

// ---- apps

func ensureApp(ctx context.Context, c *okta.Client, s spec, prev *outputs.Object) (found, error) {
	label := s.str["label"]
	result := func(app *okta.OpenIdConnectApplication, secret string, created bool) found {
		clientID := app.Id
		if app.Credentials != nil && app.Credentials.OauthClient != nil && app.Credentials.OauthClient.ClientId != "" {
			clientID = app.Credentials.OauthClient.ClientId
		}
		f := found{id: app.Id, created: created, fields: map[string]string{"label": app.Label, "clientId": clientID, "clientSecret": secret}}
		if !created && app.Status != "" && app.Status != "ACTIVE" {
			f.differs = append(f.differs, fmt.Sprintf("its status is %s, so its client cannot get tokens", app.Status))
		}
		if secret == "" {
			f.differs = append(f.differs, "it has no active client secret")
		}
		if !created {
			appDrift(c, s, app, &f)
		}
		return f
	}
	// A found app's secret: the one recorded, else the first active one.
	secretOf := func(id string) (string, error) {
		if prev != nil && prev.ID == id && prev.Fields["clientSecret"] != "" {
			return prev.Fields["clientSecret"], nil
		}
		secrets, _, err := c.Application.ListClientSecretsForApplication(ctx, id)
		if err != nil {
			return "", err
		}
		for _, sec := range secrets {
			if sec.Status == "ACTIVE" && sec.ClientSecret != "" {
				return sec.ClientSecret, nil
			}
		}
		return "", nil
	}
	get := func(id string) (*okta.OpenIdConnectApplication, *okta.Response, error) {
		a, resp, err := c.Application.GetApplication(ctx, id, okta.NewOpenIdConnectApplication(), nil)
		if err != nil {
			return nil, resp, err
		}
		return a.(*okta.OpenIdConnectApplication), resp, nil
	}
	foundApp := func(id string) (found, error) {
		app, _, err := get(id)
		if err != nil {
			return found{}, err
		}
		secret, err := secretOf(id)
		if err != nil {
			return found{}, err
		}
		return result(app, secret, false), nil
	}
	if prev != nil {
		app, resp, err := get(prev.ID)
		if err == nil && app.Label == label {
			secret, err := secretOf(app.Id)
			if err != nil {
				return found{}, err
			}
			return result(app, secret, false), nil
		}
		if err != nil && !notFound(resp) {
			return found{}, err
		}
	}
	named := func(ctx context.Context) ([]candidate, error) {
		apps, _, err := c.Application.ListApplications(ctx, &query.Params{Q: label, Limit: 200})
		if err != nil {
			return nil, err
		}
		var cs []candidate
		for _, a := range apps {
			if ga, ok := a.(*okta.Application); ok && ga.Label == label && ga.Status != "DELETED" {
				cs = append(cs, candidate{ga.Id, timeOf(ga.Created)})
			}
		}
		return cs, nil
	}
	cs, err := named(ctx)
	if err != nil {
		return found{}, err
	}
	if len(cs) > 0 {
		return foundApp(oldestOf(cs).id)
	}
	var grants []*okta.OAuthGrantType
	for _, g := range s.list["grantTypes"] {
		gt := okta.OAuthGrantType(g)
		grants = append(grants, &gt)
	}
	var responses []*okta.OAuthResponseType
	for _, rt := range s.list["responseTypes"] {
		r := okta.OAuthResponseType(rt)
		responses = append(responses, &r)
	}
	auth := s.str["tokenEndpointAuthMethod"]
	if auth == "" {
		auth = "client_secret_basic"
	}
	body := okta.NewOpenIdConnectApplication()
	body.Label = label
	body.Credentials = &okta.OAuthApplicationCredentials{OauthClient: &okta.ApplicationCredentialsOAuthClient{TokenEndpointAuthMethod: auth}}
	if pkce, ok := s.flag["pkceRequired"]; ok {
		body.Credentials.OauthClient.PkceRequired = &pkce
	}
	body.Settings = &okta.OpenIdConnectApplicationSettings{OauthClient: &okta.OpenIdConnectApplicationSettingsClient{
		ApplicationType: s.str["type"],
		GrantTypes:      grants,
		ResponseTypes:   responses,
		RedirectUris:    s.list["redirectUris"],
	}}
	// CreateApplication decodes the answer into body; the client secret is
	// only in this answer.
	created, _, err := c.Application.CreateApplication(ctx, body, &query.Params{Activate: boolPtr(true)})
	if err != nil {
		return found{}, err
	}
	app := created.(*okta.OpenIdConnectApplication)
	secret := ""
	if app.Credentials != nil && app.Credentials.OauthClient != nil {
		secret = app.Credentials.OauthClient.ClientSecret
	}
	if secret == "" {
		if secret, err = secretOf(app.Id); err != nil {
			return found{}, err
		}
	}
	f := result(app, secret, true)
	f.race = &race{
		settle: func(ctx context.Context) (found, bool, error) {
			keep, mine := oldestAfterCreate(ctx, app.Id, named)
			if mine {
				return result(app, secret, true), true, nil
			}
			kept, err := foundApp(keep)
			return kept, false, err
		},
		drop: func(ctx context.Context) error {
			return dropLost(ctx, app.Id, func(ctx context.Context, id string) (*okta.Response, error) {
				if resp, err := c.Application.DeactivateApplication(ctx, id); err != nil {
					return resp, err
				}
				return c.Application.DeleteApplication(ctx, id)
			})
		},
	}
	return f, nil
}

// appDrift adds to f how a found app differs from the spec in the fields
// apicenter owns and the spec names (grant types, response types, redirect
// URIs), and how to change them back, leaving every other field as the org
// has it.
func appDrift(c *okta.Client, s spec, app *okta.OpenIdConnectApplication, f *found) {
	var oc okta.OpenIdConnectApplicationSettingsClient
	if app.Settings != nil && app.Settings.OauthClient != nil {
		oc = *app.Settings.OauthClient
	}
	var haveGrants, haveResponses []string
	for _, g := range oc.GrantTypes {
		if g != nil {
			haveGrants = append(haveGrants, string(*g))
		}
	}
	for _, r := range oc.ResponseTypes {
		if r != nil {
			haveResponses = append(haveResponses, string(*r))
		}
	}
	var diffs []string
	if grants, ok := s.list["grantTypes"]; ok && !sameSet(haveGrants, grants) {
		diffs = append(diffs, fmt.Sprintf("its grant types are %v, the input says %v", haveGrants, grants))
	}
	if responses, ok := s.list["responseTypes"]; ok && !sameSet(haveResponses, responses) {
		diffs = append(diffs, fmt.Sprintf("its response types are %v, the input says %v", haveResponses, responses))
	}
	if uris, ok := s.list["redirectUris"]; ok && !sameSet(oc.RedirectUris, uris) {
		diffs = append(diffs, fmt.Sprintf("its redirect URIs are %v, the input says %v", oc.RedirectUris, uris))
	}
	if len(diffs) == 0 {
		return
	}
	f.differs = append(f.differs, diffs...)
	f.fixes = diffs
	f.converge = func(ctx context.Context) error {
		body := *app
		settings := okta.OpenIdConnectApplicationSettings{}
		if app.Settings != nil {
			settings = *app.Settings
		}
		client := oc
		if grants, ok := s.list["grantTypes"]; ok {
			client.GrantTypes = nil
			for _, g := range grants {
				gt := okta.OAuthGrantType(g)
				client.GrantTypes = append(client.GrantTypes, &gt)
			}
		}
		if responses, ok := s.list["responseTypes"]; ok {
			client.ResponseTypes = nil
			for _, r := range responses {
				rt := okta.OAuthResponseType(r)
				client.ResponseTypes = append(client.ResponseTypes, &rt)
			}
		}
		if uris, ok := s.list["redirectUris"]; ok {
			client.RedirectUris = uris
		}
		settings.OauthClient = &client
		body.Settings = &settings
		_, _, err := c.Application.UpdateApplication(ctx, app.Id, &body)
		return err
	}
}

// ---- trusted origins

func ensureTrustedOrigin(ctx context.Context, c *okta.Client, s spec, prev *outputs.Object) (found, error) {
	name, origin, scopes := s.str["name"], s.str["origin"], s.list["scopes"]
	result := func(to *okta.TrustedOrigin, created bool) found {
		f := found{id: to.Id, created: created, fields: map[string]string{"name": to.Name, "origin": to.Origin}}
		var have []string
		for _, sc := range to.Scopes {
			have = append(have, sc.Type)
		}
		if !created && !sameSet(have, scopes) {
			f.differs = append(f.differs, fmt.Sprintf("its scopes are %v, the input says %v", have, scopes))
			f.converge = func(ctx context.Context) error {
				body := *to
				body.Scopes = nil
				for _, sc := range scopes {
					body.Scopes = append(body.Scopes, &okta.Scope{Type: sc})
				}
				_, _, err := c.TrustedOrigin.UpdateOrigin(ctx, to.Id, body)
				return err
			}
		}
		return f
	}
	if prev != nil {
		to, resp, err := c.TrustedOrigin.GetOrigin(ctx, prev.ID)
		if err == nil && to.Origin == origin {
			return result(to, false), nil
		}
		if err != nil && !notFound(resp) {
			return found{}, err
		}
	}
	body := okta.TrustedOrigin{Name: name, Origin: origin}
	for _, sc := range scopes {
		body.Scopes = append(body.Scopes, &okta.Scope{Type: sc})
	}
	to, _, err := c.TrustedOrigin.CreateOrigin(ctx, body)
	if err == nil {
		return result(to, true), nil
	}
	if !alreadyExists(err) && !transient(err) {
		return found{}, err
	}
	list, _, err2 := c.TrustedOrigin.ListOrigins(ctx, &query.Params{Q: origin, Limit: 200})
	if err2 != nil {
		return found{}, err
	}
	for _, to := range list {
		if to.Origin == origin {
			return result(to, madeBy(to.Created, s)), nil
		}
	}
	return found{}, err
}

// ---- app group assignments

func ensureGroupAssignment(ctx context.Context, c *okta.Client, s spec) (found, error) {
	app, group := s.str["app"], s.str["group"]
	id := app + "/" + group
	_, resp, err := c.Application.GetApplicationGroupAssignment(ctx, app, group, nil)
	if err == nil {
		return found{id: id, fields: map[string]string{}}, nil
	}
	if !notFound(resp) {
		return found{}, err
	}
	_, _, err = c.Application.CreateApplicationGroupAssignment(ctx, app, group, okta.ApplicationGroupAssignment{})
	if err != nil {
		return found{}, err
	}
	return found{id: id, created: true, fields: map[string]string{}}, nil
}

func boolPtr(b bool) *bool { return &b }

// idsExpr is a search expression matching any of ids.
func idsExpr(ids []string) string {
	var parts []string
	for _, id := range ids {
		parts = append(parts, fmt.Sprintf("id eq %q", id))
	}
	return strings.Join(parts, " or ")
}
