package devorg

import (
	"net/http"
	"net/url"
	"slices"
	"strings"
)

func (o *Org) trustedOriginRoutes(mux *http.ServeMux) {
	const to = "/api/v1/trustedOrigins/{originId}"
	mux.HandleFunc("POST /api/v1/trustedOrigins", o.api(o.createTrustedOrigin))
	mux.HandleFunc("GET /api/v1/trustedOrigins", o.api(o.listTrustedOrigins))
	mux.HandleFunc("GET "+to, o.api(o.getTrustedOrigin))
	mux.HandleFunc("PUT "+to, o.api(o.updateTrustedOrigin))
	mux.HandleFunc("DELETE "+to, o.api(o.deleteTrustedOrigin))
	mux.HandleFunc("POST "+to+"/lifecycle/activate", o.api(o.trustedOriginLifecycle("ACTIVE")))
	mux.HandleFunc("POST "+to+"/lifecycle/deactivate", o.api(o.trustedOriginLifecycle("INACTIVE")))
}

func renderTrustedOrigin(base, adminID string, t *TrustedOrigin) obj {
	self := base + "/api/v1/trustedOrigins/" + t.ID
	links := obj{"self": linkAllow(self, "GET", "PUT", "DELETE")}
	if t.Status == "ACTIVE" {
		links["deactivate"] = linkAllow(self+"/lifecycle/deactivate", "POST")
	} else {
		links["activate"] = linkAllow(self+"/lifecycle/activate", "POST")
	}
	scopes := []obj{}
	for _, s := range t.Scopes {
		scopes = append(scopes, obj{"type": s})
	}
	return obj{
		"id":            t.ID,
		"name":          t.Name,
		"origin":        t.Origin,
		"scopes":        scopes,
		"status":        t.Status,
		"created":       oktaTime(t.Created),
		"createdBy":     adminID,
		"lastUpdated":   oktaTime(t.LastUpdated),
		"lastUpdatedBy": adminID,
		"_links":        links,
	}
}

type trustedOriginBody struct {
	Name   string `json:"name"`
	Origin string `json:"origin"`
	Status string `json:"status"`
	Scopes []struct {
		Type string `json:"type"`
	} `json:"scopes"`
}

// validate checks the body as Okta does: a name, an origin of the form
// scheme://host[:port] with no path, and known scope types.
func (b *trustedOriginBody) validate() error {
	if strings.TrimSpace(b.Name) == "" {
		return errBlank("name")
	}
	if b.Origin == "" {
		return errBlank("origin")
	}
	u, err := url.Parse(b.Origin)
	if err != nil || u.Scheme == "" || u.Host == "" || u.Opaque != "" || (u.Path != "" && u.Path != "/") ||
		u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return errValidation("origin", "origin: The origin must be of the form scheme://host[:port], with no path")
	}
	b.Origin = strings.TrimSuffix(b.Origin, "/")
	if len(b.Scopes) == 0 {
		return errBlank("scopes")
	}
	for _, s := range b.Scopes {
		if !slices.Contains([]string{"CORS", "REDIRECT", "IFRAME_EMBED"}, s.Type) {
			return errValidation("scopes", "scopes: unknown scope type "+s.Type)
		}
	}
	return nil
}

// scopeTypes lists the types of the body's scopes.
func (b *trustedOriginBody) scopeTypes() []string {
	var types []string
	for _, s := range b.Scopes {
		types = append(types, s.Type)
	}
	return types
}

// trustedOriginConflict returns the E0000001 for a taken name or origin.
func (st *State) trustedOriginConflict(name, origin, exceptID string) error {
	for _, t := range st.TrustedOrigins {
		if t.ID == exceptID {
			continue
		}
		if strings.EqualFold(t.Name, name) {
			return errExists("name")
		}
		if strings.EqualFold(t.Origin, origin) {
			return errExists("origin")
		}
	}
	return nil
}

func (st *State) adminID() string {
	if u := st.adminUser(); u != nil {
		return u.ID
	}
	return ""
}

func (o *Org) createTrustedOrigin(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in trustedOriginBody
	if err := decodeValid(r, &in); err != nil {
		return 0, nil, err
	}
	status := "ACTIVE"
	if in.Status == "INACTIVE" {
		status = "INACTIVE"
	}
	var out obj
	err := o.update(func(st *State) error {
		if err := st.trustedOriginConflict(in.Name, in.Origin, ""); err != nil {
			return err
		}
		t := &TrustedOrigin{Meta: o.nextMeta(prefixTrustedOrigin, status), Name: in.Name, Origin: in.Origin, Scopes: in.scopeTypes()}
		st.TrustedOrigins[t.ID] = t
		out = renderTrustedOrigin(base, st.adminID(), t)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) listTrustedOrigins(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	q := r.URL.Query().Get("q")
	var rendered []obj
	o.view(func(st *State) {
		admin := st.adminID()
		for _, t := range sortedBySeq(st.TrustedOrigins, func(t *TrustedOrigin) int64 { return t.Seq }) {
			if q == "" || startsWithFold(t.Name, q) || startsWithFold(t.Origin, q) {
				rendered = append(rendered, renderTrustedOrigin(base, admin, t))
			}
		}
	})
	items, err := filterObjs(r, rendered, nil)
	if err != nil {
		return 0, nil, err
	}
	page, err := paginate(r, base, items, idOfObj, 20, 200)
	return http.StatusOK, page, err
}

func (o *Org) withTrustedOrigin(r *http.Request, update bool, fn func(st *State, t *TrustedOrigin) error) error {
	return o.locked(update, func(st *State) error {
		return withNamed(r, "originId", st.TrustedOrigins, func(t *TrustedOrigin) error { return fn(st, t) })
	})
}

func (o *Org) getTrustedOrigin(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	err := o.withTrustedOrigin(r, false, func(st *State, t *TrustedOrigin) error {
		out = renderTrustedOrigin(base, st.adminID(), t)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) updateTrustedOrigin(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in trustedOriginBody
	if err := decodeValid(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withTrustedOrigin(r, true, func(st *State, t *TrustedOrigin) error {
		if err := st.trustedOriginConflict(in.Name, in.Origin, t.ID); err != nil {
			return err
		}
		t.Name, t.Origin, t.Scopes = in.Name, in.Origin, in.scopeTypes()
		if in.Status == "ACTIVE" || in.Status == "INACTIVE" {
			t.Status = in.Status
		}
		t.LastUpdated = nowMillis(o)
		out = renderTrustedOrigin(base, st.adminID(), t)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) deleteTrustedOrigin(r *http.Request) (int, any, error) {
	err := o.withTrustedOrigin(r, true, func(st *State, t *TrustedOrigin) error {
		delete(st.TrustedOrigins, t.ID)
		return nil
	})
	return http.StatusNoContent, nil, err
}

func (o *Org) trustedOriginLifecycle(status string) apiHandler {
	return func(r *http.Request) (int, any, error) {
		base := o.baseURL(r)
		var out obj
		err := o.withTrustedOrigin(r, true, func(st *State, t *TrustedOrigin) error {
			t.Status, t.LastUpdated = status, nowMillis(o)
			out = renderTrustedOrigin(base, st.adminID(), t)
			return nil
		})
		return http.StatusOK, out, err
	}
}
