package main

import (
	"errors"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/internal/iostreams"
)

// TODO(owner): replace with the real command.
func newGetSettingsCmd(ios *iostreams.IOStreams) *cobra.Command {
	return &cobra.Command{
		Use:   "get-settings",
		Short: "Print the settings a gateway or the web app needs",
		RunE: func(*cobra.Command, []string) error {
			return errors.New("get-settings: not implemented yet")
		},
	}
}
