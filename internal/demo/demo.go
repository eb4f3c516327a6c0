// Package demo runs the article's whole flow on one machine: a local Okta
// org, the Mulesoft bootstrap steps (with the client Mulesoft would register),
// the solar-system API, the reference gateway and the API Center web app.
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"sync"
	"time"

	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/gateway"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/solarsystem"
	"github.com/apicenter/apicenter/internal/webapp"
)

// Options configure a demo.
type Options struct {
	// AppListener is where the web app listens; nil means a free port on
	// 127.0.0.1. Start owns it: Close closes it, and so does a failed Start.
	// The org, the gateway and the API always take free loopback ports.
	AppListener net.Listener
	// OutputDir keeps the bootstrap's output files; empty means a temporary
	// directory removed by Close.
	OutputDir string
	// IO receives progress, and the parts' error and access logs, on
	// ErrOut; nil discards them. Once Start returns, the parts write through
	// one logger, one line at a time, so a plain buffer may be read after
	// Close.
	IO *iostreams.IOStreams
	// Org configures the local org (latency, faults...); its API token is
	// made by Start when empty.
	Org devorg.Options
}

// Demo is the running flow: every part on 127.0.0.1.
type Demo struct {
	// OrgURL, AppURL, GatewayURL and APIURL are where the parts listen.
	OrgURL, AppURL, GatewayURL, APIURL string
	// Settings are what get-settings prints (passwords included).
	Settings *mulesoft.Settings
	// OutputDir holds the bootstrap's output files.
	OutputDir string

	org       *devorg.Server
	logger    *log.Logger
	listeners []net.Listener // closed by Close, served or not
	servers   []*http.Server
	tempDir   string

	closeOnce sync.Once
	closeErr  error
}

// Start starts the local org, bootstraps it as the article's Mulesoft flow
// does, and starts the solar-system API, the gateway (introspect mode) and
// the web app. Stop everything with Close. On error, whatever was started
// is stopped and the temporary output directory removed.
func Start(ctx context.Context, o Options) (d *Demo, err error) {
	d = &Demo{}
	if o.AppListener != nil {
		d.listeners = append(d.listeners, o.AppListener)
	}
	defer func() {
		if err != nil {
			_ = d.Close(context.Background())
			d = nil
		}
	}()
	progress := o.IO
	if progress == nil {
		progress = &iostreams.IOStreams{Out: io.Discard, ErrOut: io.Discard}
	}
	// One logger for the parts (their lines name them): it serialises their
	// writes to ErrOut.
	d.logger = log.New(progress.ErrOut, "demo: ", 0)

	d.OutputDir = o.OutputDir
	if d.OutputDir == "" {
		if d.tempDir, err = os.MkdirTemp("", "apicenter-demo-"); err != nil {
			return d, err
		}
		d.OutputDir = d.tempDir
	}

	orgOpts := o.Org
	if orgOpts.APIToken == "" {
		orgOpts.APIToken = devorg.NewAPIToken()
	}
	if d.org, err = devorg.Listen(devorg.ServeOptions{Addr: "127.0.0.1:0"}, orgOpts); err != nil {
		return d, fmt.Errorf("starting the local org: %w", err)
	}
	d.OrgURL = d.org.URL
	d.logger.Printf("local Okta org on %s", d.OrgURL)

	// Listen first, so that the redirect URI and the gateway's URL are known
	// to the bootstrap.
	appLn := o.AppListener
	if appLn == nil {
		if appLn, err = d.listen(); err != nil {
			return d, err
		}
	}
	gwLn, err := d.listen()
	if err != nil {
		return d, err
	}
	apiLn, err := d.listen()
	if err != nil {
		return d, err
	}
	d.AppURL = "http://" + appLn.Addr().String()
	d.GatewayURL = "http://" + gwLn.Addr().String()
	d.APIURL = "http://" + apiLn.Addr().String()
	d.serve("solar-system API", apiLn, solarsystem.Handler())

	d.Settings, err = mulesoft.Bootstrap(ctx, mulesoft.Options{
		OrgURL:      d.OrgURL,
		Token:       orgOpts.APIToken,
		RedirectURI: d.AppURL + "/authorization-code/callback",
		GatewayURI:  d.GatewayURL,
		OutputDir:   d.OutputDir,
		IO:          progress,
	})
	if err != nil {
		return d, err
	}

	app, in := d.Settings.App, d.Settings.Introspect
	gc := gateway.MulesoftConfig(d.APIURL, app["ISSUER"], app["AUDIENCE"],
		in["INTROSPECT_CLIENT_ID"], in["INTROSPECT_CLIENT_SECRET"], app["SILVER_SCOPE"], app["GOLD_SCOPE"])
	gc.Introspection.URL = in["TOKEN_INTROSPECTION_URL"]
	gc.ErrorLog = d.logger.Printf
	gc.AccessLog = gc.ErrorLog
	gw, err := gateway.New(gc)
	if err != nil {
		return d, fmt.Errorf("gateway: %w", err)
	}
	d.serve("gateway", gwLn, gw)

	cfg, err := webapp.ConfigFromEnv(d.Settings.Lookup)
	if err != nil {
		return d, fmt.Errorf("web app: %w", err)
	}
	cfg.ErrorLog = d.logger.Printf
	wa, err := webapp.New(cfg)
	if err != nil {
		return d, fmt.Errorf("web app: %w", err)
	}
	d.serve("web app", appLn, wa)
	return d, nil
}

// listen takes a free loopback port, closed by Close.
func (d *Demo) listen() (net.Listener, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	d.listeners = append(d.listeners, ln)
	return ln, nil
}

// serve serves h on ln until Close; a part that stops serving before is
// logged.
func (d *Demo) serve(part string, ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	d.servers = append(d.servers, srv)
	go func() {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			d.logger.Printf("%s stopped serving: %v", part, err)
		}
	}()
}

// Close stops every part, letting requests in flight finish until ctx ends
// (5 s at the most), and removes the temporary output directory. Calling it
// again returns the first call's result.
func (d *Demo) Close(ctx context.Context) error {
	d.closeOnce.Do(func() { d.closeErr = d.close(ctx) })
	return d.closeErr
}

func (d *Demo) close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var errs []error
	for i := len(d.servers) - 1; i >= 0; i-- {
		if err := d.servers[i].Shutdown(ctx); err != nil {
			errs = append(errs, err)
			_ = d.servers[i].Close()
		}
	}
	for _, ln := range d.listeners {
		_ = ln.Close() // already closed by Shutdown when it was served
	}
	if d.org != nil {
		if err := d.org.Shutdown(ctx); err != nil {
			errs = append(errs, err)
		}
	}
	if d.tempDir != "" {
		if err := os.RemoveAll(d.tempDir); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
