package devorg

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"slices"
	"strings"
)

func (o *Org) appRoutes(mux *http.ServeMux) {
	const app = "/api/v1/apps/{appId}"
	mux.HandleFunc("POST /api/v1/apps", o.api(o.createApp))
	mux.HandleFunc("GET /api/v1/apps", o.api(o.listApps))
	mux.HandleFunc("GET "+app, o.api(o.getApp))
	mux.HandleFunc("PUT "+app, o.api(o.updateApp))
	mux.HandleFunc("DELETE "+app, o.api(o.deleteApp))
	mux.HandleFunc("POST "+app+"/lifecycle/activate", o.api(o.appLifecycle("ACTIVE")))
	mux.HandleFunc("POST "+app+"/lifecycle/deactivate", o.api(o.appLifecycle("INACTIVE")))

	const secrets = app + "/credentials/secrets"
	mux.HandleFunc("GET "+secrets, o.api(o.listSecrets))
	mux.HandleFunc("POST "+secrets, o.api(o.createSecret))
	mux.HandleFunc("GET "+secrets+"/{secretId}", o.api(o.getSecret))
	mux.HandleFunc("DELETE "+secrets+"/{secretId}", o.api(o.deleteSecret))
	mux.HandleFunc("POST "+secrets+"/{secretId}/lifecycle/activate", o.api(o.secretLifecycle("ACTIVE")))
	mux.HandleFunc("POST "+secrets+"/{secretId}/lifecycle/deactivate", o.api(o.secretLifecycle("INACTIVE")))

	mux.HandleFunc("GET "+app+"/groups", o.api(o.listAppGroups))
	mux.HandleFunc("GET "+app+"/groups/{groupId}", o.api(o.getAppGroup))
	mux.HandleFunc("PUT "+app+"/groups/{groupId}", o.api(o.assignAppGroup))
	mux.HandleFunc("DELETE "+app+"/groups/{groupId}", o.api(o.unassignAppGroup))

	mux.HandleFunc("GET "+app+"/users", o.api(o.listAppUsers))
	mux.HandleFunc("POST "+app+"/users", o.api(o.assignAppUser))
	mux.HandleFunc("GET "+app+"/users/{userId}", o.api(o.getAppUser))
	mux.HandleFunc("DELETE "+app+"/users/{userId}", o.api(o.unassignAppUser))
}

// oauthClientSettings is settings.oauthClient of an OIDC app.
type oauthClientSettings struct {
	RedirectURIs           []string `json:"redirect_uris"`
	PostLogoutRedirectURIs []string `json:"post_logout_redirect_uris"`
	ResponseTypes          []string `json:"response_types"`
	GrantTypes             []string `json:"grant_types"`
	ApplicationType        string   `json:"application_type"`
	ConsentMethod          string   `json:"consent_method"`
	InitiateLoginURI       string   `json:"initiate_login_uri"`
	IssuerMode             string   `json:"issuer_mode"`
}

type appBody struct {
	Name            string          `json:"name"`
	Label           string          `json:"label"`
	SignOnMode      string          `json:"signOnMode"`
	Credentials     *appCredentials `json:"credentials"`
	Settings        map[string]any  `json:"settings"`
	Profile         map[string]any  `json:"profile"`
	UniversalLogout map[string]any  `json:"universalLogout"`
}

// appCredentials is the credentials of an app body.
type appCredentials struct {
	OAuthClient map[string]any `json:"oauthClient"`
}

// oauthClientCredentials is what the org interprets of
// credentials.oauthClient of an OIDC app body.
type oauthClientCredentials struct {
	ClientID                string `json:"client_id"`
	TokenEndpointAuthMethod string `json:"token_endpoint_auth_method"`
	ClientSecret            string `json:"client_secret"`
	PKCERequired            *bool  `json:"pkce_required"`
}

// interpretedOAuthSettings and interpretedOAuthCredentials are the keys
// of settings.oauthClient and credentials.oauthClient that the org reads;
// every other key is kept as sent.
var (
	interpretedOAuthSettings    = []string{"redirect_uris", "post_logout_redirect_uris", "response_types", "grant_types", "application_type", "consent_method", "initiate_login_uri", "issuer_mode"}
	interpretedOAuthCredentials = []string{"client_id", "token_endpoint_auth_method", "client_secret", "pkce_required"}
)

// remarshal copies raw (decoded JSON) into v.
func remarshal(raw any, v any) error {
	bs, _ := json.Marshal(raw)
	return json.Unmarshal(bs, v)
}

// uninterpreted returns the keys of m that are not in known, or nil.
func uninterpreted(m map[string]any, known []string) map[string]any {
	var out map[string]any
	for k, v := range m {
		if !slices.Contains(known, k) {
			if out == nil {
				out = map[string]any{}
			}
			out[k] = v
		}
	}
	return out
}

// oauthSettings reads settings.oauthClient.
func (b *appBody) oauthSettings() (oauthClientSettings, map[string]any, error) {
	var s oauthClientSettings
	raw, ok := b.Settings["oauthClient"]
	if !ok || raw == nil {
		return s, nil, nil
	}
	var m map[string]any
	if err := remarshal(raw, &s); err != nil || remarshal(raw, &m) != nil {
		return s, nil, errValidation("settings", "settings.oauthClient: must be an object with Okta's field types")
	}
	return s, uninterpreted(m, interpretedOAuthSettings), nil
}

// oauthCredentials reads credentials.oauthClient.
func (b *appBody) oauthCredentials() (oauthClientCredentials, map[string]any, error) {
	var c oauthClientCredentials
	if b.Credentials == nil || b.Credentials.OAuthClient == nil {
		return c, nil, nil
	}
	if err := remarshal(b.Credentials.OAuthClient, &c); err != nil {
		return c, nil, errValidation("credentials", "credentials.oauthClient: must be an object with Okta's field types")
	}
	return c, uninterpreted(b.Credentials.OAuthClient, interpretedOAuthCredentials), nil
}

// serviceGrantTypes are the grant types Okta lets a service app have
// beside client_credentials, which it must have.
var serviceGrantTypes = []string{"client_credentials", "implicit", "urn:ietf:params:oauth:grant-type:token-exchange", "urn:ietf:params:oauth:grant-type:saml2-bearer"}

// apply validates an OIDC app body as Okta does and copies it into a.
// Okta accepts any app name (an OIN catalog name included), a secret for
// any application type, and implicit beside client_credentials for a
// service app (issue 11, seen with real clients); it refuses what apply
// refuses.
func (b *appBody) apply(a *App) error {
	if b.SignOnMode != "OPENID_CONNECT" {
		return errValidation("signOnMode", "signOnMode: the local org supports OPENID_CONNECT apps only")
	}
	if b.Name == "" {
		b.Name = "oidc_client"
	}
	if strings.TrimSpace(b.Label) == "" {
		return errBlank("label")
	}
	s, settingsRest, err := b.oauthSettings()
	if err != nil {
		return err
	}
	creds, credsRest, err := b.oauthCredentials()
	if err != nil {
		return err
	}
	if s.ApplicationType == "" {
		s.ApplicationType = "web"
	}
	if !slices.Contains([]string{"web", "service", "browser", "native"}, s.ApplicationType) {
		return errValidation("settings", "settings.oauthClient.application_type: must be web, service, browser or native")
	}
	if len(s.GrantTypes) == 0 {
		s.GrantTypes = []string{"authorization_code"}
		if s.ApplicationType == "service" {
			s.GrantTypes = []string{"client_credentials"}
		}
	}
	for _, g := range s.GrantTypes {
		if !slices.Contains([]string{"authorization_code", "implicit", "password", "refresh_token", "client_credentials",
			"urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:token-exchange", "urn:ietf:params:oauth:grant-type:saml2-bearer"}, g) {
			return errValidation("settings", "settings.oauthClient.grant_types: unknown grant type "+g)
		}
	}
	if s.ApplicationType == "service" {
		if !slices.Contains(s.GrantTypes, "client_credentials") {
			return errValidation("settings", "settings.oauthClient.grant_types: Client Credentials flow must be enabled for a service application")
		}
		for _, g := range s.GrantTypes {
			if !slices.Contains(serviceGrantTypes, g) {
				return errValidation("settings", "settings.oauthClient.grant_types: "+g+" is not allowed for a service application")
			}
		}
	}
	if s.ApplicationType == "web" && !slices.Contains(s.GrantTypes, "authorization_code") {
		// Okta's apps reference: a web app must have at least
		// authorization_code; its DCR answers this very sentence.
		return errValidation("settings", "'grant_types' must contain 'authorization_code' when 'application_type' is 'web'.")
	}
	if s.ApplicationType == "browser" && slices.Contains(s.GrantTypes, "client_credentials") {
		return errValidation("settings", "settings.oauthClient.grant_types: Client Credentials flow is not allowed for a browser application")
	}
	if (slices.Contains(s.GrantTypes, "authorization_code") || slices.Contains(s.GrantTypes, "implicit")) && len(s.RedirectURIs) == 0 {
		return errValidation("settings", "settings.oauthClient.redirect_uris: The field cannot be left blank")
	}
	if len(s.ResponseTypes) == 0 {
		switch {
		case slices.Contains(s.GrantTypes, "authorization_code"):
			s.ResponseTypes = []string{"code"}
		case s.ApplicationType == "service":
			s.ResponseTypes = []string{"token"}
		}
	}
	if s.ConsentMethod == "" {
		s.ConsentMethod = "TRUSTED"
	}
	if s.IssuerMode == "" {
		s.IssuerMode = "ORG_URL"
	}
	method := creds.TokenEndpointAuthMethod
	if method == "" {
		method = "client_secret_basic"
		if s.ApplicationType == "browser" {
			method = "none"
		}
	}
	if !slices.Contains([]string{"client_secret_basic", "client_secret_post", "client_secret_jwt", "private_key_jwt", "none"}, method) {
		return errValidation("credentials", "credentials.oauthClient.token_endpoint_auth_method: unknown method "+method)
	}
	if (s.ApplicationType == "web" || s.ApplicationType == "service") && method == "none" {
		return errValidation("credentials", "credentials.oauthClient.token_endpoint_auth_method: none is allowed for browser and native applications only")
	}
	a.Name, a.Label, a.SignOnMode = b.Name, b.Label, "OPENID_CONNECT"
	a.ApplicationType, a.GrantTypes, a.ResponseTypes = s.ApplicationType, s.GrantTypes, s.ResponseTypes
	a.RedirectURIs, a.PostLogoutRedirectURIs, a.InitiateLoginURI = s.RedirectURIs, s.PostLogoutRedirectURIs, s.InitiateLoginURI
	a.ConsentMethod, a.IssuerMode, a.TokenEndpointAuthMethod = s.ConsentMethod, s.IssuerMode, method
	a.OAuthClientSettings, a.OAuthClientCredentials = settingsRest, credsRest
	a.Profile, a.UniversalLogout = b.Profile, b.UniversalLogout
	a.PKCERequired = s.ApplicationType == "browser" || s.ApplicationType == "native"
	if creds.PKCERequired != nil {
		a.PKCERequired = *creds.PKCERequired
	}
	rest := map[string]any{}
	for k, v := range b.Settings {
		if k != "oauthClient" {
			rest[k] = v
		}
	}
	a.Settings = rest
	return nil
}

// usesSecret reports whether the app authenticates with a client secret.
func (a *App) usesSecret() bool {
	return strings.HasPrefix(a.TokenEndpointAuthMethod, "client_secret")
}

// activeSecret returns the app's newest ACTIVE client secret, or nil for
// an app that does not use one.
func (a *App) activeSecret() *ClientSecret {
	if !a.usesSecret() {
		return nil
	}
	for i := len(a.Secrets) - 1; i >= 0; i-- {
		if a.Secrets[i].Status == "ACTIVE" {
			return a.Secrets[i]
		}
	}
	return nil
}

// addSecretLocked gives a a new ACTIVE client secret (value, if given, or
// a random one). Call with o.mu held.
func (o *Org) addSecretLocked(a *App, value string) *ClientSecret {
	if value == "" {
		value = randomToken(64)
	}
	s := &ClientSecret{Meta: o.nextMeta(prefixSecret, "ACTIVE"), Secret: value}
	a.Secrets = append(a.Secrets, s)
	return s
}

func orEmptyList(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}

// The ids of the org's default app sign-on and profile enrollment
// policies, which the org names in links but does not model.
const (
	accessPolicyID            = "rstdevorgaccess00001"
	profileEnrollmentPolicyID = "rstdevorgenroll00001"
)

// appSigningKID is the kid Okta shows for an app's (SAML/JWT) signing
// key; OIDC clients here never sign, so it is derived from the app id.
func appSigningKID(a *App) string {
	sum := sha256.Sum256([]byte("app-signing-" + a.ID))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// renderApp answers an OIDC app as Okta does (as GET /api/v1/apps/{id}).
func renderApp(base string, a *App) obj {
	self := base + "/api/v1/apps/" + a.ID
	links := obj{
		"uploadLogo":        linkAllow(self+"/logo", "POST"),
		"appLinks":          []obj{{"name": "oidc_client_link", "href": base + "/home/oidc_client/" + a.ID + "/aln" + a.ID[3:], "type": "text/html"}},
		"policies":          linkAllow(self+"/policies", "PUT"),
		"groups":            link(self + "/groups"),
		"logo":              []obj{{"name": "medium", "href": base + "/assets/img/logos/default.png", "type": "image/png"}},
		"clientCredentials": []obj{{"name": "secrets", "href": self + "/credentials/secrets"}},
		"users":             link(self + "/users"),
		"accessPolicy":      link(base + "/api/v1/policies/" + accessPolicyID),
		"profileEnrollment": link(base + "/api/v1/policies/" + profileEnrollmentPolicyID),
	}
	if a.Status == "ACTIVE" {
		links["deactivate"] = link(self + "/lifecycle/deactivate")
	} else {
		links["activate"] = link(self + "/lifecycle/activate")
	}
	issuerMode := a.IssuerMode
	if issuerMode == "" {
		issuerMode = "ORG_URL"
	}
	consent := a.ConsentMethod
	if consent == "" {
		consent = "TRUSTED"
	}
	oauthClient := obj{
		"client_uri":               nil,
		"logo_uri":                 nil,
		"redirect_uris":            orEmptyList(a.RedirectURIs),
		"response_types":           orEmptyList(a.ResponseTypes),
		"grant_types":              orEmptyList(a.GrantTypes),
		"application_type":         a.ApplicationType,
		"consent_method":           consent,
		"issuer_mode":              issuerMode,
		"idp_initiated_login":      obj{"mode": "DISABLED", "default_scope": []string{}},
		"wildcard_redirect":        "DISABLED",
		"dpop_bound_access_tokens": false,
		"participate_slo":          false,
	}
	for k, v := range a.OAuthClientSettings {
		oauthClient[k] = v
	}
	if len(a.PostLogoutRedirectURIs) > 0 {
		oauthClient["post_logout_redirect_uris"] = a.PostLogoutRedirectURIs
	}
	if a.InitiateLoginURI != "" {
		oauthClient["initiate_login_uri"] = a.InitiateLoginURI
	}
	settings := obj{
		"app":                obj{},
		"notifications":      obj{"vpn": obj{"network": obj{"connection": "DISABLED"}, "message": nil, "helpUrl": nil}},
		"manualProvisioning": false,
		"implicitAssignment": false,
		"emOptInStatus":      "NONE",
		"notes":              obj{"admin": nil, "enduser": nil},
	}
	for k, v := range a.Settings {
		settings[k] = v
	}
	settings["oauthClient"] = oauthClient
	credentials := obj{
		"autoKeyRotation":            true,
		"client_id":                  a.ClientID(),
		"token_endpoint_auth_method": a.TokenEndpointAuthMethod,
		"pkce_required":              a.PKCERequired,
	}
	for k, v := range a.OAuthClientCredentials {
		credentials[k] = v
	}
	var universalLogout any
	if a.UniversalLogout != nil {
		universalLogout = a.UniversalLogout
	}
	out := obj{
		"id":            a.ID,
		"orn":           "orn:okta:idp:devorg:apps:oidc_client:" + a.ID,
		"name":          a.Name,
		"label":         a.Label,
		"status":        a.Status,
		"lastUpdated":   oktaTime(a.LastUpdated),
		"created":       oktaTime(a.Created),
		"accessibility": obj{"selfService": false, "errorRedirectUrl": nil, "loginRedirectUrl": nil},
		"visibility": obj{"autoLaunch": false, "autoSubmitToolbar": false, "hide": obj{"iOS": true, "web": true},
			"appLinks": obj{"oidc_client_link": true}},
		"features":   []string{},
		"signOnMode": a.SignOnMode,
		"credentials": obj{
			"userNameTemplate": obj{"template": "${source.login}", "type": "BUILT_IN"},
			"signing":          obj{"kid": appSigningKID(a)},
			"oauthClient":      credentials,
		},
		"universalLogout": universalLogout,
		"settings":        settings,
		"_links":          links,
	}
	if a.Profile != nil {
		out["profile"] = a.Profile
	}
	return out
}

func (o *Org) createApp(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in appBody
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.update(func(st *State) error {
		a, secret, err := o.createOIDCAppLocked(st, &in, queryBool(r, "activate", true))
		if err != nil {
			return err
		}
		out = renderApp(base, a)
		if secret != nil {
			// Only the create answer carries the secret, as in Okta.
			out["credentials"].(obj)["oauthClient"].(obj)["client_secret"] = secret.Secret
		}
		return nil
	})
	return http.StatusOK, out, err
}

// createOIDCAppLocked validates an OIDC app body as Okta does and adds the
// app (ACTIVE if activate) with a client secret when its token endpoint
// auth method needs one. Dynamic client registration uses it too. Call
// with o.mu held (inside o.update).
func (o *Org) createOIDCAppLocked(st *State, in *appBody, activate bool) (*App, *ClientSecret, error) {
	a := &App{Meta: o.nextMeta(prefixApp, "INACTIVE"), Groups: map[string]*AppGroupAssignment{}, Users: map[string]*Meta{}}
	if err := in.apply(a); err != nil {
		return nil, nil, err
	}
	if activate {
		a.Status = "ACTIVE"
	}
	creds, _, _ := in.oauthCredentials() // apply has checked it
	if creds.ClientID != "" && creds.ClientID != a.ID {
		if st.appByClientID(creds.ClientID) != nil || st.Apps[creds.ClientID] != nil {
			return nil, nil, errExists("client_id")
		}
		a.CustomClientID = creds.ClientID
	}
	var secret *ClientSecret
	if a.usesSecret() {
		secret = o.addSecretLocked(a, creds.ClientSecret)
	}
	st.Apps[a.ID] = a
	return a, secret, nil
}

func (o *Org) listApps(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	q := r.URL.Query().Get("q")
	var rendered []obj
	assigned := map[string]struct{ groups, users []string }{}
	o.view(func(st *State) {
		for _, a := range sortedBySeq(st.Apps, func(a *App) int64 { return a.Seq }) {
			if q != "" && !startsWithFold(a.Name, q) && !startsWithFold(a.Label, q) {
				continue
			}
			rendered = append(rendered, renderApp(base, a))
			var groups, users []string
			for gid := range a.Groups {
				groups = append(groups, gid)
			}
			for uid := range st.Users {
				if st.userAssignedToApp(uid, a) {
					users = append(users, uid)
				}
			}
			assigned[a.ID] = struct{ groups, users []string }{groups, users}
		}
	})
	items, err := filterObjs(r, rendered, func(it obj, path string) (any, bool) {
		switch path {
		case "group.id":
			return assigned[idOfObj(it)].groups, true
		case "user.id":
			return assigned[idOfObj(it)].users, true
		}
		return nil, false
	})
	if err != nil {
		return 0, nil, err
	}
	page, err := paginate(r, base, items, idOfObj, 20, 200)
	return http.StatusOK, page, err
}

// withApp runs fn on the request's app under the lock, for reading or for
// a change.
func (o *Org) withApp(r *http.Request, update bool, fn func(st *State, a *App) error) error {
	return o.locked(update, func(st *State) error {
		return withNamed(r, "appId", st.Apps, func(a *App) error { return fn(st, a) })
	})
}

func (o *Org) getApp(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	err := o.withApp(r, false, func(_ *State, a *App) error {
		out = renderApp(base, a)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) updateApp(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in appBody
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withApp(r, true, func(_ *State, a *App) error {
		next := *a
		if err := in.apply(&next); err != nil {
			return err
		}
		*a = next
		if a.usesSecret() && len(a.Secrets) == 0 {
			o.addSecretLocked(a, "")
		}
		a.LastUpdated = nowMillis(o)
		out = renderApp(base, a)
		if secret := a.activeSecret(); secret != nil {
			// Okta's PUT answer carries the client secret too.
			out["credentials"].(obj)["oauthClient"].(obj)["client_secret"] = secret.Secret
		}
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) deleteApp(r *http.Request) (int, any, error) {
	err := o.withApp(r, true, func(st *State, a *App) error {
		if a.Status == "ACTIVE" {
			return newAPIError(http.StatusForbidden, "E0000056", "Delete application forbidden.", "The application must be deactivated before it can be deleted.")
		}
		delete(st.Apps, a.ID)
		return nil
	})
	return http.StatusNoContent, nil, err
}

func (o *Org) appLifecycle(status string) apiHandler {
	return func(r *http.Request) (int, any, error) {
		err := o.withApp(r, true, func(_ *State, a *App) error {
			a.Status, a.LastUpdated = status, nowMillis(o)
			return nil
		})
		return http.StatusOK, obj{}, err
	}
}

// --- client secrets

func renderSecret(base string, a *App, s *ClientSecret) obj {
	self := base + "/api/v1/apps/" + a.ID + "/credentials/secrets/" + s.ID
	links := obj{}
	if s.Status == "ACTIVE" {
		links["deactivate"] = linkAllow(self+"/lifecycle/deactivate", "POST")
	} else {
		links["activate"] = linkAllow(self+"/lifecycle/activate", "POST")
		links["delete"] = linkAllow(self, "DELETE")
	}
	sum := sha256.Sum256([]byte(s.Secret))
	return obj{
		"id":            s.ID,
		"created":       oktaTime(s.Created),
		"lastUpdated":   oktaTime(s.LastUpdated),
		"status":        s.Status,
		"client_secret": s.Secret,
		"secret_hash":   base64.RawURLEncoding.EncodeToString(sum[:16]),
		"_links":        links,
	}
}

func (o *Org) listSecrets(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	out := []obj{}
	err := o.withApp(r, false, func(_ *State, a *App) error {
		for _, s := range a.Secrets {
			out = append(out, renderSecret(base, a, s))
		}
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) createSecret(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in struct {
		ClientSecret string `json:"client_secret"`
	}
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withApp(r, true, func(_ *State, a *App) error {
		if !a.usesSecret() {
			return errValidation("client_secret", "client_secret: The app does not use a client secret")
		}
		if len(a.Secrets) >= 2 {
			return errValidation("client_secret", "client_secret: You can only have two client secrets at a time")
		}
		out = renderSecret(base, a, o.addSecretLocked(a, in.ClientSecret))
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) withSecret(r *http.Request, update bool, fn func(a *App, i int, s *ClientSecret) error) error {
	return o.withApp(r, update, func(_ *State, a *App) error {
		for i, s := range a.Secrets {
			if s.ID == r.PathValue("secretId") {
				return fn(a, i, s)
			}
		}
		return errNotFound(r.PathValue("secretId"))
	})
}

func (o *Org) getSecret(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	err := o.withSecret(r, false, func(a *App, _ int, s *ClientSecret) error {
		out = renderSecret(base, a, s)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) deleteSecret(r *http.Request) (int, any, error) {
	err := o.withSecret(r, true, func(a *App, i int, s *ClientSecret) error {
		if s.Status == "ACTIVE" {
			return errValidation("status", "status: An active client secret cannot be deleted; deactivate it first")
		}
		a.Secrets = append(a.Secrets[:i], a.Secrets[i+1:]...)
		return nil
	})
	return http.StatusNoContent, nil, err
}

func (o *Org) secretLifecycle(status string) apiHandler {
	return func(r *http.Request) (int, any, error) {
		base := o.baseURL(r)
		var out obj
		err := o.withSecret(r, true, func(a *App, _ int, s *ClientSecret) error {
			if status == "INACTIVE" && s.Status == "ACTIVE" {
				active := 0
				for _, other := range a.Secrets {
					if other.Status == "ACTIVE" {
						active++
					}
				}
				if active < 2 {
					return errValidation("status", "status: The last active client secret cannot be deactivated")
				}
			}
			s.Status, s.LastUpdated = status, nowMillis(o)
			out = renderSecret(base, a, s)
			return nil
		})
		return http.StatusOK, out, err
	}
}

// --- group assignments

func renderAppGroup(base string, a *App, g *AppGroupAssignment) obj {
	profile := g.Profile
	if profile == nil {
		profile = map[string]any{}
	}
	return obj{
		"id":          g.ID,
		"lastUpdated": oktaTime(g.LastUpdated),
		"priority":    g.Priority,
		"profile":     profile,
		"_links": obj{
			"app":   link(base + "/api/v1/apps/" + a.ID),
			"self":  link(base + "/api/v1/apps/" + a.ID + "/groups/" + g.ID),
			"group": link(base + "/api/v1/groups/" + g.ID),
		},
	}
}

func (o *Org) listAppGroups(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var items []any
	err := o.withApp(r, false, func(_ *State, a *App) error {
		for _, g := range sortedBySeq(a.Groups, func(g *AppGroupAssignment) int64 { return g.Seq }) {
			items = append(items, renderAppGroup(base, a, g))
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	page, err := paginate(r, base, items, idOfObj, 20, 200)
	return http.StatusOK, page, err
}

func (o *Org) getAppGroup(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	err := o.withApp(r, false, func(_ *State, a *App) error {
		return withNamed(r, "groupId", a.Groups, func(g *AppGroupAssignment) error {
			out = renderAppGroup(base, a, g)
			return nil
		})
	})
	return http.StatusOK, out, err
}

func (o *Org) assignAppGroup(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in struct {
		Priority *int           `json:"priority"`
		Profile  map[string]any `json:"profile"`
	}
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withApp(r, true, func(st *State, a *App) error {
		gid := r.PathValue("groupId")
		if _, ok := st.Groups[gid]; !ok {
			return errNotFound(gid)
		}
		g, ok := a.Groups[gid]
		if !ok {
			m := o.nextMeta("", "")
			m.ID = gid
			g = &AppGroupAssignment{Meta: m}
			a.Groups[gid] = g
		}
		if in.Priority != nil {
			g.Priority = *in.Priority
		}
		if in.Profile != nil {
			g.Profile = in.Profile
		}
		g.LastUpdated = nowMillis(o)
		out = renderAppGroup(base, a, g)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) unassignAppGroup(r *http.Request) (int, any, error) {
	err := o.withApp(r, true, func(_ *State, a *App) error {
		gid := r.PathValue("groupId")
		if _, ok := a.Groups[gid]; !ok {
			return errNotFound(gid)
		}
		delete(a.Groups, gid)
		return nil
	})
	return http.StatusNoContent, nil, err
}

// --- user assignments

func renderAppUser(base string, a *App, m *Meta, u *User) obj {
	first, _ := u.Profile["firstName"].(string)
	last, _ := u.Profile["lastName"].(string)
	return obj{
		"id":              u.ID,
		"externalId":      nil,
		"created":         oktaTime(m.Created),
		"lastUpdated":     oktaTime(m.LastUpdated),
		"scope":           "USER",
		"status":          "ACTIVE",
		"statusChanged":   oktaTime(m.Created),
		"passwordChanged": nil,
		"syncState":       "DISABLED",
		"credentials":     obj{"userName": u.Login()},
		"profile": obj{
			"given_name": first, "family_name": last, "name": strings.TrimSpace(first + " " + last),
			"email": u.Profile["email"], "locale": "en_US", "zoneinfo": "America/Los_Angeles",
			"street_address": nil, "country": nil, "website": nil, "birthdate": nil, "gender": nil,
			"formatted": nil, "profile": nil, "locality": nil, "middle_name": nil, "picture": nil,
			"nickname": nil, "phone_number": nil, "region": nil, "postal_code": nil,
		},
		"_links": obj{
			"app":  link(base + "/api/v1/apps/" + a.ID),
			"user": link(base + "/api/v1/users/" + u.ID),
		},
	}
}

func (o *Org) listAppUsers(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var items []any
	err := o.withApp(r, false, func(st *State, a *App) error {
		for _, m := range sortedBySeq(a.Users, func(m *Meta) int64 { return m.Seq }) {
			if u, ok := st.Users[m.ID]; ok {
				items = append(items, renderAppUser(base, a, m, u))
			}
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	page, err := paginate(r, base, items, idOfObj, 50, 500)
	return http.StatusOK, page, err
}

func (o *Org) getAppUser(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	err := o.withApp(r, false, func(st *State, a *App) error {
		m, ok := a.Users[r.PathValue("userId")]
		u := st.Users[r.PathValue("userId")]
		if !ok || u == nil {
			return errNotFound(r.PathValue("userId"))
		}
		out = renderAppUser(base, a, m, u)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) assignAppUser(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in struct {
		ID string `json:"id"`
	}
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withApp(r, true, func(st *State, a *App) error {
		u, ok := st.Users[in.ID]
		if !ok {
			return errNotFound(in.ID)
		}
		m, ok := a.Users[u.ID]
		if !ok {
			mm := o.nextMeta("", "ACTIVE")
			mm.ID = u.ID
			m = &mm
			a.Users[u.ID] = m
		}
		out = renderAppUser(base, a, m, u)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) unassignAppUser(r *http.Request) (int, any, error) {
	err := o.withApp(r, true, func(_ *State, a *App) error {
		uid := r.PathValue("userId")
		if _, ok := a.Users[uid]; !ok {
			return errNotFound(uid)
		}
		delete(a.Users, uid)
		return nil
	})
	return http.StatusNoContent, nil, err
}

// userAssignedToApp reports whether the user is assigned to the app,
// directly or through one of its groups (Everyone included).
func (st *State) userAssignedToApp(userID string, app *App) bool {
	if _, ok := app.Users[userID]; ok {
		return true
	}
	for _, gid := range st.groupIDsOf(userID) {
		if _, ok := app.Groups[gid]; ok {
			return true
		}
	}
	return false
}
