package main

import (
	"context"
	"fmt"
	"log/slog"
	"net"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/solarsystem"
)

// solarSystemOptions are the dependencies and flags of `apicenter solar-system`.
type solarSystemOptions struct {
	IO   *iostreams.IOStreams
	Addr string
}

func newSolarSystemCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &solarSystemOptions{IO: ios}
	cmd := &cobra.Command{
		Use:   "solar-system",
		Short: "Run the sample solar-system API",
		Long: `Run the sample API that sits behind the gateway, on a loopback address:

  GET /planets     the eight planets (radius, mass, distance, period, moons)
  GET /moons       the 21 major moons (?planet=NAME for one planet's; an
                   unknown NAME is a 404)
  GET /asteroids   large and notable asteroids

Answers are JSON, errors too (404 for an unknown path, 405 for a method
other than GET). The API checks no token: the gateway in front of it does,
and forwards the verified subject in the X-Apicenter-Subject header, which
the API logs on stderr with each request.

When it listens, the API prints its URL on stdout and runs until Ctrl-C.

Exit codes:
  0    stopped by Ctrl-C or SIGTERM
  1    the server failed while serving
  2    a bad flag: --addr not a loopback host:port, or not free`,
		Example: `  apicenter solar-system
  apicenter solar-system --addr 127.0.0.1:0   # any free port`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if err := checkSolarSystemAddr(opts.Addr); err != nil {
				return &flagError{fmt.Errorf("--addr: %w", err)}
			}
			return runSolarSystem(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Addr, "addr", "127.0.0.1:8082", "loopback `host:port` to listen on (port 0: any free port)")
	return cmd
}

// runSolarSystem serves the API on opts.Addr until ctx is done.
func runSolarSystem(ctx context.Context, opts *solarSystemOptions) error {
	log := slog.New(slog.NewTextHandler(opts.IO.ErrOut, nil))
	return serve(ctx, opts.IO, "solar-system", opts.Addr, solarsystem.NewHandler(log))
}

// checkSolarSystemAddr accepts host:port where host is a loopback IP or
// "localhost": apicenter's servers never listen beyond the machine.
func checkSolarSystemAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return err
	}
	if host == "localhost" {
		return nil
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() {
		return nil
	}
	return fmt.Errorf("%q is not a loopback address (use 127.0.0.1:PORT)", addr)
}
