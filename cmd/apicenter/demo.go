package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/demo"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// demoOptions are the dependencies and flags of `apicenter demo`.
type demoOptions struct {
	IO *iostreams.IOStreams

	Port      int
	OutputDir string
}

func newDemoCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &demoOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Run the whole flow on one machine: local org, bootstrap, API, gateway, web app",
		Long: `Run the article's whole flow on this machine, with no Okta account and no
Mulesoft account:

  1. a local Okta-compatible org (as 'apicenter dev-org'),
  2. 'apicenter bootstrap --mulesoft',
  3. the app's OAuth client, registered through the org's dynamic client
     registration endpoint as Mulesoft would,
  4. 'apicenter bootstrap --mulesoft_policy',
  5. the solar-system API, the gateway in introspect mode (GET /planets needs
     the silver scope, GET /moons the gold scope) and the API Center web app.

It prints the web app's URL and the silver and gold users' credentials on
stdout (progress, and the gateway's decisions, go to stderr), then runs until
Ctrl-C. Everything listens on 127.0.0.1; the org lives in memory.

Exit codes:
  0    stopped by Ctrl-C or SIGTERM once running
  1    a part failed to start (the message names it), or to stop
  2    a bad or busy --port
  3, 4 a bootstrap step failed, with bootstrap's exit code (see its --help)
  130  Ctrl-C or a signal while starting (nothing is left running)`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.Port < 0 || opts.Port > 65535 {
				return &flagError{fmt.Errorf("--port %d: must be between 0 and 65535", opts.Port)}
			}
			return runDemo(cmd.Context(), opts)
		},
	}
	cmd.Flags().IntVar(&opts.Port, "port", 0, "`PORT` of the web app on 127.0.0.1 (0 picks a free one)")
	cmd.Flags().StringVar(&opts.OutputDir, "output-dir", "", "keep the bootstrap's output files in `DIR` (default: a temporary directory removed at exit)")
	return cmd
}

func runDemo(ctx context.Context, opts *demoOptions) error {
	// The command binds --port itself, so that a busy port is a usage error
	// that names the flag.
	addr := net.JoinHostPort("127.0.0.1", strconv.Itoa(opts.Port))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return &flagError{fmt.Errorf("--port %d: %w", opts.Port, err)}
	}
	d, err := demo.Start(ctx, demo.Options{AppListener: ln, OutputDir: opts.OutputDir, IO: opts.IO})
	if err != nil {
		if exitcode.Of(err) == exitcode.Interrupted {
			// Not bootstrap's "run the same command again to continue": the
			// org lived in memory, and a new demo starts a new one.
			return exitcode.Wrap(exitcode.Interrupted, errors.New("demo: interrupted"))
		}
		return fmt.Errorf("demo: %w", err)
	}
	s := d.Settings.App
	fmt.Fprintf(opts.IO.Out, `
The API Center web app:  %s

Sign in as the silver user (planets only):
  username: %s
  password: %s
Sign in as the gold user (planets and moons):
  username: %s
  password: %s

local Okta org:   %s
gateway:          %s  (introspect mode: GET /planets needs %s, GET /moons needs %s)
solar-system API: %s
`, d.AppURL, s["SILVER_USERNAME"], s["SILVER_PASSWORD"], s["GOLD_USERNAME"], s["GOLD_PASSWORD"],
		d.OrgURL, d.GatewayURL, s["SILVER_SCOPE"], s["GOLD_SCOPE"], d.APIURL)
	if opts.OutputDir != "" {
		fmt.Fprintf(opts.IO.Out, "output files:     %s  (apicenter get-settings --mulesoft --output-dir %s)\n", d.OutputDir, d.OutputDir)
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
