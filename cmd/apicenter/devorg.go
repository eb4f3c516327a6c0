package main

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// devOrgTokenEnv names the environment variable that gives the API token.
const devOrgTokenEnv = "APICENTER_DEV_ORG_API_TOKEN"

// devOrgOptions are the dependencies and flags of `apicenter dev-org`.
type devOrgOptions struct {
	IO *iostreams.IOStreams

	Addr      string
	APIToken  string
	StatePath string
	TLS       bool
	TLSCAPath string
	Latency   devorg.LatencyModel
	RateLimit int
	Faults    devorg.FaultOptions
}

func newDevOrgCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &devOrgOptions{IO: ios}
	var latency, faults string
	cmd := &cobra.Command{
		Use:   "dev-org",
		Short: "Run a local Okta-compatible org",
		Long: `Run a local Okta-compatible org: the management API (/api/v1, SSWS token)
and the OAuth 2.0 / OpenID Connect endpoints (/oauth2/...), in memory or kept
in a state file. It is what the tests and the demo run against, and what to
try apicenter on before pointing it at a real Okta org.

Once it accepts connections it prints, on stdout, lines a script can read:

  OKTA_ORG_URL=http://127.0.0.1:8484
  OKTA_API_TOKEN=00...

(and OKTA_TLS_CA=FILE with --tls). A value is single-quoted where a shell
needs it, so a script that started dev-org in the background with stdout to
a file can load them with: set -a; . FILE; set +a
It stops cleanly on Ctrl-C (SIGINT) or SIGTERM.

The API token is --api-token, else $` + devOrgTokenEnv + `, else a random one.
The org listens on a loopback address only.

Knobs for tests and benchmarks:
  --latency 200ms       delay every answer by a fixed duration
  --latency recorded    delay each endpoint by the median latency of real Okta
                        (unknown endpoints: the median of their method)
  --rate-limit N        N requests per minute per endpoint (method + path
                        pattern); past it, 429 E0000047 with X-Rate-Limit-Reset
  --faults 0.1          answer 10% of requests with a fault
  --faults rate=0.1,seed=7,kinds=429+500+close+close-after
                        the fraction, the seed that makes the choice
                        reproducible, and the kinds to pick from (default all):
                          429          Okta's rate-limit answer
                          500          Okta's internal error E0000009
                          close        connection closed, request not applied
                          close-after  request applied, then the connection
                                       closed before the answer

` + exitcode.Help,
		Example: `  apicenter dev-org
  apicenter dev-org --addr 127.0.0.1:0 --state .devorg.json
  apicenter dev-org --tls --tls-ca ca.pem --latency recorded`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.APIToken == "" {
				opts.APIToken = os.Getenv(devOrgTokenEnv)
			}
			if opts.TLS && opts.TLSCAPath == "" {
				return &flagError{errors.New("--tls needs --tls-ca FILE, where the CA certificate clients must trust is written")}
			}
			if !opts.TLS && opts.TLSCAPath != "" {
				return &flagError{errors.New("--tls-ca is only meaningful with --tls")}
			}
			if err := devorg.CheckLoopbackAddr(opts.Addr); err != nil {
				return &flagError{fmt.Errorf("--addr: %w", err)}
			}
			if opts.RateLimit < 0 {
				return &flagError{fmt.Errorf("--rate-limit %d: want 0 (none) or a positive number of requests per minute", opts.RateLimit)}
			}
			var err error
			if opts.Latency, err = devorg.ParseLatency(latency); err != nil {
				return &flagError{fmt.Errorf("--latency: %w", err)}
			}
			if opts.Faults, err = devorg.ParseFaults(faults); err != nil {
				return &flagError{fmt.Errorf("--faults: %w", err)}
			}
			return runDevOrg(cmd.Context(), opts)
		},
	}
	f := cmd.Flags()
	f.StringVar(&opts.Addr, "addr", "127.0.0.1:8484", "`host:port` to listen on (loopback only; port 0 picks a free port)")
	f.StringVar(&opts.APIToken, "api-token", "", "the SSWS API `token` the org accepts (default $"+devOrgTokenEnv+", else random)")
	f.StringVar(&opts.StatePath, "state", "", "keep the org in this JSON `file` (0600), reloaded at start (default: in memory)")
	f.BoolVar(&opts.TLS, "tls", false, "serve HTTPS with a certificate made at start")
	f.StringVar(&opts.TLSCAPath, "tls-ca", "", "with --tls, write the CA certificate clients must trust to this `file`")
	f.StringVar(&latency, "latency", "", "delay answers: a `duration` (200ms) or \"recorded\" (real Okta's per-endpoint medians)")
	f.IntVar(&opts.RateLimit, "rate-limit", 0, "requests per minute per endpoint before 429 (0: no limit)")
	f.StringVar(&faults, "faults", "", "inject faults: a fraction (0.1) or rate=0.1,seed=7,kinds=429+500+close+close-after")
	return cmd
}

// runDevOrg serves the org until ctx is cancelled (SIGINT, SIGTERM).
func runDevOrg(ctx context.Context, opts *devOrgOptions) error {
	if opts.APIToken == "" {
		opts.APIToken = devorg.NewAPIToken()
	}
	srv, err := devorg.Listen(
		devorg.ServeOptions{Addr: opts.Addr, TLS: opts.TLS, ErrorLog: log.New(opts.IO.ErrOut, "dev-org: ", 0)},
		devorg.Options{
			APIToken:  opts.APIToken,
			StatePath: opts.StatePath,
			Latency:   opts.Latency,
			RateLimit: opts.RateLimit,
			Faults:    opts.Faults,
		})
	if errors.Is(err, devorg.ErrBadState) {
		return exitcode.Wrap(exitcode.Input, fmt.Errorf("dev-org: --state: %w", err))
	}
	if errors.Is(err, syscall.EADDRINUSE) {
		return &flagError{fmt.Errorf("dev-org: --addr %s: the address is in use (pick another, or 127.0.0.1:0 for a free port)", opts.Addr)}
	}
	if err != nil {
		return fmt.Errorf("dev-org: %w", err)
	}
	stop := func() error {
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	}
	if opts.TLS {
		// The CA certificate is public; it is not a secret.
		if err := os.WriteFile(opts.TLSCAPath, srv.CACertPEM, 0o644); err != nil {
			_ = stop()
			return fmt.Errorf("dev-org: --tls-ca: %w", err)
		}
	}
	fmt.Fprint(opts.IO.Out, envLine("OKTA_ORG_URL", srv.URL), envLine("OKTA_API_TOKEN", opts.APIToken))
	if opts.TLS {
		fmt.Fprint(opts.IO.Out, envLine("OKTA_TLS_CA", opts.TLSCAPath))
	}
	where := "in memory"
	if opts.StatePath != "" {
		where = "kept in " + opts.StatePath
	}
	fmt.Fprintf(opts.IO.ErrOut, "dev-org: a local Okta org is listening on %s (state %s); Ctrl-C stops it\n", srv.URL, where)

	select {
	case <-ctx.Done():
		fmt.Fprintln(opts.IO.ErrOut, "dev-org: stopping")
		return stop()
	case err := <-srv.Done():
		if errors.Is(err, http.ErrServerClosed) {
			return nil
		}
		return fmt.Errorf("dev-org: %w", err)
	}
}

// envLine is one NAME=value line of what dev-org prints, in a form a shell
// can source or eval: the value is single-quoted when it holds anything
// but letters, digits and the characters of URLs and paths.
func envLine(name, value string) string {
	safe := value != ""
	for _, c := range value {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_./:@%+,=", c)) {
			safe = false
			break
		}
	}
	if !safe {
		value = "'" + strings.ReplaceAll(value, "'", `'\''`) + "'"
	}
	return name + "=" + value + "\n"
}
