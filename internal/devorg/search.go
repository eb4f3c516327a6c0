package devorg

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// An expression of Okta's `search` and `filter` parameters, for example
// `profile.login eq "a@b.c"` or `status eq "ACTIVE" and profile.name sw "x"`.
// Supported: the operators eq, ne, sw, co, gt, ge, lt, le and pr, `and`,
// `or`, parentheses; values are quoted strings, numbers, true or false.
// String comparisons ignore case, as Okta's do for profile attributes.
type expr interface {
	eval(lookup func(path string) (any, bool)) bool
}

type binaryExpr struct {
	and         bool
	left, right expr
}

func (e binaryExpr) eval(l func(string) (any, bool)) bool {
	if e.and {
		return e.left.eval(l) && e.right.eval(l)
	}
	return e.left.eval(l) || e.right.eval(l)
}

type compareExpr struct {
	path, op string
	value    any
}

func (e compareExpr) eval(l func(string) (any, bool)) bool {
	got, ok := l(e.path)
	if e.op == "pr" {
		return ok && got != nil
	}
	if !ok || got == nil {
		return e.op == "ne"
	}
	if list, isList := got.([]string); isList {
		for _, g := range list {
			if compareValues(g, e.op, e.value) {
				return true
			}
		}
		return false
	}
	return compareValues(got, e.op, e.value)
}

func compareValues(got any, op string, want any) bool {
	gs, ws := strings.ToLower(fmt.Sprint(got)), strings.ToLower(fmt.Sprint(want))
	switch op {
	case "eq":
		return gs == ws
	case "ne":
		return gs != ws
	case "sw":
		return strings.HasPrefix(gs, ws)
	case "co":
		return strings.Contains(gs, ws)
	}
	if gf, err1 := strconv.ParseFloat(gs, 64); err1 == nil {
		if wf, err2 := strconv.ParseFloat(ws, 64); err2 == nil {
			gs, ws = fmt.Sprintf("%020.6f", gf), fmt.Sprintf("%020.6f", wf)
		}
	}
	switch op {
	case "gt":
		return gs > ws
	case "ge":
		return gs >= ws
	case "lt":
		return gs < ws
	case "le":
		return gs <= ws
	}
	return false
}

// errBadSearch is Okta's answer to a search or filter it cannot parse.
func errBadSearch(param string) *apiError {
	return newAPIError(http.StatusBadRequest, "E0000031", "Invalid search criteria.", param+": invalid expression")
}

// parseExpr parses a search or filter expression.
func parseExpr(s string) (expr, error) {
	toks, err := tokenize(s)
	if err != nil {
		return nil, err
	}
	p := &exprParser{toks: toks}
	e, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.pos != len(p.toks) {
		return nil, fmt.Errorf("unexpected %q", p.toks[p.pos].text)
	}
	return e, nil
}

type token struct {
	text   string
	quoted bool
}

func tokenize(s string) ([]token, error) {
	var toks []token
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n':
			i++
		case c == '(' || c == ')':
			toks = append(toks, token{text: string(c)})
			i++
		case c == '"':
			var sb strings.Builder
			j := i + 1
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) {
					j++
				}
				sb.WriteByte(s[j])
			}
			if j >= len(s) {
				return nil, fmt.Errorf("unterminated string")
			}
			toks = append(toks, token{text: sb.String(), quoted: true})
			i = j + 1
		default:
			j := i
			for j < len(s) && !strings.ContainsRune(" \t\n()\"", rune(s[j])) {
				j++
			}
			toks = append(toks, token{text: s[i:j]})
			i = j
		}
	}
	return toks, nil
}

type exprParser struct {
	toks []token
	pos  int
}

func (p *exprParser) peekWord(w string) bool {
	return p.pos < len(p.toks) && !p.toks[p.pos].quoted && strings.EqualFold(p.toks[p.pos].text, w)
}

func (p *exprParser) or() (expr, error)  { return p.binary("or", p.and) }
func (p *exprParser) and() (expr, error) { return p.binary("and", p.factor) }

// binary parses operand {word operand}, left-associative: word is "and" or "or".
func (p *exprParser) binary(word string, operand func() (expr, error)) (expr, error) {
	left, err := operand()
	if err != nil {
		return nil, err
	}
	for p.peekWord(word) {
		p.pos++
		right, err := operand()
		if err != nil {
			return nil, err
		}
		left = binaryExpr{and: word == "and", left: left, right: right}
	}
	return left, nil
}

func (p *exprParser) factor() (expr, error) {
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("unexpected end")
	}
	if p.peekWord("(") {
		p.pos++
		e, err := p.or()
		if err != nil {
			return nil, err
		}
		if !p.peekWord(")") {
			return nil, fmt.Errorf("missing )")
		}
		p.pos++
		return e, nil
	}
	if p.pos+1 >= len(p.toks) || p.toks[p.pos].quoted {
		return nil, fmt.Errorf("expected attribute and operator")
	}
	path, op := p.toks[p.pos].text, strings.ToLower(p.toks[p.pos+1].text)
	p.pos += 2
	switch op {
	case "pr":
		return compareExpr{path: path, op: op}, nil
	case "eq", "ne", "sw", "co", "gt", "ge", "lt", "le":
	default:
		return nil, fmt.Errorf("unknown operator %q", op)
	}
	if p.pos >= len(p.toks) {
		return nil, fmt.Errorf("missing value")
	}
	t := p.toks[p.pos]
	p.pos++
	if t.quoted {
		return compareExpr{path: path, op: op, value: t.text}, nil
	}
	switch strings.ToLower(t.text) {
	case "true", "false":
		return compareExpr{path: path, op: op, value: strings.ToLower(t.text)}, nil
	}
	if _, err := strconv.ParseFloat(t.text, 64); err == nil {
		return compareExpr{path: path, op: op, value: t.text}, nil
	}
	return nil, fmt.Errorf("bad value %q", t.text)
}

// lookupPath returns the value at a dotted path of a rendered object.
func lookupPath(o obj) func(path string) (any, bool) {
	return func(path string) (any, bool) {
		var cur any = o
		for _, part := range strings.Split(path, ".") {
			m, ok := cur.(obj)
			if !ok {
				return nil, false
			}
			if cur, ok = m[part]; !ok {
				return nil, false
			}
		}
		return cur, true
	}
}

// filterObjs keeps the objects that match the request's `search` and
// `filter` expressions (when present). extra, if not nil, answers paths
// that are not fields of the object (such as an app's group.id).
func filterObjs(r *http.Request, items []obj, extra func(o obj, path string) (any, bool)) ([]any, error) {
	var exprs []expr
	for _, param := range []string{"search", "filter"} {
		s := r.URL.Query().Get(param)
		if strings.TrimSpace(s) == "" {
			continue
		}
		e, err := parseExpr(s)
		if err != nil {
			return nil, errBadSearch(param)
		}
		exprs = append(exprs, e)
	}
	out := []any{}
	for _, it := range items {
		lookup := lookupPath(it)
		if extra != nil {
			base := lookup
			lookup = func(path string) (any, bool) {
				if v, ok := extra(it, path); ok {
					return v, true
				}
				return base(path)
			}
		}
		keep := true
		for _, e := range exprs {
			if !e.eval(lookup) {
				keep = false
				break
			}
		}
		if keep {
			out = append(out, it)
		}
	}
	return out, nil
}

// startsWithFold reports whether s starts with prefix, ignoring case.
func startsWithFold(s, prefix string) bool {
	return len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix)
}
