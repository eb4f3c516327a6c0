package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/orgenv"
	"github.com/apicenter/apicenter/outputs"
)

// getSettingsOptions are the dependencies and flags of `apicenter get-settings`.
type getSettingsOptions struct {
	IO        *iostreams.IOStreams
	LookupEnv func(string) (string, bool)

	Sets       map[string]*bool
	InputFile  string // --input: a user's input file
	SetName    string // --settings: a settings set of that file
	Format     string
	Reveal     bool
	OutputDir  string
	EnvFile    string
	EnvFileSet bool
}

func newGetSettingsCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &getSettingsOptions{IO: ios, LookupEnv: os.LookupEnv, Sets: map[string]*bool{}}
	sets := bootstrap.SettingsSets()
	var names []string
	var list strings.Builder
	for _, s := range sets {
		names = append(names, s.Name)
		fmt.Fprintf(&list, "  --%-20s %s (reads the output of bootstrap --%s)\n", s.Name, s.Description, s.Input)
	}
	cmd := &cobra.Command{
		Use:   "get-settings (--" + strings.Join(names, " | --") + " | --input FILE --settings NAME)",
		Short: "Print the settings a gateway or the web app needs",
		Long: `Print, from the bootstrap output files, the settings a gateway or the web
app needs, as KEY=value lines a shell or a .env file reads as they are
(--format json or yaml for programs):

` + list.String() + `  --input FILE --settings NAME   a settings set of your own input file

The API token is printed as ${OKTA_API_TOKEN} unless --reveal, which reads
it from OKTA_API_TOKEN or OKTA_CLIENT_TOKEN (environment, then .env).

` + exitcode.Help,
		Example: `  apicenter get-settings --mulesoft_introspect
  apicenter get-settings --mulesoft > .env
  apicenter get-settings --mulesoft --format json`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			opts.EnvFileSet = c.Flags().Changed("env-file")
			var chosen []string
			for _, n := range names {
				if *opts.Sets[n] {
					chosen = append(chosen, n)
				}
			}
			if opts.InputFile != "" || opts.SetName != "" {
				if opts.InputFile == "" || opts.SetName == "" || len(chosen) > 0 {
					return &flagError{fmt.Errorf("--input FILE and --settings NAME go together, without --%s", strings.Join(names, ", --"))}
				}
				chosen = append(chosen, opts.SetName)
			}
			if len(chosen) != 1 {
				return &flagError{fmt.Errorf("pass exactly one of --%s, or --input FILE --settings NAME", strings.Join(names, ", --"))}
			}
			switch opts.Format {
			case bootstrap.FormatEnv, bootstrap.FormatJSON, bootstrap.FormatYAML:
			default:
				return &flagError{fmt.Errorf("--format %q: use env, json or yaml", opts.Format)}
			}
			return runGetSettings(c.Context(), opts, chosen[0])
		},
	}
	setFlagNormalization(cmd.Flags(), names)
	f := cmd.Flags()
	for _, s := range sets {
		opts.Sets[s.Name] = f.Bool(s.Name, false, s.Description)
	}
	f.StringVar(&opts.InputFile, "input", "", "your own input `FILE` (with --settings)")
	f.StringVar(&opts.SetName, "settings", "", "the settings set `NAME` of --input FILE")
	f.StringVar(&opts.Format, "format", bootstrap.FormatEnv, "output `FORMAT`: env, json or yaml")
	f.BoolVar(&opts.Reveal, "reveal", false, "print the API token instead of ${OKTA_API_TOKEN}")
	f.StringVar(&opts.OutputDir, "output-dir", outputs.DefaultDir, "`DIR` of the output files")
	f.StringVar(&opts.EnvFile, "env-file", ".env", "the .env `FILE` to read the token from with --reveal")
	return cmd
}

func runGetSettings(_ context.Context, opts *getSettingsOptions, name string) error {
	so := bootstrap.SettingsOptions{OutputDir: opts.OutputDir, Reveal: opts.Reveal}
	if opts.InputFile != "" {
		in, err := inputs.LoadFile(opts.InputFile)
		if err != nil {
			return exitcode.Wrap(exitcode.Input, err)
		}
		so.Inputs = []*inputs.File{in}
	}
	if opts.Reveal {
		env, err := orgenv.Load(opts.EnvFile, !opts.EnvFileSet, opts.LookupEnv)
		if err != nil {
			return exitcode.Wrap(exitcode.Usage, err)
		}
		so.Token = env.Token()
	}
	doc, err := bootstrap.Document(name, so)
	if err == nil {
		if opts.Format != bootstrap.FormatEnv {
			return exitcode.Wrap(exitcode.Usage, fmt.Errorf("--format %s: --%s prints a document, not keys; leave --format out", opts.Format, name))
		}
		_, err = io.WriteString(opts.IO.Out, doc)
		return err
	}
	if exitcode.Of(err) != exitcode.Usage {
		return err
	}
	zipped, err := bootstrap.Bundle(name, so)
	if err == nil {
		if opts.Format != bootstrap.FormatEnv {
			return exitcode.Wrap(exitcode.Usage, fmt.Errorf("--format %s: --%s prints a zip archive, not keys; leave --format out", opts.Format, name))
		}
		if opts.IO.OutTTY {
			return exitcode.Wrap(exitcode.Usage, fmt.Errorf("--%s prints a zip archive: redirect it to a file (apicenter get-settings --%s > %s.zip)", name, name, name))
		}
		_, err = opts.IO.Out.Write(zipped)
		return err
	}
	if exitcode.Of(err) != exitcode.Usage {
		return err
	}
	settings, err := bootstrap.Settings(name, so)
	if err != nil {
		return err
	}
	return bootstrap.WriteSettings(opts.IO.Out, settings, opts.Format)
}
