// Package orgenv finds the Okta org URL and API token of a command: the org
// URL from a flag, the environment or a .env file; the token from the
// environment or a .env file only, never from a command-line value.
package orgenv

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"os"
	"strings"
)

// OrgURLVars are the environment variables read for the org URL, in order.
var OrgURLVars = []string{"OKTA_ORG_URL", "OKTA_TENANT", "OKTA_CLIENT_ORGURL"}

// TokenVars are the environment variables read for the API token, in order.
var TokenVars = []string{"OKTA_API_TOKEN", "OKTA_CLIENT_TOKEN"}

// Env looks names up in the process environment first, then in a .env file.
type Env struct {
	// Getenv reads the process environment (os.LookupEnv if nil).
	Getenv func(string) (string, bool)
	// File holds the variables of the .env file, if any.
	File map[string]string
	// FilePath is where File was read from, for messages.
	FilePath string
}

// Lookup returns the value of name and where it came from ("environment" or
// the .env path).
func (e *Env) Lookup(name string) (value, source string, ok bool) {
	get := e.Getenv
	if get == nil {
		get = os.LookupEnv
	}
	if v, ok := get(name); ok && v != "" {
		return v, "environment", true
	}
	if v, ok := e.File[name]; ok && v != "" {
		return v, e.FilePath, true
	}
	return "", "", false
}

// first returns the first of names set in the environment, else the first
// set in the .env file: the environment wins over the file.
func (e *Env) first(names []string) (value, name, source string) {
	get := e.Getenv
	if get == nil {
		get = os.LookupEnv
	}
	for _, n := range names {
		if v, ok := get(n); ok && v != "" {
			return v, n, "environment"
		}
	}
	for _, n := range names {
		if v := e.File[n]; v != "" {
			return v, n, e.FilePath
		}
	}
	return "", "", ""
}

// Load reads the .env file at path. A missing file is not an error when
// optional is true (the default .env in the working directory).
func Load(path string, optional bool, getenv func(string) (string, bool)) (*Env, error) {
	env := &Env{Getenv: getenv, FilePath: path, File: map[string]string{}}
	if path == "" {
		return env, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		if optional && errors.Is(err, os.ErrNotExist) {
			return env, nil
		}
		return nil, fmt.Errorf("reading env file: %w", err)
	}
	vars, err := Parse(path, b)
	if err != nil {
		return nil, err
	}
	env.File = vars
	return env, nil
}

// Parse reads a .env file: KEY=VALUE lines, optional "export ", comments
// starting with #, values in single quotes (literal) or double quotes (with
// \n, \", \\ escapes), unquoted values with trailing " #comment" removed.
func Parse(path string, b []byte) (map[string]string, error) {
	vars := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64*1024), 1024*1024)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		s = strings.TrimPrefix(s, "export ")
		k, v, ok := strings.Cut(s, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%s:%d: expected KEY=VALUE", path, line)
		}
		v = strings.TrimSpace(v)
		switch {
		case strings.HasPrefix(v, `"`):
			end := closingQuote(v)
			if end < 0 {
				return nil, fmt.Errorf("%s:%d: unterminated double quote in %s", path, line, k)
			}
			v = unescape(v[1:end])
		case strings.HasPrefix(v, `'`):
			end := strings.Index(v[1:], `'`)
			if end < 0 {
				return nil, fmt.Errorf("%s:%d: unterminated single quote in %s", path, line, k)
			}
			v = v[1 : end+1]
		default:
			if i := strings.Index(v, " #"); i >= 0 {
				v = strings.TrimSpace(v[:i])
			}
		}
		vars[k] = v
	}
	return vars, sc.Err()
}

func closingQuote(v string) int {
	for i := 1; i < len(v); i++ {
		switch v[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func unescape(s string) string {
	r := strings.NewReplacer(`\n`, "\n", `\"`, `"`, `\\`, `\`, `\$`, `$`, "\\`", "`")
	return r.Replace(s)
}

// Org is where to reach an org and with which token.
type Org struct {
	URL       string
	URLSource string // the flag, variable or file the URL came from
	Token     string
	// TokenSource is the variable the token came from and where it was
	// read ("OKTA_CLIENT_TOKEN (.env)"), for messages; never the token.
	TokenSource string
}

// Token returns the API token from TokenVars, or "".
func (e *Env) Token() string {
	t, _, _ := e.first(TokenVars)
	return t
}

// ResolveOrg picks the org URL (flagURL first, then OrgURLVars) and the
// token (TokenVars). Errors name the flag and variables to set.
func ResolveOrg(flagURL string, env *Env) (Org, error) {
	var o Org
	if flagURL != "" {
		o.URL, o.URLSource = flagURL, "--org-url"
	} else {
		if v, name, src := env.first(OrgURLVars); v != "" {
			o.URL, o.URLSource = v, name+" ("+src+")"
		}
	}
	if o.URL == "" {
		return o, fmt.Errorf("no Okta org URL: pass --org-url or set %s (in the environment or .env)", strings.Join(OrgURLVars, ", "))
	}
	if v, name, src := env.first(TokenVars); v != "" {
		o.Token, o.TokenSource = v, name+" ("+src+")"
	}
	if o.Token == "" {
		return o, fmt.Errorf("no Okta API token: set %s in the environment or .env (it is never taken from a flag)", strings.Join(TokenVars, " or "))
	}
	return o, nil
}
