package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/gateway"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// gatewayOptions are the dependencies and flags of `apicenter gateway`.
type gatewayOptions struct {
	IO *iostreams.IOStreams

	// Profile names the gateway product to emulate; "" is the reference.
	Profile string
	// ConfigPaths are the config files: the reference YAML, or with
	// Profile the product's native artifact(s).
	ConfigPaths []string
	Addr        string
}

func newGatewayCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &gatewayOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "gateway [--profile NAME] --config FILE [--config FILE]...",
		Short: "Run the reference API gateway",
		Long: `Run the reference API gateway: a reverse proxy in front of an upstream API
that lets a request through only with a valid access token carrying the scopes
its route needs, as Mulesoft's "OpenID Connect access token enforcement" policy
does (mode introspect) or as JWT-validating gateways do (mode jwt).

The config file (YAML):

  # profile: mulesoft                    # answer as that product does (Profiles, below)
  upstream: http://127.0.0.1:8082        # the API (apicenter solar-system's default)
  mode: introspect                       # or jwt
  issuer: https://example.okta.com/oauth2/aus123
  audience: api://default
  introspection:                         # introspect mode
    url: https://example.okta.com/oauth2/aus123/v1/introspect  # optional
    client_id: 0oa...
    client_secret_env: INTROSPECTION_CLIENT_SECRET  # the secret stays out of the file
  # jwks_url: ...                        # jwt mode; default from the issuer's discovery
  # cache_ttl: ` + gateway.DefaultCacheTTL.String() + `                       # how long a checked token's answer is reused, never past its exp
  # cache_size: 10000
  routes:
    - {method: GET, path: /planets, scopes: [http://myapp.com/scp/silver]}
    - {method: GET, path: /moons, scopes: [http://myapp.com/scp/gold]}
    - {method: GET, path: /asteroids}

The answers follow RFC 6750. No bearer token (no Authorization header, or
another scheme): 401 with WWW-Authenticate: Bearer realm="apicenter" and no
error. A malformed bearer header: 400 error="invalid_request". A bad, expired
or revoked token: 401 error="invalid_token". A token without the route's
scopes: 403 error="insufficient_scope". A checked token's answer (the
introspection's, or the JWT's verification) is reused for at most cache_ttl
(` + gateway.DefaultCacheTTL.String() + ` by default) and never past the token's exp: in introspect mode a
revoked token is refused within cache_ttl; in jwt mode it stays good until it
expires. The upstream gets the token's subject in
X-Apicenter-Subject and never the Authorization header. Once listening, the
gateway prints its URL on stdout, and on stderr one line per request it
decides on (never a token); it runs until Ctrl-C.

With --profile NAME, the gateway behaves as that product does (its checks,
its scope semantics, its answers to refused requests) and the --config files
are the product's native artifact(s), as get-settings prints them. Profiles:

` + profileHelp() + `
A secret (the introspection client's) never goes in a file: it is read from
the environment variable the YAML names (client_secret_env), or, for an
artifact that names none, from ` + gateway.DefaultClientSecretEnv + `.

` + serverExitCodes,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(opts.ConfigPaths) == 0 {
				return &flagError{errors.New("--config is required")}
			}
			if _, err := gateway.LookupProfile(opts.Profile); err != nil {
				return &flagError{fmt.Errorf("--profile: %w", err)}
			}
			if opts.Profile == "" && len(opts.ConfigPaths) > 1 {
				return &flagError{errors.New("--config: the reference reads one YAML file; more than one needs --profile")}
			}
			if err := checkAddr(opts.Addr); err != nil {
				return err
			}
			return runGateway(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Profile, "profile", "", "the gateway product to emulate (`NAME`: "+strings.Join(gateway.ProfileNames(), ", ")+")")
	cmd.Flags().StringArrayVar(&opts.ConfigPaths, "config", nil, "the gateway's config `file` (repeatable with --profile)")
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:8081", "listen `address`")
	return cmd
}

// profileHelp lists the profiles of the gateway's table, one a line.
func profileHelp() string {
	var b strings.Builder
	for _, p := range gateway.Profiles() {
		name := p.Name
		if name == "" {
			name = "(none)"
		}
		fmt.Fprintf(&b, "  %-10s %s\n", name, p.Description)
	}
	return b.String()
}

func runGateway(ctx context.Context, opts *gatewayOptions) error {
	var cfg gateway.Config
	var err error
	if opts.Profile == "" {
		cfg, err = gateway.LoadConfig(opts.ConfigPaths[0])
	} else {
		p, _ := gateway.LookupProfile(opts.Profile) // checked in RunE
		cfg, err = gateway.LoadArtifacts(p, opts.ConfigPaths)
	}
	var pathErr *fs.PathError
	if errors.As(err, &pathErr) {
		return exitcode.Wrap(exitcode.Input, fmt.Errorf("--config: %w", err))
	}
	if err != nil {
		return exitcode.Wrap(exitcode.Input, err)
	}
	cfg.ErrorLog = func(format string, args ...any) { fmt.Fprintf(opts.IO.ErrOut, format+"\n", args...) }
	cfg.AccessLog = cfg.ErrorLog
	g, err := gateway.New(cfg)
	if err != nil {
		return exitcode.Wrap(exitcode.Input, fmt.Errorf("%s: %w", strings.Join(opts.ConfigPaths, ", "), err))
	}
	return serve(ctx, opts.IO, "gateway", opts.Addr, g)
}

// serverExitCodes are the exit codes of the commands that serve until
// Ctrl-C (app, gateway), for their --help.
const serverExitCodes = `Exit codes:
  0    stopped by Ctrl-C or SIGTERM (requests in flight may finish, 5 s at most)
  1    the server failed while serving
  2    a bad flag: --addr not host:port, or not free
  3    a missing or malformed setting or config file`

// checkAddr checks that --addr is host:port before anything is read.
func checkAddr(addr string) error {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return &flagError{fmt.Errorf("--addr %q: %w", addr, err)}
	}
	return nil
}

// serve runs h on addr until ctx is done, then shuts down gracefully. It
// prints the URL on stdout once listening.
func serve(ctx context.Context, ios *iostreams.IOStreams, name, addr string, h http.Handler) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return &flagError{fmt.Errorf("--addr %s: %w", addr, err)}
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(ios.ErrOut, "%s: listening; Ctrl-C to stop\n", name)
	fmt.Fprintf(ios.Out, "http://%s\n", ln.Addr())
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
		return nil
	}
}
