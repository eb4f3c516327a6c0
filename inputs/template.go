package inputs

import (
	"fmt"
	"regexp"
	"strings"
)

// Template is a string that may refer to values and object fields with
// {{NAME}} and {{NAME.field}}.
type Template struct {
	Pos   Pos
	Raw   string
	Parts []Part
}

// Part is a literal or a reference.
type Part struct {
	Lit string
	Ref *Ref
}

// Ref is a {{NAME}} or {{NAME.field}} reference.
type Ref struct {
	Pos   Pos
	Name  string
	Field string // "" for a value
}

func (r Ref) String() string {
	if r.Field == "" {
		return "{{" + r.Name + "}}"
	}
	return "{{" + r.Name + "." + r.Field + "}}"
}

var refRE = regexp.MustCompile(`^\{\{\s*([A-Za-z_][A-Za-z0-9_]*)(?:\.([A-Za-z_][A-Za-z0-9_]*))?\s*\}\}`)

// ParseTemplate parses s found at pos (the column of its first character).
func ParseTemplate(pos Pos, s string) (*Template, error) {
	t := &Template{Pos: pos, Raw: s}
	rest := s
	off := 0
	for {
		i := strings.Index(rest, "{{")
		if i < 0 {
			if rest != "" {
				t.Parts = append(t.Parts, Part{Lit: rest})
			}
			return t, nil
		}
		if i > 0 {
			t.Parts = append(t.Parts, Part{Lit: rest[:i]})
		}
		rpos := pos
		if rpos.Column > 0 {
			rpos.Column += off + i
		}
		m := refRE.FindStringSubmatch(rest[i:])
		if m == nil {
			end := strings.Index(rest[i:], "}}")
			bad := rest[i:]
			if end >= 0 {
				bad = rest[i : i+end+2]
			}
			return nil, fmt.Errorf("%s: bad reference %q: write {{NAME}} or {{NAME.field}}", rpos, bad)
		}
		t.Parts = append(t.Parts, Part{Ref: &Ref{Pos: rpos, Name: m[1], Field: m[2]}})
		off += i + len(m[0])
		rest = rest[i+len(m[0]):]
	}
}

// Literal returns a template holding s with no references.
func Literal(s string) *Template { return &Template{Raw: s, Parts: []Part{{Lit: s}}} }

// Refs returns the template's references.
func (t *Template) Refs() []Ref {
	var refs []Ref
	if t == nil {
		return nil
	}
	for _, p := range t.Parts {
		if p.Ref != nil {
			refs = append(refs, *p.Ref)
		}
	}
	return refs
}

// Expand replaces each reference by what lookup returns for it.
func (t *Template) Expand(lookup func(Ref) (string, error)) (string, error) {
	var b strings.Builder
	for _, p := range t.Parts {
		if p.Ref == nil {
			b.WriteString(p.Lit)
			continue
		}
		v, err := lookup(*p.Ref)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
	}
	return b.String(), nil
}
