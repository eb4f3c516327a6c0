package main

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/orgenv"
)

// inputChoice is what bootstrap, plan and destroy take alike: one input,
// embedded (a flag each: --mulesoft, --kong, ...) or --input FILE, and
// the .env file the org's settings are read from.
type inputChoice struct {
	names      []string
	embedded   map[string]*bool
	file       string
	envFile    string
	envFileSet bool
}

func newInputChoice() *inputChoice {
	return &inputChoice{names: inputs.Embedded(), embedded: map[string]*bool{}}
}

// use is a command's Use line: "CMD (--aws | ... | --input FILE)".
func (ic *inputChoice) use(cmd string) string {
	return cmd + " (--" + strings.Join(ic.names, " | --") + " | --input FILE)"
}

// addFlags defines the input flags, --env-file and the spelling of
// underscored names with a dash. embeddedUsage is a flag's usage for the
// embedded input's path (inputs/NAME.yaml); fileUsage is --input's.
func (ic *inputChoice) addFlags(cmd *cobra.Command, embeddedUsage func(path string) string, fileUsage string) {
	setFlagNormalization(cmd.Flags(), ic.names)
	f := cmd.Flags()
	for _, n := range ic.names {
		ic.embedded[n] = f.Bool(n, false, embeddedUsage("inputs/"+n+".yaml"))
	}
	f.StringVar(&ic.file, "input", "", fileUsage)
	f.StringVar(&ic.envFile, "env-file", ".env", "the .env `FILE` to read (optional when not given)")
}

// check refuses anything but exactly one input, naming c's help.
func (ic *inputChoice) check(c *cobra.Command) error {
	ic.envFileSet = c.Flags().Changed("env-file")
	n := 0
	for _, name := range ic.names {
		if *ic.embedded[name] {
			n++
		}
	}
	if ic.file != "" {
		n++
	}
	if n != 1 {
		return &flagError{fmt.Errorf("pass exactly one of --%s or --input FILE (see '%s --help')", strings.Join(ic.names, ", --"), c.CommandPath())}
	}
	return nil
}

// load reads the chosen input and the org's settings: the environment,
// then the .env file (which may be missing unless --env-file named it).
func (ic *inputChoice) load(lookupEnv func(string) (string, bool)) (*inputs.File, *orgenv.Env, error) {
	var in *inputs.File
	var err error
	for n, on := range ic.embedded {
		if *on {
			in, err = inputs.LoadEmbedded(n)
		}
	}
	if ic.file != "" {
		in, err = inputs.LoadFile(ic.file)
	}
	if err != nil {
		return nil, nil, exitcode.Wrap(exitcode.Input, err)
	}
	env, err := orgenv.Load(ic.envFile, !ic.envFileSet, lookupEnv)
	if err != nil {
		return nil, nil, exitcode.Wrap(exitcode.Usage, err)
	}
	return in, env, nil
}
