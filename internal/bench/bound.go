package bench

import (
	"fmt"
	"strings"
	"time"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg"
)

// Endpoint is a request to the org, as METHOD and endpoint pattern
// (latency-recorded.json's spelling: "/api/v1/groups/{id}").
type Endpoint struct {
	Method, Pattern string
}

func (e Endpoint) String() string { return e.Method + " " + e.Pattern }

// IsWrite reports whether the request changes the org.
func (e Endpoint) IsWrite() bool { return e.Method != "GET" && e.Method != "HEAD" }

// TokenCheck is the first request of every bootstrap: it checks the token
// and the org (bootstrap/orgcheck.go lists one user). The benchmark fails
// if a bootstrap does not make it, so that the bound follows the engine.
var TokenCheck = Endpoint{"GET", "/api/v1/users"}

// RegisterClient is Mulesoft's dynamic client registration.
var RegisterClient = Endpoint{"POST", "/oauth2/v1/clients"}

// kindRequests are the requests any correct tool needs for an object of a
// kind, from what Okta allows (../shared/OKTA-API.md).
type kindRequests struct {
	// lookup is the read that must come before a create, nil where Okta
	// enforces uniqueness (create first, and take "already exists" as
	// found) or the create is an idempotent PUT.
	lookup *Endpoint
	create Endpoint
	// verify is the one read per kind that confirms, on a re-run, every
	// recorded object of the kind (a list or a search by key).
	verify Endpoint
}

func ep(m, p string) *Endpoint { return &Endpoint{m, p} }

var kindModel = map[inputs.Kind]kindRequests{
	inputs.KindGroup:           {nil, Endpoint{"POST", "/api/v1/groups"}, Endpoint{"GET", "/api/v1/groups"}},
	inputs.KindUser:            {nil, Endpoint{"POST", "/api/v1/users"}, Endpoint{"GET", "/api/v1/users"}},
	inputs.KindAuthServer:      {ep("GET", "/api/v1/authorizationServers"), Endpoint{"POST", "/api/v1/authorizationServers"}, Endpoint{"GET", "/api/v1/authorizationServers"}},
	inputs.KindScope:           {nil, Endpoint{"POST", "/api/v1/authorizationServers/{id}/scopes"}, Endpoint{"GET", "/api/v1/authorizationServers/{id}/scopes"}},
	inputs.KindPolicy:          {ep("GET", "/api/v1/authorizationServers/{id}/policies"), Endpoint{"POST", "/api/v1/authorizationServers/{id}/policies"}, Endpoint{"GET", "/api/v1/authorizationServers/{id}/policies"}},
	inputs.KindRule:            {ep("GET", "/api/v1/authorizationServers/{id}/policies/{id}/rules"), Endpoint{"POST", "/api/v1/authorizationServers/{id}/policies/{id}/rules"}, Endpoint{"GET", "/api/v1/authorizationServers/{id}/policies/{id}/rules"}},
	inputs.KindApp:             {ep("GET", "/api/v1/apps"), Endpoint{"POST", "/api/v1/apps"}, Endpoint{"GET", "/api/v1/apps"}},
	inputs.KindTrustedOrigin:   {nil, Endpoint{"POST", "/api/v1/trustedOrigins"}, Endpoint{"GET", "/api/v1/trustedOrigins"}},
	inputs.KindGroupAssignment: {nil, Endpoint{"PUT", "/api/v1/apps/{id}/groups/{id}"}, Endpoint{"GET", "/api/v1/apps/{id}/groups"}},
}

// Link is one request of a critical path, with when it ends.
type Link struct {
	Endpoint Endpoint
	// What says why the request is needed ("lookup POLICY").
	What    string
	Latency time.Duration
	End     time.Duration
}

// Chain is a critical path: the longest chain of requests that must be
// made one after another.
type Chain struct {
	Links []Link
}

// Total is the length of the chain.
func (c Chain) Total() time.Duration {
	if len(c.Links) == 0 {
		return 0
	}
	return c.Links[len(c.Links)-1].End
}

// String renders the chain one request per line.
func (c Chain) String() string {
	var b strings.Builder
	for i, l := range c.Links {
		arrow := "   "
		if i > 0 {
			arrow = "-> "
		}
		fmt.Fprintf(&b, "%s%-58s %5d ms  (%s)  t=%d ms\n", arrow, l.Endpoint, l.Latency.Milliseconds(), l.What, l.End.Milliseconds())
	}
	return b.String()
}

// then appends c2's links after c's.
func (c Chain) then(c2 Chain) Chain {
	out := Chain{Links: append([]Link(nil), c.Links...)}
	base := c.Total()
	for _, l := range c2.Links {
		l.End += base
		out.Links = append(out.Links, l)
	}
	return out
}

// FreshBound is the critical path of a bootstrap of f on an org that holds
// none of its objects: the token check, then for each object its lookup
// (where one must precede the create) and its create, each create after
// the creates of what it refers to (bootstrap.Dependencies, which also
// keeps rules and policies serial in priority order). An object keyed under
// a parent created in the same run (a scope, policy or rule of a new
// server or policy) needs no lookup: a new parent has no children. Values
// cost nothing (--yes).
func FreshBound(f *inputs.File, lat devorg.LatencyModel) Chain {
	deps := bootstrap.Dependencies(f)
	byName := map[string]*inputs.Item{}
	for _, it := range f.Items {
		byName[it.Name] = it
	}
	token := Link{Endpoint: TokenCheck, What: "token check", Latency: lat(TokenCheck.Method, TokenCheck.Pattern)}
	token.End = token.Latency
	root := Chain{Links: []Link{token}}

	memo := map[string]Chain{}
	var done func(name string) Chain
	// after returns the longest of the chains of names (root if none).
	after := func(names []string) Chain {
		best := root
		for _, n := range names {
			if c := done(n); c.Total() > best.Total() {
				best = c
			}
		}
		return best
	}
	done = func(name string) Chain {
		if c, ok := memo[name]; ok {
			return c
		}
		it := byName[name]
		c := after(deps[name])
		if it.Obj != nil {
			m := kindModel[it.Obj.Kind]
			if it.Obj.Existing {
				c = c.then(single(*ep("GET", m.verify.Pattern), "lookup "+name, lat))
			} else {
				// The lookup needs only the key: it waits for what the key
				// fields refer to, not for the whole spec.
				if m.lookup != nil && !newParent(it, byName) {
					lk := after(keyDeps(it, deps[name])).then(single(*m.lookup, "lookup "+name, lat))
					if lk.Total() > c.Total() {
						c = lk
					}
				}
				c = c.then(single(m.create, "create "+name, lat))
			}
		}
		memo[name] = c
		return c
	}
	best := root
	for _, it := range f.Items {
		if c := done(it.Name); c.Total() > best.Total() {
			best = c
		}
	}
	return best
}

// RerunBound is the critical path of a bootstrap of f run again on the
// same org with its output file: the token check, then one read per object
// kind (the recorded ids make them independent of one another), no write.
func RerunBound(f *inputs.File, lat devorg.LatencyModel) Chain {
	token := Link{Endpoint: TokenCheck, What: "token check", Latency: lat(TokenCheck.Method, TokenCheck.Pattern)}
	token.End = token.Latency
	best := Chain{Links: []Link{token}}
	for _, it := range f.Items {
		if it.Obj == nil {
			continue
		}
		c := Chain{Links: []Link{token}}.then(single(kindModel[it.Obj.Kind].verify, "verify every "+string(it.Obj.Kind), lat))
		if c.Total() > best.Total() {
			best = c
		}
	}
	return best
}

// RerunReads is the most reads a re-run of f may make: one per object kind
// plus the token check.
func RerunReads(f *inputs.File) int {
	kinds := map[inputs.Kind]bool{}
	for _, it := range f.Items {
		if it.Obj != nil {
			kinds[it.Obj.Kind] = true
		}
	}
	return len(kinds) + 1
}

// RegisterBound is the one request of Mulesoft's client registration.
func RegisterBound(lat devorg.LatencyModel) Chain {
	return single(RegisterClient, "Mulesoft registers the app's client", lat)
}

func single(e Endpoint, what string, lat devorg.LatencyModel) Chain {
	d := lat(e.Method, e.Pattern)
	return Chain{Links: []Link{{Endpoint: e, What: what, Latency: d, End: d}}}
}

// keyDeps returns those of deps that the key fields of it refer to.
func keyDeps(it *inputs.Item, deps []string) []string {
	refs := map[string]bool{}
	for _, k := range inputs.Kinds[it.Obj.Kind].Key {
		if f := it.Obj.Field(k); f != nil {
			for _, r := range f.Str.Refs() {
				refs[r.Name] = true
			}
		}
	}
	var out []string
	for _, d := range deps {
		if refs[d] {
			out = append(out, d)
		}
	}
	return out
}

// newParent reports whether a key field of it refers to an object of the
// same input (created in the same fresh run).
func newParent(it *inputs.Item, byName map[string]*inputs.Item) bool {
	for _, k := range inputs.Kinds[it.Obj.Kind].Key {
		f := it.Obj.Field(k)
		if f == nil {
			continue
		}
		for _, r := range f.Str.Refs() {
			if p := byName[r.Name]; p != nil && p.Obj != nil && !p.Obj.Existing {
				return true
			}
		}
	}
	return false
}
