package devorg

import (
	"net/http"
	"strings"
	"time"
)

func (o *Org) groupRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/groups", o.api(o.createGroup))
	mux.HandleFunc("GET /api/v1/groups", o.api(o.listGroups))
	mux.HandleFunc("GET /api/v1/groups/{groupId}", o.api(o.getGroup))
	mux.HandleFunc("PUT /api/v1/groups/{groupId}", o.api(o.updateGroup))
	mux.HandleFunc("DELETE /api/v1/groups/{groupId}", o.api(o.deleteGroup))
	mux.HandleFunc("GET /api/v1/groups/{groupId}/users", o.api(o.listGroupUsers))
	mux.HandleFunc("PUT /api/v1/groups/{groupId}/users/{userId}", o.api(o.addGroupUser))
	mux.HandleFunc("DELETE /api/v1/groups/{groupId}/users/{userId}", o.api(o.removeGroupUser))
}

type groupBody struct {
	Profile struct {
		Name        string `json:"name"`
		Description string `json:"description"`
	} `json:"profile"`
}

func (b *groupBody) validate() error {
	if strings.TrimSpace(b.Profile.Name) == "" {
		return errBlank("name")
	}
	return nil
}

// renderGroup answers a group as Okta does.
func renderGroup(base string, g *Group) obj {
	self := base + "/api/v1/groups/" + g.ID
	links := obj{
		"logo": []obj{
			{"name": "medium", "href": base + "/assets/img/logos/groups/okta-medium.png", "type": "image/png"},
			{"name": "large", "href": base + "/assets/img/logos/groups/okta-large.png", "type": "image/png"},
		},
		"users": link(self + "/users"),
		"apps":  link(self + "/apps"),
	}
	if g.Type != "BUILT_IN" {
		links["owners"] = link(self + "/owners")
	}
	return obj{
		"id":                    g.ID,
		"created":               oktaTime(g.Created),
		"lastUpdated":           oktaTime(g.LastUpdated),
		"lastMembershipUpdated": oktaTime(g.LastMembershipUpdated),
		"objectClass":           []string{"okta:user_group"},
		"type":                  g.Type,
		"profile":               obj{"name": g.Name, "description": g.Description},
		"_links":                links,
	}
}

func (st *State) groupNameTaken(name, exceptID string) bool {
	for _, g := range st.Groups {
		if g.ID != exceptID && strings.EqualFold(g.Name, name) {
			return true
		}
	}
	return false
}

func (o *Org) createGroup(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in groupBody
	if err := decodeValid(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.update(func(st *State) error {
		if st.groupNameTaken(in.Profile.Name, "") {
			return errExists("name")
		}
		g := &Group{Meta: o.nextMeta(prefixGroup, ""), Type: "OKTA_GROUP", Name: in.Profile.Name, Description: in.Profile.Description}
		g.LastMembershipUpdated = g.Created
		st.Groups[g.ID] = g
		out = renderGroup(base, g)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) listGroups(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	qp := r.URL.Query()
	var rendered []obj
	o.view(func(st *State) {
		for _, g := range sortedBySeq(st.Groups, func(g *Group) int64 { return g.Seq }) {
			if q := qp.Get("q"); q != "" && !startsWithFold(g.Name, q) {
				continue
			}
			rendered = append(rendered, renderGroup(base, g))
		}
	})
	items, err := filterObjs(r, rendered, nil)
	if err != nil {
		return 0, nil, err
	}
	def := 10000
	if qp.Get("q") != "" {
		def = 10 // Okta's default for a q lookup
	}
	page, err := paginate(r, base, items, idOfObj, def, 10000)
	return http.StatusOK, page, err
}

// withGroup runs fn on the request's group under the lock, for reading or
// for a change.
func (o *Org) withGroup(r *http.Request, update bool, fn func(st *State, g *Group) error) error {
	return o.locked(update, func(st *State) error {
		return withNamed(r, "groupId", st.Groups, func(g *Group) error { return fn(st, g) })
	})
}

func (o *Org) getGroup(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	err := o.withGroup(r, false, func(_ *State, g *Group) error {
		out = renderGroup(base, g)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) updateGroup(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in groupBody
	if err := decodeValid(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withGroup(r, true, func(st *State, g *Group) error {
		if g.Type == "BUILT_IN" {
			return errForbidden()
		}
		if st.groupNameTaken(in.Profile.Name, g.ID) {
			return errExists("name")
		}
		g.Name, g.Description = in.Profile.Name, in.Profile.Description
		g.LastUpdated = nowMillis(o)
		out = renderGroup(base, g)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) deleteGroup(r *http.Request) (int, any, error) {
	err := o.withGroup(r, true, func(st *State, g *Group) error {
		if g.Type == "BUILT_IN" {
			return errForbidden()
		}
		delete(st.Groups, g.ID)
		delete(st.Members, g.ID)
		for _, a := range st.Apps {
			delete(a.Groups, g.ID)
		}
		return nil
	})
	return http.StatusNoContent, nil, err
}

// inGroup reports whether userID is a member of g (every user is a member
// of the built-in Everyone group). Call with o.mu held.
func (st *State) inGroup(g *Group, userID string) bool {
	return g.Type == "BUILT_IN" || st.Members[g.ID][userID]
}

// groupUsers returns the members of g in creation order. Call with o.mu held.
func (st *State) groupUsers(g *Group) []*User {
	var out []*User
	for _, u := range sortedBySeq(st.Users, func(u *User) int64 { return u.Seq }) {
		if st.inGroup(g, u.ID) {
			out = append(out, u)
		}
	}
	return out
}

func (o *Org) listGroupUsers(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var items []any
	err := o.withGroup(r, false, func(st *State, g *Group) error {
		for _, u := range st.groupUsers(g) {
			items = append(items, renderUserBrief(base, u))
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	page, err := paginate(r, base, items, idOfObj, 1000, 10000)
	return http.StatusOK, page, err
}

func (o *Org) addGroupUser(r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, o.setMembership(r.PathValue("groupId"), r.PathValue("userId"), true)
}

func (o *Org) removeGroupUser(r *http.Request) (int, any, error) {
	return http.StatusNoContent, nil, o.setMembership(r.PathValue("groupId"), r.PathValue("userId"), false)
}

// setMembership adds or removes a user to or from a group. The Everyone
// group's membership is implicit and cannot change.
func (o *Org) setMembership(groupID, userID string, member bool) error {
	return o.update(func(st *State) error {
		g, ok := st.Groups[groupID]
		if !ok {
			return errNotFound(groupID)
		}
		if _, ok := st.Users[userID]; !ok {
			return errNotFound(userID)
		}
		if g.Type == "BUILT_IN" {
			return errForbidden()
		}
		st.setMemberLocked(g, userID, member, o.now())
		return nil
	})
}

// setMemberLocked adds or removes userID to or from g and stamps g's
// lastMembershipUpdated when that changes anything. Call with o.mu held.
func (st *State) setMemberLocked(g *Group, userID string, member bool, now time.Time) {
	if member == st.Members[g.ID][userID] {
		return
	}
	if member {
		if st.Members[g.ID] == nil {
			st.Members[g.ID] = map[string]bool{}
		}
		st.Members[g.ID][userID] = true
	} else {
		delete(st.Members[g.ID], userID)
	}
	g.LastMembershipUpdated = now.UTC().Truncate(time.Millisecond)
}

// groupIDsOf returns the ids of the groups userID belongs to, the Everyone
// group included. Call with o.mu held.
func (st *State) groupIDsOf(userID string) []string {
	var ids []string
	for _, g := range sortedBySeq(st.Groups, func(g *Group) int64 { return g.Seq }) {
		if st.inGroup(g, userID) {
			ids = append(ids, g.ID)
		}
	}
	return ids
}
