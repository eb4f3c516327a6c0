package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/iostreams"
)

// TODO(owner): replace with the real command.
func newDevOrgCmd(ios *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "dev-org",
		Short: "Run a local Okta-compatible org",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("dev-org: not implemented yet")
		},
	}
}
