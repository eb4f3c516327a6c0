package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/orgenv"
	"github.com/apicenter/apicenter/internal/webapp"
)

// appOptions are the dependencies and flags of `apicenter app`.
type appOptions struct {
	IO *iostreams.IOStreams
	// LookupEnv reads the environment (os.LookupEnv; tests substitute).
	LookupEnv func(string) (string, bool)

	Addr    string
	EnvFile string
}

func newAppCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &appOptions{IO: ios, LookupEnv: os.LookupEnv}
	cmd := &cobra.Command{
		Use:   "app",
		Short: "Run the API Center web app",
		Long: `Run the API Center web app: sign in as the silver or the gold user (authorization
code flow with PKCE, state and nonce), see the claims of your ID and access
tokens, and ask the API for the planets and the moons through the gateway.

Its settings are the ones 'apicenter get-settings --mulesoft' prints:
ORG_URL, ISSUER, AUDIENCE, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI, GATEWAY_URI,
GATEWAY, SILVER_SCOPE, GOLD_SCOPE, SILVER_USERNAME, GOLD_USERNAME, and
optionally SESSION_SECRET. They are read from the environment, then from the
--env-file (.env) for any the environment does not set. The app never reads
or shows passwords.

The app listens on --addr; the REDIRECT_URI must point at it (its path is the
callback, e.g. http://127.0.0.1:8080/authorization-code/callback). Once
listening, it prints its URL on stdout and runs until Ctrl-C.

` + serverExitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkAddr(opts.Addr); err != nil {
				return err
			}
			return runApp(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:8080", "listen `address`")
	cmd.Flags().StringVar(&opts.EnvFile, "env-file", ".env", "settings `file` (KEY=VALUE lines); a missing default .env is fine")
	return cmd
}

func runApp(ctx context.Context, opts *appOptions) error {
	env, err := orgenv.Load(opts.EnvFile, opts.EnvFile == ".env", opts.LookupEnv)
	if err != nil {
		return exitcode.Wrap(exitcode.Input, fmt.Errorf("--env-file: %w", err))
	}
	cfg, err := webapp.ConfigFromEnv(func(k string) (string, bool) {
		v, _, ok := env.Lookup(k)
		return v, ok
	})
	var bad *webapp.SettingError
	switch {
	case errors.As(err, &bad) && bad.Missing:
		return exitcode.Wrap(exitcode.Input, fmt.Errorf("setting %s is missing: set it in the environment or in --env-file %s (apicenter get-settings --mulesoft prints the settings)", bad.Key, opts.EnvFile))
	case errors.As(err, &bad):
		_, source, _ := env.Lookup(bad.Key)
		if source == "environment" {
			source = "the environment"
		}
		return exitcode.Wrap(exitcode.Input, fmt.Errorf("setting %s (from %s): %s", bad.Key, source, bad.Problem))
	case err != nil:
		return exitcode.Wrap(exitcode.Input, err)
	}
	cfg.ErrorLog = func(format string, args ...any) { fmt.Fprintf(opts.IO.ErrOut, format+"\n", args...) }
	a, err := webapp.New(cfg)
	if err != nil {
		return exitcode.Wrap(exitcode.Input, err)
	}
	if _, port, err := net.SplitHostPort(opts.Addr); err == nil {
		if u, err := url.Parse(cfg.RedirectURI); err == nil && u.Port() != port && port != "0" {
			fmt.Fprintf(opts.IO.ErrOut, "app: warning: REDIRECT_URI %s is not on --addr %s; sign-in will not come back here\n", cfg.RedirectURI, opts.Addr)
		}
	}
	return serve(ctx, opts.IO, "app", opts.Addr, a)
}
