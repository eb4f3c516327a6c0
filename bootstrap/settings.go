package bootstrap

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/outputs"
)

// Setting is one KEY=value of a settings set.
type Setting struct {
	Key   string
	Value string
	// Secret says the value is a client secret, a password or the token.
	Secret bool
	// TokenPlaceholder says Value holds ${OKTA_API_TOKEN} in place of the
	// token (get-settings without --reveal).
	TokenPlaceholder bool
}

// SettingsSetInfo describes a settings set of an embedded input.
type SettingsSetInfo struct {
	Name        string
	Description string
	// Input is the input whose output (and whose needs' outputs) it reads.
	Input string
}

// SettingsSets lists the settings sets of the embedded inputs.
func SettingsSets() []SettingsSetInfo {
	var out []SettingsSetInfo
	for _, in := range inputs.Summaries() {
		for _, s := range in.Settings {
			out = append(out, SettingsSetInfo{Name: s.Name, Description: s.Description, Input: in.Name})
		}
	}
	return out
}

// SettingsOptions say where get-settings reads from.
type SettingsOptions struct {
	// OutputDir holds the output files (outputs.DefaultDir if empty).
	OutputDir string
	// Reveal prints the API token instead of ${OKTA_API_TOKEN}; Token is
	// then the token.
	Reveal bool
	Token  string
	// Inputs to look for the set in; the embedded inputs if nil.
	Inputs []*inputs.File
}

// TokenPlaceholder stands for the API token in settings unless revealed.
const TokenPlaceholder = "${OKTA_API_TOKEN}"

// Settings returns the key/values of settings set name, in order, read
// from the output files of the input that declares it and of what it needs.
func Settings(name string, opts SettingsOptions) ([]Setting, error) {
	set, _, res, err := settingsResolver(name, opts)
	if err != nil {
		return nil, err
	}
	if set.Document != nil || len(set.Bundle) > 0 {
		return nil, usageErr("settings %s is a document, not keys", name)
	}
	var out []Setting
	for _, s := range set.Keys {
		v, err := s.Value.Expand(res.lookup)
		if err != nil {
			return nil, err
		}
		st := Setting{Key: s.Key, Value: v, Secret: s.Secret}
		for _, r := range s.Value.Refs() {
			if r.Name == inputs.BuiltinAPIToken && !opts.Reveal {
				st.TokenPlaceholder = true
			}
		}
		out = append(out, st)
	}
	return out, nil
}

// Document returns the rendered document of settings set name (the RAML).
func Document(name string, opts SettingsOptions) (string, error) {
	set, _, res, err := settingsResolver(name, opts)
	if err != nil {
		return "", err
	}
	if set.Document == nil {
		return "", usageErr("settings %s is not a document", name)
	}
	return set.Document.Expand(res.lookup)
}

// Expand expands a template of owner's (a demo's secret) from the output
// files of owner and of what it needs.
func Expand(owner *inputs.File, t *inputs.Template, opts SettingsOptions) (string, error) {
	res := &resolver{owner: owner, outs: map[*inputs.File]*outputs.File{}, dir: opts.OutputDir, reveal: opts.Reveal, token: opts.Token}
	if err := res.load(owner); err != nil {
		return "", err
	}
	res.rootOut = res.outs[owner]
	return t.Expand(res.lookup)
}

// Bundle returns the rendered files of bundle settings set name as a zip
// archive, files in path order with a fixed time, so that the same output
// files give the same bytes.
func Bundle(name string, opts SettingsOptions) ([]byte, error) {
	set, _, res, err := settingsResolver(name, opts)
	if err != nil {
		return nil, err
	}
	if len(set.Bundle) == 0 {
		return nil, usageErr("settings %s is not a bundle", name)
	}
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for _, bf := range set.Bundle {
		text, err := bf.Template.Expand(res.lookup)
		if err != nil {
			return nil, err
		}
		w, err := zw.CreateHeader(&zip.FileHeader{Name: bf.Name, Method: zip.Deflate, Modified: bundleTime})
		if err != nil {
			return nil, err
		}
		if _, err := io.WriteString(w, text); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// bundleTime is the modification time of every file of a bundle.
var bundleTime = time.Date(2018, 1, 1, 0, 0, 0, 0, time.UTC)

type resolver struct {
	owner   *inputs.File
	outs    map[*inputs.File]*outputs.File
	dir     string
	reveal  bool
	token   string
	rootOut *outputs.File
}

func settingsResolver(name string, opts SettingsOptions) (*inputs.SettingsSet, *inputs.File, *resolver, error) {
	files := opts.Inputs
	if files == nil {
		for _, n := range inputs.Embedded() {
			f, err := inputs.LoadEmbedded(n)
			if err != nil {
				return nil, nil, nil, err
			}
			files = append(files, f)
		}
	}
	var set *inputs.SettingsSet
	var owner *inputs.File
	for _, f := range files {
		for _, s := range f.Settings {
			if s.Name == name {
				set, owner = s, f
			}
		}
	}
	if set == nil {
		var names []string
		for _, f := range files {
			for _, s := range f.Settings {
				names = append(names, s.Name)
			}
		}
		return nil, nil, nil, usageErr("no settings called %q (have: %s)", name, strings.Join(names, ", "))
	}
	if opts.Reveal && opts.Token == "" {
		return nil, nil, nil, usageErr("--reveal needs the token: set OKTA_API_TOKEN or OKTA_CLIENT_TOKEN in the environment or .env")
	}
	res := &resolver{owner: owner, outs: map[*inputs.File]*outputs.File{}, dir: opts.OutputDir, reveal: opts.Reveal, token: opts.Token}
	if err := res.load(owner); err != nil {
		return nil, nil, nil, err
	}
	res.rootOut = res.outs[owner]
	return set, owner, res, nil
}

func (r *resolver) load(f *inputs.File) error {
	if _, ok := r.outs[f]; ok {
		return nil
	}
	path := outputs.Path(r.dir, f.Name)
	out, err := outputs.Load(path)
	if errors.Is(err, outputs.ErrMissing) {
		return inputErr("%s does not exist: run `%s` first", path, commandFor(f))
	}
	if err != nil {
		return inputErr("%v", err)
	}
	r.outs[f] = out
	for _, n := range f.Needs {
		if err := r.load(n); err != nil {
			return err
		}
	}
	return nil
}

func (r *resolver) lookup(ref inputs.Ref) (string, error) {
	switch ref.Name {
	case inputs.BuiltinOrgURL:
		return r.rootOut.OrgURL, nil
	case inputs.BuiltinAPIToken:
		if r.reveal {
			return r.token, nil
		}
		return TokenPlaceholder, nil
	}
	it, f := r.owner.Lookup(ref.Name)
	if it == nil {
		return "", inputErr("%s: %s refers to nothing", ref.Pos, ref)
	}
	out := r.outs[f]
	path := outputs.Path(r.dir, f.Name)
	if it.Value != nil {
		v, ok := out.Value(ref.Name)
		if !ok {
			return "", inputErr("%s has no value %s: run `%s` to completion", path, ref.Name, commandFor(f))
		}
		if user := unknownPasswordOf(f, out, ref.Name); user != nil {
			return "", inputErr("%s: %s is not the password of user %q (%s), which was there before apicenter: run `%s --set %s=...` with its real password", path, ref.Name, user.Key, user.Name, commandFor(f), ref.Name)
		}
		return v.Value, nil
	}
	o := out.Object(ref.Name)
	if o == nil {
		return "", inputErr("%s has no object %s: run `%s` to completion", path, ref.Name, commandFor(f))
	}
	v, ok := o.Fields[ref.Field]
	if !ok {
		return "", inputErr("%s: object %s has no field %s: run `%s` again", path, ref.Name, ref.Field, commandFor(f))
	}
	return v, nil
}

// The output formats of get-settings.
const (
	FormatEnv  = "env"
	FormatJSON = "json"
	FormatYAML = "yaml"
)

var shellSafe = regexp.MustCompile(`^[A-Za-z0-9_./:@%+,=-]+$`)

// QuoteEnv quotes a value for a KEY=value line that both a POSIX shell and
// a .env file read back unchanged: bare when it is made of safe characters,
// else in double quotes with \ " $ and ` escaped.
func QuoteEnv(v string) string {
	if shellSafe.MatchString(v) {
		return v
	}
	r := strings.NewReplacer(`\`, `\\`, `"`, `\"`, `$`, `\$`, "`", "\\`")
	return `"` + r.Replace(v) + `"`
}

// WriteSettings writes settings in format (env, json or yaml).
func WriteSettings(w io.Writer, settings []Setting, format string) error {
	switch format {
	case FormatEnv, "":
		var b bytes.Buffer
		for _, s := range settings {
			if strings.ContainsAny(s.Value, "\r\n") {
				// No quoting reads back the same in a shell and a .env file.
				return inputErr("%s holds a line break, which a KEY=value line cannot carry: use --format json or yaml", s.Key)
			}
			q := QuoteEnv(s.Value)
			if s.TokenPlaceholder {
				// Keep ${OKTA_API_TOKEN} expandable by a shell or dotenv.
				q = strings.ReplaceAll(q, `\`+TokenPlaceholder, TokenPlaceholder)
			}
			fmt.Fprintf(&b, "%s=%s\n", s.Key, q)
		}
		_, err := w.Write(b.Bytes())
		return err
	case FormatJSON:
		var b bytes.Buffer
		b.WriteString("{\n")
		for i, s := range settings {
			k, _ := json.Marshal(s.Key)
			v, _ := json.Marshal(s.Value)
			fmt.Fprintf(&b, "  %s: %s", k, v)
			if i < len(settings)-1 {
				b.WriteString(",")
			}
			b.WriteString("\n")
		}
		b.WriteString("}\n")
		_, err := w.Write(b.Bytes())
		return err
	case FormatYAML:
		m := &yaml.Node{Kind: yaml.MappingNode}
		for _, s := range settings {
			m.Content = append(m.Content,
				&yaml.Node{Kind: yaml.ScalarNode, Value: s.Key},
				&yaml.Node{Kind: yaml.ScalarNode, Value: s.Value, Style: yaml.DoubleQuotedStyle})
		}
		b, err := yaml.Marshal(m)
		if err != nil {
			return err
		}
		_, err = w.Write(b)
		return err
	}
	return usageErr("unknown format %q: use env, json or yaml", format)
}

// unknownPasswordOf returns the recorded user of f whose password is value
// name and was recorded as unknown, or nil.
func unknownPasswordOf(f *inputs.File, out *outputs.File, name string) *outputs.Object {
	for _, it := range f.Items {
		if it.Obj == nil || it.Obj.Kind != inputs.KindUser {
			continue
		}
		pw := it.Obj.Field("password")
		if pw == nil || pw.Str == nil {
			continue
		}
		for _, ref := range pw.Str.Refs() {
			if ref.Name != name {
				continue
			}
			if o := out.Object(it.Name); o != nil && o.Fields[PasswordUnknownField] == "true" {
				return o
			}
		}
	}
	return nil
}
