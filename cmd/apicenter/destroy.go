package main

import (
	"context"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/prompter"
	"github.com/apicenter/apicenter/outputs"
)

// destroyOptions are the dependencies and flags of `apicenter destroy`.
type destroyOptions struct {
	IO        *iostreams.IOStreams
	Prompter  func(*iostreams.IOStreams) prompter.Prompter
	LookupEnv func(string) (string, bool)

	Input        *inputChoice
	Yes          bool
	IncludeFound bool
	OrgURL       string
	OutputDir    string
}

func newDestroyCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &destroyOptions{IO: ios, Prompter: prompter.New, LookupEnv: os.LookupEnv, Input: newInputChoice()}
	cmd := &cobra.Command{
		Use:   opts.Input.use("destroy"),
		Short: "Delete from the org what a bootstrap created",
		Long: `Delete from the Okta org the objects a bootstrap of an input created and
recorded in <output-dir>/<input>.yaml, in reverse dependency order
(independent objects at the same time), deactivating first where Okta
requires it (apps, authorization servers, users).

Objects the bootstrap only found (Everyone, a group or user that was
already there) are kept unless --include-found; a group the input marks
as existing is always kept. At a terminal each deletion is asked about,
one key without Enter: c (or Enter) deletes, p keeps, a deletes this and
the rest, q (or Ctrl-D) quits.
Without a terminal, pass --yes.

Each deletion is recorded in the output file as it happens: a destroy
stopped by q, Ctrl-C, a kill or an error continues where it stopped when
run again, and an object already gone counts as deleted. When nothing
apicenter created is left, the output file is removed.

Inputs that need another (mulesoft_policy needs mulesoft) can be destroyed
in either order: deleting an authorization server deletes its policies and
rules, and destroy says what the other input's file still records.

` + orgEnvHelp + `

` + exitcode.Help,
		Example: `  apicenter destroy --mulesoft_policy
  apicenter destroy --mulesoft --yes`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := opts.Input.check(c); err != nil {
				return err
			}
			return runDestroy(c.Context(), opts)
		},
	}
	opts.Input.addFlags(cmd, func(path string) string { return "destroy what a bootstrap of " + path + " created" }, "destroy what a bootstrap of your own input `FILE` created")
	f := cmd.Flags()
	f.BoolVarP(&opts.Yes, "yes", "y", false, "delete without asking (for CI)")
	f.BoolVar(&opts.IncludeFound, "include-found", false, "also delete the objects the bootstrap found (not Everyone)")
	f.StringVar(&opts.OrgURL, "org-url", "", "the Okta org `URL` (https://...; http only for loopback)")
	f.StringVar(&opts.OutputDir, "output-dir", outputs.DefaultDir, "`DIR` of the output files")
	return cmd
}

func runDestroy(ctx context.Context, opts *destroyOptions) error {
	in, env, err := opts.Input.load(opts.LookupEnv)
	if err != nil {
		return err
	}
	var p prompter.Prompter
	if opts.IO.CanPrompt() && !opts.Yes {
		p = opts.Prompter(opts.IO)
	} else if !opts.Yes {
		return &flagError{fmt.Errorf("destroy deletes objects: at no terminal, pass --yes")}
	}
	_, err = bootstrap.Destroy(ctx, bootstrap.DestroyOptions{
		Options: bootstrap.Options{
			IO:        opts.IO,
			Prompter:  p,
			Input:     in,
			OrgURL:    opts.OrgURL,
			Env:       env,
			Yes:       opts.Yes,
			OutputDir: opts.OutputDir,
		},
		IncludeFound: opts.IncludeFound,
	})
	return err
}
