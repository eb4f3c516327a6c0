package main

import (
	"context"
	"errors"
	"fmt"
	"os/signal"
	"runtime/debug"
	"strings"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// version is set at build time with -ldflags "-X main.version=..." (make
// build does); a `go install ...@version` build reports its module version
// instead (buildVersion). It must stay a constant string: the linker's -X
// sets no variable initialised by a call.
var version = "dev"

// buildVersion is v unless it is "dev" and the build info names a module
// version (go install github.com/apicenter/apicenter/cmd/apicenter@v1.2.3).
func buildVersion(v string, info func() (*debug.BuildInfo, bool)) string {
	if v != "dev" {
		return v
	}
	if bi, ok := info(); ok && bi.Main.Version != "" && bi.Main.Version != "(devel)" {
		return bi.Main.Version
	}
	return v
}

// Main runs the command tree with args and returns the process exit code.
// It prints the error, if any, once on stderr.
func Main(args []string, ios *iostreams.IOStreams) int {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	return Execute(ctx, args, ios)
}

// Execute runs the command tree in ctx. Tests call it in-process.
func Execute(ctx context.Context, args []string, ios *iostreams.IOStreams) int {
	root := newRootCmd(ios)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return exitcode.OK
	}
	code := exitcode.Of(err)
	var flagErr *flagError
	if errors.As(err, &flagErr) || isCobraUsageError(err) {
		code = exitcode.Usage
	}
	// On a terminal, a long error breaks between words; in a log it stays
	// one line.
	fmt.Fprintln(ios.ErrOut, iostreams.Wrap("apicenter: "+err.Error(), iostreams.Width(ios.ErrOut)-1, "  "))
	return code
}

// flagError marks an error in flags or arguments; its exit code is Usage.
type flagError struct{ err error }

func (e *flagError) Error() string { return e.err.Error() }
func (e *flagError) Unwrap() error { return e.err }

func newRootCmd(ios *iostreams.IOStreams) *cobra.Command {
	root := &cobra.Command{
		Use:   "apicenter",
		Short: "Set up an Okta org for an app, Okta and an API gateway",
		Long: `apicenter sets up an Okta org for the "OAuth among an app, Okta and an API
gateway" reference architecture: groups, users, a custom authorization server,
scopes, access policies and rules, and the clients a gateway needs.

It also carries a local Okta-compatible org (apicenter dev-org), a reference
gateway, the sample solar-system API and the API Center web app, so that the
whole flow runs on one machine (apicenter demo).

` + exitcode.Help,
		Version:       buildVersion(version, debug.ReadBuildInfo),
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error {
		return &flagError{fmt.Errorf("%w (see '%s --help')", err, c.CommandPath())}
	})
	root.AddCommand(
		newDevOrgCmd(ios),
		newBootstrapCmd(ios),
		newPlanCmd(ios),
		newDestroyCmd(ios),
		newGetSettingsCmd(ios),
		newTokenCmd(ios),
		newAppCmd(ios),
		newGatewayCmd(ios),
		newSolarSystemCmd(ios),
		newDemoCmd(ios),
	)
	// cobra's completion command prints its help for an unknown shell and
	// exits 0: make that a usage error naming the shells.
	root.InitDefaultCompletionCmd() // needs the subcommands above
	for _, c := range root.Commands() {
		if c.Name() == "completion" {
			c.Args = cobra.ArbitraryArgs
			c.RunE = func(c *cobra.Command, args []string) error {
				if len(args) == 0 {
					return c.Help()
				}
				var shells []string
				for _, sh := range c.Commands() {
					if sh.Name() != "help" {
						shells = append(shells, sh.Name())
					}
				}
				return &flagError{fmt.Errorf("completion %q: unknown shell (use one of: %s)", args[0], strings.Join(shells, ", "))}
			}
		}
	}
	return root
}

func isCobraUsageError(err error) bool {
	msg := err.Error()
	for _, p := range []string{"unknown command", "unknown flag", "unknown shorthand flag", "accepts ", "requires at least", "invalid argument"} {
		if strings.Contains(msg, p) {
			return true
		}
	}
	return false
}
