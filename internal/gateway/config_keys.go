package gateway

import (
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// checkKeys refuses a key of the YAML document n that the Go type t does
// not read, naming the file, line and column, where it is (routes[0]) and
// the valid keys there: what the input files do, and no Go type names.
func checkKeys(path string, n *yaml.Node, t reflect.Type, where string) error {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.DocumentNode || n.Kind == yaml.AliasNode {
		for _, c := range n.Content {
			if err := checkKeys(path, c, t, where); err != nil {
				return err
			}
		}
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch {
	case t.Kind() == reflect.Slice && n.Kind == yaml.SequenceNode:
		for i, c := range n.Content {
			if err := checkKeys(path, c, t.Elem(), fmt.Sprintf("%s[%d]", where, i)); err != nil {
				return err
			}
		}
	case t.Kind() == reflect.Struct && n.Kind == yaml.MappingNode && !reflect.PointerTo(t).Implements(reflect.TypeFor[yaml.Unmarshaler]()):
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			f, ok := fields[k.Value]
			if !ok {
				names := make([]string, 0, len(fields))
				for name := range fields {
					names = append(names, name)
				}
				slices.Sort(names)
				in := ""
				if where != "" {
					in = " in " + where
				}
				return fmt.Errorf("%s:%d:%d: unknown key %q%s (valid keys: %s)", path, k.Line, k.Column, k.Value, in, strings.Join(names, ", "))
			}
			sub := k.Value
			if where != "" {
				sub = where + "." + k.Value
			}
			if err := checkKeys(path, v, f, sub); err != nil {
				return err
			}
		}
	}
	return nil
}

// yamlFields maps the YAML keys of struct type t to their field types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch name {
		case "-":
			continue
		case "":
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}
