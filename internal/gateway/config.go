package gateway

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
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

// Config is the gateway's configuration, usually read from YAML by LoadConfig.
type Config struct {
	// Upstream is the base URL of the API behind the gateway.
	Upstream string `yaml:"upstream"`
	// Mode is introspect or jwt.
	Mode Mode `yaml:"mode"`
	// Issuer is the authorization server's issuer (https://org/oauth2/id).
	// Tokens with another iss are refused.
	Issuer string `yaml:"issuer"`
	// Audience is the aud a token must carry (api://default for example).
	Audience string `yaml:"audience"`
	// JWKSURL overrides the jwks_uri of the issuer's discovery document
	// (jwt mode).
	JWKSURL string `yaml:"jwks_url,omitempty"`
	// Introspection configures introspect mode.
	Introspection Introspection `yaml:"introspection,omitempty"`
	// CacheTTL bounds how long an introspection answer is reused (it is
	// never reused past the token's exp). Zero means DefaultCacheTTL.
	CacheTTL Duration `yaml:"cache_ttl,omitempty"`
	// CacheSize bounds the number of cached answers. Zero means
	// DefaultCacheSize.
	CacheSize int `yaml:"cache_size,omitempty"`
	// Routes lists what the gateway forwards and the scopes each needs.
	// Any other request is answered 404.
	Routes []Route `yaml:"routes"`

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
	// ClientSecret is the secret, filled by LoadConfig from ClientSecretEnv
	// or set directly by code.
	ClientSecret string `yaml:"-"`
}

// Route is a method and a path pattern (net/http ServeMux syntax, e.g.
// /planets or /planets/{name}) and the scopes a token needs for it: all of
// them. No scopes means any valid token.
type Route struct {
	Method string   `yaml:"method"`
	Path   string   `yaml:"path"`
	Scopes []string `yaml:"scopes,omitempty"`
}

// pattern is the route's net/http ServeMux pattern.
func (r Route) pattern() string { return strings.ToUpper(r.Method) + " " + r.Path }

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
// secret from the environment variable the file names.
func LoadConfig(path string) (Config, error) {
	return loadConfig(path, os.LookupEnv)
}

func loadConfig(path string, lookup func(string) (string, bool)) (Config, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return Config{}, err
	}
	var c Config
	dec := yaml.NewDecoder(strings.NewReader(string(b)))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("%s: %s", path, yamlError(err))
	}
	if env := c.Introspection.ClientSecretEnv; env != "" {
		v, ok := lookup(env)
		if !ok || v == "" {
			return Config{}, fmt.Errorf("%s: introspection.client_secret_env: environment variable %s is not set", path, env)
		}
		c.Introspection.ClientSecret = v
	}
	if err := c.Validate(); err != nil {
		return Config{}, fmt.Errorf("%s: %w", path, err)
	}
	return c, nil
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

// Validate reports the first missing or malformed setting, by its YAML name.
func (c Config) Validate() error {
	if err := checkURL("upstream", c.Upstream); err != nil {
		return err
	}
	if err := checkURL("issuer", c.Issuer); err != nil {
		return err
	}
	if c.Audience == "" {
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
		if r.Method == "" || strings.ContainsAny(r.Method, " /") {
			return fmt.Errorf("routes[%d].method: %q is not an HTTP method", i, r.Method)
		}
		if !strings.HasPrefix(r.Path, "/") {
			return fmt.Errorf("routes[%d].path: %q does not start with /", i, r.Path)
		}
		for j, s := range r.Scopes {
			if s == "" || strings.ContainsAny(s, " \"\\") {
				return fmt.Errorf("routes[%d].scopes[%d]: %q is not a scope", i, j, s)
			}
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
