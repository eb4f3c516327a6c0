package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Mode is how the gateway checks an access token.
type Mode string

// The two token-checking modes.
const (
	// ModeIntrospect asks the authorization server about each token
	// (RFC 7662), as Mulesoft's "OpenID Connect access token enforcement"
	// policy does, and caches the answers.
	ModeIntrospect Mode = "introspect"
	// ModeJWT checks the token's RS256 signature against the issuer's JWKS
	// and its iss, aud, exp and nbf claims locally, as the JWT-validating
	// gateways (AWS, Kong, Apigee) do.
	ModeJWT Mode = "jwt"
)

// Defaults for the optional settings of a Config.
const (
	DefaultCacheTTL  = 30 * time.Second
	DefaultCacheSize = 10000
	DefaultLeeway    = 30 * time.Second
)

// DefaultClientSecretEnv is the environment variable holding the
// introspection client's secret for a profile whose native artifact names
// no variable: its Load sets Introspection.ClientSecretEnv to it, and
// LoadProfile reads it (the secret never goes in a file).
const DefaultClientSecretEnv = "INTROSPECTION_CLIENT_SECRET"

// ClientSecretFromEnv returns the value of the environment variable env
// (DefaultClientSecretEnv if empty), or an error naming it and where it
// was asked for. A profile's Load need not call it: LoadProfile fills the
// secret from Introspection.ClientSecretEnv.
func ClientSecretFromEnv(where, env string) (string, error) {
	return clientSecretFrom(where, env, os.LookupEnv)
}

func clientSecretFrom(where, env string, lookup func(string) (string, bool)) (string, error) {
	if env == "" {
		env = DefaultClientSecretEnv
	}
	v, ok := lookup(env)
	if !ok || v == "" {
		return "", fmt.Errorf("%s: environment variable %s is not set", where, env)
	}
	return v, nil
}

// Config is the gateway's configuration, usually read from YAML by LoadConfig.
type Config struct {
	// Profile names the gateway product whose behaviour the gateway
	// emulates (see Profiles); empty is the reference behaviour.
	Profile string `yaml:"profile,omitempty"`
	// Upstream is the base URL of the API behind the gateway.
	Upstream string `yaml:"upstream"`
	// Mode is introspect or jwt.
	Mode Mode `yaml:"mode"`
	// Issuer is the authorization server's issuer (https://org/oauth2/id).
	// Tokens with another iss are refused.
	Issuer string `yaml:"issuer"`
	// Audience is the aud a token must carry (api://default for example).
	Audience string `yaml:"audience"`
	// Audiences are more audiences a token may carry instead of Audience,
	// for products that take a list (set by a profile's Load).
	Audiences []string `yaml:"-"`
	// JWKSURL overrides the jwks_uri of the issuer's discovery document
	// (jwt mode).
	JWKSURL string `yaml:"jwks_url,omitempty"`
	// Introspection configures introspect mode.
	Introspection Introspection `yaml:"introspection,omitempty"`
	// CacheTTL bounds how long an introspection answer, or a verified JWT,
	// is reused (never past the token's exp). Zero means DefaultCacheTTL.
	CacheTTL Duration `yaml:"cache_ttl,omitempty"`
	// CacheSize bounds the number of cached answers (and, apart, of
	// verified JWTs). Zero means DefaultCacheSize.
	CacheSize int `yaml:"cache_size,omitempty"`
	// Routes lists what the gateway forwards and the scopes each needs.
	// Any other request is answered 404.
	Routes []Route `yaml:"routes"`
	// StripPrefix is removed from the request's path before it is
	// forwarded (a product's base path or listen path, set by a profile's
	// Load): with /solar-system, GET /solar-system/planets is forwarded
	// as GET /planets. Routes match the path as received.
	StripPrefix string `yaml:"-"`

	// HTTPClient makes the calls to the authorization server. Nil means a
	// client with a 10 s timeout.
	HTTPClient *http.Client `yaml:"-"`
	// Now is the clock; nil means time.Now.
	Now func() time.Time `yaml:"-"`
	// ErrorLog receives upstream and authorization-server failures; nil
	// discards them.
	ErrorLog func(format string, args ...any) `yaml:"-"`
	// AccessLog, if set, receives one line per request the gateway
	// decides on: method, path, status, subject or reason. Never a token.
	AccessLog func(format string, args ...any) `yaml:"-"`
}

// Introspection is the introspection endpoint and the client credentials the
// gateway presents to it.
type Introspection struct {
	// URL is the introspection endpoint; empty means {issuer}/v1/introspect,
	// Okta's endpoint for a custom authorization server.
	URL string `yaml:"url,omitempty"`
	// ClientID is the introspection client's id.
	ClientID string `yaml:"client_id"`
	// ClientSecretEnv names the environment variable holding the client
	// secret; the secret itself never goes in the file.
	ClientSecretEnv string `yaml:"client_secret_env"`
	// ClientSecret is the secret, filled by LoadConfig or LoadProfile from
	// ClientSecretEnv, or set directly by code.
	ClientSecret string `yaml:"-"`
}

// Route is a method and a path pattern (net/http ServeMux syntax, e.g.
// /planets or /planets/{name}) and the scopes a token needs for it, as the
// profile reads them (its Allows): for the reference, all of them. No scopes
// means any valid token.
type Route struct {
	// Method is the HTTP method; empty means any method, which only a
	// profile whose CheckRoute allows it accepts (the reference does not).
	Method string `yaml:"method"`
	// Path is the ServeMux path pattern: /planets is that path only,
	// /planets/ the subtree.
	Path string `yaml:"path"`
	// Scopes are the route's scope entries as the product's artifact
	// writes them: the reference and mulesoft need all of them; AWS any
	// one; Kong any one entry, each entry a space-separated AND.
	Scopes []string `yaml:"scopes,omitempty"`
	// Extra is what else a profile's Allows reads about the route (Tyk:
	// the policies that grant it), set by its Load and checked by its
	// CheckRoute. Nil for the reference.
	Extra any `yaml:"-"`
}

// pattern is the route's net/http ServeMux pattern.
func (r Route) pattern() string {
	if r.Method == "" {
		return r.Path
	}
	return strings.ToUpper(r.Method) + " " + r.Path
}

// Duration is a time.Duration written in YAML as "30s" or "5m".
type Duration time.Duration

// UnmarshalYAML reads a Go duration string.
func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	var s string
	if err := n.Decode(&s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	if err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	*d = Duration(v)
	return nil
}

// MarshalYAML writes the duration as a Go duration string.
func (d Duration) MarshalYAML() (any, error) { return time.Duration(d).String(), nil }

// LoadConfig reads a YAML config file and fills the introspection client
// secret from the environment variable the file names. The file's profile
// key chooses the profile (none: the reference).
func LoadConfig(path string) (Config, error) {
	return loadConfig(path, os.LookupEnv)
}

func loadConfig(path string, lookup func(string) (string, bool)) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	c, err := parseYAML(path, b)
	if err != nil {
		return Config{}, err
	}
	return c, c.complete(path, lookup)
}

// loadYAMLArtifacts is the Load of the profiles whose artifact is the
// reference YAML: one file, whose profile key (if any) must be name.
func loadYAMLArtifacts(name string) func([]Artifact) (Config, error) {
	return func(files []Artifact) (Config, error) {
		if len(files) != 1 {
			return Config{}, fmt.Errorf("profile %q reads one YAML file, not %d", name, len(files))
		}
		c, err := parseYAML(files[0].Name, files[0].Data)
		if err != nil {
			return Config{}, err
		}
		if c.Profile != name {
			return Config{}, fmt.Errorf("%s: profile: %q, but the file is read as profile %q (its artifact says profile: %s)", files[0].Name, c.Profile, name, name)
		}
		return c, nil
	}
}

// LoadArtifacts reads the native artifact files of a profile (the command's
// --config files) and loads them with LoadProfile, taking secrets from the
// process's environment. An unreadable file is an *fs.PathError.
func LoadArtifacts(p Profile, paths []string) (Config, error) {
	files := make([]Artifact, 0, len(paths))
	for _, path := range paths {
		b, err := os.ReadFile(path)
		if err != nil {
			return Config{}, err
		}
		files = append(files, Artifact{Name: path, Data: b})
	}
	return LoadProfile(p, files, os.LookupEnv)
}

// LoadProfile reads a profile's native artifacts with its Load, fills the
// introspection client's secret from the environment variable the config
// names (lookup is os.LookupEnv for the command, a map's lookup for an
// in-process demo), and validates the result.
func LoadProfile(p Profile, files []Artifact, lookup func(string) (string, bool)) (Config, error) {
	c, err := p.Load(files)
	if err != nil {
		return Config{}, err
	}
	c.Profile = p.Name
	names := make([]string, len(files))
	for i, f := range files {
		names[i] = f.Name
	}
	return c, c.complete(strings.Join(names, ", "), lookup)
}

// complete fills the introspection client's secret from the environment
// variable the config names and validates the config; errors start with
// where, the file(s).
func (c *Config) complete(where string, lookup func(string) (string, bool)) error {
	if env := c.Introspection.ClientSecretEnv; env != "" && c.Introspection.ClientSecret == "" {
		v, err := clientSecretFrom(where+": introspection.client_secret_env", env, lookup)
		if err != nil {
			return err
		}
		c.Introspection.ClientSecret = v
	}
	if err := c.Validate(); err != nil {
		return fmt.Errorf("%s: %w", where, err)
	}
	return nil
}

// parseYAML decodes the reference YAML, refusing unknown keys.
func parseYAML(path string, b []byte) (Config, error) {
	var c Config
	if err := decodeStrict(path, b, &c); err != nil {
		return Config{}, err
	}
	return c, nil
}

// decodeStrict decodes the YAML file path (its content b) into dst, a
// pointer, refusing an unknown key with its line, column and the valid
// keys (checkKeys).
func decodeStrict(path string, b []byte, dst any) error {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err == nil {
		if err := checkKeys(path, &doc, reflect.TypeOf(dst), ""); err != nil {
			return err
		}
	}
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(dst); err != nil {
		return fmt.Errorf("%s: %s", path, yamlError(err))
	}
	return nil
}

// MulesoftRoutes are the routes of the article's Mulesoft API: GET /planets
// needs the silver scope, GET /moons the gold scope, GET /asteroids only a
// valid token.
func MulesoftRoutes(silverScope, goldScope string) []Route {
	return []Route{
		{Method: http.MethodGet, Path: "/planets", Scopes: []string{silverScope}},
		{Method: http.MethodGet, Path: "/moons", Scopes: []string{goldScope}},
		{Method: http.MethodGet, Path: "/asteroids"},
	}
}

// MulesoftConfig is the configuration that does what the article's Mulesoft
// API does: introspection against the issuer with the introspection client,
// and MulesoftRoutes.
func MulesoftConfig(upstream, issuer, audience, clientID, clientSecret, silverScope, goldScope string) Config {
	return Config{
		Upstream: upstream,
		Mode:     ModeIntrospect,
		Issuer:   issuer,
		Audience: audience,
		Introspection: Introspection{
			ClientID:     clientID,
			ClientSecret: clientSecret,
		},
		Routes: MulesoftRoutes(silverScope, goldScope),
	}
}

// Validate reports the first missing or malformed setting, by its YAML name,
// as the config's profile reads them.
func (c Config) Validate() error {
	p, err := LookupProfile(c.Profile)
	if err != nil {
		return fmt.Errorf("profile: %w", err)
	}
	if err := checkURL("upstream", c.Upstream); err != nil {
		return err
	}
	// The issuer is needed to check iss, to find the JWKS or the
	// introspection endpoint; a product that needs none of them (Tyk with a
	// JWKS URL) may leave it out.
	needIssuer := p.Checks.Issuer || (c.Mode == ModeJWT && c.JWKSURL == "") ||
		(c.Mode == ModeIntrospect && c.Introspection.URL == "")
	if c.Issuer != "" || needIssuer {
		if err := checkURL("issuer", c.Issuer); err != nil {
			return err
		}
	}
	if c.Audience == "" && len(c.Audiences) == 0 && p.Checks.Audience {
		return errors.New("audience: missing")
	}
	switch c.Mode {
	case ModeIntrospect:
		if c.Introspection.URL != "" {
			if err := checkURL("introspection.url", c.Introspection.URL); err != nil {
				return err
			}
		}
		if c.Introspection.ClientID == "" {
			return errors.New("introspection.client_id: missing (introspect mode)")
		}
		if c.Introspection.ClientSecret == "" {
			return errors.New("introspection.client_secret_env: missing or empty (introspect mode)")
		}
	case ModeJWT:
		if c.JWKSURL != "" {
			if err := checkURL("jwks_url", c.JWKSURL); err != nil {
				return err
			}
		}
	case "":
		return errors.New("mode: missing (introspect or jwt)")
	default:
		return fmt.Errorf("mode: %q is not introspect or jwt", c.Mode)
	}
	if len(c.Routes) == 0 {
		return errors.New("routes: none")
	}
	mux := http.NewServeMux() // to check the patterns as New will use them
	for i, r := range c.Routes {
		if strings.ContainsAny(r.Method, " /") {
			return fmt.Errorf("routes[%d].method: %q is not an HTTP method", i, r.Method)
		}
		if !strings.HasPrefix(r.Path, "/") {
			return fmt.Errorf("routes[%d].path: %q does not start with /", i, r.Path)
		}
		check := p.CheckRoute
		if check == nil {
			check = checkRoute
		}
		if err := check(r); err != nil {
			return fmt.Errorf("routes[%d].%w", i, err)
		}
		if err := register(mux, r.pattern(), http.NotFoundHandler()); err != nil {
			return fmt.Errorf("routes[%d]: %w", i, err)
		}
	}
	if c.CacheSize < 0 {
		return errors.New("cache_size: negative")
	}
	if c.CacheTTL < 0 {
		return errors.New("cache_ttl: negative")
	}
	return nil
}

// yamlError says in one line what the YAML decoder found wrong: an empty
// file, or each error of the document with its line.
func yamlError(err error) string {
	var te *yaml.TypeError
	switch {
	case errors.Is(err, io.EOF):
		return "the file is empty (see apicenter gateway --help for an example)"
	case errors.As(err, &te):
		return strings.Join(te.Errors, "; ")
	}
	return strings.ReplaceAll(err.Error(), "\n", " ")
}

func checkURL(name, v string) error {
	if v == "" {
		return fmt.Errorf("%s: missing", name)
	}
	u, err := url.Parse(v)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("%s: %q is not an http(s) URL", name, v)
	}
	return nil
}
