package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/demo"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/flow"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// demoOptions are the dependencies and flags of `apicenter demo`.
type demoOptions struct {
	IO *iostreams.IOStreams

	Gateway   string
	Port      int
	OutputDir string
	// Latency and Faults are the local org's (as dev-org's flags).
	Latency devorg.LatencyModel
	Faults  devorg.FaultOptions
}

func newDemoCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &demoOptions{IO: ios}
	gateways := flow.Gateways()
	var latency, faults string
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole flow on one machine: local org, bootstrap, API, gateway, web app",
		Long: `Run the whole flow of a gateway on this machine, with no Okta account and no
gateway product:

  1. a local Okta-compatible org (as 'apicenter dev-org'),
  2. the gateway's bootstrap steps, as its input's demo section lists them:
     'apicenter bootstrap --<gateway>', or the input's own steps (with, for
     a product that registers the app's client itself, that registration
     through the org's dynamic client registration endpoint),
  3. the solar-system API, the reference gateway emulating the product
     (its profile) from the very configuration 'get-settings' prints for it
     (GET /planets needs the silver scope, GET /moons the gold scope), and
     the API Center web app with the settings the demo section names.

Gateways (--gateway: the embedded inputs with a demo section; an input
without one says why in its file):
  ` + strings.Join(gateways, ", ") + `

It prints the web app's URL and the silver and gold users' credentials on
stdout (progress, and the gateway's decisions, go to stderr), then runs until
Ctrl-C. Everything listens on 127.0.0.1; the org lives in memory. The
temporary output directory (it holds the passwords and client secrets) is
removed on every exit: Ctrl-C, SIGTERM, SIGHUP, a failed start, and a closed
output pipe ('make demo | tee log' then Ctrl-C).

--latency and --faults are dev-org's (see 'apicenter dev-org --help'): watch
the flow at real Okta's pace (--latency recorded), or a bootstrap retrying
through faults.

Exit codes:
  0    stopped by Ctrl-C, SIGTERM or SIGHUP once running
  1    a part failed to start (the message names it), or to stop
  2    a bad or busy --port, or an unknown --gateway
  3, 4 a bootstrap step failed, with bootstrap's exit code (see its --help)
  130  Ctrl-C or a signal while starting (nothing is left running)`,
		Example: `  apicenter demo
  apicenter demo --gateway kong --port 8080
  make demo ARGS='--port 8080 --gateway kong'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Port < 0 || opts.Port > 65535 {
				return &flagError{fmt.Errorf("--port %d: must be between 0 and 65535", opts.Port)}
			}
			var err error
			if opts.Latency, err = devorg.ParseLatency(latency); err != nil {
				return &flagError{fmt.Errorf("--latency: %w", err)}
			}
			if opts.Faults, err = devorg.ParseFaults(faults); err != nil {
				return &flagError{fmt.Errorf("--faults: %w", err)}
			}
			if !slices.Contains(gateways, opts.Gateway) {
				return &flagError{fmt.Errorf("--gateway %s: not a gateway with a demo (one of: %s)", opts.Gateway, strings.Join(gateways, ", "))}
			}
			return runDemo(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Gateway, "gateway", demo.DefaultGateway, "the gateway `NAME` whose flow to run: "+strings.Join(gateways, ", "))
	cmd.Flags().IntVar(&opts.Port, "port", 0, "`PORT` of the web app on 127.0.0.1 (0 picks a free one)")
	cmd.Flags().StringVar(&opts.OutputDir, "output-dir", "", "keep the bootstrap's output files in `DIR` (default: a temporary directory removed at exit)")
	cmd.Flags().StringVar(&latency, "latency", "", "delay the local org's answers: a `duration` (200ms) or \"recorded\" (real Okta's per-endpoint medians)")
	cmd.Flags().StringVar(&faults, "faults", "", "inject faults in the local org: a fraction (0.1) or a `SPEC` such as rate=0.1,seed=7,kinds=429+500")
	return cmd
}

func runDemo(ctx context.Context, opts *demoOptions) error {
	// A closed terminal (SIGHUP) stops the demo as Ctrl-C does. A write to
	// a closed pipe (`make demo | tee log`, then Ctrl-C: tee is gone before
	// the demo says it is stopping) must fail rather than kill the process
	// before it has removed its temporary directory: SIGPIPE is ignored.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGHUP)
	defer stop()
	signal.Ignore(syscall.SIGPIPE)

	// The command binds --port itself, so that a busy port is a usage error
	// that names the flag.
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return &flagError{fmt.Errorf("--port %d: %w", opts.Port, err)}
	}
	d, err := demo.Start(ctx, demo.Options{Gateway: opts.Gateway, AppListener: ln, OutputDir: opts.OutputDir, IO: opts.IO,
		Org: devorg.Options{Latency: opts.Latency, Faults: opts.Faults}})
	if err != nil {
		if exitcode.Of(err) == exitcode.Interrupted {
			// Not bootstrap's "run the same command again to continue": the
			// org lived in memory, and a new demo starts a new one.
			return exitcode.Wrap(exitcode.Interrupted, errors.New("demo: interrupted"))
		}
		return fmt.Errorf("demo: %w", err)
	}
	s := d.Settings.App
	profile := "as the reference gateway does (RFC 6750)"
	if d.Profile != "" {
		profile = "as " + d.Profile + " does (apicenter gateway --profile " + d.Profile + ")"
	}
	fmt.Fprintf(opts.IO.Out, `
The API Center web app:  %s

Sign in as the silver user (planets only):
  username: %s
  password: %s
Sign in as the gold user (planets and moons):
  username: %s
  password: %s

local Okta org:   %s
gateway:          %s  (%s: tokens checked %s;
                  GET /planets needs %s, GET /moons needs %s)
solar-system API: %s
`, d.AppURL, s["SILVER_USERNAME"], s["SILVER_PASSWORD"], s["GOLD_USERNAME"], s["GOLD_PASSWORD"],
		d.OrgURL, s["GATEWAY_URI"], d.Gateway, profile, s["SILVER_SCOPE"], s["GOLD_SCOPE"], d.APIURL)
	if opts.OutputDir != "" {
		fmt.Fprintf(opts.IO.Out, "output files:     %s  (apicenter get-settings --%s --output-dir %s)\n", d.OutputDir, d.AppSet, d.OutputDir)
	} else {
		fmt.Fprintf(opts.IO.Out, "output files:     %s  (temporary: removed at exit; keep them with --output-dir)\n", d.OutputDir)
	}
	fmt.Fprintln(opts.IO.ErrOut, "demo: running; Ctrl-C stops everything")
	<-ctx.Done()
	fmt.Fprintln(opts.IO.ErrOut, "demo: stopping")
	if err := d.Close(context.Background()); err != nil {
		return fmt.Errorf("demo: stopping: %w", err)
	}
	return nil
}
