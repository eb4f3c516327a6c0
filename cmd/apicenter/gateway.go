package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/iostreams"
)

// TODO(owner): replace with the real command.
func newGatewayCmd(ios *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "gateway",
		Short: "Run the reference API gateway",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("gateway: not implemented yet")
		},
	}
}
