package devorg

import "net/http"

// oauthRoutes registers /oauth2/... and /api/v1/authn. (Owned by the OAuth work.)
func (o *Org) oauthRoutes(mux *http.ServeMux) {}
