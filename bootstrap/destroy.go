package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/oktaclient"
	"github.com/apicenter/apicenter/internal/orgenv"
	"github.com/apicenter/apicenter/internal/prompter"
	"github.com/apicenter/apicenter/outputs"
)

// DestroyOptions configure a destroy run: Options' IO, Prompter,
// NewClient, Transport, Input, OrgURL, Env, Yes and OutputDir, and
// IncludeFound.
type DestroyOptions struct {
	Options
	// IncludeFound also deletes the objects an earlier run found (that
	// were there before apicenter), except those the input marks as
	// existing (Everyone).
	IncludeFound bool
}

// DestroyResult is what a destroy did.
type DestroyResult struct {
	// Deleted counts the objects deleted (or already gone); Kept those
	// left in the org (found, or skipped at the prompt), Skipped those
	// kept at the prompt though apicenter created them.
	Deleted, Kept, Skipped int
	// Removed says the output file was removed (nothing apicenter made
	// is left).
	Removed bool
}

// Destroy deletes from the org what apicenter created and recorded in the
// output file of opts.Input, in reverse dependency order, deactivating
// first where Okta requires it (apps, authorization servers, users). It
// never deletes an object it only found unless IncludeFound. At a terminal
// (Prompter set, not Yes) it asks before each object: (C)ontinue deletes
// it, (p) keeps it, (a) deletes it and the rest without asking, (q)uits.
// Each deletion is recorded in the output file at once (the object is
// removed from it), so a destroy that was stopped continues where it
// stopped; once nothing made by apicenter is left the file is removed
// (the objects it only found are not apicenter's to record).
// An object already gone (404) counts as deleted.
func Destroy(ctx context.Context, dopts DestroyOptions) (*DestroyResult, error) {
	opts := dopts.Options
	if opts.Input == nil {
		return nil, exitcode.Wrap(exitcode.Usage, errors.New("no input: pass --mulesoft, --mulesoft_policy or --input FILE"))
	}
	opts = withDefaults(opts)
	r, err := newRun(opts)
	if err != nil {
		return nil, err
	}
	defer r.progress.stop()
	w := opts.IO.ErrOut
	lock, err := outputs.Lock(r.outPath, func() {
		fmt.Fprintf(w, "waiting for another run that is writing %s ...\n", r.outPath)
	})
	if err != nil {
		return nil, usageErr("cannot lock the output file %s: %v", r.outPath, err)
	}
	defer lock.Close()
	out, err := outputs.Load(r.outPath)
	if errors.Is(err, outputs.ErrMissing) {
		fmt.Fprintf(w, "%s does not exist: nothing recorded to destroy\n", r.outPath)
		return &DestroyResult{}, nil
	}
	if err != nil {
		return nil, inputErr("%v", err)
	}
	org, err := orgenv.ResolveOrg(opts.OrgURL, opts.Env)
	if err != nil {
		return nil, exitcode.Wrap(exitcode.Usage, err)
	}
	if org.URL, err = oktaclient.NormalizeOrgURL(org.URL); err != nil {
		return nil, usageErr("%v (from %s)", err, orgSource(org))
	}
	if out.OrgURL != org.URL {
		return nil, usageErr("%s was written for the org %s, not %s: destroy with --org-url %s", r.outPath, out.OrgURL, org.URL, out.OrgURL)
	}
	c, err := opts.NewClient(ctx, oktaclient.Config{OrgURL: org.URL, Token: org.Token, Transport: opts.Transport, MaxInFlight: opts.Concurrency})
	if err != nil {
		return nil, usageErr("%v", err)
	}
	if err := checkOrg(ctx, c, org); err != nil {
		return nil, err
	}
	r.noteDependents(out)

	res := &DestroyResult{}
	var mu sync.Mutex // guards res, out and the progress lines
	// destroyOne deletes n's recorded object (or keeps it), records the
	// deletion and says so. deleted says it is gone from the org.
	destroyOne := func(n *node) (deleted bool, err error) {
		mu.Lock()
		o := out.Object(n.it.Name)
		mu.Unlock()
		if o == nil || o.ID == "" {
			return true, nil
		}
		what := fmt.Sprintf("%s %q (%s, %s)", o.Kind, o.Key, n.it.Name, o.ID)
		if ctx.Err() != nil {
			return false, exitcode.Wrap(exitcode.Interrupted, fmt.Errorf("interrupted: what was deleted is recorded in %s; run the same command again to continue", r.outPath))
		}
		gone, err := deleteWithRetries(ctx, c.Client, inputs.Kind(o.Kind), *o)
		if err != nil {
			var oe *okta.Error
			if errors.As(err, &oe) {
				err = errors.New(oktaMessage(oe))
			}
			return false, orgErr("deleting %s: %v (what was deleted is recorded in %s; run the same command again to continue)", what, err, r.outPath)
		}
		mu.Lock()
		defer mu.Unlock()
		out.Objects = removeObject(out.Objects, n.it.Name)
		if err := out.Save(r.outPath); err != nil {
			return true, exitcode.Wrap(exitcode.Failure, fmt.Errorf("%s: %w", r.outPath, err))
		}
		if gone {
			fmt.Fprintf(w, "gone    %s: it was already deleted\n", what)
		} else {
			fmt.Fprintf(w, "deleted %s\n", what)
		}
		res.Deleted++
		return true, nil
	}
	// keep reports whether n's recorded object stays: found, not created.
	keep := func(n *node) bool {
		o := out.Object(n.it.Name)
		if o == nil || o.ID == "" || o.Created || (dopts.IncludeFound && !n.it.Obj.Existing) {
			return false
		}
		fmt.Fprintf(w, "kept    %s %q (%s, %s): apicenter found it, it did not create it\n", o.Kind, o.Key, n.it.Name, o.ID)
		res.Kept++
		return true
	}

	var objects []*node
	for _, n := range r.order() {
		if n.it.Obj != nil {
			objects = append(objects, n)
		}
	}
	if opts.Prompter != nil && !opts.Yes {
		if err := r.destroyAsking(out, objects, keep, destroyOne, res); err != nil {
			return res, err
		}
	} else if err := destroyConcurrently(objects, keep, destroyOne); err != nil {
		return res, err
	}
	if res.Skipped == 0 {
		if err := os.Remove(r.outPath); err != nil && !errors.Is(err, os.ErrNotExist) {
			return res, exitcode.Wrap(exitcode.Failure, err)
		}
		res.Removed = true
		fmt.Fprintf(w, "%d deleted, %d found kept; removed %s\n", res.Deleted, res.Kept, r.outPath)
	} else {
		fmt.Fprintf(w, "%d deleted, %d kept (still recorded in %s)\n", res.Deleted, res.Kept, r.outPath)
	}
	return res, nil
}

// destroyAsking destroys objects (in dependency order) one at a time in
// reverse order, asking before each: (C)ontinue deletes it, (p) keeps it,
// (a) deletes it and the rest without asking, (q)uits.
func (r *run) destroyAsking(out *outputs.File, objects []*node, keep func(*node) bool, destroyOne func(*node) (bool, error), res *DestroyResult) error {
	ask := true
	for i := len(objects) - 1; i >= 0; i-- {
		n := objects[i]
		if keep(n) {
			continue
		}
		if ask {
			o := out.Object(n.it.Name)
			if o == nil || o.ID == "" {
				continue
			}
			what := fmt.Sprintf("%s %q (%s, %s)", o.Kind, o.Key, n.it.Name, o.ID)
			ch, err := r.opts.Prompter.Choose("delete "+n.it.Name, fmt.Sprintf("delete %s? (C)ontinue deletes it, (p) keeps it, (a) deletes it and the rest, (q)uits", what), o.ID,
				prompter.Words{prompter.Continue: "delete", prompter.Provide: "keep", prompter.AutoAccept: "delete it and the rest"})
			if err != nil {
				return err
			}
			switch ch {
			case prompter.Provide:
				fmt.Fprintf(r.opts.IO.ErrOut, "kept    %s\n", what)
				res.Kept++
				res.Skipped++
				continue
			case prompter.AutoAccept:
				ask = false
			case prompter.Quit:
				return exitcode.Wrap(exitcode.Quit, fmt.Errorf("quit: what was deleted is recorded in %s; run the same command again to continue", r.outPath))
			}
		}
		if _, err := destroyOne(n); err != nil {
			return err
		}
	}
	return nil
}

// destroyConcurrently destroys objects (in dependency order) without
// asking, each as soon as every object that refers to it (directly or
// through values) is gone, independent ones at the same time. After a
// failure it starts no more deletions; an object whose dependents could
// not all be deleted is left. It returns the first error.
func destroyConcurrently(objects []*node, keep func(*node) bool, destroyOne func(*node) (bool, error)) error {
	dependents := objectDependents(objects)
	type outcome struct {
		done chan struct{}
		gone bool
	}
	outcomes := map[*node]*outcome{}
	for _, n := range objects {
		outcomes[n] = &outcome{done: make(chan struct{})}
	}
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
	)
	// The kept ones are reported in reverse order, before any deletion.
	kept := map[*node]bool{}
	for i := len(objects) - 1; i >= 0; i-- {
		kept[objects[i]] = keep(objects[i])
	}
	for _, n := range objects {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := outcomes[n]
			defer close(o.done)
			for _, d := range dependents[n] {
				<-outcomes[d].done
				if !outcomes[d].gone {
					return // something that refers to it is still there
				}
			}
			if kept[n] {
				o.gone = true // found, not created: what it refers to may go
				return
			}
			mu.Lock()
			failed := firstErr != nil
			mu.Unlock()
			if failed {
				return
			}
			gone, err := destroyOne(n)
			o.gone = gone
			if err != nil {
				mu.Lock()
				if firstErr == nil {
					firstErr = err
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return firstErr
}

// objectDependents maps each of objects to the objects whose references
// lead to it, directly or through values.
func objectDependents(objects []*node) map[*node][]*node {
	isObject := map[*node]bool{}
	for _, n := range objects {
		isObject[n] = true
	}
	dependents := map[*node][]*node{}
	var refs func(n *node, seen map[*node]bool) []*node
	refs = func(n *node, seen map[*node]bool) []*node {
		var l []*node
		for _, d := range n.deps {
			if seen[d] {
				continue
			}
			seen[d] = true
			if isObject[d] {
				l = append(l, d)
			} else {
				l = append(l, refs(d, seen)...)
			}
		}
		return l
	}
	for _, n := range objects {
		for _, d := range refs(n, map[*node]bool{}) {
			dependents[d] = append(dependents[d], n)
		}
	}
	return dependents
}

// noteDependents says which other inputs' output files still record
// objects apicenter created that need this input's objects: deleting a
// server takes its policies and rules with it, and the rest stays until
// those inputs are destroyed too.
func (r *run) noteDependents(out *outputs.File) {
	for _, name := range inputs.Embedded() {
		f, err := inputs.LoadEmbedded(name)
		if err != nil || f.Name == r.f.Name {
			continue
		}
		needs := false
		for _, n := range f.Needs {
			needs = needs || n.Name == r.f.Name
		}
		if !needs {
			continue
		}
		other, err := outputs.Load(outputs.Path(r.opts.OutputDir, f.Name))
		if err != nil {
			continue
		}
		created := 0
		for _, o := range other.Objects {
			if o.Created {
				created++
			}
		}
		if created > 0 {
			fmt.Fprintf(r.opts.IO.ErrOut, "note    %s still records %d objects apicenter created with %s's: those under a deleted authorization server go with it; run `apicenter destroy --%s` for the rest\n",
				outputs.Path(r.opts.OutputDir, f.Name), created, r.f.Name, f.Name)
		}
	}
}

func removeObject(objs []outputs.Object, name string) []outputs.Object {
	var kept []outputs.Object
	for _, o := range objs {
		if o.Name != name {
			kept = append(kept, o)
		}
	}
	return kept
}

// deleteWithRetries deletes o, trying again after a 5xx, a dropped
// connection or exhausted 429 retries (a delete is idempotent: one that
// was applied answers 404 the next time). gone says it was already gone.
func deleteWithRetries(ctx context.Context, c *okta.Client, k inputs.Kind, o outputs.Object) (gone bool, err error) {
	for attempt := 0; ; attempt++ {
		gone, err = deleteObject(ctx, c, k, o)
		if err == nil || attempt >= 5 || !transient(err) {
			return gone, err
		}
		time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
	}
}

// deleteObject deletes one recorded object of kind k, deactivating it
// first where Okta requires it. The parents' ids are the leading parts of
// the recorded key (server / policy / name; app / group).
func deleteObject(ctx context.Context, c *okta.Client, k inputs.Kind, o outputs.Object) (gone bool, err error) {
	parts := strings.SplitN(o.Key, " / ", len(inputs.Kinds[k].Key))
	parent := func(i int) string {
		if i < len(parts) {
			return parts[i]
		}
		return ""
	}
	def, ok := kindDefs[k]
	if !ok {
		return false, fmt.Errorf("unknown kind %s", k)
	}
	// steps run in order; a 404 on any means the object is gone.
	steps := def.delete(ctx, c, o.ID, parent)
	for i, step := range steps {
		resp, err := step()
		if err != nil {
			if notFound(resp) {
				return i == 0, nil
			}
			return false, err
		}
	}
	return false, nil
}
