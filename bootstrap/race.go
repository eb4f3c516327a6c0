package bootstrap

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/outputs"
)

// lostRace is an object this run created that lost its race to an older
// one of a concurrent run: this run drops its own once the pass is over.
type lostRace struct {
	node *node
	key  string
	name string
	mine string // this run's object
	keep found  // the oldest, which every run keeps
	drop func(context.Context) error
}

// SettlingField marks a recorded object this run created whose race is not
// settled yet (its re-read is under way). A run stopped then (killed)
// leaves the mark: the next run looks the object up by its natural key
// again, keeps the oldest, and deletes the marked one if it is not.
const SettlingField = "settling"

// maxPasses bounds the passes of one run; each pass after the first
// follows a race lost to a concurrent run, so only as many concurrent
// runs as that take it there.
const maxPasses = 4

// settleRace settles the race of an object n this run just created (see
// race). It records the object (marked SettlingField until settled) and
// lets what refers to it go on at once; then it re-reads. If the object
// is this run's to keep, res becomes it as settled; otherwise the run
// keeps its own until the pass is over (what refers to it is being made
// under it) and nextPass drops it: lost then says what to tell.
func (r *run) settleRace(ctx context.Context, n *node, s spec, res *found) (lost string, err error) {
	rc := res.race
	res.race = nil
	r.mu.Lock()
	n.ok, n.created, n.fields = true, true, withID(*res)
	marked := maps.Clone(n.fields)
	marked[SettlingField] = "true"
	r.out.SetObject(outputs.Object{Name: n.it.Name, Kind: string(n.it.Obj.Kind), Key: s.key, ID: res.id, Created: true, Fields: marked})
	err = r.saveLocked()
	r.mu.Unlock()
	if err != nil {
		return "", err
	}
	n.release()
	r.progress.object(n, s.key, s.name, *res)
	keep, mine, err := rc.settle(ctx)
	if err != nil {
		return "", err
	}
	if mine {
		keep.created = true
		*res = keep
		return "", nil
	}
	r.mu.Lock()
	r.lost = append(r.lost, lostRace{node: n, key: s.key, name: s.name, mine: res.id, keep: keep, drop: rc.drop})
	r.mu.Unlock()
	return fmt.Sprintf("note    %s %q: another run created it first (%s); this run uses that one and deletes its own (%s) once what refers to it is done", n.it.Obj.Kind, s.name, keep.id, res.id), nil
}

// nextPass follows a pass in which this run lost races: it deletes its
// own objects that lost and records the ones kept instead (dropLost), and
// makes ready again everything that refers to them (created under this
// run's objects, or with their ids), to be found or created anew by the
// next apply. The rest stays settled, values included (nothing is asked
// twice). What an earlier pass created and the next finds stays this
// run's (createdIDs).
func (r *run) nextPass(ctx context.Context) error {
	if r.pass >= maxPasses {
		name := r.lost[0].node.it.Name
		r.dropLost(ctx)
		return exitcode.Wrap(exitcode.Org, fmt.Errorf("concurrent runs created %s first again after %d passes: run the same command again", name, r.pass))
	}
	adopted, err := r.dropLost(ctx)
	if err != nil {
		return err
	}
	// What refers to an adopted object (its fields name it), not what
	// only comes after it (the next rule of a policy): a rule adopted
	// after its previous rule was is right as it is.
	users := map[*node][]*node{}
	for _, n := range r.nodes {
		seen := map[*node]bool{}
		for _, ref := range n.it.Refs() {
			if d := r.byName[ref.Name]; d != nil && !seen[d] {
				seen[d] = true
				users[d] = append(users[d], n)
			}
		}
	}
	stale := map[*node]bool{}
	var mark func(*node)
	mark = func(n *node) {
		for _, u := range users[n] {
			if u.it.Obj != nil && !stale[u] {
				stale[u] = true
				mark(u)
			}
		}
	}
	var names []string
	for _, l := range adopted {
		names = append(names, l.node.it.Name)
		mark(l.node)
		// The object kept differs from this run's input (a policy for the
		// other run's app, which lost): found again, it converges.
		if len(l.keep.differs) > 0 {
			stale[l.node] = true
		}
	}

	r.mu.Lock()
	defer r.mu.Unlock()
	if r.prev != nil {
		r.prev = r.prev.Clone()
	}
	var again []string
	for _, n := range r.nodes {
		if !stale[n] {
			n.settled = true
			continue
		}
		again = append(again, n.it.Name)
		if o := r.out.Object(n.it.Name); o != nil && o.Created {
			r.createdIDs[o.ID] = true
		}
		forget := func(o outputs.Object) bool { return o.Name == n.it.Name }
		r.out.Objects = slices.DeleteFunc(r.out.Objects, forget)
		if r.prev != nil {
			r.prev.Objects = slices.DeleteFunc(r.prev.Objects, forget)
		}
		n.done, n.once = make(chan struct{}), sync.Once{}
		n.ok, n.created, n.fields = false, false, nil
	}
	r.memos = map[string]*memoEntry{}
	r.pass++
	if len(again) > 0 {
		r.progress.note("note    finding again what refers to %s: %s", strings.Join(names, ", "), strings.Join(again, ", "))
	}
	return r.saveLocked()
}

// dropLost deletes this run's objects that lost their races (r.lost) and
// records the ones kept instead; it returns those it deleted. It runs after
// every pass that lost one, the last included (a failed or interrupted
// run), so that the output file records the objects every run keeps. An
// object it cannot delete stays recorded as this run's, for destroy.
func (r *run) dropLost(ctx context.Context) ([]lostRace, error) {
	lost := r.lost
	r.lost = nil
	ctx = context.WithoutCancel(ctx)
	errs := make([]error, len(lost))
	var wg sync.WaitGroup
	for i, l := range lost {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs[i] = l.drop(ctx)
		}()
	}
	wg.Wait()

	var adopted []lostRace
	var failed error
	for i, l := range lost {
		if errs[i] != nil {
			if failed == nil {
				failed = exitcode.Wrap(exitcode.Org, fmt.Errorf("%s (%s %q): another run created it first (%s); deleting this run's own (%s) failed: %v; it stays recorded in %s: `apicenter destroy` deletes it", l.node.it.Name, l.node.it.Obj.Kind, l.key, l.keep.id, l.mine, errs[i], r.outPath))
			}
			continue
		}
		n := l.node
		r.mu.Lock()
		n.created, n.fields = false, withID(l.keep)
		r.out.SetObject(outputs.Object{Name: n.it.Name, Kind: string(n.it.Obj.Kind), Key: l.key, ID: l.keep.id, Fields: n.fields})
		r.mu.Unlock()
		r.progress.note("deleted %s %q (%s): another run's is kept", n.it.Obj.Kind, l.name, l.mine)
		r.progress.object(n, l.key, l.name, l.keep)
		adopted = append(adopted, l)
	}
	r.mu.Lock()
	saveErr := r.saveLocked()
	r.mu.Unlock()
	if failed != nil {
		return adopted, failed
	}
	return adopted, saveErr
}

// dropUnsettled deletes the object a stopped run created and recorded
// with SettlingField, now that this run found kept the oldest with its
// natural key, kept (another), in its place.
func (r *run) dropUnsettled(ctx context.Context, n *node, s spec, unsettled outputs.Object, kept string) error {
	if _, err := deleteWithRetries(ctx, r.client.Client, n.it.Obj.Kind, unsettled); err != nil {
		return fmt.Errorf("%s %s, which a stopped run created and did not settle, is newer than %s with the same name: deleting it failed: %w", n.it.Obj.Kind, unsettled.ID, kept, err)
	}
	r.progress.note("deleted %s %q (%s): a stopped run created it after another run's (%s), which is kept", n.it.Obj.Kind, s.name, unsettled.ID, kept)
	return nil
}
