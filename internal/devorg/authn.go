package devorg

import (
	"encoding/json"
	"net/http"
)

// handleAuthn is POST /api/v1/authn: a primary authentication with a
// username and password that answers a one-time sessionToken, which
// /v1/authorize?sessionToken=... spends to sign the user in without a page.
// It needs no API token, as in Okta.
func (o *Org) handleAuthn(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Username string `json:"username"`
		Password string `json:"password"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		writeError(w, newAPIError(http.StatusBadRequest, "E0000003", "The request body was not well-formed."))
		return
	}
	base := o.baseURL(r)
	var resp map[string]any
	err := o.update(func(st *State) error {
		u := st.signInUser(body.Username, body.Password)
		if u == nil {
			return nil
		}
		now := o.now().UTC()
		sess := o.newSessionLocked(st, u.ID, true, now)
		last := now.Truncate(1e6)
		u.LastLogin = &last
		profile := map[string]any{}
		for _, k := range []string{"login", "firstName", "lastName", "locale", "timeZone"} {
			if v, ok := u.Profile[k]; ok {
				profile[k] = v
			}
		}
		user := map[string]any{"id": u.ID, "profile": profile}
		if u.PasswordChanged != nil {
			user["passwordChanged"] = oktaTime(*u.PasswordChanged)
		}
		resp = map[string]any{
			"expiresAt":    oktaTime(sess.Expires),
			"status":       "SUCCESS",
			"sessionToken": sess.Token,
			"_embedded":    map[string]any{"user": user},
			"_links": map[string]any{
				"cancel": map[string]any{"href": base + "/api/v1/authn/cancel", "hints": map[string]any{"allow": []string{"POST"}}},
			},
		}
		return nil
	})
	if err != nil {
		writeError(w, err)
		return
	}
	if resp == nil {
		writeError(w, newAPIError(http.StatusUnauthorized, "E0000004", "Authentication failed"))
		return
	}
	writeJSON(w, http.StatusOK, resp)
}
