package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

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
  GET /moons       the 21 major moons (?planet=NAME for one planet's)
  GET /asteroids   large and notable asteroids

Answers are JSON, errors too (404 for an unknown path, 405 for a method
other than GET). The API checks no token: the gateway in front of it does,
and forwards the verified subject in the X-Apicenter-Subject header, which
the API logs on stderr with each request.

When it listens, the API prints its URL on stdout. Ctrl-C stops it (exit 0).`,
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
	ln, err := net.Listen("tcp", opts.Addr)
	if err != nil {
		return fmt.Errorf("solar-system: listen on %s: %w", opts.Addr, err)
	}
	log := slog.New(slog.NewTextHandler(opts.IO.ErrOut, nil))
	srv := &http.Server{
		Handler:           solarsystem.NewHandler(log),
		ReadHeaderTimeout: 10 * time.Second,
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	fmt.Fprintf(opts.IO.Out, "http://%s\n", ln.Addr())

	select {
	case err := <-served:
		return fmt.Errorf("solar-system: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("solar-system: shut down: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("solar-system: %w", err)
	}
	return nil
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
