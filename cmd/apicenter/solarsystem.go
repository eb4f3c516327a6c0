package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/iostreams"
)

// TODO(owner): replace with the real command.
func newSolarSystemCmd(ios *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "solar-system",
		Short: "Run the sample solar-system API",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("solar-system: not implemented yet")
		},
	}
}
