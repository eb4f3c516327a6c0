package inputs

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"
)

//go:embed *.yaml *.raml base templates
var embedded embed.FS

// baseDir holds the embedded base files an input may include (include:
// standard reads base/standard.yaml); they are not inputs of their own.
const baseDir = "base"

// Builtin names every file may refer to without defining them.
const (
	// BuiltinOrgURL is the org URL the bootstrap runs against.
	BuiltinOrgURL = "ORG_URL"
	// BuiltinAPIToken is the API token; only settings may refer to it, and
	// get-settings prints it as ${OKTA_API_TOKEN} unless --reveal.
	BuiltinAPIToken = "OKTA_API_TOKEN"
)

// Embedded returns the names of the embedded input files, sorted.
func Embedded() []string {
	entries, _ := embedded.ReadDir(".")
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// LoadEmbedded loads the embedded input file called name.
func LoadEmbedded(name string) (*File, error) {
	return loadEmbedded(name, nil)
}

func loadEmbedded(name string, seen []string) (*File, error) {
	b, err := embedded.ReadFile(name + ".yaml")
	if err != nil {
		return nil, fmt.Errorf("no input called %q (have: %s)", name, strings.Join(Embedded(), ", "))
	}
	return parse(name, "inputs/"+name+".yaml", b, embedded, seen)
}

// LoadFile loads a user's input file. Its needs name embedded inputs or
// files relative to it; its documents are read relative to it.
func LoadFile(path string) (*File, error) {
	return loadFile(path, nil)
}

func loadFile(path string, seen []string) (*File, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading input file: %w", err)
	}
	name := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	return parse(name, path, b, os.DirFS(filepath.Dir(path)), seen)
}

// Parse parses and validates an input file's bytes. name is the input's
// name, path is used in messages. Needs are resolved as embedded inputs or
// files relative to path.
func Parse(name, path string, data []byte) (*File, error) {
	return parse(name, path, data, os.DirFS(filepath.Dir(path)), nil)
}

var nameRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

type parser struct {
	path string
	// fsys holds the file's documents and bundles (the directory of a
	// user's file, the embedded inputs/ for an embedded one).
	fsys fs.FS
}

func (p *parser) pos(n *yaml.Node) Pos { return Pos{File: p.path, Line: n.Line, Column: n.Column} }

func (p *parser) errf(n *yaml.Node, format string, args ...any) error {
	return fmt.Errorf("%s: %s", p.pos(n), fmt.Sprintf(format, args...))
}

var yamlLineRE = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

func parse(name, path string, data []byte, fsys fs.FS, seen []string) (*File, error) {
	for _, s := range seen {
		if s == path {
			return nil, fmt.Errorf("%s: needs itself (through %s)", path, strings.Join(append(seen, path), " -> "))
		}
	}
	seen = append(seen, path)
	p := &parser{path: path, fsys: fsys}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		msg := err.Error()
		if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
			return nil, fmt.Errorf("%s:%s: bad YAML: %s", path, m[1], m[2])
		}
		return nil, fmt.Errorf("%s: bad YAML: %s", path, strings.TrimPrefix(msg, "yaml: "))
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		return nil, fmt.Errorf("%s: empty input file", path)
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return nil, p.errf(root, "an input file is a mapping with description, needs, items and settings")
	}
	f := &File{Name: name, Path: path}
	var itemsNode, settingsNode, includeNode, defaultsNode, demoNode *yaml.Node
	err := p.fields(root, map[string]func(*yaml.Node) error{
		"include":     func(n *yaml.Node) error { includeNode = n; return nil },
		"defaults":    func(n *yaml.Node) error { defaultsNode = n; return nil },
		"demo":        func(n *yaml.Node) error { demoNode = n; return nil },
		"description": func(n *yaml.Node) (err error) { f.Description, err = p.str(n, "description"); return },
		"next":        func(n *yaml.Node) (err error) { f.Next, err = p.tmpl(n, "next"); return },
		"needs": func(n *yaml.Node) error {
			names, err := p.strList(n, "needs")
			if err != nil {
				return err
			}
			for i, need := range names {
				var nf *File
				var err error
				if strings.HasSuffix(need, ".yaml") || strings.HasSuffix(need, ".yml") {
					nf, err = loadFile(filepath.Join(filepath.Dir(path), need), seen)
				} else {
					nf, err = loadEmbedded(need, seen)
				}
				if err != nil {
					return fmt.Errorf("%s: needs %q: %w", p.pos(n.Content[i]), need, err)
				}
				f.Needs = append(f.Needs, nf)
			}
			return nil
		},
		"items":    func(n *yaml.Node) error { itemsNode = n; return nil },
		"settings": func(n *yaml.Node) error { settingsNode = n; return nil },
	})
	if err != nil {
		return nil, err
	}
	var base *File
	if includeNode != nil {
		if base, err = p.include(includeNode, seen); err != nil {
			return nil, err
		}
		f.Items = append(f.Items, base.Items...)
	} else if defaultsNode != nil {
		return nil, p.errf(defaultsNode, "defaults override the values of an included file: add include: NAME")
	}
	if itemsNode == nil && base == nil {
		return nil, p.errf(root, "missing key \"items\"")
	}
	if defaultsNode != nil {
		if err := p.defaults(f, defaultsNode); err != nil {
			return nil, err
		}
	}
	if itemsNode != nil {
		if err := p.items(f, itemsNode); err != nil {
			return nil, err
		}
	}
	if settingsNode != nil {
		if err := p.settings(f, settingsNode, base); err != nil {
			return nil, err
		}
	}
	if demoNode != nil {
		if f.Demo, err = p.demo(demoNode); err != nil {
			return nil, err
		}
	}
	if err := validate(f); err != nil {
		return nil, err
	}
	return f, nil
}

// include loads the base file an include: names: an embedded base
// (include: standard reads inputs/base/standard.yaml), or a file relative
// to this one (include: my-base.yaml).
func (p *parser) include(n *yaml.Node, seen []string) (*File, error) {
	name, err := p.str(n, "include")
	if err != nil {
		return nil, err
	}
	var base *File
	if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
		b, rerr := fs.ReadFile(p.fsys, name)
		if rerr != nil {
			return nil, p.errf(n, "include %q: %v", name, errors.Unwrap(rerr))
		}
		sub, _ := fs.Sub(p.fsys, filepath.ToSlash(filepath.Dir(name)))
		base, err = parse(strings.TrimSuffix(filepath.Base(name), filepath.Ext(name)), filepath.Join(filepath.Dir(p.path), name), b, sub, seen)
	} else {
		b, rerr := embedded.ReadFile(baseDir + "/" + name + ".yaml")
		if rerr != nil {
			return nil, p.errf(n, "include %q: no such base (have: %s)", name, strings.Join(Bases(), ", "))
		}
		base, err = parse(name, "inputs/"+baseDir+"/"+name+".yaml", b, embedded, seen)
	}
	if err != nil {
		return nil, err
	}
	if len(base.Needs) > 0 {
		return nil, p.errf(n, "include %q: an included file cannot have needs", name)
	}
	return base, nil
}

// defaults replaces the defaults of included values: NAME: new default.
func (p *parser) defaults(f *File, n *yaml.Node) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "defaults must be a mapping NAME: default")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		idx := slices.IndexFunc(f.Items, func(it *Item) bool { return it.Name == k.Value })
		if idx < 0 || f.Items[idx].Value == nil {
			var names []string
			for _, it := range f.Items {
				if it.Value != nil {
					names = append(names, it.Name)
				}
			}
			return p.errf(k, "defaults: %q is not a value of the included file (its values: %s)", k.Value, strings.Join(names, ", "))
		}
		t, err := p.tmpl(v, "default of "+k.Value)
		if err != nil {
			return err
		}
		// A copy: the base's item stays as the base file says.
		it, val := *f.Items[idx], *f.Items[idx].Value
		val.Default, val.Generate = t, ""
		it.Value = &val
		f.Items[idx] = &it
	}
	return nil
}

// Bases returns the names of the embedded base files an input may include.
func Bases() []string {
	entries, _ := embedded.ReadDir(baseDir)
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	return names
}

// fields walks a mapping, calling the handler of each key; an unknown or
// repeated key is an error.
func (p *parser) fields(n *yaml.Node, handlers map[string]func(*yaml.Node) error) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "expected a mapping")
	}
	seen := map[string]bool{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		h, ok := handlers[k.Value]
		if !ok {
			return p.errf(k, "unknown key %q (expected one of: %s)", k.Value, keyList(handlers))
		}
		if seen[k.Value] {
			return p.errf(k, "key %q repeated", k.Value)
		}
		seen[k.Value] = true
		if err := h(v); err != nil {
			return err
		}
	}
	return nil
}

func keyList(m map[string]func(*yaml.Node) error) string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

func (p *parser) str(n *yaml.Node, what string) (string, error) {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float") {
		return "", p.errf(n, "%s must be a string", what)
	}
	return n.Value, nil
}

func (p *parser) tmpl(n *yaml.Node, what string) (*Template, error) {
	s, err := p.str(n, what)
	if err != nil {
		return nil, err
	}
	pos := p.pos(n)
	if n.Style == yaml.DoubleQuotedStyle || n.Style == yaml.SingleQuotedStyle {
		pos.Column++
	}
	return ParseTemplate(pos, s)
}

func (p *parser) boolean(n *yaml.Node, what string) (bool, error) {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		return false, p.errf(n, "%s must be true or false", what)
	}
	return n.Value == "true", nil
}

func (p *parser) strList(n *yaml.Node, what string) ([]string, error) {
	if n.Kind != yaml.SequenceNode {
		return nil, p.errf(n, "%s must be a list", what)
	}
	var out []string
	for _, c := range n.Content {
		s, err := p.str(c, what+" entry")
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

func (p *parser) items(f *File, n *yaml.Node) error {
	if n.Kind != yaml.SequenceNode {
		return p.errf(n, "items must be a list of values and objects")
	}
	for _, in := range n.Content {
		if in.Kind != yaml.MappingNode {
			return p.errf(in, "an item is a mapping starting with value: NAME or object: NAME")
		}
		it, err := p.item(in)
		if err != nil {
			return err
		}
		f.Items = append(f.Items, it)
	}
	return nil
}

func (p *parser) item(n *yaml.Node) (*Item, error) {
	isValue, isObject := false, false
	for i := 0; i+1 < len(n.Content); i += 2 {
		switch n.Content[i].Value {
		case "value":
			isValue = true
		case "object":
			isObject = true
		}
	}
	if isValue == isObject {
		return nil, p.errf(n, "an item has exactly one of value: NAME or object: NAME")
	}
	it := &Item{Pos: p.pos(n)}
	name := func(v *yaml.Node) error {
		s, err := p.str(v, "a name")
		if err != nil {
			return err
		}
		if !nameRE.MatchString(s) {
			return p.errf(v, "bad name %q: use letters, digits and _", s)
		}
		it.Name = s
		return nil
	}
	if isValue {
		v := &Value{}
		it.Value = v
		err := p.fields(n, map[string]func(*yaml.Node) error{
			"value":   name,
			"hint":    func(c *yaml.Node) (err error) { v.Hint, err = p.str(c, "hint"); return },
			"default": func(c *yaml.Node) (err error) { v.Default, err = p.tmpl(c, "default"); return },
			"generate": func(c *yaml.Node) error {
				s, err := p.str(c, "generate")
				if err != nil {
					return err
				}
				switch g := Generator(s); g {
				case GenPassword, GenName, GenTag:
					v.Generate = g
					return nil
				}
				return p.errf(c, "unknown generator %q (expected password, name or tag)", s)
			},
			"secret": func(c *yaml.Node) (err error) { v.Secret, err = p.boolean(c, "secret"); return },
			"validate": func(c *yaml.Node) error {
				s, err := p.str(c, "validate")
				if err != nil {
					return err
				}
				switch s {
				case "url", "origin", "email", "password", "nonempty":
					v.Validate = s
					return nil
				}
				return p.errf(c, "unknown check %q (expected url, origin, email, password or nonempty)", s)
			},
		})
		if err != nil {
			return nil, err
		}
		if v.Default != nil && v.Generate != "" {
			return nil, p.errf(n, "value %s has both default and generate", it.Name)
		}
		return it, nil
	}
	o := &Object{}
	it.Obj = o
	var specNode, kindNode *yaml.Node
	err := p.fields(n, map[string]func(*yaml.Node) error{
		"object": name,
		"kind": func(c *yaml.Node) error {
			s, err := p.str(c, "kind")
			if err != nil {
				return err
			}
			if _, ok := Kinds[Kind(s)]; !ok {
				return p.errf(c, "unknown kind %q (expected one of: %s)", s, kindList())
			}
			o.Kind, kindNode = Kind(s), c
			return nil
		},
		"existing": func(c *yaml.Node) (err error) { o.Existing, err = p.boolean(c, "existing"); return },
		"spec":     func(c *yaml.Node) error { specNode = c; return nil },
	})
	if err != nil {
		return nil, err
	}
	if kindNode == nil {
		return nil, p.errf(n, "object %s has no kind", it.Name)
	}
	if specNode == nil {
		return nil, p.errf(n, "object %s has no spec", it.Name)
	}
	if err := p.spec(it, specNode); err != nil {
		return nil, err
	}
	return it, nil
}

func kindList() string {
	var ks []string
	for k := range Kinds {
		ks = append(ks, string(k))
	}
	sort.Strings(ks)
	return strings.Join(ks, ", ")
}

func (p *parser) spec(it *Item, n *yaml.Node) error {
	o := it.Obj
	info := Kinds[o.Kind]
	handlers := map[string]func(*yaml.Node) error{}
	for fname, ftype := range info.Spec {
		handlers[fname] = func(c *yaml.Node) error {
			sf := &SpecField{Pos: p.pos(c), Name: fname, Type: ftype}
			what := fmt.Sprintf("%s.%s", o.Kind, fname)
			switch ftype {
			case TString:
				t, err := p.tmpl(c, what)
				if err != nil {
					return err
				}
				sf.Str = t
			case TList:
				if c.Kind != yaml.SequenceNode {
					return p.errf(c, "%s must be a list", what)
				}
				for _, e := range c.Content {
					t, err := p.tmpl(e, what+" entry")
					if err != nil {
						return err
					}
					sf.List = append(sf.List, t)
				}
			case TInt:
				if c.Kind != yaml.ScalarNode || c.Tag != "!!int" {
					return p.errf(c, "%s must be a whole number", what)
				}
				v, err := strconv.ParseInt(c.Value, 10, 64)
				if err != nil {
					return p.errf(c, "%s: %v", what, err)
				}
				sf.Int = v
			case TBool:
				v, err := p.boolean(c, what)
				if err != nil {
					return err
				}
				sf.Bool = v
			}
			o.Spec = append(o.Spec, sf)
			return nil
		}
	}
	if err := p.fields(n, handlers); err != nil {
		return err
	}
	for _, r := range info.Required {
		if o.Field(r) == nil {
			return p.errf(n, "%s %s: spec is missing %q", o.Kind, it.Name, r)
		}
	}
	if f := o.Field("priority"); f != nil && f.Int < 1 {
		return fmt.Errorf("%s: priority must be 1 or more", f.Pos)
	}
	if f := o.Field("accessTokenLifetimeMinutes"); f != nil && (f.Int < 5 || f.Int > 1440) {
		return fmt.Errorf("%s: accessTokenLifetimeMinutes must be between 5 and 1440", f.Pos)
	}
	if f := o.Field("type"); f != nil && o.Kind == KindApp {
		switch f.Str.Raw {
		case "service", "web", "browser", "native":
		default:
			return fmt.Errorf("%s: app type %q must be service, web, browser or native", f.Pos, f.Str.Raw)
		}
	}
	return nil
}

func (p *parser) settings(f *File, n *yaml.Node, base *File) error {
	if n.Kind != yaml.MappingNode {
		return p.errf(n, "settings must be a mapping of set names")
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if !regexp.MustCompile(`^[a-z][a-z0-9_]*$`).MatchString(k.Value) {
			return p.errf(k, "bad settings name %q: use lowercase letters, digits and _", k.Value)
		}
		set := &SettingsSet{Pos: p.pos(k), Name: k.Value}
		var included []*Setting
		err := p.fields(v, map[string]func(*yaml.Node) error{
			"description": func(c *yaml.Node) (err error) { set.Description, err = p.str(c, "description"); return },
			"include": func(c *yaml.Node) error {
				s, err := p.str(c, "include")
				if err != nil {
					return err
				}
				var from *SettingsSet
				if base != nil {
					from, _ = base.SettingsSet(s)
				}
				if from == nil || len(from.Keys) == 0 {
					return p.errf(c, "settings %s: include %q: the included file has no key set called %q", set.Name, s, s)
				}
				included = from.Keys
				return nil
			},
			"keys": func(c *yaml.Node) error {
				if c.Kind != yaml.MappingNode {
					return p.errf(c, "keys must be a mapping KEY: value")
				}
				for j := 0; j+1 < len(c.Content); j += 2 {
					kk, vv := c.Content[j], c.Content[j+1]
					if !nameRE.MatchString(kk.Value) {
						return p.errf(kk, "bad key %q", kk.Value)
					}
					t, err := p.tmpl(vv, kk.Value)
					if err != nil {
						return err
					}
					set.Keys = append(set.Keys, &Setting{Pos: p.pos(kk), Key: kk.Value, Value: t})
				}
				return nil
			},
			"document": func(c *yaml.Node) error {
				s, err := p.str(c, "document")
				if err != nil {
					return err
				}
				b, err := fs.ReadFile(p.fsys, s)
				if err != nil {
					return p.errf(c, "document %q: %v", s, errors.Unwrap(err))
				}
				pos := Pos{File: s, Line: 1}
				t, err := ParseTemplate(pos, string(b))
				if err != nil {
					return err
				}
				set.Document, set.DocumentName = t, s
				return nil
			},
			"bundle": func(c *yaml.Node) error {
				s, err := p.str(c, "bundle")
				if err != nil {
					return err
				}
				files, err := p.bundle(s)
				if err != nil {
					return p.errf(c, "bundle %q: %v", s, err)
				}
				set.Bundle, set.DocumentName = files, s
				return nil
			},
		})
		if err != nil {
			return err
		}
		set.Keys = append(included, set.Keys...)
		kinds := 0
		for _, has := range []bool{set.Document != nil, len(set.Keys) > 0, len(set.Bundle) > 0} {
			if has {
				kinds++
			}
		}
		if kinds != 1 {
			return p.errf(k, "settings %s needs exactly one of keys, document or bundle", set.Name)
		}
		f.Settings = append(f.Settings, set)
	}
	return nil
}

// bundle reads every file under dir as a template, in path order.
func (p *parser) bundle(dir string) ([]*BundleFile, error) {
	var files []*BundleFile
	err := fs.WalkDir(p.fsys, dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return errors.Unwrap(err)
		}
		if d.IsDir() {
			return nil
		}
		b, err := fs.ReadFile(p.fsys, path)
		if err != nil {
			return err
		}
		rel := strings.TrimPrefix(path, strings.TrimSuffix(dir, "/")+"/")
		t, err := ParseTemplate(Pos{File: path, Line: 1}, string(b))
		if err != nil {
			return err
		}
		files = append(files, &BundleFile{Name: rel, Template: t})
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(files) == 0 {
		return nil, errors.New("no files")
	}
	return files, nil
}

// demo reads the demo section: the steps, the gateway and the app's settings.
func (p *parser) demo(n *yaml.Node) (*Demo, error) {
	d := &Demo{Pos: p.pos(n)}
	err := p.fields(n, map[string]func(*yaml.Node) error{
		"app": func(c *yaml.Node) (err error) { d.App, err = p.str(c, "demo.app"); return },
		"gateway": func(c *yaml.Node) error {
			return p.fields(c, map[string]func(*yaml.Node) error{
				"profile": func(c *yaml.Node) (err error) { d.Gateway.Profile, err = p.str(c, "demo.gateway.profile"); return },
				"config":  func(c *yaml.Node) (err error) { d.Gateway.Config, err = p.strList(c, "demo.gateway.config"); return },
				"secrets": func(c *yaml.Node) error {
					if c.Kind != yaml.MappingNode {
						return p.errf(c, "demo.gateway.secrets must be a mapping ENV_VAR: template")
					}
					for i := 0; i+1 < len(c.Content); i += 2 {
						t, err := p.tmpl(c.Content[i+1], "demo.gateway.secrets."+c.Content[i].Value)
						if err != nil {
							return err
						}
						d.Gateway.Secrets = append(d.Gateway.Secrets, &Setting{Pos: p.pos(c.Content[i]), Key: c.Content[i].Value, Value: t})
					}
					return nil
				},
			})
		},
		"steps": func(c *yaml.Node) error {
			if c.Kind != yaml.SequenceNode {
				return p.errf(c, "demo.steps must be a list")
			}
			for _, sn := range c.Content {
				st := &DemoStep{Pos: p.pos(sn)}
				err := p.fields(sn, map[string]func(*yaml.Node) error{
					"bootstrap": func(c *yaml.Node) (err error) { st.Bootstrap, err = p.str(c, "demo.steps.bootstrap"); return },
					"register_client": func(c *yaml.Node) error {
						st.RegisterClient = &RegisterClient{}
						return p.fields(c, map[string]func(*yaml.Node) error{
							"client_id": func(c *yaml.Node) (err error) { st.RegisterClient.ClientID, err = p.str(c, "client_id"); return },
							"client_secret": func(c *yaml.Node) (err error) {
								st.RegisterClient.ClientSecret, err = p.str(c, "client_secret")
								return
							},
						})
					},
				})
				if err != nil {
					return err
				}
				if (st.Bootstrap == "") == (st.RegisterClient == nil) {
					return p.errf(sn, "a demo step is one of bootstrap: INPUT or register_client: {client_id: NAME, client_secret: NAME}")
				}
				d.Steps = append(d.Steps, st)
			}
			return nil
		},
	})
	if err != nil {
		return nil, err
	}
	if d.App == "" {
		return nil, p.errf(n, "demo.app: missing (the settings set the web app reads)")
	}
	return d, nil
}
