package webapp

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// Config is what the web app needs: the settings `apicenter get-settings
// --mulesoft` prints, by their .env names.
type Config struct {
	OrgURL       string // ORG_URL (shown on the page)
	Issuer       string // ISSUER: the authorization server
	Audience     string // AUDIENCE (shown on the page)
	ClientID     string // CLIENT_ID: the app's OAuth client
	ClientSecret string // CLIENT_SECRET
	RedirectURI  string // REDIRECT_URI: its path is the app's callback
	GatewayURI   string // GATEWAY_URI: the base URL of the API behind the gateway
	Gateway      string // GATEWAY: the gateway's name (shown on the page)

	SilverScope string // SILVER_SCOPE
	GoldScope   string // GOLD_SCOPE
	// SilverUsername and GoldUsername are the users' logins, sent to the
	// sign-in page as login_hint. Passwords are never given to the app.
	SilverUsername string // SILVER_USERNAME
	GoldUsername   string // GOLD_USERNAME

	// SessionSecret keys the session cookie's MAC (SESSION_SECRET); empty
	// means a random one. Sessions live in the app's memory, so they end
	// when it restarts either way.
	SessionSecret string

	// HTTPClient makes the calls to the authorization server and the
	// gateway; nil means a client with a 10 s timeout.
	HTTPClient *http.Client `json:"-"`
	// ErrorLog receives failures worth an operator's eye; nil discards.
	ErrorLog func(format string, args ...any) `json:"-"`
}

// settingNames maps each .env key to its Config field, in the order
// get-settings prints them.
func (c *Config) settings() []struct {
	key      string
	dst      *string
	required bool
} {
	return []struct {
		key      string
		dst      *string
		required bool
	}{
		{"ORG_URL", &c.OrgURL, false},
		{"ISSUER", &c.Issuer, true},
		{"AUDIENCE", &c.Audience, false},
		{"CLIENT_ID", &c.ClientID, true},
		{"CLIENT_SECRET", &c.ClientSecret, true},
		{"REDIRECT_URI", &c.RedirectURI, true},
		{"GATEWAY_URI", &c.GatewayURI, true},
		{"GATEWAY", &c.Gateway, false},
		{"SILVER_SCOPE", &c.SilverScope, true},
		{"GOLD_SCOPE", &c.GoldScope, true},
		{"SILVER_USERNAME", &c.SilverUsername, false},
		{"GOLD_USERNAME", &c.GoldUsername, false},
		{"SESSION_SECRET", &c.SessionSecret, false},
	}
}

// ConfigFromEnv builds a Config from settings looked up by their .env names
// (os.LookupEnv, or a map of a .env file), and validates it.
func ConfigFromEnv(lookup func(string) (string, bool)) (Config, error) {
	var c Config
	for _, s := range c.settings() {
		if v, ok := lookup(s.key); ok {
			*s.dst = strings.TrimSpace(v)
		}
	}
	return c, c.Validate()
}

// SettingError names a setting that is missing or malformed.
type SettingError struct {
	Key     string // the .env name, e.g. ISSUER
	Missing bool   // else Problem says what is wrong with the value
	Problem string
}

func (e *SettingError) Error() string {
	if e.Missing {
		return fmt.Sprintf("setting %s is missing (see apicenter get-settings --mulesoft)", e.Key)
	}
	return fmt.Sprintf("setting %s: %s", e.Key, e.Problem)
}

// Validate names the first missing or malformed setting, as a *SettingError.
func (c Config) Validate() error {
	for _, s := range c.settings() {
		if s.required && *s.dst == "" {
			return &SettingError{Key: s.key, Missing: true}
		}
	}
	for _, u := range []struct{ key, v string }{{"ISSUER", c.Issuer}, {"REDIRECT_URI", c.RedirectURI}, {"GATEWAY_URI", c.GatewayURI}} {
		p, err := url.Parse(u.v)
		if err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" {
			return &SettingError{Key: u.key, Problem: fmt.Sprintf("%q is not an http(s) URL", u.v)}
		}
	}
	// The redirect URI's path is the callback; the home page holds "/".
	if p, _ := url.Parse(c.RedirectURI); p.Path == "" || p.Path == "/" {
		return &SettingError{Key: "REDIRECT_URI", Problem: fmt.Sprintf("%q has no callback path (e.g. /authorization-code/callback)", c.RedirectURI)}
	}
	return nil
}
