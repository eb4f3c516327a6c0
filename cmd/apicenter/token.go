package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/orgenv"
	"github.com/apicenter/apicenter/internal/signin"
)

type tokenOptions struct {
	IO        *iostreams.IOStreams
	LookupEnv func(string) (string, bool)

	EnvFile string
	User    string
	Scopes  []string
	Format  string
}

const tokenExitCodes = `Exit codes:
  0    the token is printed
  1    any other error
  2    a bad flag
  3    a setting is missing or invalid
  4    the org refused the sign-in (password, access policy, scope) or could not be reached`

func newTokenCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &tokenOptions{IO: ios, LookupEnv: os.LookupEnv}
	cmd := &cobra.Command{
		Use:   "token --user silver|gold [--scope SCOPE]...",
		Short: "Sign the silver or the gold user in and print an access token",
		Long: `Sign the silver or the gold user in as the web app does, without a browser,
and print the access token on stdout: to call a gateway with curl, as the
walk-throughs do.

Its settings are the web app's, as 'apicenter get-settings --<input>' prints
them (get-settings --mulesoft, --kong, --aws...): ORG_URL, ISSUER, CLIENT_ID,
CLIENT_SECRET, REDIRECT_URI, SILVER_SCOPE, GOLD_SCOPE and the user's
USERNAME and PASSWORD (SILVER_USERNAME, SILVER_PASSWORD...). They are read
from the environment, then from --env-file (.env) for any the environment
does not set.

The sign-in: a session token from the org's Authentication API
(/api/v1/authn), /v1/authorize with it, then the authorization code flow with
PKCE. The scopes are the web app's: openid and SILVER_SCOPE for silver, and
GOLD_SCOPE too for gold; --scope asks for others (repeat it). An org whose
sign-in policy asks for more than a password (MFA) refuses it.

  apicenter get-settings --kong > .env
  curl -H "Authorization: Bearer $(apicenter token --user silver)" "$GATEWAY_URI/planets"

` + tokenExitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runToken(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.EnvFile, "env-file", ".env", "settings `file` (KEY=VALUE lines); a missing default .env is fine")
	cmd.Flags().StringVar(&opts.User, "user", "", "who signs in: silver or gold")
	cmd.Flags().StringSliceVar(&opts.Scopes, "scope", nil, "a `scope` to ask for instead of the user's (repeatable)")
	cmd.Flags().StringVar(&opts.Format, "format", "token", "what to print: token (the access token) or json (the token endpoint's answer)")
	return cmd
}

func runToken(ctx context.Context, opts *tokenOptions) error {
	who := strings.ToUpper(opts.User)
	if who != "SILVER" && who != "GOLD" {
		return exitcode.Wrap(exitcode.Usage, fmt.Errorf("--user %q: want silver or gold (see 'apicenter token --help')", opts.User))
	}
	if opts.Format != "token" && opts.Format != "json" {
		return exitcode.Wrap(exitcode.Usage, fmt.Errorf("--format %q: want token or json", opts.Format))
	}
	env, err := orgenv.Load(opts.EnvFile, opts.EnvFile == ".env", opts.LookupEnv)
	if err != nil {
		return exitcode.Wrap(exitcode.Input, fmt.Errorf("--env-file: %w", err))
	}
	setting := func(key string) (string, error) {
		v, _, ok := env.Lookup(key)
		if v = strings.TrimSpace(v); !ok || v == "" {
			return "", exitcode.Wrap(exitcode.Input, fmt.Errorf("setting %s is missing: set it in the environment or in --env-file %s (apicenter get-settings --<input> prints the settings)", key, opts.EnvFile))
		}
		return v, nil
	}
	keys := []string{"ORG_URL", "ISSUER", "CLIENT_ID", "CLIENT_SECRET", "REDIRECT_URI", who + "_USERNAME", who + "_PASSWORD"}
	if len(opts.Scopes) == 0 {
		keys = append(keys, "SILVER_SCOPE")
		if who == "GOLD" {
			keys = append(keys, "GOLD_SCOPE")
		}
	}
	v := map[string]string{}
	for _, k := range keys {
		if v[k], err = setting(k); err != nil {
			return err
		}
	}
	scopes := opts.Scopes
	if len(scopes) == 0 {
		scopes = []string{"openid", v["SILVER_SCOPE"]}
		if who == "GOLD" {
			scopes = append(scopes, v["GOLD_SCOPE"])
		}
	}
	c := signin.Client{OrgURL: v["ORG_URL"], Issuer: v["ISSUER"], ClientID: v["CLIENT_ID"],
		ClientSecret: v["CLIENT_SECRET"], RedirectURI: v["REDIRECT_URI"]}
	tok, err := c.Password(ctx, v[who+"_USERNAME"], v[who+"_PASSWORD"], scopes)
	var refused *signin.RefusedError
	switch {
	case errors.As(err, &refused):
		return exitcode.Wrap(exitcode.Org, fmt.Errorf("%s (%s) with the scopes %s: %w", v[who+"_USERNAME"], who+"_USERNAME", strings.Join(scopes, " "), err))
	case err != nil:
		return exitcode.Wrap(exitcode.Org, fmt.Errorf("signing %s in at %s: %w", v[who+"_USERNAME"], v["ORG_URL"], err))
	}
	if opts.Format == "json" {
		out := map[string]any{"access_token": tok.AccessToken, "token_type": tok.TokenType, "expires_in": tok.ExpiresIn}
		for _, k := range []string{"scope", "id_token"} {
			if x, ok := tok.Extra(k).(string); ok {
				out[k] = x
			}
		}
		enc := json.NewEncoder(opts.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(out)
	}
	_, err = fmt.Fprintln(opts.IO.Out, tok.AccessToken)
	return err
}
