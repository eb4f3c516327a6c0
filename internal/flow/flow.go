// Package flow runs an input's whole flow on an org, as the input's demo
// section says: its bootstrap steps, and the client registration a gateway
// product makes between them (Mulesoft's dynamic client registration); then
// it reads what the web app and the reference gateway need from the output
// files. `apicenter demo --gateway NAME`, the benchmarks and the end-to-end
// tests run gateways through it, so that adding a gateway is adding an
// input file.
package flow

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/orgenv"
)

// Gateways returns the names of the embedded inputs with a demo section:
// the gateways `apicenter demo --gateway` takes.
func Gateways() []string {
	var names []string
	for _, in := range inputs.Summaries() {
		if in.Demo {
			names = append(names, in.Name)
		}
	}
	return names
}

// Flow is the flow of one gateway's input.
type Flow struct {
	// Name is the gateway (the input's name).
	Name string
	// Input is the input whose demo section this is.
	Input *inputs.File
	// Steps are the demo's steps: its own, or one bootstrap of Input.
	Steps []*inputs.DemoStep

	registered map[string]string // values of the clients registered by an earlier Run
}

// New returns the flow of the embedded input called gateway.
func New(gateway string) (*Flow, error) {
	f, err := inputs.LoadEmbedded(gateway)
	if err != nil {
		return nil, err
	}
	if f.Demo == nil {
		return nil, fmt.Errorf("input %s has no demo section (gateways with one: %s)", gateway, strings.Join(Gateways(), ", "))
	}
	steps := f.Demo.Steps
	if len(steps) == 0 {
		steps = []*inputs.DemoStep{{Pos: f.Demo.Pos, Bootstrap: f.Name}}
	}
	return &Flow{Name: gateway, Input: f, Steps: steps, registered: map[string]string{}}, nil
}

// NewBootstrap returns the flow of one bootstrap of the embedded input
// called name, whether it has a demo section or not: the benchmark runs
// every input, those without a flow of their own (apache) this way.
func NewBootstrap(name string) (*Flow, error) {
	f, err := inputs.LoadEmbedded(name)
	if err != nil {
		return nil, err
	}
	return &Flow{Name: name, Input: f, Steps: []*inputs.DemoStep{{Bootstrap: f.Name}}, registered: map[string]string{}}, nil
}

// Options say which org to run the flow on, and with which values.
type Options struct {
	// OrgURL and Token reach the org.
	OrgURL, Token string
	// OutputDir holds the output files, kept between runs.
	OutputDir string
	// Values are given to every bootstrap step whose input has a value of
	// that name (REDIRECT_URI, GATEWAY_URI, UPSTREAM_URI...), as --set.
	Values map[string]string
	// PostLogoutRedirectURI, if set, is registered with the clients the
	// flow registers, so that signing out at the org comes back to the app.
	PostLogoutRedirectURI string
	// Concurrency is the bootstrap's --concurrency (0: its default).
	Concurrency int
	// IO receives the bootstrap's progress; nil discards it.
	IO *iostreams.IOStreams
	// HTTPClient makes the client registrations; nil means
	// http.DefaultClient.
	HTTPClient *http.Client
}

// StepResult is what one step did.
type StepResult struct {
	Step *inputs.DemoStep
	// Name says what the step is: "bootstrap --mulesoft", "client registration".
	Name string
	Wall time.Duration
	// Skipped says the step was not needed (a client registered by an
	// earlier run).
	Skipped bool
	// Progress is what a bootstrap printed on stderr.
	Progress string
}

// Run runs the steps in order. observe, if not nil, is called after each
// step. A second Run on the same org and output directory creates nothing:
// the bootstraps find their objects, and the clients registered by the
// first Run are not registered again.
func (fl *Flow) Run(ctx context.Context, o Options, observe func(StepResult)) error {
	if observe == nil {
		observe = func(StepResult) {}
	}
	for _, st := range fl.Steps {
		start := time.Now()
		if st.RegisterClient != nil {
			res := StepResult{Step: st, Name: "client registration"}
			rc := st.RegisterClient
			if fl.registered[rc.ClientID] != "" {
				res.Skipped = true
				observe(res)
				continue
			}
			var postLogout []string
			if o.PostLogoutRedirectURI != "" {
				postLogout = []string{o.PostLogoutRedirectURI}
			}
			id, secret, err := mulesoft.RegisterClient(ctx, o.HTTPClient, o.OrgURL, o.Token, mulesoft.ClientRegistration{
				Name:                   "solar system web app (" + fl.Name + ")",
				RedirectURIs:           []string{o.Values["REDIRECT_URI"]},
				PostLogoutRedirectURIs: postLogout,
			})
			if err != nil {
				return err
			}
			fl.registered[rc.ClientID], fl.registered[rc.ClientSecret] = id, secret
			res.Wall = time.Since(start)
			observe(res)
			continue
		}
		f, err := inputs.LoadEmbedded(st.Bootstrap)
		if err != nil {
			return fmt.Errorf("%s: %w", st.Pos, err)
		}
		var set []string
		for _, vals := range []map[string]string{o.Values, fl.registered} {
			for _, k := range sortedKeys(vals) {
				if it := f.Item(k); it != nil && it.Value != nil && vals[k] != "" {
					set = append(set, k+"="+vals[k])
				}
			}
		}
		var progress bytes.Buffer
		ios := &iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &progress}
		if o.IO != nil {
			ios.ErrOut = io.MultiWriter(&progress, o.IO.ErrOut)
		}
		env := &orgenv.Env{Getenv: func(k string) (string, bool) {
			if k == "OKTA_API_TOKEN" {
				return o.Token, true
			}
			return "", false
		}}
		_, err = bootstrap.Run(ctx, bootstrap.Options{IO: ios, Input: f, OrgURL: o.OrgURL, Env: env, Set: set, Yes: true,
			OutputDir: o.OutputDir, Concurrency: o.Concurrency})
		if err != nil {
			return fmt.Errorf("bootstrap --%s: %w", f.Name, err)
		}
		observe(StepResult{Step: st, Name: "bootstrap --" + f.Name, Wall: time.Since(start), Progress: progress.String()})
	}
	return nil
}

func sortedKeys(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

// App returns the web app's settings (what `get-settings --<demo.app>`
// prints, passwords included), read from the output files.
func (fl *Flow) App(o Options) (map[string]string, error) {
	ss, err := bootstrap.Settings(fl.Input.Demo.App, bootstrap.SettingsOptions{OutputDir: o.OutputDir})
	if err != nil {
		return nil, fmt.Errorf("get-settings --%s: %w", fl.Input.Demo.App, err)
	}
	m := make(map[string]string, len(ss))
	for _, s := range ss {
		m[s.Key] = s.Value
	}
	return m, nil
}

// Artifact is one file of a gateway's native configuration, as
// get-settings prints it: a document, or a bundle's zip archive.
type Artifact struct {
	// Name is the file's name: the template's base name, or SET.zip.
	Name string
	Data []byte
}

// Gateway is what the reference gateway needs to emulate the product.
type Gateway struct {
	// Profile is the reference gateway's profile.
	Profile string
	// Artifacts are the rendered documents and bundles, in the demo's order.
	Artifacts []Artifact
	// Env are the secrets the artifacts name by environment variable.
	Env map[string]string
}

// Gateway renders the gateway's native configuration from the output files.
func (fl *Flow) Gateway(o Options) (*Gateway, error) {
	d := fl.Input.Demo
	so := bootstrap.SettingsOptions{OutputDir: o.OutputDir}
	g := &Gateway{Profile: d.Gateway.Profile, Env: map[string]string{}}
	for _, name := range d.Gateway.Config {
		if doc, err := bootstrap.Document(name, so); err == nil {
			set, _ := fl.settingsSet(name)
			file := name
			if set != nil {
				file = path.Base(set.DocumentName)
			}
			g.Artifacts = append(g.Artifacts, Artifact{Name: file, Data: []byte(doc)})
			continue
		}
		zipped, err := bootstrap.Bundle(name, so)
		if err != nil {
			return nil, fmt.Errorf("get-settings --%s: %w", name, err)
		}
		g.Artifacts = append(g.Artifacts, Artifact{Name: name + ".zip", Data: zipped})
	}
	for _, s := range d.Gateway.Secrets {
		v, err := bootstrap.Expand(fl.Input, s.Value, so)
		if err != nil {
			return nil, fmt.Errorf("%s: demo.gateway.secrets.%s: %w", s.Pos, s.Key, err)
		}
		g.Env[s.Key] = v
	}
	return g, nil
}

// settingsSet finds a settings set among the flow's inputs.
func (fl *Flow) settingsSet(name string) (*inputs.SettingsSet, *inputs.File) {
	for _, st := range fl.Steps {
		if st.Bootstrap == "" {
			continue
		}
		if f, err := inputs.LoadEmbedded(st.Bootstrap); err == nil {
			if s, o := f.SettingsSet(name); s != nil {
				return s, o
			}
		}
	}
	return nil, nil
}
