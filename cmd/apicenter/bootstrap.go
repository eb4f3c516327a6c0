package main

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/prompter"
	"github.com/apicenter/apicenter/outputs"
)

// bootstrapOptions are the dependencies and flags of `apicenter bootstrap`.
type bootstrapOptions struct {
	IO        *iostreams.IOStreams
	Prompter  func(*iostreams.IOStreams) prompter.Prompter
	LookupEnv func(string) (string, bool)

	Input       *inputChoice
	Yes         bool
	Set         []string
	OrgURL      string
	OutputDir   string
	Concurrency int
}

const orgEnvHelp = `Environment (read from the environment first, then from the .env file):
  OKTA_ORG_URL, OKTA_TENANT, OKTA_CLIENT_ORGURL   the org URL, unless --org-url
  OKTA_API_TOKEN, OKTA_CLIENT_TOKEN               the API token (never a flag)
  any value name of the input (e.g. AUTHN_CLIENT_ID) sets that value`

func newBootstrapCmd(ios *iostreams.IOStreams) *cobra.Command {
	opts := &bootstrapOptions{IO: ios, Prompter: prompter.New, LookupEnv: os.LookupEnv, Input: newInputChoice()}
	var list strings.Builder
	for _, in := range inputs.Summaries() {
		desc := in.Description
		if in.Err != nil {
			desc = "(its description does not load)"
		}
		writeFlagHelp(&list, "--"+in.Name, desc)
	}
	cmd := &cobra.Command{
		Use:   opts.Input.use("bootstrap"),
		Short: "Create the Okta objects a gateway needs",
		Long: `Find or create, in an Okta org, the objects an input file describes:
groups, users, a custom authorization server, scopes, access policies and
rules, OIDC apps, trusted origins and app group assignments.

` + list.String() + `
Each object is looked up by its natural key first: a second run creates
nothing. A found object that differs from the input in a field apicenter
owns (a server's audience, a scope's description, a policy's clients, a
rule's scopes, groups, grant types, priority and token lifetime, an app's
grant types, response types and redirect URIs, a trusted origin's scopes)
is changed back
and each change is shown: with --yes at once, at a terminal after asking
(one key: c updates, p leaves it, a updates the rest too, q quits); without
either it is only reported. Fields the input does not
name are never touched. 'apicenter plan' shows all this without changing
anything; 'apicenter destroy' deletes what a bootstrap created. Each value not given by --set, the environment, .env or an earlier
output is shown at a terminal and answered with one key, without Enter:
c (or Enter) continues, p provides a new value, a auto-accepts this and the
rest, q (or Ctrl-D) quits, keeping what was created (exit 5). Without a
terminal, pass --yes to accept the defaults.

Everything found or created is recorded, as soon as it exists, in
<output-dir>/<input>.yaml (mode 0600; it holds client secrets and passwords,
never the API token). A run stopped by q, Ctrl-C or an error continues where
it stopped when run again.

` + orgEnvHelp + `

` + exitcode.Help,
		Example: `  export OKTA_ORG_URL=https://dev-123456.okta.com OKTA_API_TOKEN=...
  apicenter bootstrap --mulesoft
  AUTHN_CLIENT_ID=0oa... AUTHN_CLIENT_SECRET=... apicenter bootstrap --mulesoft_policy --yes`,
		Args: cobra.NoArgs,
		RunE: func(c *cobra.Command, _ []string) error {
			if err := opts.Input.check(c); err != nil {
				return err
			}
			if opts.Concurrency < 1 {
				return &flagError{fmt.Errorf("--concurrency must be 1 or more")}
			}
			return runBootstrap(c.Context(), opts)
		},
	}
	opts.Input.addFlags(cmd, func(path string) string { return "run the embedded input " + path }, "run your own input `FILE` (YAML, see inputs/*.yaml)")
	f := cmd.Flags()
	f.BoolVarP(&opts.Yes, "yes", "y", false, "accept every default without asking (for CI)")
	f.StringArrayVar(&opts.Set, "set", nil, "set a value: `NAME=VALUE` (repeatable); it is not asked about")
	f.StringVar(&opts.OrgURL, "org-url", "", "the Okta org `URL` (https://...; http only for loopback)")
	f.StringVar(&opts.OutputDir, "output-dir", outputs.DefaultDir, "`DIR` of the output files")
	f.IntVar(&opts.Concurrency, "concurrency", bootstrap.DefaultConcurrency, "requests in flight at most")
	return cmd
}

// setFlagNormalization makes foo-bar and foo_bar the same flag, shown with
// the spelling it was defined with (the user's --mulesoft_policy, and
// --org-url).
func setFlagNormalization(fs *pflag.FlagSet, underscored []string) {
	canon := map[string]string{}
	for _, n := range underscored {
		canon[strings.ReplaceAll(n, "_", "-")] = n
	}
	fs.SetNormalizeFunc(func(_ *pflag.FlagSet, name string) pflag.NormalizedName {
		h := strings.ReplaceAll(name, "_", "-")
		if c, ok := canon[h]; ok {
			return pflag.NormalizedName(c)
		}
		return pflag.NormalizedName(h)
	})
}

func runBootstrap(ctx context.Context, opts *bootstrapOptions) error {
	in, env, err := opts.Input.load(opts.LookupEnv)
	if err != nil {
		return err
	}
	var p prompter.Prompter
	if opts.IO.CanPrompt() && !opts.Yes {
		p = opts.Prompter(opts.IO)
	}
	res, err := bootstrap.Run(ctx, bootstrap.Options{
		IO:          opts.IO,
		Prompter:    p,
		Input:       in,
		OrgURL:      opts.OrgURL,
		Env:         env,
		Set:         opts.Set,
		Yes:         opts.Yes,
		OutputDir:   opts.OutputDir,
		Concurrency: opts.Concurrency,
	})
	if err != nil {
		return err
	}
	fmt.Fprintln(opts.IO.Out, res.Path)
	if res.Next != "" {
		fmt.Fprintf(opts.IO.ErrOut, "\n%s\n", res.Next)
	}
	return nil
}

// writeFlagHelp writes a flag and its description, the description wrapped
// at word boundaries to 80 columns and indented under the flag.
func writeFlagHelp(w *strings.Builder, flag, desc string) {
	const indent = 21
	line := fmt.Sprintf("  %-*s", indent-2, flag)
	if len(flag) > indent-3 {
		w.WriteString("  " + flag + "\n")
		line = strings.Repeat(" ", indent)
	}
	width := len(line)
	for _, word := range strings.Fields(desc) {
		if width > indent && width+1+len(word) > 80 {
			w.WriteString(strings.TrimRight(line, " ") + "\n")
			line, width = strings.Repeat(" ", indent), indent
		}
		if width > indent {
			line += " "
			width++
		}
		line += word
		width += len(word)
	}
	w.WriteString(line + "\n")
}
