package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/iostreams"
)

// TODO(owner): replace with the real command.
func newAppCmd(ios *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "app",
		Short: "Run the API Center web app",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("app: not implemented yet")
		},
	}
}
