package devorg

import (
	"html/template"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"
)

// sessionCookie is the org session cookie the sign-in page sets, so that a
// second authorize request is answered without a page. Okta calls it "sid";
// cookies ignore ports, so a local org and an app on the same loopback host
// would share a "sid": the org's has its own name.
const sessionCookie = "devorg_sid"

// Session lifetimes: a browser session, and a sessionToken from
// /api/v1/authn (one use).
const (
	browserSessionLifetime = 2 * time.Hour
	sessionTokenLifetime   = 5 * time.Minute
)

// signInPage is the first page a newcomer sees: styled like the web app
// (internal/webapp), with no external asset. The cursor starts in the
// username field, or in the password field when the username is filled
// in (login_hint, or a failed attempt).
var signInPage = template.Must(template.New("signin").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Sign In</title>
<style>
body{font-family:system-ui,sans-serif;color:#222;background:#f6f7f9;margin:0;padding:0 1em}
main{max-width:22em;margin:4em auto;background:#fff;border:1px solid #ddd;border-radius:6px;padding:1.5em 1.8em 1.8em;box-shadow:0 1px 3px rgba(0,0,0,.06)}
h1{margin:0 0 .2em;font-size:1.6em} .sub{color:#666;margin-top:0}
label{display:block;margin:1em 0 .3em;font-weight:600}
input[type=text],input[type=password]{box-sizing:border-box;width:100%;font-size:1em;padding:.5em .6em;border:1px solid #aaa;border-radius:4px}
input:focus{outline:2px solid #5b8def;outline-offset:1px;border-color:#5b8def}
button{margin-top:1.4em;width:100%;font-size:1em;padding:.6em 1em;border-radius:4px;border:1px solid #888;background:#f4f4f4;cursor:pointer}
button:hover{background:#e8e8ee}
.notice{padding:.8em 1em;border-radius:4px;margin:1em 0}
.notice.error{background:#fde8e8;border:1px solid #e0a0a0} .notice p{margin:0}
.note{color:#666;font-size:.9em;margin-top:1.4em}
</style>
</head>
<body>
<main>
<h1>Sign In</h1>
<p class="sub">Local Okta-compatible org</p>
{{if .Error}}<div class="notice error"><p class="error" id="signin-error" role="alert">{{.Error}}</p></div>{{end}}
<form method="post" action="{{.Action}}" id="signin-form">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<label for="username">Username</label><input type="text" name="username" id="username" value="{{.Username}}" autocomplete="username"{{if not .Username}} autofocus{{end}}>
<label for="password">Password</label><input type="password" name="password" id="password" autocomplete="current-password"{{if .Username}} autofocus{{end}}>
<button type="submit" id="signin-submit">Sign In</button>
</form>
<p class="note">Users and passwords are the local org's own; nothing here reaches a real Okta org.</p>
</main>
</body>
</html>
`))

var formPostPage = template.Must(template.New("form_post").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Submit This Form</title></head>
<body onload="document.forms[0].submit()">
<form method="post" action="{{.Action}}">
{{range .Hidden}}<input type="hidden" name="{{.Name}}" value="{{.Value}}">
{{end}}<noscript><button type="submit">Continue</button></noscript>
</form>
</body>
</html>
`))

var messagePage = template.Must(template.New("message").Parse(`<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>{{if .Code}}Error{{else}}Local Okta org{{end}}</title></head>
<body>
{{if .Code}}<h1>Error</h1>
<p id="error-code">{{.Code}}</p>{{end}}
<p id="error-description">{{.Description}}</p>
</body>
</html>
`))

type hiddenField struct{ Name, Value string }

// hiddenFields turns form values into hidden inputs, in a stable order.
func hiddenFields(v url.Values) []hiddenField {
	var out []hiddenField
	for name, vals := range v {
		for _, val := range vals {
			out = append(out, hiddenField{name, val})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// showSignIn answers the sign-in page for an authorize request; the form
// posts back to the authorize endpoint with the request's parameters.
func showSignIn(w http.ResponseWriter, r *http.Request, username, errMsg string) {
	params := url.Values{}
	for k, v := range r.Form {
		switch k {
		case "username", "password", "sessionToken":
		default:
			params[k] = v
		}
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_ = signInPage.Execute(w, map[string]any{
		"Action": r.URL.Path, "Hidden": hiddenFields(params), "Username": username, "Error": errMsg,
	})
}

// oauthErrorPage answers an HTML page (an error when code is set).
func oauthErrorPage(w http.ResponseWriter, status int, code, description string) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = messagePage.Execute(w, map[string]string{"Code": code, "Description": description})
}

// addParams appends params to uri, in its query (sep "?") or its fragment
// (sep "#").
func addParams(uri, sep string, params map[string]string) string {
	v := url.Values{}
	for k, val := range params {
		if val != "" {
			v.Set(k, val)
		}
	}
	if sep == "?" && strings.Contains(uri, "?") {
		sep = "&"
	}
	return uri + sep + v.Encode()
}

// respondToClient sends the authorize result (code or error, with state)
// to the redirect URI in the response mode asked for.
func respondToClient(w http.ResponseWriter, r *http.Request, redirectURI, mode string, params map[string]string) {
	switch mode {
	case "form_post":
		v := url.Values{}
		for k, val := range params {
			if val != "" {
				v.Set(k, val)
			}
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		w.WriteHeader(http.StatusOK)
		_ = formPostPage.Execute(w, map[string]any{"Action": redirectURI, "Hidden": hiddenFields(v)})
	case "fragment":
		http.Redirect(w, r, addParams(redirectURI, "#", params), http.StatusFound)
	default:
		http.Redirect(w, r, addParams(redirectURI, "?", params), http.StatusFound)
	}
}

// signInUser returns the ACTIVE user with this login (case-insensitive) and
// password, or nil. Call with o.mu held.
func (st *State) signInUser(login, password string) *User {
	if u := st.userByLogin(login); u != nil && u.Status == "ACTIVE" && checkPassword(u, password) {
		return u
	}
	return nil
}

// newSessionLocked records a sign-in session for user and returns it. Call
// with o.mu held.
func (o *Org) newSessionLocked(st *State, userID string, oneTime bool, authTime time.Time) *SignInSession {
	now := o.now()
	life := browserSessionLifetime
	if oneTime {
		life = sessionTokenLifetime
	}
	for tok, s := range st.Sessions {
		if !now.Before(s.Expires) {
			delete(st.Sessions, tok)
		}
	}
	s := &SignInSession{Token: randomToken(40), UserID: userID, Expires: now.Add(life), OneTime: oneTime, AuthTime: authTime}
	st.Sessions[s.Token] = s
	return s
}

func setSessionCookie(w http.ResponseWriter, r *http.Request, s *SignInSession) {
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: s.Token, Path: "/", Expires: s.Expires,
		HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteLaxMode,
	})
}
