// Package outputs reads and writes bootstrap output files: one YAML file per
// input (outputs/<name>.yaml under the working directory by default) holding
// the org URL, every value used and every object found or created, with
// the fields later steps and get-settings need. The files hold client
// secrets and passwords, so they are written 0600, atomically (temp file +
// rename), and never hold the API token.
package outputs

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// DefaultDir is where output files go, relative to the working directory.
const DefaultDir = "outputs"

// File is the content of an output file.
type File struct {
	// Input is the name of the input file that wrote it.
	Input string `yaml:"input"`
	// OrgURL is the org the objects live in.
	OrgURL string `yaml:"orgUrl"`
	// Values are the values used, in the order they were settled.
	Values []Value `yaml:"values"`
	// Objects are the objects found or created, in input-file order.
	Objects []Object `yaml:"objects"`
}

// Value is a value and where it came from.
type Value struct {
	Name  string `yaml:"name"`
	Value string `yaml:"value"`
	// Source is one of: set (--set), environment, .env (the file's path),
	// output (an earlier run), default, generated, provided (typed at the
	// prompt).
	Source string `yaml:"source"`
}

// Object is an object found or created in the org.
type Object struct {
	Name string `yaml:"name"`
	Kind string `yaml:"kind"`
	// Key is the object's natural key (group name, user login, ...).
	Key string `yaml:"key"`
	ID  string `yaml:"id"`
	// Created says whether a run of apicenter created it (false: it was
	// found).
	Created bool `yaml:"created"`
	// Fields are what later steps may refer to ({{NAME.field}}).
	Fields map[string]string `yaml:"fields"`
}

// Path returns the output file of input name in dir.
func Path(dir, name string) string {
	if dir == "" {
		dir = DefaultDir
	}
	return filepath.Join(dir, name+".yaml")
}

// ErrMissing is wrapped by Load when the file does not exist.
var ErrMissing = errors.New("no output file")

// Load reads an output file. A missing file gives an error wrapping
// ErrMissing.
func Load(path string) (*File, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w %s", ErrMissing, path)
	}
	if err != nil {
		return nil, err
	}
	var f File
	dec := yaml.Unmarshal(b, &f)
	if dec != nil {
		return nil, damaged(path, dec)
	}
	return &f, nil
}

// Value returns the value called name.
func (f *File) Value(name string) (Value, bool) {
	for _, v := range f.Values {
		if v.Name == name {
			return v, true
		}
	}
	return Value{}, false
}

// Object returns the object called name, or nil.
func (f *File) Object(name string) *Object {
	for i := range f.Objects {
		if f.Objects[i].Name == name {
			return &f.Objects[i]
		}
	}
	return nil
}

// SetValue records a value, replacing one of the same name.
func (f *File) SetValue(v Value) {
	for i := range f.Values {
		if f.Values[i].Name == v.Name {
			f.Values[i] = v
			return
		}
	}
	f.Values = append(f.Values, v)
}

// SetObject records an object, replacing one of the same name.
func (f *File) SetObject(o Object) {
	for i := range f.Objects {
		if f.Objects[i].Name == o.Name {
			f.Objects[i] = o
			return
		}
	}
	f.Objects = append(f.Objects, o)
}

// Clone returns a deep copy of f.
func (f *File) Clone() *File {
	c := &File{Input: f.Input, OrgURL: f.OrgURL, Values: append([]Value(nil), f.Values...)}
	for _, o := range f.Objects {
		fields := make(map[string]string, len(o.Fields))
		for k, v := range o.Fields {
			fields[k] = v
		}
		o.Fields = fields
		c.Objects = append(c.Objects, o)
	}
	return c
}

const header = "# Written by apicenter bootstrap. It holds client secrets and passwords:\n# keep it private. It never holds the Okta API token.\n"

// Save writes f to path atomically (temp file in the same directory,
// fsync, rename) with mode 0600, creating the directory (0700) if needed.
func (f *File) Save(path string) error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(f); err != nil {
		return err
	}
	enc.Close()
	b := buf.Bytes()
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("writing output file: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("writing output file: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("writing output file: %w", err)
	}
	if _, err := tmp.Write(append([]byte(header), b...)); err != nil {
		tmp.Close()
		return fmt.Errorf("writing output file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("writing output file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing output file: %w", err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing output file: %w", err)
	}
	return nil
}

// CheckWritable makes sure output files can be written in dir (creating
// it, 0700, if need be), so that a run finds out before it creates
// anything it could not record.
func CheckWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".write-check.*.tmp")
	if err != nil {
		return err
	}
	tmp.Close()
	return os.Remove(tmp.Name())
}

// StaleTempAge is how old a temporary file of Save must be to count as
// left by a killed run: Save renames its file within milliseconds, so an
// older one belongs to no run in progress.
const StaleTempAge = time.Minute

// RemoveStaleTemps removes the temporary files Save leaves behind when a
// run is killed between creating and renaming one (.<file>.*.tmp, mode
// 0600, holding secrets) that are older than StaleTempAge, and returns
// how many it removed.
func RemoveStaleTemps(path string, now time.Time) (int, error) {
	matches, err := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp"))
	if err != nil {
		return 0, err
	}
	removed := 0
	for _, m := range matches {
		fi, err := os.Lstat(m)
		if err != nil || !fi.Mode().IsRegular() || now.Sub(fi.ModTime()) < StaleTempAge {
			continue
		}
		if err := os.Remove(m); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return removed, fmt.Errorf("removing %s, left by a killed run: %w", m, err)
		}
		removed++
	}
	return removed, nil
}

var yamlLine = regexp.MustCompile(`line (\d+): (.*)`)

// damaged is the one-line error of an output file YAML cannot read, with
// the file:line of the first fault and what to do.
func damaged(path string, err error) error {
	where, what := path, strings.TrimPrefix(err.Error(), "yaml: ")
	if m := yamlLine.FindStringSubmatch(err.Error()); m != nil {
		where, what = path+":"+m[1], m[2]
	}
	return fmt.Errorf("%s: the output file is damaged (%s): fix it, or move it away and run the bootstrap again, which finds its objects in the org by name", where, what)
}
