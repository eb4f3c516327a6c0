package bootstrap

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
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
	ask := opts.Prompter != nil && !opts.Yes
	order := r.order()
	for i := len(order) - 1; i >= 0; i-- {
		n := order[i]
		if n.it.Obj == nil {
			continue
		}
		o := out.Object(n.it.Name)
		if o == nil || o.ID == "" {
			continue
		}
		what := fmt.Sprintf("%s %q (%s, %s)", o.Kind, o.Key, n.it.Name, o.ID)
		if !o.Created && (!dopts.IncludeFound || n.it.Obj.Existing) {
			fmt.Fprintf(w, "kept    %s: apicenter found it, it did not create it\n", what)
			res.Kept++
			continue
		}
		if ask {
			ch, err := opts.Prompter.Choose("delete "+n.it.Name, fmt.Sprintf("delete %s? (C)ontinue deletes it, (p) keeps it, (a) deletes it and the rest, (q)uits", what), o.ID)
			if err != nil {
				return res, err
			}
			switch ch {
			case prompter.Provide:
				fmt.Fprintf(w, "kept    %s\n", what)
				res.Kept++
				res.Skipped++
				continue
			case prompter.AutoAccept:
				ask = false
			case prompter.Quit:
				return res, exitcode.Wrap(exitcode.Quit, fmt.Errorf("quit: what was deleted is recorded in %s; run the same command again to continue", r.outPath))
			}
		}
		if ctx.Err() != nil {
			return res, exitcode.Wrap(exitcode.Interrupted, fmt.Errorf("interrupted: what was deleted is recorded in %s; run the same command again to continue", r.outPath))
		}
		gone, err := deleteWithRetries(ctx, c.Client, inputs.Kind(o.Kind), *o)
		if err != nil {
			var oe *okta.Error
			if errors.As(err, &oe) {
				err = errors.New(oktaMessage(oe))
			}
			return res, orgErr("deleting %s: %v (what was deleted is recorded in %s; run the same command again to continue)", what, err, r.outPath)
		}
		out.Objects = removeObject(out.Objects, n.it.Name)
		if err := out.Save(r.outPath); err != nil {
			return res, exitcode.Wrap(exitcode.Failure, fmt.Errorf("%s: %w", r.outPath, err))
		}
		if gone {
			fmt.Fprintf(w, "gone    %s: it was already deleted\n", what)
		} else {
			fmt.Fprintf(w, "deleted %s\n", what)
		}
		res.Deleted++
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
	// steps run in order; a 404 on any means the object is gone.
	var steps []func() (*okta.Response, error)
	switch k {
	case inputs.KindGroup:
		steps = append(steps, func() (*okta.Response, error) { return c.Group.DeleteGroup(ctx, o.ID) })
	case inputs.KindUser:
		// The first DELETE of an active user deactivates it, the second
		// deletes it.
		steps = append(steps,
			func() (*okta.Response, error) { return c.User.DeactivateOrDeleteUser(ctx, o.ID, nil) },
			func() (*okta.Response, error) { return c.User.DeactivateOrDeleteUser(ctx, o.ID, nil) })
	case inputs.KindAuthServer:
		steps = append(steps,
			func() (*okta.Response, error) { return c.AuthorizationServer.DeactivateAuthorizationServer(ctx, o.ID) },
			func() (*okta.Response, error) { return c.AuthorizationServer.DeleteAuthorizationServer(ctx, o.ID) })
	case inputs.KindScope:
		steps = append(steps, func() (*okta.Response, error) {
			return c.AuthorizationServer.DeleteOAuth2Scope(ctx, parent(0), o.ID)
		})
	case inputs.KindPolicy:
		steps = append(steps, func() (*okta.Response, error) {
			return c.AuthorizationServer.DeleteAuthorizationServerPolicy(ctx, parent(0), o.ID)
		})
	case inputs.KindRule:
		steps = append(steps, func() (*okta.Response, error) {
			return c.AuthorizationServer.DeleteAuthorizationServerPolicyRule(ctx, parent(0), parent(1), o.ID)
		})
	case inputs.KindApp:
		steps = append(steps,
			func() (*okta.Response, error) { return c.Application.DeactivateApplication(ctx, o.ID) },
			func() (*okta.Response, error) { return c.Application.DeleteApplication(ctx, o.ID) })
	case inputs.KindTrustedOrigin:
		steps = append(steps, func() (*okta.Response, error) { return c.TrustedOrigin.DeleteOrigin(ctx, o.ID) })
	case inputs.KindGroupAssignment:
		steps = append(steps, func() (*okta.Response, error) {
			return c.Application.DeleteApplicationGroupAssignment(ctx, parent(0), parent(1))
		})
	default:
		return false, fmt.Errorf("unknown kind %s", k)
	}
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
