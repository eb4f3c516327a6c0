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
	"time"

	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/gateway"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/solarsystem"
	"github.com/apicenter/apicenter/internal/webapp"
)

// Options configure a demo.
type Options struct {
	// AppAddr is where the web app listens (a loopback host:port; port 0
	// picks a free one). The org, the gateway and the API always take free
	// loopback ports.
	AppAddr string
	// OutputDir keeps the bootstrap's output files; empty means a temporary
	// directory removed by Close.
	OutputDir string
	// IO receives progress on ErrOut; nil discards it.
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
	Settings *Settings
	// OutputDir holds the bootstrap's output files.
	OutputDir string

	org       *devorg.Server
	listeners []net.Listener // closed by Close, served or not
	servers   []*http.Server
	tempDir   string
}

// Start starts the local org, bootstraps it as the article's Mulesoft flow
// does, and starts the solar-system API, the gateway (introspect mode) and
// the web app. Stop everything with Close.
func Start(ctx context.Context, o Options) (d *Demo, err error) {
	d = &Demo{}
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
	if o.AppAddr == "" {
		o.AppAddr = "127.0.0.1:0"
	}
	if err := devorg.CheckLoopbackAddr(o.AppAddr); err != nil {
		return d, fmt.Errorf("--port: %w", err)
	}
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
	fmt.Fprintf(progress.ErrOut, "demo: local Okta org on %s\n", d.OrgURL)

	// Listen first, so that the redirect URI and the gateway's URL are known
	// to the bootstrap.
	appLn, err := net.Listen("tcp", o.AppAddr)
	if err != nil {
		return d, fmt.Errorf("--port: %w", err)
	}
	d.listeners = append(d.listeners, appLn)
	gwLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return d, err
	}
	d.listeners = append(d.listeners, gwLn)
	apiLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return d, err
	}
	d.listeners = append(d.listeners, apiLn)
	d.AppURL = "http://" + appLn.Addr().String()
	d.GatewayURL = "http://" + gwLn.Addr().String()
	d.APIURL = "http://" + apiLn.Addr().String()
	d.serve(apiLn, solarsystem.Handler())

	d.Settings, err = BootstrapMulesoft(ctx, MulesoftOptions{
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

	app := d.Settings.App
	gw, err := gateway.New(gateway.MulesoftConfig(d.APIURL, app["ISSUER"], app["AUDIENCE"],
		d.Settings.Introspect["INTROSPECT_CLIENT_ID"], d.Settings.Introspect["INTROSPECT_CLIENT_SECRET"],
		app["SILVER_SCOPE"], app["GOLD_SCOPE"]))
	if err != nil {
		return d, fmt.Errorf("gateway: %w", err)
	}
	d.serve(gwLn, gw)

	cfg, err := webapp.ConfigFromEnv(d.Settings.Lookup)
	if err != nil {
		return d, fmt.Errorf("web app: %w", err)
	}
	wa, err := webapp.New(cfg)
	if err != nil {
		return d, fmt.Errorf("web app: %w", err)
	}
	d.serve(appLn, wa)
	return d, nil
}

func (d *Demo) serve(ln net.Listener, h http.Handler) {
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	d.servers = append(d.servers, srv)
	go func() { _ = srv.Serve(ln) }()
}

// Close stops every part and removes the temporary output directory.
func (d *Demo) Close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var errs []error
	for i := len(d.servers) - 1; i >= 0; i-- {
		if err := d.servers[i].Shutdown(ctx); err != nil {
			errs = append(errs, err)
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
