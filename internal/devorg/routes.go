package devorg

import (
	"net/http"
	"path"
	"strings"
)

// routes builds the org's handler: the management API, the OAuth endpoints,
// Okta's 404 for anything else, all wrapped in the middleware that adds
// Okta's headers and the test knobs (latency, rate limit, faults).
func (o *Org) routes() http.Handler {
	mux := http.NewServeMux()
	o.managementRoutes(mux) // management.go and the files it names
	o.oauthRoutes(mux)      // oauth.go and the files it names
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, errNotFound(r.URL.Path))
	})
	return o.middleware(mux)
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
