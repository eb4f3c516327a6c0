package gateway

import (
	"fmt"
	"path"
	"regexp"
	"strings"
)

// apigeeCond is a parsed Apigee condition (a <Condition> of a flow or a
// step): a tree of and/or/not over comparisons of a flow variable with a
// quoted string or null.
//
// The grammar is the part of Apigee's "Conditions reference" the bundle
// uses: operands are a flow variable (request.verb,
// jwt.POLICY.claim.scp), a "quoted string" or null; operators are = ==
// Equals, != NotEquals, ~ Matches Like (a pattern where * is any run of
// characters), ~~ JavaRegex (a regular expression matching the whole
// value), MatchesPath ~/ (a path pattern: * one segment, ** any); and
// and &&, or ||, not !, with parentheses. A variable alone is true when it
// is set. Keywords are case-insensitive. Anything else is a parse error
// naming its column, the check apigeelint's CC rules make.
type apigeeCond interface {
	eval(vars map[string]string) bool
}

type (
	condAnd struct{ l, r apigeeCond }
	condOr  struct{ l, r apigeeCond }
	condNot struct{ x apigeeCond }
	// condCmp compares a variable with a value (null: unset).
	condCmp struct {
		variable, op, value string
		null                bool
		re                  *regexp.Regexp // for ~~
	}
	// condSet is a variable alone: true when it is set and not "false".
	condSet struct{ variable string }
)

func (c condAnd) eval(v map[string]string) bool { return c.l.eval(v) && c.r.eval(v) }
func (c condOr) eval(v map[string]string) bool  { return c.l.eval(v) || c.r.eval(v) }
func (c condNot) eval(v map[string]string) bool { return !c.x.eval(v) }
func (c condSet) eval(v map[string]string) bool {
	s, ok := v[c.variable]
	return ok && s != "false"
}

func (c condCmp) eval(v map[string]string) bool {
	s, set := v[c.variable]
	switch c.op {
	case "=":
		if c.null {
			return !set
		}
		return set && s == c.value
	case "!=":
		if c.null {
			return set
		}
		return !set || s != c.value
	}
	if !set {
		return false
	}
	switch c.op {
	case "~":
		return wildcardMatch(c.value, s)
	case "~~":
		return c.re.MatchString(s)
	case "~/":
		return pathMatch(c.value, s)
	}
	return false
}

// wildcardMatch reports whether s matches pattern, where * is any run of
// characters (Apigee's Matches).
func wildcardMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return s == pattern
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}

// pathMatch reports whether p matches pattern (Apigee's MatchesPath): *
// is one path segment, ** any number of segments.
func pathMatch(pattern, p string) bool {
	pp, ss := strings.Split(pattern, "/"), strings.Split(p, "/")
	var match func(i, j int) bool
	match = func(i, j int) bool {
		if i == len(pp) {
			return j == len(ss)
		}
		if pp[i] == "**" {
			for k := j; k <= len(ss); k++ {
				if match(i+1, k) {
					return true
				}
			}
			return false
		}
		if j == len(ss) {
			return false
		}
		if ok, _ := path.Match(pp[i], ss[j]); !ok {
			return false
		}
		return match(i+1, j+1)
	}
	return match(0, 0)
}

// apigeeOps maps each comparison operator, symbol or word, to its symbol.
var apigeeOps = map[string]string{
	"=": "=", "==": "=", "equals": "=", "is": "=",
	"!=": "!=", "notequals": "!=", "isnot": "!=",
	"~": "~", "matches": "~", "like": "~",
	"~~": "~~", "javaregex": "~~",
	"~/": "~/", "matchespath": "~/", "likepath": "~/",
}

// condToken is a lexical token: kind is '(' ')' 's' (string), 'w' (word:
// variable, keyword or operator word) or 'o' (operator symbol).
type condToken struct {
	kind byte
	text string
	col  int
}

func lexCondition(s string) ([]condToken, error) {
	var toks []condToken
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			toks = append(toks, condToken{c, string(c), i + 1})
			i++
		case c == '"':
			j := i + 1
			var b strings.Builder
			for ; j < len(s) && s[j] != '"'; j++ {
				if s[j] == '\\' && j+1 < len(s) && (s[j+1] == '"' || s[j+1] == '\\') {
					j++
				}
				b.WriteByte(s[j])
			}
			if j == len(s) {
				return nil, fmt.Errorf("column %d: unterminated string", i+1)
			}
			toks = append(toks, condToken{'s', b.String(), i + 1})
			i = j + 1
		case strings.ContainsRune("=!~&|", rune(c)):
			j := i
			for j < len(s) && strings.ContainsRune("=!~&|/", rune(s[j])) {
				j++
			}
			op := s[i:j]
			switch op {
			case "=", "==", "!=", "~", "~~", "~/", "&&", "||", "!":
			default:
				return nil, fmt.Errorf("column %d: %q is not an operator", i+1, op)
			}
			toks = append(toks, condToken{'o', op, i + 1})
			i = j
		case isCondWordByte(c):
			j := i
			for j < len(s) && isCondWordByte(s[j]) {
				j++
			}
			toks = append(toks, condToken{'w', s[i:j], i + 1})
			i = j
		default:
			return nil, fmt.Errorf("column %d: unexpected %q", i+1, c)
		}
	}
	return toks, nil
}

func isCondWordByte(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '-'
}

// condParser is a recursive-descent parser over the tokens.
type condParser struct {
	toks []condToken
	i    int
	src  string
}

// parseApigeeCondition parses an Apigee condition.
func parseApigeeCondition(s string) (apigeeCond, error) {
	toks, err := lexCondition(s)
	if err != nil {
		return nil, err
	}
	if len(toks) == 0 {
		return nil, fmt.Errorf("empty condition")
	}
	p := &condParser{toks: toks, src: s}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if p.i < len(p.toks) {
		return nil, fmt.Errorf("column %d: unexpected %q", p.toks[p.i].col, p.toks[p.i].text)
	}
	return c, nil
}

func (p *condParser) peek() (condToken, bool) {
	if p.i < len(p.toks) {
		return p.toks[p.i], true
	}
	return condToken{}, false
}

func (p *condParser) is(words ...string) bool {
	t, ok := p.peek()
	if !ok || t.kind == 's' {
		return false
	}
	for _, w := range words {
		if strings.EqualFold(t.text, w) {
			return true
		}
	}
	return false
}

func (p *condParser) or() (apigeeCond, error) {
	l, err := p.and()
	for err == nil && p.is("or", "||") {
		p.i++
		var r apigeeCond
		if r, err = p.and(); err == nil {
			l = condOr{l, r}
		}
	}
	return l, err
}

func (p *condParser) and() (apigeeCond, error) {
	l, err := p.unary()
	for err == nil && p.is("and", "&&") {
		p.i++
		var r apigeeCond
		if r, err = p.unary(); err == nil {
			l = condAnd{l, r}
		}
	}
	return l, err
}

func (p *condParser) unary() (apigeeCond, error) {
	if p.is("not", "!") {
		p.i++
		x, err := p.unary()
		return condNot{x}, err
	}
	return p.primary()
}

func (p *condParser) primary() (apigeeCond, error) {
	t, ok := p.peek()
	switch {
	case !ok:
		return nil, fmt.Errorf("column %d: the condition ends where an operand is expected", len(p.src)+1)
	case t.kind == '(':
		p.i++
		c, err := p.or()
		if err != nil {
			return nil, err
		}
		if t, ok := p.peek(); !ok || t.kind != ')' {
			return nil, fmt.Errorf("column %d: unterminated grouping", t.col)
		}
		p.i++
		return c, nil
	case t.kind != 'w' || p.is("and", "or", "not", "null"):
		return nil, fmt.Errorf("column %d: %q is not a variable", t.col, t.text)
	}
	p.i++
	op, ok := p.peek()
	if !ok || op.kind == ')' || p.is("and", "or", "&&", "||") {
		return condSet{t.text}, nil
	}
	sym, known := apigeeOps[strings.ToLower(op.text)]
	if !known || op.kind == 's' {
		return nil, fmt.Errorf("column %d: %q is not a comparison operator", op.col, op.text)
	}
	p.i++
	v, ok := p.peek()
	c := condCmp{variable: t.text, op: sym}
	switch {
	case ok && v.kind == 's':
		c.value = v.text
	case ok && v.kind == 'w' && strings.EqualFold(v.text, "null") && (sym == "=" || sym == "!="):
		c.null = true
	default:
		col := len(p.src) + 1
		if ok {
			col = v.col
		}
		return nil, fmt.Errorf("column %d: %s needs a quoted string", col, op.text)
	}
	p.i++
	if sym == "~~" {
		re, err := regexp.Compile("^(?:" + c.value + ")$")
		if err != nil {
			return nil, fmt.Errorf("column %d: %v", v.col, err)
		}
		c.re = re
	}
	return c, nil
}
