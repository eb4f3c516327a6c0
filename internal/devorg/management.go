package devorg

import "net/http"

// managementRoutes registers /api/v1. (Owned by the management-API work.)
func (o *Org) managementRoutes(mux *http.ServeMux) {}

// seed fills a fresh org: Everyone, the default authorization server.
func (o *Org) seed() error { return nil }
