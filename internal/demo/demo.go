// Package demo runs a gateway's whole flow on one machine: a local Okta org,
// the bootstrap steps of the gateway's input (with, for Mulesoft, the client
// Mulesoft would register), the solar-system API, the reference gateway
// emulating the product from the native configuration get-settings prints,
// and the API Center web app. Which gateway is data: the demo section of an
// embedded input (internal/flow).
package demo

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/flow"
	"github.com/apicenter/apicenter/internal/gateway"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/solarsystem"
	"github.com/apicenter/apicenter/internal/webapp"
)

// DefaultGateway is the gateway `apicenter demo` runs without --gateway:
// the article's.
const DefaultGateway = "mulesoft"

// UnknownGatewayError is a gateway without a demo: no embedded input of
// that name has a demo section.
type UnknownGatewayError struct {
	Name     string
	Gateways []string // the gateways with a demo
}

func (e *UnknownGatewayError) Error() string {
	return fmt.Sprintf("gateway %q has no demo (one of: %s)", e.Name, strings.Join(e.Gateways, ", "))
}

// Options configure a demo.
type Options struct {
	// Gateway names the embedded input whose demo section the demo runs
	// (flow.Gateways()); empty means DefaultGateway.
	Gateway string
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

// Settings are the web app's settings: what `get-settings --<demo.app>`
// prints, passwords included.
type Settings struct {
	// App maps the web app's .env keys (ISSUER, CLIENT_ID, SILVER_USERNAME,
	// ...) to their values.
	App map[string]string
}

// Lookup looks a key up in App, for webapp.ConfigFromEnv.
func (s *Settings) Lookup(k string) (string, bool) {
	v, ok := s.App[k]
	return v, ok
}

// Demo is the running flow: every part on 127.0.0.1.
type Demo struct {
	// Gateway is the gateway's name (its input); Profile the reference
	// gateway's profile that emulates it ("" is the reference behaviour).
	Gateway, Profile string
	// AppSet is the settings set the web app reads (get-settings --AppSet).
	AppSet string
	// OrgURL, AppURL, GatewayURL and APIURL are where the parts listen.
	OrgURL, AppURL, GatewayURL, APIURL string
	// Settings are the web app's settings.
	Settings *Settings
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

// Start starts the local org, runs the gateway's flow on it as its input's
// demo section says (internal/flow: its bootstrap steps and any client
// registration between them), and starts the solar-system API, the
// reference gateway with the profile and the native configuration the
// demo section names, and the web app with the settings it names. Stop
// everything with Close. On error, whatever was started is stopped and the
// temporary output directory removed.
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

	d.Gateway = o.Gateway
	if d.Gateway == "" {
		d.Gateway = DefaultGateway
	}
	if gws := flow.Gateways(); !slices.Contains(gws, d.Gateway) {
		return d, &UnknownGatewayError{Name: d.Gateway, Gateways: gws}
	}
	fl, err := flow.New(d.Gateway)
	if err != nil {
		return d, err
	}
	d.Profile, d.AppSet = fl.Input.Demo.Gateway.Profile, fl.Input.Demo.App

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

	// Listen first, so that the redirect URI and the gateway's and the
	// API's URLs are known to the bootstrap.
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

	fo := flow.Options{
		OrgURL:    d.OrgURL,
		Token:     orgOpts.APIToken,
		OutputDir: d.OutputDir,
		Values: map[string]string{
			"REDIRECT_URI": d.AppURL + "/authorization-code/callback",
			"GATEWAY_URI":  d.GatewayURL + gatewayPath(fl),
			"UPSTREAM_URI": d.APIURL,
		},
		IO: progress,
	}
	if err := fl.Run(ctx, fo, nil); err != nil {
		return d, err
	}
	app, err := fl.App(fo)
	if err != nil {
		return d, err
	}
	d.Settings = &Settings{App: app}

	gw, err := d.gateway(fl, fo)
	if err != nil {
		return d, fmt.Errorf("gateway (%s): %w", d.Gateway, err)
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

// gatewayPath is the path of the API on the gateway: the path of the
// default GATEWAY_URI of the flow's inputs (Apigee's proxy base path,
// /solar-system), or none.
func gatewayPath(fl *flow.Flow) string {
	for _, st := range fl.Steps {
		if st.Bootstrap == "" {
			continue
		}
		f, err := inputs.LoadEmbedded(st.Bootstrap)
		if err != nil {
			continue
		}
		it := f.Item("GATEWAY_URI")
		if it == nil || it.Value == nil || it.Value.Default == nil || len(it.Value.Default.Refs()) > 0 {
			continue
		}
		if u, err := url.Parse(it.Value.Default.Raw); err == nil {
			return strings.TrimRight(u.Path, "/")
		}
	}
	return ""
}

// gateway builds the reference gateway from the native configuration the
// flow rendered (what get-settings prints for the demo's config sets),
// loaded by the demo's profile, its secrets taken from the demo section.
func (d *Demo) gateway(fl *flow.Flow, fo flow.Options) (http.Handler, error) {
	native, err := fl.Gateway(fo)
	if err != nil {
		return nil, err
	}
	p, err := gateway.LookupProfile(native.Profile)
	if err != nil {
		return nil, err
	}
	arts := make([]gateway.Artifact, len(native.Artifacts))
	for i, a := range native.Artifacts {
		arts[i] = gateway.Artifact{Name: a.Name, Data: a.Data}
	}
	cfg, err := gateway.LoadProfile(p, arts, func(k string) (string, bool) {
		v, ok := native.Env[k]
		return v, ok
	})
	if err != nil {
		return nil, err
	}
	// The API listens on a free port, which the bootstraps were given as
	// UPSTREAM_URI. An artifact that names a fixed upstream instead (one
	// whose product keeps the upstream in its console, not in the file) is
	// pointed at it.
	if cfg.Upstream != d.APIURL {
		d.logger.Printf("gateway: forwarding to the demo's API %s, not to the configuration's upstream %s", d.APIURL, cfg.Upstream)
		cfg.Upstream = d.APIURL
	}
	cfg.ErrorLog = d.logger.Printf
	cfg.AccessLog = cfg.ErrorLog
	return gateway.New(cfg)
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

// Close removes the temporary output directory and stops every part,
// letting requests in flight finish until ctx ends (5 s at the most). Calling it
// again returns the first call's result.
func (d *Demo) Close(ctx context.Context) error {
	d.closeOnce.Do(func() { d.closeErr = d.close(ctx) })
	return d.closeErr
}

func (d *Demo) close(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	var errs []error
	// The passwords and client secrets go first: the parts hold what they
	// need in memory, and a second signal, or a kill, during the shutdown
	// must not leave them behind.
	if d.tempDir != "" {
		if err := os.RemoveAll(d.tempDir); err != nil {
			errs = append(errs, err)
		}
	}
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
	return errors.Join(errs...)
}
