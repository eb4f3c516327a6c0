package bootstrap

import (
	"testing"

	"github.com/apicenter/apicenter/inputs"
)

// TestKindDefsCoverKinds checks that every kind an input may use has its
// entry in kindDefs, complete, and that kindDefs holds no other kind.
func TestKindDefsCoverKinds(t *testing.T) {
	for k := range inputs.Kinds {
		d, ok := kindDefs[k]
		if !ok {
			t.Errorf("kind %s has no entry in kindDefs", k)
			continue
		}
		if d.ensure == nil || d.fresh == nil || d.check == "" || d.delete == nil || len(d.deletes) == 0 {
			t.Errorf("kind %s: incomplete entry in kindDefs", k)
		}
	}
	for k := range kindDefs {
		if _, ok := inputs.Kinds[k]; !ok {
			t.Errorf("kindDefs has %s, which inputs.Kinds does not define", k)
		}
	}
}
