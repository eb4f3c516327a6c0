package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/iostreams"
)

// TODO(owner): replace with the real command.
func newDemoCmd(ios *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "demo",
		Short: "Run the whole flow on one machine",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("demo: not implemented yet")
		},
	}
}
