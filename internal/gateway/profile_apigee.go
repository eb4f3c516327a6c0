package gateway

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"path"
	"sort"
	"strconv"
	"strings"
)

// apigeeProfile emulates an Apigee API proxy that checks Okta access tokens
// with the VerifyJWT policy (GATEWAYS.md section 5). Its artifact is the
// proxy bundle get-settings --apigee_bundle writes (a zip of apiproxy/...),
// or the bundle's files one by one (their names holding apiproxy/).
//
// Load reads: the base path (HTTPProxyConnection), the target's URL (the
// upstream), the routes from the conditions of the proxy endpoint's flows
// (proxy.pathsuffix MatchesPath "/x" and request.verb = "GET"), and in each
// flow the steps the emulator runs: a RaiseFault whose condition is
// request.header.authorization = null, ExtractVariables of the Bearer token,
// VerifyJWT (RS256, JWKS uri, Issuer, Audience), and RaiseFaults with
// conditions on the token's claims (the scope checks). Their conditions are
// parsed with Apigee's condition grammar (apigee_condition.go) and
// evaluated on the verified token's claims as VerifyJWT exposes them
// (jwt.POLICY.claim.NAME); the RaiseFaults' status codes and payloads are
// the answers.
//
// Answers: a flow's fault when its condition holds (400 without
// Authorization, 403 without the scope, 404 for another path, as the bundle
// writes them); a VerifyJWT failure is 401
// {"fault":{"faultstring":...,"detail":{"errorcode":"steps.jwt.X"}}} with X
// from Apigee's VerifyJWT error reference (TokenExpired, TokenNotYetValid,
// InvalidToken, InvalidSignature, AlgorithmMismatch, JwtIssuerMismatch,
// JwtAudienceMismatch, NoMatchingPublicKey, FailedToResolveVariable); an
// upstream that does not answer is 503 messaging.adaptors.http.flow.
// ServiceUnavailable.
//
// Unconfirmed ([u]): an array claim (Okta's scp) as a flow variable is
// taken to be its elements joined by commas (Apigee's reference says claims
// become variables but not how an array is rendered), which is what the
// bundle's scope conditions match; the faultstrings' exact wording; JWKS
// that cannot be fetched (answered 401 steps.jwt.InvalidToken here).
func apigeeProfile() Profile {
	return Profile{
		Name:        "apigee",
		Description: "Google Apigee: an API proxy bundle with VerifyJWT and RaiseFault scope checks (get-settings --apigee_bundle)",
		Load:        loadApigee,
		Checks:      Checks{Issuer: true, Audience: true},
		Allows:      apigeeAllows,
		Refuse:      apigeeRefuse,
	}
}

// apigeeNotFound is the 404 the emulator answers for a path no flow takes:
// the bundle's RF-NotFound fault (a test checks they are the same).
const apigeeNotFound = `{"fault":{"faultstring":"Not Found","detail":{"errorcode":"solar-system.NotFound"}}}`

// apigeeFault is a RaiseFault's answer.
type apigeeFault struct {
	Name        string
	Status      int
	ContentType string
	Payload     string
}

// apigeeCheck is a RaiseFault step with its condition.
type apigeeCheck struct {
	Condition string
	cond      apigeeCond
	Fault     apigeeFault
}

// apigeeFlow is what the emulator runs for a route (Route.Extra).
type apigeeFlow struct {
	// Missing answers a request without an Authorization header.
	Missing *apigeeFault
	// JWTPolicy is the VerifyJWT policy's name (its variables' prefix).
	JWTPolicy string
	// Checks are the RaiseFault steps after VerifyJWT, in order.
	Checks []apigeeCheck
}

// Apigee's XML: the parts the emulator reads.
type (
	apigeeStep struct {
		Name      string `xml:"Name"`
		Condition string `xml:"Condition"`
	}
	apigeeFlowXML struct {
		Name      string       `xml:"name,attr"`
		Steps     []apigeeStep `xml:"Request>Step"`
		Condition string       `xml:"Condition"`
	}
	apigeeProxyEndpoint struct {
		XMLName    xml.Name        `xml:"ProxyEndpoint"`
		Name       string          `xml:"name,attr"`
		PreFlow    []apigeeStep    `xml:"PreFlow>Request>Step"`
		Flows      []apigeeFlowXML `xml:"Flows>Flow"`
		PostFlow   []apigeeStep    `xml:"PostFlow>Request>Step"`
		BasePath   string          `xml:"HTTPProxyConnection>BasePath"`
		RouteRules []struct {
			Name      string `xml:"name,attr"`
			Target    string `xml:"TargetEndpoint"`
			Condition string `xml:"Condition"`
		} `xml:"RouteRule"`
	}
	apigeeTargetEndpoint struct {
		XMLName xml.Name `xml:"TargetEndpoint"`
		Name    string   `xml:"name,attr"`
		URL     string   `xml:"HTTPTargetConnection>URL"`
	}
	apigeePolicyXML struct {
		XMLName xml.Name
		Name    string `xml:"name,attr"`
		Enabled string `xml:"enabled,attr"`
		// RaiseFault
		Status  string `xml:"FaultResponse>Set>StatusCode"`
		Payload struct {
			ContentType string `xml:"contentType,attr"`
			Text        string `xml:",chardata"`
		} `xml:"FaultResponse>Set>Payload"`
		// VerifyJWT
		Algorithm string `xml:"Algorithm"`
		Source    string `xml:"Source"`
		JWKS      struct {
			URI string `xml:"uri,attr"`
			Ref string `xml:"uriRef,attr"`
		} `xml:"PublicKey>JWKS"`
		Issuer   string `xml:"Issuer"`
		Audience string `xml:"Audience"`
		// ExtractVariables
		Header []struct {
			Name    string `xml:"name,attr"`
			Pattern string `xml:"Pattern"`
		} `xml:"Header"`
		VariablePrefix string `xml:"VariablePrefix"`
	}
)

// apigeeBundle is a proxy bundle's files, by path from apiproxy/ on.
type apigeeBundle map[string][]byte

// readApigeeBundle reads a bundle from a zip archive or from files whose
// names hold apiproxy/.
func readApigeeBundle(files []Artifact) (apigeeBundle, error) {
	b := apigeeBundle{}
	for _, f := range files {
		if bytes.HasPrefix(f.Data, []byte("PK")) {
			zr, err := zip.NewReader(bytes.NewReader(f.Data), int64(len(f.Data)))
			if err != nil {
				return nil, fmt.Errorf("%s: %v", f.Name, err)
			}
			for _, zf := range zr.File {
				if zf.FileInfo().IsDir() {
					continue
				}
				rc, err := zf.Open()
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %v", f.Name, zf.Name, err)
				}
				data, err := io.ReadAll(io.LimitReader(rc, 1<<20))
				rc.Close()
				if err != nil {
					return nil, fmt.Errorf("%s: %s: %v", f.Name, zf.Name, err)
				}
				b[path.Clean(zf.Name)] = data
			}
			continue
		}
		i := strings.LastIndex(f.Name, "apiproxy/")
		if i < 0 {
			return nil, fmt.Errorf("%s: not a proxy bundle (a zip of apiproxy/...) nor a file of one", f.Name)
		}
		b[path.Clean(f.Name[i:])] = f.Data
	}
	return b, nil
}

// under lists the bundle's XML files directly in dir, sorted.
func (b apigeeBundle) under(dir string) []string {
	var names []string
	for p := range b {
		if path.Dir(p) == dir && strings.HasSuffix(p, ".xml") {
			names = append(names, p)
		}
	}
	sort.Strings(names)
	return names
}

// loadApigee reads a proxy bundle into a Config.
func loadApigee(files []Artifact) (Config, error) {
	b, err := readApigeeBundle(files)
	if err != nil {
		return Config{}, err
	}
	if len(b.under("apiproxy")) != 1 {
		return Config{}, fmt.Errorf("bundle: want one apiproxy/NAME.xml, found %d", len(b.under("apiproxy")))
	}
	proxies := b.under("apiproxy/proxies")
	if len(proxies) != 1 {
		return Config{}, fmt.Errorf("bundle: the emulator reads one proxy endpoint (apiproxy/proxies/*.xml), found %d", len(proxies))
	}
	var pe apigeeProxyEndpoint
	if err := xml.Unmarshal(b[proxies[0]], &pe); err != nil {
		return Config{}, fmt.Errorf("%s: %v", proxies[0], err)
	}
	policies := map[string]apigeePolicyXML{}
	for _, p := range b.under("apiproxy/policies") {
		var pol apigeePolicyXML
		if err := xml.Unmarshal(b[p], &pol); err != nil {
			return Config{}, fmt.Errorf("%s: %v", p, err)
		}
		policies[pol.Name] = pol
	}
	c := Config{Mode: ModeJWT, StripPrefix: strings.TrimSuffix(pe.BasePath, "/")}
	if !strings.HasPrefix(pe.BasePath, "/") {
		return Config{}, fmt.Errorf("%s: BasePath %q does not start with /", proxies[0], pe.BasePath)
	}
	if len(pe.RouteRules) != 1 || pe.RouteRules[0].Target == "" {
		return Config{}, fmt.Errorf("%s: the emulator reads one RouteRule to a TargetEndpoint", proxies[0])
	}
	target := "apiproxy/targets/" + pe.RouteRules[0].Target + ".xml"
	var te apigeeTargetEndpoint
	if err := xml.Unmarshal(b[target], &te); err != nil {
		return Config{}, fmt.Errorf("%s (RouteRule %s): %v", target, pe.RouteRules[0].Name, err)
	}
	c.Upstream = strings.TrimSpace(te.URL)
	if len(pe.PreFlow) > 0 || len(pe.PostFlow) > 0 {
		return Config{}, fmt.Errorf("%s: steps in PreFlow or PostFlow are not emulated; put them in the flows", proxies[0])
	}
	var jwtPolicy *apigeePolicyXML
	for _, f := range pe.Flows {
		where := fmt.Sprintf("%s: flow %s", proxies[0], f.Name)
		if strings.TrimSpace(f.Condition) == "" {
			continue // the flow of any other request: 404
		}
		method, p, err := apigeeFlowRoute(f.Condition)
		if err != nil {
			return Config{}, fmt.Errorf("%s: Condition: %v", where, err)
		}
		fl := apigeeFlow{}
		rt := Route{Method: method, Path: c.StripPrefix + p}
		verified := false
		for i, st := range f.Steps {
			pol, ok := policies[st.Name]
			if !ok {
				return Config{}, fmt.Errorf("%s: step %d: no policy %q in apiproxy/policies", where, i+1, st.Name)
			}
			var cond apigeeCond
			if strings.TrimSpace(st.Condition) != "" {
				if cond, err = parseApigeeCondition(st.Condition); err != nil {
					return Config{}, fmt.Errorf("%s: step %s: Condition: %v", where, st.Name, err)
				}
			}
			switch kind := pol.XMLName.Local; {
			case kind == "RaiseFault" && !verified:
				if cmp, ok := cond.(condCmp); !ok || !strings.EqualFold(cmp.variable, "request.header.authorization") || cmp.op != "=" || !cmp.null {
					return Config{}, fmt.Errorf("%s: step %s: before VerifyJWT the emulator knows only a RaiseFault on request.header.authorization = null", where, st.Name)
				}
				fault, err := apigeeRaiseFault(pol)
				if err != nil {
					return Config{}, fmt.Errorf("%s: step %s: %v", where, st.Name, err)
				}
				fl.Missing = &fault
			case kind == "ExtractVariables" && !verified:
			case kind == "VerifyJWT" && !verified:
				if err := apigeeVerifyJWT(pol, policies); err != nil {
					return Config{}, fmt.Errorf("apiproxy/policies/%s.xml: %v", st.Name, err)
				}
				if jwtPolicy != nil && jwtPolicy.Name != pol.Name {
					return Config{}, fmt.Errorf("%s: step %s: the emulator reads one VerifyJWT policy, not %s and %s", where, st.Name, jwtPolicy.Name, pol.Name)
				}
				jwtPolicy, verified, fl.JWTPolicy = &pol, true, pol.Name
			case kind == "RaiseFault" && verified && cond != nil:
				fault, err := apigeeRaiseFault(pol)
				if err != nil {
					return Config{}, fmt.Errorf("%s: step %s: %v", where, st.Name, err)
				}
				fl.Checks = append(fl.Checks, apigeeCheck{Condition: st.Condition, cond: cond, Fault: fault})
				rt.Scopes = append(rt.Scopes, apigeeScopes(cond, "jwt."+fl.JWTPolicy+".claim.scp")...)
			default:
				return Config{}, fmt.Errorf("%s: step %s: a %s policy there is not emulated", where, st.Name, kind)
			}
		}
		if !verified {
			return Config{}, fmt.Errorf("%s: no VerifyJWT step: the emulator checks a token on every route", where)
		}
		rt.Extra = fl
		c.Routes = append(c.Routes, rt)
	}
	if jwtPolicy == nil {
		return Config{}, fmt.Errorf("%s: no flow with a Condition", proxies[0])
	}
	c.Issuer, c.Audience = strings.TrimSpace(jwtPolicy.Issuer), strings.TrimSpace(jwtPolicy.Audience)
	c.JWKSURL = strings.TrimSpace(jwtPolicy.JWKS.URI)
	return c, nil
}

// apigeeFlowRoute reads a flow's condition: proxy.pathsuffix MatchesPath
// (or =) a literal path, and request.verb = a method.
func apigeeFlowRoute(s string) (method, p string, err error) {
	cond, err := parseApigeeCondition(s)
	if err != nil {
		return "", "", err
	}
	var walk func(c apigeeCond) error
	walk = func(c apigeeCond) error {
		switch c := c.(type) {
		case condAnd:
			if err := walk(c.l); err != nil {
				return err
			}
			return walk(c.r)
		case condCmp:
			switch {
			case c.variable == "proxy.pathsuffix" && (c.op == "~/" || c.op == "=") && p == "":
				if !strings.HasPrefix(c.value, "/") || strings.Contains(c.value, "*") {
					return fmt.Errorf("path %q: the emulator takes a literal path", c.value)
				}
				p = c.value
				return nil
			case c.variable == "request.verb" && c.op == "=" && method == "" && !c.null:
				method = strings.ToUpper(c.value)
				return nil
			}
		}
		return fmt.Errorf("the emulator reads a flow's Condition as proxy.pathsuffix MatchesPath \"/path\" and request.verb = \"METHOD\"")
	}
	if err := walk(cond); err != nil {
		return "", "", err
	}
	if p == "" || method == "" {
		return "", "", fmt.Errorf("the emulator needs both proxy.pathsuffix and request.verb")
	}
	return method, p, nil
}

// apigeeRaiseFault reads a RaiseFault's answer.
func apigeeRaiseFault(pol apigeePolicyXML) (apigeeFault, error) {
	status, err := strconv.Atoi(strings.TrimSpace(pol.Status))
	if err != nil || status < 400 || status > 599 {
		return apigeeFault{}, fmt.Errorf("RaiseFault %s: StatusCode %q is not an error status", pol.Name, pol.Status)
	}
	ct := pol.Payload.ContentType
	if ct == "" {
		ct = "text/plain"
	}
	return apigeeFault{Name: pol.Name, Status: status, ContentType: ct, Payload: pol.Payload.Text}, nil
}

// apigeeVerifyJWT checks the VerifyJWT settings the emulator reproduces:
// RS256, a JWKS uri, an issuer and an audience, and a Source that is the
// Authorization header's Bearer token.
func apigeeVerifyJWT(pol apigeePolicyXML, policies map[string]apigeePolicyXML) error {
	switch {
	case pol.Enabled == "false":
		return fmt.Errorf("VerifyJWT %s is disabled", pol.Name)
	case strings.TrimSpace(pol.Algorithm) != "RS256":
		return fmt.Errorf("Algorithm %q: the emulator verifies RS256", pol.Algorithm)
	case pol.JWKS.URI == "":
		return fmt.Errorf("PublicKey: the emulator reads <JWKS uri=\"...\"/>")
	case strings.TrimSpace(pol.Issuer) == "" || strings.TrimSpace(pol.Audience) == "":
		return fmt.Errorf("the emulator checks iss and aud: Issuer and Audience are needed")
	}
	src := strings.TrimSpace(pol.Source)
	if src == "" || strings.EqualFold(src, "request.header.authorization") {
		return nil
	}
	for _, ev := range policies {
		if ev.XMLName.Local != "ExtractVariables" {
			continue
		}
		for _, h := range ev.Header {
			if strings.EqualFold(h.Name, "Authorization") && strings.HasPrefix(strings.TrimSpace(h.Pattern), "Bearer {") {
				v := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(h.Pattern), "Bearer {"), "}")
				if ev.VariablePrefix != "" {
					v = ev.VariablePrefix + "." + v
				}
				if v == src {
					return nil
				}
			}
		}
	}
	return fmt.Errorf("Source %q: no ExtractVariables policy sets it from the Authorization header's \"Bearer {...}\"", src)
}

// apigeeScopes are the values a condition compares variable with by
// equality: the scopes a scope check names.
func apigeeScopes(c apigeeCond, variable string) []string {
	switch c := c.(type) {
	case condAnd:
		return append(apigeeScopes(c.l, variable), apigeeScopes(c.r, variable)...)
	case condOr:
		return append(apigeeScopes(c.l, variable), apigeeScopes(c.r, variable)...)
	case condNot:
		return apigeeScopes(c.x, variable)
	case condCmp:
		if c.variable == variable && c.op == "=" && !c.null {
			return []string{c.value}
		}
	}
	return nil
}

// apigeeVars are the flow variables VerifyJWT sets from a verified token's
// claims: jwt.POLICY.claim.NAME for each claim (an array's elements joined
// by commas [u]), and Apigee's own names of the registered claims.
func apigeeVars(policy string, tok Token) map[string]string {
	vars := map[string]string{}
	prefix := "jwt." + policy + "."
	for name, v := range tok.Claims {
		s := apigeeClaimString(v)
		vars[prefix+"claim."+name] = s
		switch name {
		case "iss":
			vars[prefix+"claim.issuer"] = s
		case "aud":
			vars[prefix+"claim.audience"] = s
		case "sub":
			vars[prefix+"claim.subject"] = s
		}
	}
	vars[prefix+"valid"] = "true"
	return vars
}

// apigeeClaimString renders a claim as a flow variable's string.
func apigeeClaimString(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case []any:
		parts := make([]string, len(v))
		for i, e := range v {
			parts[i] = apigeeClaimString(e)
		}
		return strings.Join(parts, ",")
	case []string:
		return strings.Join(v, ",")
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case json.Number:
		return v.String()
	case nil:
		return ""
	}
	b, _ := json.Marshal(v)
	return string(b)
}

// apigeeFailedCheck is the first of the flow's checks whose condition
// holds for the token, or nil.
func apigeeFailedCheck(route Route, tok Token) *apigeeCheck {
	fl, ok := route.Extra.(apigeeFlow)
	if !ok {
		return nil
	}
	vars := apigeeVars(fl.JWTPolicy, tok)
	for i := range fl.Checks {
		if fl.Checks[i].cond.eval(vars) {
			return &fl.Checks[i]
		}
	}
	return nil
}

// apigeeAllows runs the flow's RaiseFault steps after VerifyJWT: a
// condition that holds raises its fault.
func apigeeAllows(route Route, tok Token) bool { return apigeeFailedCheck(route, tok) == nil }

// apigeeJWTFaults are VerifyJWT's error codes and faultstrings by refusal.
var apigeeJWTFaults = map[RefusalKind][2]string{
	BadRequest:     {"FailedToResolveVariable", "Failed to resolve variable"},
	Malformed:      {"InvalidToken", "Invalid token"},
	WrongAlgorithm: {"AlgorithmMismatch", "Algorithm mismatch"},
	UnknownKey:     {"NoMatchingPublicKey", "No matching public key"},
	BadSignature:   {"InvalidSignature", "Signature could not be verified"},
	WrongIssuer:    {"JwtIssuerMismatch", "Issuer mismatch"},
	WrongAudience:  {"JwtAudienceMismatch", "Audience mismatch"},
	Expired:        {"TokenExpired", "The Token has expired"},
	NotYetValid:    {"TokenNotYetValid", "The Token is not yet valid"},
	Inactive:       {"InvalidToken", "Invalid token"},
	Unreachable:    {"InvalidToken", "Invalid token"},
}

// apigeeRefuse answers as the proxy does: the flow's RaiseFault, or
// VerifyJWT's fault.
func apigeeRefuse(w http.ResponseWriter, _ *http.Request, why Refusal) {
	fl, _ := why.Route.Extra.(apigeeFlow)
	switch why.Kind {
	case NoToken:
		if fl.Missing != nil {
			apigeeWrite(w, fl.Missing.Status, fl.Missing.ContentType, fl.Missing.Payload)
			return
		}
		why.Kind = BadRequest
	case InsufficientScope:
		if c := apigeeFailedCheck(why.Route, why.Token); c != nil {
			apigeeWrite(w, c.Fault.Status, c.Fault.ContentType, c.Fault.Payload)
			return
		}
	case NotFound:
		apigeeWrite(w, http.StatusNotFound, "application/json", apigeeNotFound)
		return
	case UpstreamFailed:
		apigeeFaultJSON(w, http.StatusServiceUnavailable, "The Service is temporarily unavailable", "messaging.adaptors.http.flow.ServiceUnavailable")
		return
	}
	f, ok := apigeeJWTFaults[why.Kind]
	if !ok {
		f = apigeeJWTFaults[Malformed]
	}
	apigeeFaultJSON(w, http.StatusUnauthorized, f[1], "steps.jwt."+f[0])
}

// apigeeFaultJSON writes Apigee's fault body.
func apigeeFaultJSON(w http.ResponseWriter, status int, faultstring, errorcode string) {
	type detail struct {
		Errorcode string `json:"errorcode"`
	}
	type fault struct {
		Faultstring string `json:"faultstring"`
		Detail      detail `json:"detail"`
	}
	b, _ := json.Marshal(struct {
		Fault fault `json:"fault"`
	}{fault{faultstring, detail{errorcode}}})
	apigeeWrite(w, status, "application/json", string(b))
}

func apigeeWrite(w http.ResponseWriter, status int, contentType, body string) {
	w.Header().Set("Content-Type", contentType)
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}
