package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/prompter"
	"github.com/apicenter/apicenter/outputs"
)

// errSkipped marks a node not run because something it needs failed or the
// run stopped.
var errSkipped = errors.New("not run")

// apply settles the values in dependency order (asking at a terminal) on
// this goroutine while the objects are found or created concurrently as
// soon as what they refer to is settled.
func (r *run) apply(ctx context.Context) error {
	stop := make(chan struct{})
	var (
		stopOnce sync.Once
		errMu    sync.Mutex
		firstErr error
	)
	halt := func(err error) {
		errMu.Lock()
		if firstErr == nil {
			firstErr = err
		}
		errMu.Unlock()
		stopOnce.Do(func() { close(stop) })
	}

	// Requests in flight are not cancelled by Ctrl-C: they finish and are
	// recorded, so that nothing is created without being written down.
	reqCtx := context.WithoutCancel(ctx)
	var wg sync.WaitGroup
	for _, n := range r.nodes {
		if n.it.Obj != nil && !n.settled {
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer n.release()
				if err := r.runObject(reqCtx, n, stop); err != nil {
					if !errors.Is(err, errSkipped) {
						halt(err)
					}
				}
			}()
		}
	}
	finished := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			halt(exitcode.Wrap(exitcode.Interrupted, errors.New("interrupted")))
		case <-finished:
		}
	}()

	closed := map[*node]bool{}
	for _, n := range r.order() {
		if n.it.Value == nil || n.settled {
			continue
		}
		if err := waitDeps(n, stop); err != nil {
			break
		}
		if isStopped(stop) {
			break
		}
		// A prompt cannot be cancelled: a signal while it waits for a key
		// abandons it (and puts the terminal back), instead of waiting for
		// the key.
		settled := make(chan error, 1)
		go func() { settled <- r.settleValue(n) }()
		select {
		case err := <-settled:
			if err != nil {
				halt(err)
			}
		case <-ctx.Done():
			if rs, ok := r.opts.Prompter.(prompter.Restorer); ok {
				rs.Restore()
			}
			r.progress.answered()
			halt(exitcode.Wrap(exitcode.Interrupted, errors.New("interrupted")))
		}
		if isStopped(stop) {
			break
		}
		closed[n] = true
		close(n.done)
	}
	for _, n := range r.nodes {
		if n.it.Value != nil && !closed[n] && !n.settled {
			close(n.done)
		}
	}
	wg.Wait()
	close(finished)

	r.mu.Lock()
	saveErr := r.saveErr
	r.mu.Unlock()
	errMu.Lock()
	defer errMu.Unlock()
	if firstErr != nil || len(r.lost) == 0 {
		// With a lost race, the pass that follows sums up.
		r.progress.summary(r.nodes, r.outPath, saveErr)
	}
	switch exitcode.Of(firstErr) {
	case exitcode.OK:
		return nil
	case exitcode.Quit:
		return exitcode.Wrap(exitcode.Quit, fmt.Errorf("quit: what was created is recorded in %s; run the same command again to continue", r.outPath))
	case exitcode.Interrupted:
		return exitcode.Wrap(exitcode.Interrupted, fmt.Errorf("interrupted: what was created is recorded in %s; run the same command again to continue", r.outPath))
	}
	return firstErr
}

func isStopped(stop chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// waitDeps waits until every dependency of n is settled. It returns
// errSkipped if one failed or the run stopped.
func waitDeps(n *node, stop chan struct{}) error {
	for _, d := range n.deps {
		select {
		case <-d.done:
		case <-stop:
			return errSkipped
		}
	}
	return nil
}

// order returns the items in a dependency order that keeps file order
// wherever dependencies allow.
func (r *run) order() []*node {
	indeg := map[*node]int{}
	users := map[*node][]*node{}
	for _, n := range r.nodes {
		indeg[n] = len(n.deps)
		for _, d := range n.deps {
			users[d] = append(users[d], n)
		}
	}
	var out []*node
	done := map[*node]bool{}
	for len(out) < len(r.nodes) {
		var next *node
		for _, n := range r.nodes {
			if !done[n] && indeg[n] == 0 {
				next = n
				break
			}
		}
		if next == nil { // a cycle: the loader rejects these
			break
		}
		done[next] = true
		out = append(out, next)
		for _, u := range users[next] {
			indeg[u]--
		}
	}
	return out
}

// runObject finds or creates one object once what it refers to is settled.
// The okta client bounds the requests in flight (Options.Concurrency), so
// an object waiting for another's answer holds no slot.
func (r *run) runObject(ctx context.Context, n *node, stop chan struct{}) error {
	if err := waitDeps(n, stop); err != nil {
		r.progress.skipped(n)
		return err
	}
	r.mu.Lock()
	for _, d := range n.deps {
		if !d.ok {
			r.mu.Unlock()
			if r.planning {
				key := ""
				if s, err := r.resolveSpec(n.it); err == nil {
					key = s.key
				}
				r.plan(n, PlanEntry{Action: ActionCreate, Key: key, After: d.it.Name})
			}
			r.progress.skipped(n)
			return errSkipped
		}
	}
	r.mu.Unlock()
	spec, err := r.resolveSpec(n.it)
	if err != nil {
		r.progress.failed(n, "", "", err)
		return err
	}
	r.progress.start(n, fmt.Sprintf("%s %q", n.it.Obj.Kind, spec.name))
	var prev *outputs.Object
	var replaced *outputs.Object
	r.mu.Lock()
	if r.prev != nil {
		if o := r.prev.Object(n.it.Name); o != nil && o.Kind == string(n.it.Obj.Kind) && o.Key == spec.key && o.ID != "" {
			c := *o
			prev = &c
		} else if o != nil {
			replaced = o
		}
	}
	// A recorded object whose create race a stopped run did not settle is
	// looked up by its natural key like a new one: the oldest is kept.
	var unsettled *outputs.Object
	if prev != nil && prev.Fields[SettlingField] == "true" {
		unsettled, prev = prev, nil
	}
	// An object an earlier run recorded under the same key is settled now
	// from the record, so that what refers to it need not wait; it is
	// checked in the org below like any other.
	optimistic := prev != nil && n.users > 0
	if optimistic {
		n.ok = true
		n.fields = prev.Fields
	}
	r.mu.Unlock()
	if optimistic {
		n.release()
	}
	if replaced != nil {
		r.progress.note("note    %s was %s %q (%s) in the earlier run; it is now %q, and the old one is left in the org", n.it.Name, replaced.Kind, replaced.Key, replaced.ID, spec.key)
	}

	if isStopped(stop) {
		r.progress.skipped(n)
		return errSkipped
	}

	spec.siblings = r.siblings(n, spec)
	spec.memo = r.memo
	spec.since = time.Now()
	var res found
	// lostWrite says a create of this run may have been applied though its
	// answer was lost: if the object is then found where a lookup came
	// before the create, this run made it.
	lostWrite := false
	for attempt := 0; ; attempt++ {
		res, err = r.ensure(ctx, n.it, spec, prev)
		if err == nil || attempt >= 3 || isPlanWrite(err) || !transient(err) {
			break
		}
		lostWrite = lostWrite || strings.Contains(err.Error(), "may or may not have been applied")
		// A 5xx, a dropped connection or exhausted 429 retries: look again
		// (the request may have been applied) and try once more.
		spec.parentNew = false
		time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
	}
	lostWrite = lostWrite || res.lost
	if err == nil && lostWrite && !res.created && prev == nil && kindDefs[n.it.Obj.Kind].lookFirst {
		res.created, res.differs, res.converge = true, nil, nil
	}
	if err == nil && optimistic && res.id != prev.ID {
		// Someone deleted it since: what refers to it used the old id.
		err = exitcode.Wrap(exitcode.Org, fmt.Errorf("it was recorded in %s as %s, which is gone from the org; it is now %s: run the command again so that what refers to it is updated", r.outPath, prev.ID, res.id))
		r.mu.Lock()
		r.out.SetObject(outputs.Object{Name: n.it.Name, Kind: string(n.it.Obj.Kind), Key: spec.key, ID: res.id, Created: res.created, Fields: withID(res)})
		saveErr := r.saveLocked()
		r.mu.Unlock()
		if saveErr != nil {
			return saveErr
		}
	}
	if err == nil && unsettled != nil {
		if res.id != unsettled.ID && !r.planning {
			err = r.dropUnsettled(ctx, n, spec, *unsettled, res.id)
		}
	}
	if r.planning && isPlanWrite(err) {
		r.plan(n, PlanEntry{Action: ActionCreate, Key: spec.key})
		r.progress.skipped(n)
		return errSkipped
	}
	if err != nil {
		err = describeErr(n.it, spec, err)
		r.progress.failed(n, spec.key, spec.name, err)
		return err
	}
	lostNote, shown := "", res.race != nil
	if res.race != nil {
		if lostNote, err = r.settleRace(ctx, n, spec, &res); err != nil {
			err = describeErr(n.it, spec, err)
			r.progress.failed(n, spec.key, spec.name, err)
			return err
		}
	}
	if !r.planning && len(res.differs) > 0 && res.converge != nil {
		if err := r.converge(ctx, n, spec, &res); err != nil {
			r.progress.failed(n, spec.key, spec.name, err)
			return err
		}
	}
	if r.planning {
		e := PlanEntry{Action: ActionFound, Key: spec.key, ID: res.id, Differences: res.differs}
		if len(res.differs) > 0 {
			e.Action = ActionDiffers
		}
		r.plan(n, e)
	} else if n.it.Obj.Kind == inputs.KindUser && !res.created && !(prev != nil && prev.ID == res.id && prev.Created && prev.Fields[PasswordUnknownField] == "") {
		// Okta never tells a password: the recorded one is only known to
		// be right if apicenter set it, or if it signs the user in.
		known, err := r.passwordSignsIn(ctx, spec.str["login"], spec.str["password"])
		if err != nil {
			err = describeErr(n.it, spec, fmt.Errorf("checking whether the recorded password signs the user in: %w", err))
			r.progress.failed(n, spec.key, spec.name, err)
			return err
		}
		if known && lostWrite && prev == nil {
			// Found after a lost answer to this run's create, with this
			// run's (generated or given) password: this run made it.
			res.created = true
		}
		if !known {
			var names []string
			for _, ref := range n.it.Obj.Field("password").Str.Refs() {
				names = append(names, ref.Name)
			}
			res.differs = append(res.differs, fmt.Sprintf("it was not created by apicenter with the recorded password, so %s may not be its password: pass --set %s=... with the real one", strings.Join(names, ", "), strings.Join(names, ",")))
			if res.fields == nil {
				res.fields = map[string]string{}
			}
			res.fields[PasswordUnknownField] = "true"
			r.mu.Lock()
			r.unknownPasswords = append(r.unknownPasswords, fmt.Sprintf("%s of user %q (%s)", strings.Join(names, ", "), spec.key, n.it.Name))
			r.mu.Unlock()
		}
	}
	r.mu.Lock()
	n.ok = true
	n.created = res.created
	n.fields = withID(res)
	created := res.created
	if prev != nil && prev.ID == res.id && prev.Created || r.createdIDs[res.id] || unsettled != nil && unsettled.ID == res.id {
		created = true // created by an earlier run of apicenter, or pass
	}
	r.out.SetObject(outputs.Object{Name: n.it.Name, Kind: string(n.it.Obj.Kind), Key: spec.key, ID: res.id, Created: created, Fields: n.fields})
	saveErr := r.saveLocked()
	r.mu.Unlock()
	if !shown {
		r.progress.object(n, spec.key, spec.name, res)
	}
	if lostNote != "" {
		r.progress.note("%s", lostNote)
	}
	return saveErr
}

// siblings returns the ids recorded by an earlier run for the objects of
// n's kind under the same parent as n (its key without the last part).
func (r *run) siblings(n *node, s spec) []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.prev == nil {
		return nil
	}
	parent := func(key string) string {
		if i := strings.LastIndex(key, " / "); i >= 0 {
			return key[:i]
		}
		return ""
	}
	var ids []string
	for _, o := range r.prev.Objects {
		if o.Kind == string(n.it.Obj.Kind) && o.ID != "" && parent(o.Key) == parent(s.key) {
			ids = append(ids, o.ID)
		}
	}
	return ids
}

// memo runs fetch once per key and run, sharing its answer; a failure is
// not kept, so that a retry fetches again.
func (r *run) memo(key string, fetch func() (any, error)) (any, error) {
	r.memoMu.Lock()
	e, ok := r.memos[key]
	if !ok {
		e = &memoEntry{}
		r.memos[key] = e
	}
	r.memoMu.Unlock()
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done {
		return e.v, nil
	}
	v, err := fetch()
	if err != nil {
		return nil, err
	}
	e.v, e.done = v, true
	return v, nil
}

type memoEntry struct {
	mu   sync.Mutex
	done bool
	v    any
}

func withID(f found) map[string]string {
	m := map[string]string{"id": f.id}
	for k, v := range f.fields {
		m[k] = v
	}
	return m
}

// settleValue settles a value: --set, the environment or .env, the earlier
// output, else its default or generated value, asked about at a terminal.
func (r *run) settleValue(n *node) error {
	v, name := n.it.Value, n.it.Name
	if val, ok := r.set[name]; ok {
		return r.acceptGiven(n, val, "set", "--set "+name)
	}
	if val, src, ok := r.opts.Env.Lookup(name); ok {
		return r.acceptGiven(n, val, src, src)
	}
	if r.prev != nil {
		if pv, ok := r.prev.Value(name); ok {
			return r.acceptGiven(n, pv.Value, "output", r.outPath)
		}
	}

	def, hasDefault, source := "", false, "default"
	switch {
	case v.Default != nil:
		d, err := r.expand(v.Default)
		if err != nil {
			return inputErr("%v", err)
		}
		def, hasDefault = d, true
	case v.Generate != "":
		d, err := generate(v.Generate)
		if err != nil {
			return err
		}
		def, hasDefault, source = d, true, "generated"
	}
	if hasDefault {
		if err := r.checkValue(n, def); err != nil {
			return inputErr("%s: the default of %s is not valid: %v", n.it.Pos, name, err)
		}
	}
	if r.opts.Yes || r.autoAccept {
		if hasDefault {
			return r.settle(n, def, source, true)
		}
		if r.opts.Yes || r.opts.Prompter == nil {
			return inputErr("%s: %s has no default: pass --set %s=VALUE, or set %s in the environment or .env", n.it.Pos, name, name, name)
		}
	}
	if r.opts.Prompter == nil {
		return inputErr("%s: %s needs an answer and there is no terminal to ask at: pass --yes to accept the defaults, or --set %s=VALUE", n.it.Pos, name, name)
	}
	p := r.opts.Prompter
	// One question at a time: an object converging may ask too.
	r.promptMu.Lock()
	defer r.promptMu.Unlock()
	r.progress.ask()
	defer r.progress.answered()
	validate := func(s string) error { return r.checkValue(n, s) }
	if !hasDefault || r.autoAccept {
		val, err := p.Input(name, v.Hint, v.Secret, validate)
		if err != nil {
			return promptErr(err)
		}
		return r.settle(n, val, "provided", false)
	}
	shown := def
	if v.Secret {
		shown = mask(def)
	}
	choice, err := p.Choose(name, v.Hint, shown+" ("+source+")", prompter.Words{})
	if err != nil {
		return promptErr(err)
	}
	switch choice {
	case prompter.Continue:
		return r.settle(n, def, source, false)
	case prompter.AutoAccept:
		r.autoAccept = true
		return r.settle(n, def, source, false)
	case prompter.Provide:
		val, err := p.Input(name, v.Hint, v.Secret, validate)
		if err != nil {
			return promptErr(err)
		}
		return r.settle(n, val, "provided", false)
	default:
		return exitcode.Wrap(exitcode.Quit, errors.New("quit"))
	}
}

func promptErr(err error) error {
	if errors.Is(err, prompter.ErrInterrupted) {
		return exitcode.Wrap(exitcode.Interrupted, err)
	}
	if errors.Is(err, prompter.ErrQuit) { // Ctrl-D: as q
		return exitcode.Wrap(exitcode.Quit, errors.New("quit"))
	}
	return exitcode.Wrap(exitcode.Failure, fmt.Errorf("prompt: %w", err))
}

// acceptGiven settles a value that was given (not asked about), after
// checking it.
func (r *run) acceptGiven(n *node, val, source, where string) error {
	if err := r.checkValue(n, val); err != nil {
		return inputErr("%s (from %s): %v", n.it.Name, where, err)
	}
	return r.settle(n, val, source, true)
}

func (r *run) settle(n *node, val, source string, report bool) error {
	r.mu.Lock()
	n.value = val
	n.ok = true
	r.out.SetValue(outputs.Value{Name: n.it.Name, Value: val, Source: source})
	err := r.saveLocked()
	r.mu.Unlock()
	if report {
		shown := val
		if n.it.Value.Secret {
			shown = mask(val)
		}
		r.progress.value(n.it.Name, shown, source)
	}
	return err
}

// resolveSpec expands an object's spec templates.
func (r *run) resolveSpec(it *inputs.Item) (spec, error) {
	s := spec{str: map[string]string{}, list: map[string][]string{}, num: map[string]int64{}, flag: map[string]bool{}}
	for _, f := range it.Obj.Spec {
		switch f.Type {
		case inputs.TString:
			v, err := r.expand(f.Str)
			if err != nil {
				return s, inputErr("%v", err)
			}
			s.str[f.Name] = v
		case inputs.TList:
			var l []string
			for _, t := range f.List {
				v, err := r.expand(t)
				if err != nil {
					return s, inputErr("%v", err)
				}
				l = append(l, v)
			}
			s.list[f.Name] = l
		case inputs.TInt:
			s.num[f.Name] = f.Int
		case inputs.TBool:
			s.flag[f.Name] = f.Bool
		}
	}
	if it.Obj.Kind == inputs.KindTrustedOrigin {
		o, err := originOf(s.str["origin"])
		if err != nil {
			return s, inputErr("%s: %v", it.Obj.Field("origin").Pos, err)
		}
		s.str["origin"] = o
	}
	// A parent created by this run has no children of its own making yet:
	// nothing to look up before creating them (a concurrent run that took
	// the parent as the oldest may add some: the re-read after the create
	// settles that race). The parent is the policy of a rule, the server
	// of anything else: a rule under a found policy of a server this run
	// created is looked up.
	// After a lost race (a later pass), this run knows it is not alone
	// and looks everything up.
	parent := it.Obj.Field("policy")
	if parent == nil {
		parent = it.Obj.Field("server")
	}
	r.mu.Lock()
	if parent != nil && r.pass == 1 {
		for _, ref := range parent.Str.Refs() {
			if d := r.byName[ref.Name]; d != nil && d.created {
				s.parentNew, s.parentMine = true, true
			}
		}
	}
	r.mu.Unlock()
	var key []string
	for _, k := range inputs.Kinds[it.Obj.Kind].Key {
		key = append(key, s.str[k])
	}
	s.key = joinKey(key)
	s.name = s.str[inputs.Kinds[it.Obj.Kind].Key[len(inputs.Kinds[it.Obj.Kind].Key)-1]]
	if it.Obj.Kind == inputs.KindGroupAssignment {
		s.name = s.key
	}
	return s, nil
}

// spec is an object's spec with its templates expanded.
type spec struct {
	str  map[string]string
	list map[string][]string
	num  map[string]int64
	flag map[string]bool
	// key is the natural key as recorded; name is its last part, shown in
	// progress lines.
	key, name string
	// parentNew says the object's server or policy was created by this
	// run, so it cannot exist yet. parentMine says the same, and stays set
	// when a retry looks the object up after all.
	parentNew, parentMine bool
	// since is when this run first tried to find or create the object: an
	// object of a kind with unique names found after a lost answer, and
	// created since, is this run's (madeBy).
	since time.Time
	// siblings are the ids an earlier run recorded for objects of the same
	// kind under the same parent: when there are several, one list request
	// checks them all (memo shares its answer).
	siblings []string
	memo     func(key string, fetch func() (any, error)) (any, error)
}

func joinKey(parts []string) string {
	s := ""
	for i, p := range parts {
		if i > 0 {
			s += " / "
		}
		s += p
	}
	return s
}

// converge updates a found object that differs from the input in fields
// apicenter owns: with --yes at once, at a terminal after asking
// ((C)ontinue updates, (p) leaves it as it is, (a) updates this and the
// rest, (q)uits), and without either it only reports (the warning of a
// found object). Each update is shown.
func (r *run) converge(ctx context.Context, n *node, s spec, res *found) error {
	what := fmt.Sprintf("%s %q", n.it.Obj.Kind, s.name)
	// An object an earlier pass of this run created is this run's to
	// update without asking (it refers to an object that lost its race).
	if !r.opts.Yes && !r.createdIDs[res.id] {
		if r.opts.Prompter == nil {
			return nil
		}
		r.promptMu.Lock()
		all := r.convergeAll
		if !all {
			r.progress.ask()
			ch, err := r.opts.Prompter.Choose("update "+n.it.Name, fmt.Sprintf("%s differs: %s; (C)ontinue updates it, (p) leaves it, (a) updates it and the rest", what, strings.Join(res.differs, "; ")), s.key,
				prompter.Words{prompter.Continue: "update", prompter.Provide: "leave it", prompter.AutoAccept: "update it and the rest"})
			r.progress.answered()
			if err != nil {
				r.promptMu.Unlock()
				return err
			}
			switch ch {
			case prompter.Provide:
				r.promptMu.Unlock()
				return nil
			case prompter.AutoAccept:
				r.convergeAll = true
			case prompter.Quit:
				r.promptMu.Unlock()
				return exitcode.Wrap(exitcode.Quit, errors.New("quit"))
			}
		}
		r.promptMu.Unlock()
	}
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		if err = res.converge(ctx); err == nil || !transient(err) {
			break
		}
		time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
	}
	if err != nil {
		return describeErr(n.it, s, fmt.Errorf("updating what differs (%s): %w", strings.Join(res.differs, "; "), err))
	}
	fixes := res.fixes
	if fixes == nil {
		fixes = res.differs
	}
	for _, d := range fixes {
		r.progress.note("updated %s (%s): %s", what, n.it.Name, d)
	}
	if res.fixes == nil {
		res.differs = nil
	} else {
		res.differs = slices.DeleteFunc(res.differs, func(d string) bool { return slices.Contains(res.fixes, d) })
	}
	return nil
}
