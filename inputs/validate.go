package inputs

import (
	"fmt"
	"slices"
	"strings"
)

// Refs returns every reference an item makes (its default, or its spec).
func (it *Item) Refs() []Ref {
	if it.Value != nil {
		return it.Value.Default.Refs()
	}
	var refs []Ref
	for _, f := range it.Obj.Spec {
		refs = append(refs, f.Str.Refs()...)
		for _, t := range f.List {
			refs = append(refs, t.Refs()...)
		}
	}
	return refs
}

// Lookup finds the item called name in f or, failing that, in what f needs
// (depth first, in order). local says whether it is f's own.
func (f *File) Lookup(name string) (it *Item, owner *File) {
	for _, it := range f.Items {
		if it.Name == name {
			return it, f
		}
	}
	for _, n := range f.Needs {
		if it, owner := n.Lookup(name); it != nil {
			return it, owner
		}
	}
	return nil, nil
}

// Item returns f's own item called name, or nil.
func (f *File) Item(name string) *Item {
	for _, it := range f.Items {
		if it.Name == name {
			return it
		}
	}
	return nil
}

// SettingsSet returns the settings set called name, looking in f and what
// it needs, or nil.
func (f *File) SettingsSet(name string) (*SettingsSet, *File) {
	for _, s := range f.Settings {
		if s.Name == name {
			return s, f
		}
	}
	for _, n := range f.Needs {
		if s, o := n.SettingsSet(name); s != nil {
			return s, o
		}
	}
	return nil, nil
}

// IsSecretRef reports whether ref names a secret value, a secret field or
// the API token.
func (f *File) IsSecretRef(r Ref) bool {
	if r.Name == BuiltinAPIToken {
		return true
	}
	it, _ := f.Lookup(r.Name)
	if it == nil {
		return false
	}
	if it.Value != nil {
		return it.Value.Secret
	}
	return SecretFields[r.Field]
}

func validate(f *File) error {
	seen := map[string]*Item{}
	for _, it := range f.Items {
		if it.Name == BuiltinOrgURL || it.Name == BuiltinAPIToken {
			return fmt.Errorf("%s: %s is a built-in name", it.Pos, it.Name)
		}
		if prev, ok := seen[it.Name]; ok {
			return fmt.Errorf("%s: %s is already defined at %s", it.Pos, it.Name, prev.Pos)
		}
		for _, n := range f.Needs {
			if other, _ := n.Lookup(it.Name); other != nil {
				return fmt.Errorf("%s: %s is already defined at %s", it.Pos, it.Name, other.Pos)
			}
		}
		seen[it.Name] = it
	}
	for _, it := range f.Items {
		for _, r := range it.Refs() {
			if err := f.checkRef(r, false); err != nil {
				return err
			}
		}
	}
	for _, set := range f.Settings {
		refs := set.Document.Refs()
		for _, bf := range set.Bundle {
			refs = append(refs, bf.Template.Refs()...)
		}
		for _, s := range set.Keys {
			for _, r := range s.Value.Refs() {
				if f.IsSecretRef(r) {
					s.Secret = true
				}
				refs = append(refs, r)
			}
		}
		for _, r := range refs {
			if err := f.checkRef(r, true); err != nil {
				return err
			}
		}
	}
	for _, r := range f.Next.Refs() {
		if err := f.checkRef(r, false); err != nil {
			return err
		}
		if f.IsSecretRef(r) {
			return fmt.Errorf("%s: next is printed: it may not show the secret %s", r.Pos, r)
		}
	}
	if err := f.checkDemo(); err != nil {
		return err
	}
	if err := f.checkCycles(); err != nil {
		return err
	}
	return f.checkPriorities()
}

// checkDemo makes sure the demo section names settings sets that exist.
func (f *File) checkDemo() error {
	d := f.Demo
	if d == nil {
		return nil
	}
	// With steps of its own, the sets may be another step's input's: the
	// flow's test checks those.
	var names []string
	if len(d.Steps) == 0 {
		names = append([]string{d.App}, d.Gateway.Config...)
	}
	for i, n := range names {
		set, _ := f.SettingsSet(n)
		switch {
		case set == nil:
			return fmt.Errorf("%s: demo: no settings set called %q", d.Pos, n)
		case i == 0 && len(set.Keys) == 0:
			return fmt.Errorf("%s: demo.app: settings %s is not a key set", d.Pos, n)
		case i > 0 && len(set.Keys) > 0:
			return fmt.Errorf("%s: demo.gateway.config: settings %s is a key set, not a document or bundle", d.Pos, n)
		}
	}
	for _, s := range d.Gateway.Secrets {
		for _, r := range s.Value.Refs() {
			if err := f.checkRef(r, true); err != nil {
				return err
			}
		}
	}
	return nil
}

func (f *File) checkRef(r Ref, inSettings bool) error {
	switch r.Name {
	case BuiltinOrgURL:
		if r.Field != "" {
			return fmt.Errorf("%s: %s has no fields", r.Pos, r.Name)
		}
		return nil
	case BuiltinAPIToken:
		if !inSettings {
			return fmt.Errorf("%s: the API token may be used only in settings, never in values or objects", r.Pos)
		}
		if r.Field != "" {
			return fmt.Errorf("%s: %s has no fields", r.Pos, r.Name)
		}
		return nil
	}
	it, _ := f.Lookup(r.Name)
	if it == nil {
		return fmt.Errorf("%s: %s refers to nothing: no value or object is called %s", r.Pos, r, r.Name)
	}
	if it.Value != nil {
		if r.Field != "" {
			return fmt.Errorf("%s: %s: %s is a value and has no fields", r.Pos, r, r.Name)
		}
		return nil
	}
	info := Kinds[it.Obj.Kind]
	if r.Field == "" {
		return fmt.Errorf("%s: %s is an object; refer to one of its fields: %s", r.Pos, r, fieldList(r.Name, info.Fields))
	}
	if !slices.Contains(info.Fields, r.Field) {
		return fmt.Errorf("%s: %s: a %s has no field %q (it has %s)", r.Pos, r, it.Obj.Kind, r.Field, strings.Join(info.Fields, ", "))
	}
	return nil
}

func fieldList(name string, fields []string) string {
	var s []string
	for _, fl := range fields {
		s = append(s, "{{"+name+"."+fl+"}}")
	}
	return strings.Join(s, ", ")
}

// checkCycles finds a reference cycle among f's own items.
func (f *File) checkCycles() error {
	const (
		white = iota
		grey
		black
	)
	color := map[string]int{}
	var stack []string
	var visit func(it *Item) error
	visit = func(it *Item) error {
		color[it.Name] = grey
		stack = append(stack, it.Name)
		for _, r := range it.Refs() {
			dep := f.Item(r.Name)
			if dep == nil {
				continue
			}
			switch color[dep.Name] {
			case grey:
				i := slices.Index(stack, dep.Name)
				cycle := append(slices.Clone(stack[i:]), dep.Name)
				return fmt.Errorf("%s: reference cycle: %s", r.Pos, strings.Join(cycle, " -> "))
			case white:
				if err := visit(dep); err != nil {
					return err
				}
			}
		}
		stack = stack[:len(stack)-1]
		color[it.Name] = black
		return nil
	}
	for _, it := range f.Items {
		if color[it.Name] == white {
			if err := visit(it); err != nil {
				return err
			}
		}
	}
	return nil
}

// checkPriorities makes sure rules of one policy (and policies of one
// server) appear in the file in increasing priority: they are created one
// after another in file order, and Okta keeps the order they are given.
func (f *File) checkPriorities() error {
	last := map[string]*SpecField{}
	for _, it := range f.Items {
		if it.Obj == nil {
			continue
		}
		var parent string
		switch it.Obj.Kind {
		case KindRule:
			parent = "rule " + it.Obj.Field("policy").Str.Raw
		case KindPolicy:
			parent = "policy " + it.Obj.Field("server").Str.Raw
		default:
			continue
		}
		pf := it.Obj.Field("priority")
		if pf == nil {
			continue
		}
		if prev, ok := last[parent]; ok && pf.Int <= prev.Int {
			return fmt.Errorf("%s: priority %d after priority %d at %s: list the %ss of one parent in increasing priority", pf.Pos, pf.Int, prev.Int, prev.Pos, it.Obj.Kind)
		}
		last[parent] = pf
	}
	return nil
}
