package webapp

import (
	"bytes"
	"encoding/json"
	"html/template"
	"net/http"
	"sort"
	"strings"
	"time"
)

// notice is a message on the page.
type notice struct {
	Kind   string // "info" or "error"
	Title  string
	Detail string
	Hint   string
}

func errorNotice(title, detail string) notice {
	return notice{Kind: "error", Title: title, Detail: detail}
}

// claim is one claim of a token, ready to show.
type claim struct {
	Name  string
	Value string
	Note  string // a readable date for time claims
}

// pageSettings are the settings the page shows: never a secret.
type pageSettings struct {
	Gateway, Issuer, Audience, GatewayURI string
}

// page is what the template shows.
type page struct {
	Cfg          pageSettings
	SignedInAs   string
	Username     string
	IDClaims     []claim
	AccessClaims []claim
	AccessOpaque bool
	AccessScopes []string
	Notice       notice
	Asked        string
	Result       table
}

// view builds the page for sess (which may be nil).
func (a *App) view(sess *session) page {
	v := page{Cfg: pageSettings{Gateway: a.cfg.Gateway, Issuer: a.cfg.Issuer, Audience: a.cfg.Audience, GatewayURI: a.cfg.GatewayURI}}
	if sess == nil {
		return v
	}
	a.sessions.with(func() {
		v.SignedInAs = sess.signedInAs
		if sess.signedInAs == "" {
			return
		}
		v.IDClaims = claimsList(sess.idClaims)
		v.AccessClaims = claimsList(sess.accessClaims)
		v.AccessOpaque = sess.accessToken != "" && sess.accessClaims == nil
		v.AccessScopes = scopesOf(sess.accessClaims)
		if u, ok := sess.accessClaims["sub"].(string); ok {
			v.Username = u
		} else if u, ok := sess.idClaims["preferred_username"].(string); ok {
			v.Username = u
		}
	})
	return v
}

func (a *App) viewWith(sess *session, n notice) page {
	v := a.view(sess)
	v.Notice = n
	return v
}

func scopesOf(claims map[string]any) []string {
	switch s := claims["scp"].(type) {
	case []any:
		var out []string
		for _, e := range s {
			if str, ok := e.(string); ok {
				out = append(out, str)
			}
		}
		return out
	case string:
		return strings.Fields(s)
	}
	if s, ok := claims["scope"].(string); ok {
		return strings.Fields(s)
	}
	return nil
}

func claimsList(m map[string]any) []claim {
	var out []claim
	for k, v := range m {
		c := claim{Name: k}
		switch t := v.(type) {
		case string:
			c.Value = t
		case float64:
			b, _ := json.Marshal(t)
			c.Value = string(b)
			if k == "exp" || k == "iat" || k == "nbf" || k == "auth_time" {
				c.Note = time.Unix(int64(t), 0).UTC().Format(time.RFC3339)
			}
		default:
			b, _ := json.Marshal(t)
			c.Value = string(b)
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

func (a *App) render(w http.ResponseWriter, status int, v page) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, v); err != nil {
		a.logf("webapp: rendering the page: %v", err)
		http.Error(w, "The API Center app could not render its page; the details are in its log.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

var pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>API Center</title>
<style>
body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em;color:#222}
h1{margin-bottom:.2em} .sub{color:#666;margin-top:0}
form{display:inline-block;margin:.2em .4em .2em 0}
button{font-size:1em;padding:.5em 1em;border-radius:4px;border:1px solid #888;background:#f4f4f4;cursor:pointer}
button.silver{background:#e8e8ee} button.gold{background:#f6e7b0}
.notice{padding:.8em 1em;border-radius:4px;margin:1em 0}
.notice.error{background:#fde8e8;border:1px solid #e0a0a0}
.notice.info{background:#e8f4fd;border:1px solid #a0c4e0}
.notice p{margin:.3em 0}
table{border-collapse:collapse;margin:1em 0} td,th{border:1px solid #ccc;padding:.3em .6em;text-align:left}
.claims{display:flex;gap:2em;flex-wrap:wrap} .claims section{flex:1;min-width:20em}
.claims td{font-family:monospace;font-size:.9em;word-break:break-all}
.note{color:#666}
</style>
</head>
<body>
<h1>API Center</h1>
<p class="sub">An app, an authorization server and an API gateway{{with .Cfg.Gateway}} ({{.}}){{end}}: the OAuth flow, step by step.</p>

<p id="status">{{if .SignedInAs}}Signed in as the <strong>{{.SignedInAs}}</strong> user{{with .Username}} ({{.}}){{end}}.{{else}}Not signed in.{{end}}</p>

<div id="actions">
<form method="post" action="/signin"><input type="hidden" name="as" value="silver"><button id="signin-silver" class="silver" type="submit">Sign in as the silver user</button></form>
<form method="post" action="/signin"><input type="hidden" name="as" value="gold"><button id="signin-gold" class="gold" type="submit">Sign in as the gold user</button></form>
<form method="get" action="/show/planets"><button id="show-planets" type="submit">Show me the planets</button></form>
<form method="get" action="/show/moons"><button id="show-moons" type="submit">Show me the moons</button></form>
<form method="get" action="/show/asteroids"><button id="show-asteroids" type="submit">Show me the asteroids</button></form>
<form method="post" action="/signout"><button id="signout" type="submit">Sign out</button></form>
</div>

{{with .Notice}}{{if .Title}}<div id="notice" class="notice {{.Kind}}" role="{{if eq .Kind "error"}}alert{{else}}status{{end}}">
<p id="notice-title"><strong>{{.Title}}</strong></p>
{{with .Detail}}<p id="notice-detail">{{.}}</p>{{end}}
{{with .Hint}}<p id="notice-hint">{{.}}</p>{{end}}
</div>{{end}}{{end}}

{{if .Asked}}{{with .Result}}{{if .Columns}}<section id="result"><h2>{{$.Asked}}</h2>
<table><thead><tr>{{range .Columns}}<th>{{.}}</th>{{end}}</tr></thead>
<tbody>{{range .Rows}}<tr>{{range .}}<td>{{.}}</td>{{end}}</tr>{{end}}</tbody></table></section>
{{else if .Raw}}<section id="result"><h2>{{$.Asked}}</h2><pre>{{.Raw}}</pre></section>{{end}}{{end}}{{end}}

{{if .SignedInAs}}<div class="claims">
<section id="id-token"><h2>ID token claims</h2>
<table>{{range .IDClaims}}<tr><th>{{.Name}}</th><td>{{.Value}}{{with .Note}} <span class="note">({{.}})</span>{{end}}</td></tr>{{end}}</table></section>
<section id="access-token"><h2>Access token claims</h2>
{{if .AccessOpaque}}<p>The access token is opaque: only the authorization server can read it.</p>{{else}}
<table>{{range .AccessClaims}}<tr><th>{{.Name}}</th><td>{{.Value}}{{with .Note}} <span class="note">({{.}})</span>{{end}}</td></tr>{{end}}</table>{{end}}
<p class="note">Decoded for display; the gateway is what checks it.</p></section>
</div>{{end}}

<footer class="note"><p>Issuer: {{.Cfg.Issuer}}{{with .Cfg.Audience}} · audience {{.}}{{end}} · gateway: {{.Cfg.GatewayURI}}</p></footer>
</body>
</html>
`))
