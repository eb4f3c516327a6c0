package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/oktaclient"
	"github.com/apicenter/apicenter/internal/orgenv"
	"github.com/apicenter/apicenter/outputs"
)

// run is one bootstrap run: the plan, the settled values and objects, and
// the output file they are recorded in.
type run struct {
	opts     Options
	f        *inputs.File
	set      map[string]string
	org      orgenv.Org
	client   *oktaclient.Client
	outPath  string
	needs    map[*inputs.File]*outputs.File
	prev     *outputs.File // the earlier output of this input, if any
	progress *progress

	nodes  []*node // own items in file order
	byName map[string]*node
	// passwordLogin maps the value a user's password is to the template of
	// that user's login, to refuse a password holding a part of it.
	passwordLogin map[string]*inputs.Template

	// autoAccept is set when the user answers (a)uto-accept; only the
	// goroutine settling values touches it.
	autoAccept bool

	// promptMu serialises the questions of objects converging; convergeAll
	// is set by (a) at one of them.
	promptMu    sync.Mutex
	convergeAll bool

	memoMu sync.Mutex
	memos  map[string]*memoEntry

	mu  sync.Mutex // guards out, saveErr and every node's result
	out *outputs.File
	// saveErr is the error of the last save of out, nil once a save
	// succeeds (each save writes everything recorded so far).
	saveErr error
	// unknownPasswords name the users found whose recorded password does
	// not sign them in.
	unknownPasswords []string
	// planning says the run only reads (apicenter plan): writes to the org
	// are refused by its transport, the output file is never written, and
	// what it would do is collected in planned.
	planning bool
	planned  map[*node]PlanEntry

	// lost are the objects this pass created and lost to an older one of
	// a concurrent run (see race); createdIDs are the ids of the objects
	// earlier passes created, and pass counts the passes (see nextPass).
	lost       []lostRace
	createdIDs map[string]bool
	pass       int
}

// node is an item of the input and what became of it.
type node struct {
	it    *inputs.Item
	index int
	deps  []*node
	users int           // how many nodes depend on this one
	done  chan struct{} // closed when settled, failed or skipped
	once  sync.Once

	// settled says an earlier pass settled it for good (see nextPass).
	settled bool

	// guarded by run.mu
	ok      bool
	created bool // by this run
	value   string
	fields  map[string]string
}

// release closes done once.
func (n *node) release() { n.once.Do(func() { close(n.done) }) }

func newRun(opts Options) (*run, error) {
	r := &run{
		opts:          opts,
		f:             opts.Input,
		set:           map[string]string{},
		needs:         map[*inputs.File]*outputs.File{},
		byName:        map[string]*node{},
		passwordLogin: map[string]*inputs.Template{},
		memos:         map[string]*memoEntry{},
		createdIDs:    map[string]bool{},
		pass:          1,
		outPath:       outputs.Path(opts.OutputDir, opts.Input.Name),
		progress:      newProgress(opts.IO.ErrOut),
	}
	for i, it := range r.f.Items {
		n := &node{it: it, index: i, done: make(chan struct{})}
		r.nodes = append(r.nodes, n)
		r.byName[it.Name] = n
	}
	// Rules of one policy, and policies of one server, are created one
	// after another in file order (Okta orders them by priority, and
	// concurrent creates would race for the same priority).
	last := map[string]*node{}
	for _, n := range r.nodes {
		seen := map[*node]bool{}
		for _, ref := range n.it.Refs() {
			if d := r.byName[ref.Name]; d != nil && !seen[d] {
				seen[d] = true
				n.deps = append(n.deps, d)
			}
		}
		if n.it.Obj != nil && (n.it.Obj.Kind == inputs.KindRule || n.it.Obj.Kind == inputs.KindPolicy) {
			k := string(n.it.Obj.Kind)
			if p := last[k]; p != nil && !seen[p] {
				n.deps = append(n.deps, p)
			}
			last[k] = n
		}
	}
	for _, n := range r.nodes {
		for _, d := range n.deps {
			d.users++
		}
	}
	for _, it := range r.f.Items {
		if it.Obj == nil || it.Obj.Kind != inputs.KindUser {
			continue
		}
		pw, login := it.Obj.Field("password"), it.Obj.Field("login")
		if pw == nil || login == nil || pw.Str == nil || login.Str == nil {
			continue
		}
		if name := singleValueRef(r.f, pw.Str); name != "" {
			r.passwordLogin[name] = login.Str
		}
	}
	for _, s := range opts.Set {
		name, val, ok := strings.Cut(s, "=")
		if !ok || name == "" {
			return nil, usageErr("--set %q: write --set NAME=VALUE", s)
		}
		it := r.f.Item(name)
		if it == nil || it.Value == nil {
			return nil, usageErr("--set %s: %s has no value called %s (values: %s)", name, r.f.Path, name, strings.Join(r.valueNames(), ", "))
		}
		r.set[name] = val
	}
	return r, nil
}

// singleValueRef returns NAME when t is exactly {{NAME}} and NAME is a
// value of f, else "".
func singleValueRef(f *inputs.File, t *inputs.Template) string {
	if len(t.Parts) != 1 || t.Parts[0].Ref == nil || t.Parts[0].Ref.Field != "" {
		return ""
	}
	name := t.Parts[0].Ref.Name
	if it := f.Item(name); it == nil || it.Value == nil {
		return ""
	}
	return name
}

// givenValue returns a value that is settled without asking: from --set,
// the environment or .env, or (with --yes) its literal default.
func (r *run) givenValue(name string) (string, bool) {
	if v, ok := r.set[name]; ok {
		return v, true
	}
	if v, _, ok := r.opts.Env.Lookup(name); ok {
		return v, true
	}
	it := r.f.Item(name)
	if r.opts.Yes && it != nil && it.Value != nil && it.Value.Default != nil && len(it.Value.Default.Refs()) == 0 {
		return it.Value.Default.Raw, true
	}
	return "", false
}

// checkGivenPassword refuses, before anything is created, a given password
// that holds a part of its user's login, when that login is known without
// asking.
func (r *run) checkGivenPassword(name, password string) error {
	login, ok := r.passwordLogin[name]
	if !ok {
		return nil
	}
	l, err := login.Expand(func(ref inputs.Ref) (string, error) {
		if v, ok := r.givenValue(ref.Name); ok && ref.Field == "" {
			return v, nil
		}
		return "", errors.New("not known yet")
	})
	if err != nil {
		return nil
	}
	return passwordLoginErr(password, l, singleValueRef(r.f, login))
}

// checkItem runs the check of value it on val; the error of a secret value
// never shows it.
func checkItem(it *inputs.Item, val string) error {
	err := check(it.Value.Validate, val)
	if err != nil && it.Value.Secret && val != "" {
		return errors.New(strings.ReplaceAll(err.Error(), val, mask(val)))
	}
	return err
}

// checkValue runs a value's check and, for a user's password whose login
// is settled, Okta's rule that the password hold no part of the login.
func (r *run) checkValue(n *node, val string) error {
	if err := checkItem(n.it, val); err != nil {
		return err
	}
	login, ok := r.passwordLogin[n.it.Name]
	if !ok {
		return nil
	}
	l, err := r.expand(login)
	if err != nil {
		return nil // not settled yet: the user's create checks it
	}
	return passwordLoginErr(val, l, singleValueRef(r.f, login))
}

func (r *run) valueNames() []string {
	var names []string
	for _, it := range r.f.Items {
		if it.Value != nil {
			names = append(names, it.Name)
		}
	}
	return names
}

// prepare resolves the org, reads the earlier output files, and checks the
// token and the org with a first request. It creates nothing.
func (r *run) prepare(ctx context.Context) error {
	org, err := orgenv.ResolveOrg(r.opts.OrgURL, r.opts.Env)
	if err != nil {
		return exitcode.Wrap(exitcode.Usage, err)
	}
	org.URL, err = oktaclient.NormalizeOrgURL(org.URL)
	if err != nil {
		return usageErr("%v (from %s)", err, orgSource(org))
	}
	r.org = org

	// Values given by --set, the environment or .env are checked before
	// anything is created.
	for _, it := range r.f.Items {
		if it.Value == nil {
			continue
		}
		val, where, ok := r.set[it.Name], "--set "+it.Name, false
		if _, ok = r.set[it.Name]; !ok {
			val, where, ok = r.opts.Env.Lookup(it.Name)
		}
		if ok {
			if err := checkItem(it, val); err != nil {
				return inputErr("%s (from %s): %v", it.Name, where, err)
			}
			if err := r.checkGivenPassword(it.Name, val); err != nil {
				return inputErr("%s (from %s): %v", it.Name, where, err)
			}
		}
	}
	if err := r.loadNeeds(r.f); err != nil {
		return err
	}
	if err := r.checkNeededRefs(); err != nil {
		return err
	}
	prev, err := outputs.Load(r.outPath)
	switch {
	case errors.Is(err, outputs.ErrMissing):
		r.out = &outputs.File{Input: r.f.Name, OrgURL: org.URL}
	case err != nil:
		return inputErr("%v", err)
	default:
		if prev.OrgURL != org.URL {
			return usageErr("%s was written for the org %s, not %s: use --output-dir to keep the outputs of each org apart", r.outPath, prev.OrgURL, org.URL)
		}
		r.prev = prev
		r.out = prev.Clone()
		r.out.Input = r.f.Name
	}

	transport := r.opts.Transport
	if r.planning {
		transport = readOnlyTransport{base: transport}
	}
	c, err := r.opts.NewClient(ctx, oktaclient.Config{
		OrgURL: org.URL, Token: org.Token, Transport: transport, MaxInFlight: r.opts.Concurrency,
		OnRateLimitWait: func(endpoint string, wait time.Duration) {
			r.progress.note("waiting up to %s: the org's rate limit for %s is used up", wait.Round(time.Second), endpoint)
		},
	})
	if err != nil {
		return usageErr("%v", err)
	}
	r.client = c
	r.progress.note("checking the API token with %s ...", org.URL)
	if err := checkOrg(ctx, c, org); err != nil {
		return err
	}
	if r.planning {
		return nil
	}
	if err := outputs.CheckWritable(filepath.Dir(r.outPath)); err != nil {
		return usageErr("cannot write the output file %s, which records what is created: %v (choose another --output-dir)", r.outPath, err)
	}
	if n, err := outputs.RemoveStaleTemps(r.outPath, time.Now()); err != nil {
		return usageErr("%v", err)
	} else if n > 0 {
		r.progress.note("removed %d temporary file(s) of %s left by a killed run", n, r.outPath)
	}
	return nil
}

func orgSource(o orgenv.Org) string {
	if o.URLSource == "" {
		return "--org-url"
	}
	return o.URLSource
}

func (r *run) loadNeeds(f *inputs.File) error {
	for _, n := range f.Needs {
		if _, ok := r.needs[n]; ok {
			continue
		}
		path := outputs.Path(r.opts.OutputDir, n.Name)
		out, err := outputs.Load(path)
		if errors.Is(err, outputs.ErrMissing) {
			return inputErr("%s needs the output of %s, and %s does not exist: run `%s` first", f.Path, n.Path, path, commandFor(n))
		}
		if err != nil {
			return inputErr("%v", err)
		}
		if out.OrgURL != r.org.URL {
			return usageErr("%s was written for the org %s, not %s", path, out.OrgURL, r.org.URL)
		}
		r.needs[n] = out
		if err := r.loadNeeds(n); err != nil {
			return err
		}
	}
	return nil
}

// checkNeededRefs makes sure every value and object this input refers to in
// an earlier output is there, before anything is created.
func (r *run) checkNeededRefs() error {
	for _, it := range r.f.Items {
		for _, ref := range it.Refs() {
			if _, err := r.neededRef(ref); err != nil {
				return err
			}
		}
	}
	return nil
}

// neededRef resolves a reference to an item of a needed input from its
// output file. ok=false (and no error) means ref is not to a needed item.
func (r *run) neededRef(ref inputs.Ref) (string, error) {
	it, owner := r.f.Lookup(ref.Name)
	if it == nil || owner == r.f {
		return "", nil
	}
	out := r.needs[owner]
	path := outputs.Path(r.opts.OutputDir, owner.Name)
	if it.Value != nil {
		v, ok := out.Value(ref.Name)
		if !ok {
			return "", inputErr("%s: %s is not in %s: run `%s` to completion first", ref.Pos, ref, path, commandFor(owner))
		}
		return v.Value, nil
	}
	o := out.Object(ref.Name)
	if o == nil {
		return "", inputErr("%s: %s is not in %s: run `%s` to completion first", ref.Pos, ref, path, commandFor(owner))
	}
	v, ok := o.Fields[ref.Field]
	if !ok {
		return "", inputErr("%s: %s: %s has no field %s: run `%s` again", ref.Pos, ref, path, ref.Field, commandFor(owner))
	}
	return v, nil
}

// lookup resolves a reference for a template. Call with r.mu held.
func (r *run) lookup(ref inputs.Ref) (string, error) {
	if ref.Name == inputs.BuiltinOrgURL {
		return r.org.URL, nil
	}
	if n := r.byName[ref.Name]; n != nil {
		if !n.ok {
			return "", fmt.Errorf("%s: %s is not settled yet", ref.Pos, ref)
		}
		if n.it.Value != nil {
			return n.value, nil
		}
		return n.fields[ref.Field], nil
	}
	return r.neededRef(ref)
}

func (r *run) expand(t *inputs.Template) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return t.Expand(r.lookup)
}

// saveLocked rewrites the output file with the objects in input-file
// order. Call with r.mu held.
func (r *run) saveLocked() error {
	if r.planning {
		return nil
	}
	order := map[string]int{}
	for _, n := range r.nodes {
		order[n.it.Name] = n.index
	}
	sort.SliceStable(r.out.Objects, func(i, j int) bool {
		return order[r.out.Objects[i].Name] < order[r.out.Objects[j].Name]
	})
	r.saveErr = r.out.Save(r.outPath)
	if r.saveErr != nil {
		return exitcode.Wrap(exitcode.Failure, fmt.Errorf("%s: %w", r.outPath, r.saveErr))
	}
	return nil
}

func (r *run) snapshot() *outputs.File {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.out == nil {
		return nil
	}
	return r.out.Clone()
}
