package bootstrap

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// PasswordUnknownField is the field of a recorded user whose recorded
// password did not sign it in: the user was there before apicenter, with a
// password apicenter does not know. get-settings refuses to print it.
const PasswordUnknownField = "passwordUnknown"

// passwordSignsIn reports whether password signs login in, with Okta's
// primary authentication (POST /api/v1/authn): status SUCCESS, or a
// further factor asked for, means the password is right; 401 means it is
// not. A failure of the org is tried again twice, then returned.
func (r *run) passwordSignsIn(ctx context.Context, login, password string) (bool, error) {
	body, err := json.Marshal(map[string]string{"username": login, "password": password})
	if err != nil {
		return false, err
	}
	var last error
	for attempt := 0; attempt < 3; attempt++ {
		if attempt > 0 {
			time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
		}
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.client.OrgURL+"/api/v1/authn", bytes.NewReader(body))
		if err != nil {
			return false, err
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		resp, err := r.client.HTTP.Do(req)
		if err != nil {
			if ctx.Err() != nil {
				return false, ctx.Err()
			}
			last = err
			continue
		}
		var answer struct {
			Status string `json:"status"`
		}
		decodeErr := json.NewDecoder(resp.Body).Decode(&answer)
		resp.Body.Close()
		switch {
		case resp.StatusCode == http.StatusOK && decodeErr == nil && answer.Status != "":
			// SUCCESS, or MFA_REQUIRED, MFA_ENROLL, PASSWORD_EXPIRED...:
			// each comes only after a right password.
			return true, nil
		case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
			return false, nil
		}
		last = fmt.Errorf("POST /api/v1/authn answered %s", resp.Status)
	}
	return false, last
}
