package devorg

import (
	"net/http"
	"path"
	"strings"
)

// routes builds the org's handler: the management API, the OAuth endpoints,
// Okta's 405 for a wrong method and its 404 for anything else, all wrapped in the middleware that adds
// Okta's headers and the test knobs (latency, rate limit, faults).
func (o *Org) routes() http.Handler {
	mux := http.NewServeMux()
	o.managementRoutes(mux) // management.go and the files it names
	o.oauthRoutes(mux)      // oauth.go and the files it names
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if allow := allowedMethods(mux, r); len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, errMethodNotAllowed())
			return
		}
		writeError(w, errNotFound(r.URL.Path))
	})
	return o.middleware(mux)
}

// allowedMethods lists the methods the mux has a route for at r's path,
// when r's own method has none (Okta's 405 rather than its 404).
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		if m == r.Method {
			continue
		}
		other := r.WithContext(r.Context()) // a shallow copy
		other.Method = m
		if _, p := mux.Handler(other); p != "" && p != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}

// canonicalPath reports whether p is a clean path (no "//", "." or ".."
// element). The mux would answer any other path with a redirect and Go's
// HTML page; the org answers it Okta's 404 instead.
func canonicalPath(p string) bool {
	if p == "" || p[0] != '/' {
		return false
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c == p
}
