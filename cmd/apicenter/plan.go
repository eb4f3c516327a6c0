package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/outputs"
)

// planOptions are the dependencies and flags of `apicenter plan`.
type planOptions struct {
	IO        *iostreams.IOStreams
	LookupEnv func(string) (string, bool)

	Input     *inputChoice
	Set       []string
	OrgURL    string
	OutputDir string
	Format    string
}

const planExitCodes = `Exit codes (as terraform plan -detailed-exitcode):
  0    nothing to do: every object is in the org as the input describes it
  6    changes: a bootstrap would create objects, or objects differ
  2, 3, 4, 130 as for every command (see 'apicenter --help')`

func newPlanCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &planOptions{IO: ios, LookupEnv: os.LookupEnv, Input: newInputChoice()}
	cmd := &cobra.Command{
		Use:   opts.Input.use("plan"),
		Short: "Show what a bootstrap would do, without changing anything",
		Long: `Read the org and show, for each object of an input, what
'apicenter bootstrap' would do with it:

  create   it is not in the org
  found    it is in the org as the input describes it
  differs  it is in the org, but a field differs: each difference is shown
           as the org has it and as the input says

plan only reads: it sends no write to the org (its HTTP transport refuses
them) and never writes the output file. It works from the org alone; an
output file, if there is one, tells it the recorded objects and values.
The outputs of what the input needs (mulesoft for mulesoft_policy) must
exist. Values are taken as bootstrap --yes would, without asking.

` + orgEnvHelp + `

` + planExitCodes,
		Example: `  apicenter plan --mulesoft
  apicenter plan --mulesoft --format json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := opts.Input.check(c); err != nil {
				return err
			}
			if opts.Format != "text" && opts.Format != "json" {
				return &flagError{fmt.Errorf("--format %q: use text or json", opts.Format)}
			}
			return runPlan(c.Context(), opts)
		},
	}
	opts.Input.addFlags(cmd, func(path string) string { return "plan the embedded input " + path }, "plan your own input `FILE`")
	f := cmd.Flags()
	f.StringArrayVar(&opts.Set, "set", nil, "set a value: `NAME=VALUE` (repeatable)")
	f.StringVar(&opts.OrgURL, "org-url", "", "the Okta org `URL` (https://...; http only for loopback)")
	f.StringVar(&opts.OutputDir, "output-dir", outputs.DefaultDir, "`DIR` of the output files (read only)")
	f.StringVar(&opts.Format, "format", "text", "output `FORMAT`: text or json")
	return cmd
}

func runPlan(ctx context.Context, opts *planOptions) error {
	in, env, err := opts.Input.load(opts.LookupEnv)
	if err != nil {
		return err
	}
	p, err := bootstrap.PlanOrg(ctx, bootstrap.Options{
		IO:        opts.IO,
		Input:     in,
		OrgURL:    opts.OrgURL,
		Env:       env,
		Set:       opts.Set,
		OutputDir: opts.OutputDir,
	})
	if err != nil {
		return err
	}
	if err := bootstrap.WritePlan(opts.IO.Out, p, opts.Format); err != nil {
		return err
	}
	if p.Changes() {
		return exitcode.Wrap(exitcode.Changes, fmt.Errorf("a bootstrap would make changes (exit %d); run it with the same input to apply them", exitcode.Changes))
	}
	return nil
}
