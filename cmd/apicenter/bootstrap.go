package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/iostreams"
)

// TODO(owner): replace with the real command.
func newBootstrapCmd(ios *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "bootstrap",
		Short: "Create the Okta objects a gateway needs",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("bootstrap: not implemented yet")
		},
	}
}
