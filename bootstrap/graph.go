package bootstrap

import "github.com/apicenter/apicenter/inputs"

// Dependencies returns, for each item of f by name, the items of f it waits
// for before it is settled, in file order: the items it refers to, and for a
// policy or a rule the policy or rule before it in the file, so that they
// are created one after another in priority order (concurrent creates would
// race for the same priority). References to items of the inputs f needs
// are not dependencies: they are read from their output files.
//
// This is the plan's dependency graph; the benchmark computes the
// critical-path bound of an input from it.
func Dependencies(f *inputs.File) map[string][]string {
	deps := map[string][]string{}
	own := map[string]bool{}
	for _, it := range f.Items {
		own[it.Name] = true
	}
	last := map[inputs.Kind]string{}
	for _, it := range f.Items {
		seen := map[string]bool{}
		list := []string{}
		for _, ref := range it.Refs() {
			if own[ref.Name] && !seen[ref.Name] && ref.Name != it.Name {
				seen[ref.Name] = true
				list = append(list, ref.Name)
			}
		}
		if it.Obj != nil && (it.Obj.Kind == inputs.KindRule || it.Obj.Kind == inputs.KindPolicy) {
			if p, ok := last[it.Obj.Kind]; ok && !seen[p] {
				list = append(list, p)
			}
			last[it.Obj.Kind] = it.Name
		}
		deps[it.Name] = list
	}
	return deps
}
