// Package bootstrap is the engine behind `apicenter bootstrap`: it settles
// the values of an input file (from --set, the environment, .env, earlier
// output files, defaults and generators, asking at a terminal), then finds
// or creates its objects in the Okta org in dependency order, with bounded
// concurrency, recording each object in the output file as soon as it
// exists.
package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/oktaclient"
	"github.com/apicenter/apicenter/internal/orgenv"
	"github.com/apicenter/apicenter/internal/prompter"
	"github.com/apicenter/apicenter/outputs"
)

// DefaultConcurrency is how many requests a bootstrap has in flight at most
// unless told otherwise: under half of Okta's smallest concurrent-request
// limit (35 transactions for an Integrator Free org, 75 for the others),
// so that two runs at once stay under it, and enough that a re-run of any
// embedded input makes all its reads at once (the largest makes 11).
const DefaultConcurrency = 16

// Options configure a bootstrap run.
type Options struct {
	// IO receives progress (ErrOut).
	IO *iostreams.IOStreams
	// Prompter asks about values; nil means there is no terminal and a value
	// that needs an answer is an error (unless Yes).
	Prompter prompter.Prompter
	// NewClient builds the okta client; oktaclient.New if nil.
	NewClient func(context.Context, oktaclient.Config) (*oktaclient.Client, error)
	// Transport, if set, is the HTTP transport of the okta client (tests).
	Transport http.RoundTripper

	// Input is the input file to run.
	Input *inputs.File
	// OrgURL is the --org-url flag ("" to read the environment).
	OrgURL string
	// Env is the environment and .env file.
	Env *orgenv.Env
	// Set are the --set NAME=VALUE flags.
	Set []string
	// Yes accepts every default without asking.
	Yes bool
	// OutputDir is where output files are read and written
	// (outputs.DefaultDir if empty).
	OutputDir string
	// Concurrency bounds the requests in flight (DefaultConcurrency if 0).
	Concurrency int
}

// Result is what a run did.
type Result struct {
	// Output is the output file as last written; Path is where.
	Output *outputs.File
	Path   string
	// Created and Found count the objects.
	Created, Found int
	// Next is the input's next text with its references expanded, after a
	// successful run ("" when the input has none).
	Next string
}

// Run runs a bootstrap. Its errors carry exit codes (internal/exitcode):
// Usage for bad settings, Input for input files and values, Org for the
// org's refusals and failures, Quit and Interrupted for a stop at a prompt or
// a signal. Everything created before an error is recorded in the output
// file.
func Run(ctx context.Context, opts Options) (*Result, error) {
	if opts.Input == nil {
		return nil, exitcode.Wrap(exitcode.Usage, errors.New("no input: pass --mulesoft, --mulesoft_policy or --input FILE"))
	}
	opts = withDefaults(opts)
	r, err := newRun(opts)
	if err != nil {
		return nil, err
	}
	defer r.progress.stop()
	// Runs sharing the output directory take turns: the next one finds
	// what this one records instead of creating it again.
	lock, err := outputs.Lock(r.outPath, func() {
		r.progress.note("waiting for another run that is writing %s ...", r.outPath)
	})
	if err != nil {
		return nil, usageErr("cannot write the output file %s, which records what is created: %v (choose another --output-dir)", r.outPath, err)
	}
	defer lock.Close()
	if err := r.prepare(ctx); err != nil {
		return nil, err
	}
	err = r.apply(ctx)
	// A race lost to a concurrent run: what refers to the object kept
	// instead is found or made again.
	for len(r.lost) > 0 {
		if err != nil {
			// Stopping: the objects kept are recorded all the same.
			r.dropLost(ctx)
			break
		}
		if err = r.nextPass(ctx); err == nil {
			err = r.apply(ctx)
		}
	}
	res := &Result{Output: r.snapshot(), Path: r.outPath}
	res.Created, res.Found = r.progress.counts()
	if err == nil && len(r.unknownPasswords) > 0 {
		sort.Strings(r.unknownPasswords)
		err = inputErr("the recorded password does not sign in: %s; these users were there before apicenter: pass their real passwords with --set, or remove the users and run again", strings.Join(r.unknownPasswords, "; "))
	}
	if err == nil && opts.Input.Next != nil {
		res.Next, err = r.expand(opts.Input.Next)
	}
	return res, err
}

// withDefaults fills in the options left empty.
func withDefaults(opts Options) Options {
	if opts.IO == nil {
		opts.IO = &iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: io.Discard}
	}
	if opts.Env == nil {
		opts.Env = &orgenv.Env{}
	}
	if opts.NewClient == nil {
		opts.NewClient = oktaclient.New
	}
	if opts.Concurrency <= 0 {
		opts.Concurrency = DefaultConcurrency
	}
	if opts.OutputDir == "" {
		opts.OutputDir = outputs.DefaultDir
	}
	return opts
}

// commandFor returns the command that runs f, for messages.
func commandFor(f *inputs.File) string {
	if strings.HasPrefix(f.Path, "inputs/") {
		return BootstrapCommand(f.Name)
	}
	return "apicenter bootstrap --input " + f.Path
}

// BootstrapCommand returns the command that runs input name, for messages.
func BootstrapCommand(name string) string {
	for _, n := range inputs.Embedded() {
		if n == name {
			return "apicenter bootstrap --" + name
		}
	}
	return "apicenter bootstrap --input " + name + ".yaml"
}

func usageErr(format string, args ...any) error {
	return exitcode.Wrap(exitcode.Usage, fmt.Errorf(format, args...))
}

func inputErr(format string, args ...any) error {
	return exitcode.Wrap(exitcode.Input, fmt.Errorf(format, args...))
}

func orgErr(format string, args ...any) error {
	return exitcode.Wrap(exitcode.Org, fmt.Errorf(format, args...))
}
