package bootstrap

import (
	"context"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/outputs"
)

// kindDef is what the bootstrapper knows about one kind of Okta object,
// in one place. The kind's schema (the spec fields an input may give,
// which are required, its natural key) is inputs.Kinds[kind], where the
// loader checks an input before any request; TestKindConformance runs a
// spec with only the required fields of each kind against the local org
// and compares the requests made with fresh.
type kindDef struct {
	// ensure finds the object by its natural key or creates it (kinds.go).
	ensure func(ctx context.Context, c *okta.Client, it *inputs.Item, s spec, prev *outputs.Object) (found, error)
	// lookFirst says ensure looks the object up before it creates it
	// (Okta allows duplicates of the kind): one found after a lost answer
	// to this run's create is this run's.
	lookFirst bool
	// fresh are the requests the object needs on a fresh org, in order.
	// parentNew says whether a server or policy field refers to an object
	// of the same run.
	fresh func(o *inputs.Object, parentNew func(field string) bool) []string
	// settle is the re-read after a create that settles a race with a
	// concurrent run (see race), for the kinds Okta keeps no unique names
	// of: it runs while what refers to the object is already being made.
	settle string
	// check is the cheapest read that checks a recorded object.
	check string
	// delete returns the requests that delete a recorded object, in order
	// (a 404 on any means it is gone). parent(i) is the i-th part of the
	// recorded key: server / policy / name; app / group. deletes are the
	// same requests as "METHOD /pattern".
	delete  func(ctx context.Context, c *okta.Client, id string, parent func(int) string) []func() (*okta.Response, error)
	deletes []string
}

const (
	apiServers = "/api/v1/authorizationServers"
	apiServer  = apiServers + "/{id}"
)

// kindDefs are the kinds, one entry each (TestKindDefsCoverKinds checks
// they are those of inputs.Kinds).
var kindDefs = map[inputs.Kind]kindDef{
	inputs.KindGroup: {
		ensure: func(ctx context.Context, c *okta.Client, it *inputs.Item, s spec, prev *outputs.Object) (found, error) {
			return ensureGroup(ctx, c, s, prev, it.Obj.Existing)
		},
		fresh: func(o *inputs.Object, _ func(string) bool) []string {
			if o.Existing {
				return []string{"GET /api/v1/groups"}
			}
			return []string{"POST /api/v1/groups"}
		},
		check:   "GET /api/v1/groups/{id}",
		deletes: []string{"DELETE /api/v1/groups/{id}"},
		delete: func(ctx context.Context, c *okta.Client, id string, _ func(int) string) []func() (*okta.Response, error) {
			return []func() (*okta.Response, error){func() (*okta.Response, error) { return c.Group.DeleteGroup(ctx, id) }}
		},
	},
	inputs.KindUser: {
		ensure: func(ctx context.Context, c *okta.Client, _ *inputs.Item, s spec, prev *outputs.Object) (found, error) {
			return ensureUser(ctx, c, s, prev)
		},
		fresh:   requests("POST /api/v1/users"),
		check:   "GET /api/v1/users/{id}",
		deletes: []string{"DELETE /api/v1/users/{id}", "DELETE /api/v1/users/{id}"},
		// The first DELETE of an active user deactivates it, the second
		// deletes it.
		delete: func(ctx context.Context, c *okta.Client, id string, _ func(int) string) []func() (*okta.Response, error) {
			del := func() (*okta.Response, error) { return c.User.DeactivateOrDeleteUser(ctx, id, nil) }
			return []func() (*okta.Response, error){del, del}
		},
	},
	inputs.KindAuthServer: {
		ensure: func(ctx context.Context, c *okta.Client, _ *inputs.Item, s spec, prev *outputs.Object) (found, error) {
			return ensureAuthServer(ctx, c, s, prev)
		},
		lookFirst: true,
		fresh:     requests("GET "+apiServers, "POST "+apiServers),
		settle:    "GET " + apiServers,
		check:     "GET " + apiServer,
		deletes:   []string{"POST " + apiServer + "/lifecycle/deactivate", "DELETE " + apiServer},
		delete: func(ctx context.Context, c *okta.Client, id string, _ func(int) string) []func() (*okta.Response, error) {
			return []func() (*okta.Response, error){
				func() (*okta.Response, error) { return c.AuthorizationServer.DeactivateAuthorizationServer(ctx, id) },
				func() (*okta.Response, error) { return c.AuthorizationServer.DeleteAuthorizationServer(ctx, id) },
			}
		},
	},
	inputs.KindScope: {
		ensure: func(ctx context.Context, c *okta.Client, _ *inputs.Item, s spec, prev *outputs.Object) (found, error) {
			return ensureScope(ctx, c, s, prev)
		},
		fresh:   requests("POST " + apiServer + "/scopes"),
		check:   "GET " + apiServer + "/scopes/{id}",
		deletes: []string{"DELETE " + apiServer + "/scopes/{id}"},
		delete: func(ctx context.Context, c *okta.Client, id string, parent func(int) string) []func() (*okta.Response, error) {
			return []func() (*okta.Response, error){func() (*okta.Response, error) {
				return c.AuthorizationServer.DeleteOAuth2Scope(ctx, parent(0), id)
			}}
		},
	},
	inputs.KindPolicy: {
		ensure: func(ctx context.Context, c *okta.Client, _ *inputs.Item, s spec, prev *outputs.Object) (found, error) {
			return ensurePolicy(ctx, c, s, prev)
		},
		lookFirst: true,
		fresh: func(_ *inputs.Object, parentNew func(string) bool) []string {
			if parentNew("server") {
				return []string{"POST " + apiServer + "/policies"}
			}
			return []string{"GET " + apiServer + "/policies", "POST " + apiServer + "/policies"}
		},
		settle:  "GET " + apiServer + "/policies",
		check:   "GET " + apiServer + "/policies/{id}",
		deletes: []string{"DELETE " + apiServer + "/policies/{id}"},
		delete: func(ctx context.Context, c *okta.Client, id string, parent func(int) string) []func() (*okta.Response, error) {
			return []func() (*okta.Response, error){func() (*okta.Response, error) {
				return c.AuthorizationServer.DeleteAuthorizationServerPolicy(ctx, parent(0), id)
			}}
		},
	},
	inputs.KindRule: {
		ensure: func(ctx context.Context, c *okta.Client, _ *inputs.Item, s spec, prev *outputs.Object) (found, error) {
			return ensureRule(ctx, c, s, prev)
		},
		lookFirst: true,
		fresh: func(_ *inputs.Object, parentNew func(string) bool) []string {
			const rules = apiServer + "/policies/{id}/rules"
			if parentNew("policy") {
				return []string{"POST " + rules}
			}
			return []string{"GET " + rules, "POST " + rules}
		},
		settle:  "GET " + apiServer + "/policies/{id}/rules",
		check:   "GET " + apiServer + "/policies/{id}/rules/{id}",
		deletes: []string{"DELETE " + apiServer + "/policies/{id}/rules/{id}"},
		delete: func(ctx context.Context, c *okta.Client, id string, parent func(int) string) []func() (*okta.Response, error) {
			return []func() (*okta.Response, error){func() (*okta.Response, error) {
				return c.AuthorizationServer.DeleteAuthorizationServerPolicyRule(ctx, parent(0), parent(1), id)
			}}
		},
	},
	inputs.KindApp: {
		ensure: func(ctx context.Context, c *okta.Client, _ *inputs.Item, s spec, prev *outputs.Object) (found, error) {
			return ensureApp(ctx, c, s, prev)
		},
		lookFirst: true,
		fresh:     requests("GET /api/v1/apps", "POST /api/v1/apps"),
		settle:    "GET /api/v1/apps",
		check:     "GET /api/v1/apps/{id}",
		deletes:   []string{"POST /api/v1/apps/{id}/lifecycle/deactivate", "DELETE /api/v1/apps/{id}"},
		delete: func(ctx context.Context, c *okta.Client, id string, _ func(int) string) []func() (*okta.Response, error) {
			return []func() (*okta.Response, error){
				func() (*okta.Response, error) { return c.Application.DeactivateApplication(ctx, id) },
				func() (*okta.Response, error) { return c.Application.DeleteApplication(ctx, id) },
			}
		},
	},
	inputs.KindTrustedOrigin: {
		ensure: func(ctx context.Context, c *okta.Client, _ *inputs.Item, s spec, prev *outputs.Object) (found, error) {
			return ensureTrustedOrigin(ctx, c, s, prev)
		},
		fresh:   requests("POST /api/v1/trustedOrigins"),
		check:   "GET /api/v1/trustedOrigins/{id}",
		deletes: []string{"DELETE /api/v1/trustedOrigins/{id}"},
		delete: func(ctx context.Context, c *okta.Client, id string, _ func(int) string) []func() (*okta.Response, error) {
			return []func() (*okta.Response, error){func() (*okta.Response, error) { return c.TrustedOrigin.DeleteOrigin(ctx, id) }}
		},
	},
	inputs.KindGroupAssignment: {
		ensure: func(ctx context.Context, c *okta.Client, _ *inputs.Item, s spec, _ *outputs.Object) (found, error) {
			return ensureGroupAssignment(ctx, c, s)
		},
		lookFirst: true,
		fresh:     requests("GET /api/v1/apps/{id}/groups/{id}", "PUT /api/v1/apps/{id}/groups/{id}"),
		check:     "GET /api/v1/apps/{id}/groups/{id}",
		deletes:   []string{"DELETE /api/v1/apps/{id}/groups/{id}"},
		delete: func(ctx context.Context, c *okta.Client, _ string, parent func(int) string) []func() (*okta.Response, error) {
			return []func() (*okta.Response, error){func() (*okta.Response, error) {
				return c.Application.DeleteApplicationGroupAssignment(ctx, parent(0), parent(1))
			}}
		},
	},
}

// requests is a fresh function for a kind whose requests do not depend on
// the object.
func requests(reqs ...string) func(*inputs.Object, func(string) bool) []string {
	return func(*inputs.Object, func(string) bool) []string { return reqs }
}
