package webapp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
)

// resources are what the page's "show me" buttons ask the gateway for.
var resources = map[string]string{"planets": "/planets", "moons": "/moons", "asteroids": "/asteroids"}

func (a *App) show(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("resource")
	path, ok := resources[name]
	if !ok {
		a.render(w, http.StatusNotFound, a.viewWith(a.sessions.get(r), errorNotice(
			fmt.Sprintf("There is nothing called %q to show.", name), "The app shows the planets, the moons and the asteroids.")))
		return
	}
	sess := a.sessions.get(r)
	var token string
	if sess != nil {
		a.sessions.with(func() { token = sess.accessToken })
	}
	if token == "" {
		a.render(w, http.StatusOK, a.viewWith(sess, errorNotice("You need an access token: sign in first.",
			"The gateway only answers requests that carry an access token.")))
		return
	}
	target := strings.TrimRight(a.cfg.GatewayURI, "/") + path
	req, err := http.NewRequestWithContext(r.Context(), http.MethodGet, target, nil)
	if err != nil {
		a.render(w, http.StatusInternalServerError, a.viewWith(sess, errorNotice("Cannot build the request to "+target, shortErr(err))))
		return
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	resp, err := a.client.Do(req)
	if err != nil {
		a.logf("webapp: GET %s: %v", target, err)
		a.render(w, http.StatusBadGateway, a.viewWith(sess, errorNotice(
			"The gateway is unreachable.",
			fmt.Sprintf("GET %s failed: %s. Is the gateway running?", target, shortErr(err)))))
		return
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	v := a.viewWith(sess, notice{})
	v.Asked = name
	switch {
	case resp.StatusCode == http.StatusOK:
		v.Result = tableOf(body)
		v.Notice = notice{Kind: "info", Title: fmt.Sprintf("The gateway let you through to GET %s.", path)}
	case resp.StatusCode == http.StatusBadRequest || resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		v.Notice = a.explainRefusal(resp, body, path, v.AccessScopes, v.AccessOpaque)
	default:
		detail := gatewaySays(resp, body).text()
		if detail == "" {
			detail = "(no body)"
		}
		v.Notice = errorNotice(fmt.Sprintf("The gateway answered %s for GET %s.", resp.Status, path), detail)
	}
	a.render(w, http.StatusOK, v)
}

// explainRefusal turns a gateway's 400, 401 or 403 into sentences: what the
// gateway said, in its own terms (an RFC 6750 challenge, AWS's and Kong's
// {"message"}, Tyk's {"error"}, Apigee's fault with its errorcode, or plain
// text), and what the app makes of it: which scope the endpoint needs and
// which the token has. A 403 is a missing scope only when the gateway says
// so (insufficient_scope) or when the token lacks the scope the endpoint
// needs; otherwise (Tyk answers 403 to a bad signature) the token itself was
// refused. An opaque token's scopes are unknown to the app: then it passes
// on what the gateway said.
func (a *App) explainRefusal(resp *http.Response, body []byte, path string, have []string, opaque bool) notice {
	said := gatewaySays(resp, body)
	need := said.scope
	if need == "" {
		need = a.scopeFor(path)
	}
	has := "Your access token has the scopes: none."
	switch {
	case len(have) > 0:
		has = "Your access token has the scopes: " + strings.Join(have, ", ") + "."
	case opaque:
		has = "Your access token is opaque: the app cannot read its scopes."
		if d := said.description; d != "" {
			has += " The gateway says: " + d + "."
		}
	}
	code := said.code
	if code == "" {
		code = strings.ToLower(strings.TrimPrefix(resp.Status, fmt.Sprint(resp.StatusCode)+" "))
	}
	gw := "The gateway"
	if a.cfg.Gateway != "" {
		gw = "The gateway (" + a.cfg.Gateway + ")"
	}
	lacksScope := need != "" && !opaque && !slices.Contains(have, need)
	if resp.StatusCode == http.StatusForbidden && (said.code == "insufficient_scope" || lacksScope) {
		if need == "" {
			need = "(the gateway did not say)"
		}
		n := errorNotice(fmt.Sprintf("%s refused GET %s (%d %s): it needs the scope %s.", gw, path, resp.StatusCode, code, need), has)
		if t := said.text(); t != "" && said.code != "insufficient_scope" {
			n.Detail += " The gateway answered: " + t + "."
		}
		if strings.Contains(need, a.cfg.GoldScope) && a.cfg.GoldScope != "" {
			n.Hint = "Sign in as the gold user to get the gold scope."
		}
		return n
	}
	detail := said.text()
	if detail == "" {
		detail = "The gateway did not accept the access token."
	}
	return notice{Kind: "error",
		Title:  fmt.Sprintf("%s refused your access token for GET %s (%d %s).", gw, path, resp.StatusCode, code),
		Detail: detail,
		Hint:   "Sign in again to get a new access token."}
}

// scopeFor is the scope the app knows an endpoint needs.
func (a *App) scopeFor(path string) string {
	switch path {
	case "/planets":
		return a.cfg.SilverScope
	case "/moons":
		return a.cfg.GoldScope
	}
	return ""
}

// refusal is what a gateway said when it refused a request.
type refusal struct {
	code        string // an RFC 6750 error, or a product's error code (steps.jwt.TokenExpired)
	description string // its description, message or fault string
	scope       string // the scope an RFC 6750 challenge says is needed
}

// text is the refusal in one line: "code: description", or either.
func (r refusal) text() string {
	switch {
	case r.code != "" && r.description != "":
		return r.code + ": " + r.description
	case r.code != "":
		return r.code
	}
	return r.description
}

// gatewaySays reads a refusal from the WWW-Authenticate challenge, else
// from the body's known shapes: {"error", "error_description"} (RFC 6750,
// Tyk), {"message"} (AWS, Kong), {"fault": {"faultstring", "detail":
// {"errorcode"}}} (Apigee), else the body's text.
func gatewaySays(resp *http.Response, body []byte) refusal {
	ch := parseChallenge(resp.Header.Get("WWW-Authenticate"))
	r := refusal{code: ch["error"], description: ch["error_description"], scope: ch["scope"]}
	var e struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		Message     string `json:"message"`
		Fault       struct {
			FaultString string `json:"faultstring"`
			Detail      struct {
				ErrorCode string `json:"errorcode"`
			} `json:"detail"`
		} `json:"fault"`
	}
	if json.Unmarshal(body, &e) == nil {
		switch {
		case e.Fault.FaultString != "" || e.Fault.Detail.ErrorCode != "":
			r.code, r.description = orDefault(r.code, e.Fault.Detail.ErrorCode), orDefault(r.description, e.Fault.FaultString)
		case e.Description != "":
			r.code, r.description = orDefault(r.code, e.Error), orDefault(r.description, e.Description)
		case e.Error != "":
			r.description = orDefault(r.description, e.Error)
		case e.Message != "":
			r.description = orDefault(r.description, e.Message)
		}
	} else if r.description == "" {
		r.description = strings.Join(strings.Fields(string(body)), " ")
	}
	if len(r.description) > 300 {
		r.description = r.description[:300] + "..."
	}
	return r
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// parseChallenge reads the attributes of a `Bearer k="v", ...` challenge.
func parseChallenge(h string) map[string]string {
	out := map[string]string{}
	scheme, rest, _ := strings.Cut(strings.TrimSpace(h), " ")
	if !strings.EqualFold(scheme, "Bearer") {
		return out
	}
	for rest = strings.TrimSpace(rest); rest != ""; {
		k, after, ok := strings.Cut(rest, "=")
		if !ok {
			break
		}
		k = strings.TrimSpace(strings.TrimLeft(k, ", "))
		var v string
		if strings.HasPrefix(after, `"`) {
			var b strings.Builder
			i := 1
			for ; i < len(after) && after[i] != '"'; i++ {
				if after[i] == '\\' && i+1 < len(after) {
					i++
				}
				b.WriteByte(after[i])
			}
			v = b.String()
			if i < len(after) {
				i++
			}
			rest = after[i:]
		} else {
			v, rest, _ = strings.Cut(after, ",")
			v = strings.TrimSpace(v)
		}
		out[strings.ToLower(k)] = v
		rest = strings.TrimLeft(rest, ", ")
	}
	return out
}

// table is an API answer laid out for the page.
type table struct {
	Columns []string
	Rows    [][]string
	Raw     string // when the answer is not a list of objects
}

// tableOf lays out a JSON answer: a list of objects (or an object holding
// one) becomes a table of its scalar fields; anything else is shown as
// indented JSON.
func tableOf(body []byte) table {
	var v any
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&v); err != nil {
		return table{Raw: string(body)}
	}
	list, ok := v.([]any)
	if obj, isObj := v.(map[string]any); isObj {
		for _, k := range objectKeys(body) {
			if l, isList := obj[k].([]any); isList {
				list, ok = l, true
				break
			}
		}
	}
	if !ok || len(list) == 0 {
		b, _ := json.MarshalIndent(v, "", "  ")
		return table{Raw: string(b)}
	}
	for _, e := range list {
		if _, isObj := e.(map[string]any); !isObj {
			b, _ := json.MarshalIndent(v, "", "  ")
			return table{Raw: string(b)}
		}
	}
	// Columns in the order the API wrote the fields, scalar fields only.
	seen := map[string]bool{}
	var cols []string
	for i, e := range list {
		for _, k := range keyOrder(body, i) {
			switch e.(map[string]any)[k].(type) {
			case map[string]any, []any:
				continue
			}
			if !seen[k] {
				seen[k] = true
				cols = append(cols, k)
			}
		}
	}
	t := table{Columns: cols}
	for _, e := range list {
		obj := e.(map[string]any)
		row := make([]string, len(cols))
		for i, c := range cols {
			if f, has := obj[c]; has && f != nil {
				row[i] = fmt.Sprint(f)
			}
		}
		t.Rows = append(t.Rows, row)
	}
	return t
}

// keyOrder returns the keys of the i-th object of the answer's list (the
// answer itself, or its first list-valued field) in the order written.
func keyOrder(body []byte, i int) []string {
	dec := json.NewDecoder(bytes.NewReader(body))
	var raw json.RawMessage
	if dec.Decode(&raw) != nil {
		return nil
	}
	var list []json.RawMessage
	if json.Unmarshal(raw, &list) != nil {
		// An object holding the list: find its first list-valued field.
		fields := objectKeys(raw)
		var obj map[string]json.RawMessage
		_ = json.Unmarshal(raw, &obj)
		for _, f := range fields {
			if json.Unmarshal(obj[f], &list) == nil {
				break
			}
		}
	}
	if i >= len(list) {
		return nil
	}
	return objectKeys(list[i])
}

// objectKeys returns the keys of a JSON object in order.
func objectKeys(raw json.RawMessage) []string {
	dec := json.NewDecoder(bytes.NewReader(raw))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return nil
	}
	var keys []string
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return keys
		}
		k, _ := t.(string)
		keys = append(keys, k)
		var skip json.RawMessage
		if dec.Decode(&skip) != nil {
			return keys
		}
	}
	return keys
}
