package bootstrap

import (
	"context"
	"fmt"
	"strings"
	"sync"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/outputs"
)

// catalog confirms, on a re-run, the objects the earlier output recorded
// with one read per object kind (per parent for scopes, policies, rules and
// group assignments): a search or list that returns all of them, instead
// of one read per object. The first object of a kind to be checked makes
// the read, the others wait for its answer; since recorded objects are
// settled at once from the record, the reads of all kinds run together.
type catalog struct {
	c *okta.Client

	mu      sync.Mutex
	reads   map[string]func(context.Context) (map[string]any, error)
	entries map[string]*catalogEntry
}

// catalogEntry is one read: the objects it returned by id.
type catalogEntry struct {
	done chan struct{}
	byID map[string]any
	err  error
}

// newCatalog plans the reads that confirm the objects of f recorded in
// prev (nil: a first run, nothing to confirm).
func newCatalog(c *okta.Client, f *inputs.File, prev *outputs.File) *catalog {
	cat := &catalog{c: c, reads: map[string]func(context.Context) (map[string]any, error){}, entries: map[string]*catalogEntry{}}
	if prev == nil {
		return cat
	}
	keys := map[string][]string{} // kind -> recorded keys
	for _, it := range f.Items {
		if it.Obj == nil {
			continue
		}
		o := prev.Object(it.Name)
		if o == nil || o.Kind != string(it.Obj.Kind) || o.ID == "" {
			continue
		}
		keys[o.Kind] = append(keys[o.Kind], o.Key)
	}
	for kind, ks := range keys {
		cat.plan(inputs.Kind(kind), ks)
	}
	return cat
}

// plan adds the reads for the recorded keys of a kind.
func (cat *catalog) plan(kind inputs.Kind, keys []string) {
	c := cat.c
	eq := func(attr string) string {
		var terms []string
		for _, k := range keys {
			terms = append(terms, fmt.Sprintf("%s eq %q", attr, k))
		}
		return strings.Join(terms, " or ")
	}
	// oneQ searches with q for a single key, else lists them all.
	oneQ := func() *query.Params {
		if len(keys) == 1 {
			return &query.Params{Q: keys[0], Limit: 200}
		}
		return &query.Params{Limit: 200}
	}
	switch kind {
	case inputs.KindGroup:
		cat.reads[string(kind)] = func(ctx context.Context) (map[string]any, error) {
			l, _, err := c.Group.ListGroups(ctx, &query.Params{Search: eq("profile.name"), Limit: 200})
			return byID(l, func(g *okta.Group) string { return g.Id }), err
		}
	case inputs.KindUser:
		cat.reads[string(kind)] = func(ctx context.Context) (map[string]any, error) {
			l, _, err := c.User.ListUsers(ctx, &query.Params{Search: eq("profile.login"), Limit: 200})
			return byID(l, func(u *okta.User) string { return u.Id }), err
		}
	case inputs.KindAuthServer:
		cat.reads[string(kind)] = func(ctx context.Context) (map[string]any, error) {
			l, _, err := c.AuthorizationServer.ListAuthorizationServers(ctx, oneQ())
			return byID(l, func(a *okta.AuthorizationServer) string { return a.Id }), err
		}
	case inputs.KindApp:
		cat.reads[string(kind)] = func(ctx context.Context) (map[string]any, error) {
			l, _, err := c.Application.ListApplications(ctx, oneQ())
			return byID(l, func(a okta.App) string {
				if ga, ok := a.(*okta.Application); ok {
					return ga.Id
				}
				return ""
			}), err
		}
	case inputs.KindTrustedOrigin:
		cat.reads[string(kind)] = func(ctx context.Context) (map[string]any, error) {
			l, _, err := c.TrustedOrigin.ListOrigins(ctx, oneQ())
			return byID(l, func(t *okta.TrustedOrigin) string { return t.Id }), err
		}
	default:
		// Kinds listed per parent: the key's first parts are the parent ids.
		for _, k := range keys {
			parts := strings.Split(k, " / ")
			switch {
			case kind == inputs.KindScope && len(parts) >= 2:
				server := parts[0]
				cat.reads[catalogKey(kind, server)] = func(ctx context.Context) (map[string]any, error) {
					l, _, err := c.AuthorizationServer.ListOAuth2Scopes(ctx, server, nil)
					return byID(l, func(s *okta.OAuth2Scope) string { return s.Id }), err
				}
			case kind == inputs.KindPolicy && len(parts) >= 2:
				server := parts[0]
				cat.reads[catalogKey(kind, server)] = func(ctx context.Context) (map[string]any, error) {
					l, _, err := c.AuthorizationServer.ListAuthorizationServerPolicies(ctx, server)
					return byID(l, func(p *okta.AuthorizationServerPolicy) string { return p.Id }), err
				}
			case kind == inputs.KindRule && len(parts) >= 3:
				server, policy := parts[0], parts[1]
				cat.reads[catalogKey(kind, server, policy)] = func(ctx context.Context) (map[string]any, error) {
					l, _, err := c.AuthorizationServer.ListAuthorizationServerPolicyRules(ctx, server, policy)
					return byID(l, func(r *okta.AuthorizationServerPolicyRule) string { return r.Id }), err
				}
			case kind == inputs.KindGroupAssignment && len(parts) == 2:
				app := parts[0]
				cat.reads[catalogKey(kind, app)] = func(ctx context.Context) (map[string]any, error) {
					l, _, err := c.Application.ListApplicationGroupAssignments(ctx, app, &query.Params{Limit: 200})
					// An assignment is recorded as app/group.
					return byID(l, func(a *okta.ApplicationGroupAssignment) string { return app + "/" + a.Id }), err
				}
			}
		}
	}
}

func catalogKey(kind inputs.Kind, parents ...string) string {
	return strings.Join(append([]string{string(kind)}, parents...), " ")
}

func byID[T any](list []T, id func(T) string) map[string]any {
	m := map[string]any{}
	for _, o := range list {
		if k := id(o); k != "" {
			m[k] = o
		}
	}
	return m
}

// read returns the objects of the read called key by id, making the read
// unless it is made or being made (then it waits for it); nil if no such
// read is planned. A read that failed is forgotten, so that the next
// attempt makes it again.
func (cat *catalog) read(ctx context.Context, key string) (map[string]any, error) {
	cat.mu.Lock()
	if e, ok := cat.entries[key]; ok {
		cat.mu.Unlock()
		<-e.done
		return e.byID, e.err
	}
	do := cat.reads[key]
	if do == nil {
		cat.mu.Unlock()
		return nil, nil
	}
	e := &catalogEntry{done: make(chan struct{})}
	cat.entries[key] = e
	cat.mu.Unlock()
	e.byID, e.err = do(ctx)
	if e.err != nil {
		cat.mu.Lock()
		delete(cat.entries, key)
		cat.mu.Unlock()
	}
	close(e.done)
	return e.byID, e.err
}

// recorded returns the object the earlier output recorded as prev, as the
// catalog read of its kind returned it: ok false if that read is not
// planned (look it up by id), a nil object if the org no longer has it.
func recorded[T any](ctx context.Context, cat *catalog, key string, prev *outputs.Object) (obj T, ok bool, err error) {
	var zero T
	if cat == nil {
		return zero, false, nil
	}
	cat.mu.Lock()
	_, planned := cat.reads[key]
	cat.mu.Unlock()
	if !planned {
		return zero, false, nil
	}
	m, err := cat.read(ctx, key)
	if err != nil {
		return zero, true, err
	}
	o, _ := m[prev.ID].(T)
	return o, true, nil
}

// recordedOr is recorded, or get (a read by id) where the catalog has no
// read for prev. A nil object means the org no longer has it.
func recordedOr[T any](ctx context.Context, cat *catalog, key string, prev *outputs.Object, get func() (T, *okta.Response, error)) (T, error) {
	o, listed, err := recorded[T](ctx, cat, key, prev)
	if listed || err != nil {
		return o, err
	}
	o, resp, err := get()
	if err != nil && notFound(resp) {
		var zero T
		return zero, nil
	}
	return o, err
}
