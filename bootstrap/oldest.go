package bootstrap

import (
	"context"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
)

// Okta keeps no unique names for authorization servers, policies, rules or
// apps: two runs that look, find nothing and create (in separate output
// directories, or on separate machines) make two objects with one natural
// key. Every run settles such a race the same way: after creating, it
// reads the objects with that key again and keeps the oldest (by created
// time, then id); a run whose own object is not the oldest deletes it and
// adopts the oldest (see race). The oldest is never deleted, and every
// newer creator sees it, because it was created before their own object
// was; so all runs end on the same object. A lone run pays one list
// request per such object it creates, while what refers to the object is
// already being made.

// settleTick is waited before the re-read, so that any object created in
// the same tick of the org's clock as this run's is visible to it (Okta's
// timestamps have millisecond precision).
const settleTick = 2 * time.Millisecond

// candidate is one object with the natural key of an object a run created.
type candidate struct {
	id      string
	created time.Time
}

// older orders candidates: created time, then id.
func (a candidate) older(b candidate) bool {
	if !a.created.Equal(b.created) {
		return a.created.Before(b.created)
	}
	return a.id < b.id
}

// oldestOf is the oldest of cs, or the zero candidate if cs is empty.
func oldestOf(cs []candidate) candidate {
	var o candidate
	for i, c := range cs {
		if i == 0 || c.older(o) {
			o = c
		}
	}
	return o
}

// race settles a create race for an object this run just created. The
// run goes on with its object at once (what refers to it is created under
// it or with its id) while settle re-reads; a run whose object is not the
// oldest drops it once everything that refers to it is done, and finds
// those again under the oldest (see run.nextPass). A lone run so pays its
// re-reads beside its other requests, not before them.
type race struct {
	// settle re-reads the objects with the natural key. mine says this
	// run's object is the oldest, and keep is then that object (moved to
	// its place where that applies); otherwise keep is the oldest, found.
	settle func(context.Context) (keep found, mine bool, err error)
	// drop deletes this run's object after it lost.
	drop func(context.Context) error
}

// raceOf is the race of own, an object of type T this run just created
// with the id mine: named lists the objects with its natural key (by id,
// and as candidates), result makes the found object of one, del deletes
// one. keepMine, if set, finishes this run's object once it is the one
// kept (a rule moves to its priority).
func raceOf[T any](mine string, own T, named func(context.Context) (map[string]T, []candidate, error), result func(T, bool) found, keepMine func(context.Context, T) (T, error), del func(context.Context, string) (*okta.Response, error)) *race {
	return &race{
		settle: func(ctx context.Context) (found, bool, error) {
			var byID map[string]T
			keep, isMine := oldestAfterCreate(ctx, mine, func(ctx context.Context) ([]candidate, error) {
				all, cs, err := named(ctx)
				byID = all
				return cs, err
			})
			if !isMine {
				return result(byID[keep], false), false, nil
			}
			if keepMine != nil {
				var err error
				if own, err = keepMine(ctx, own); err != nil {
					return found{}, true, err
				}
			}
			return result(own, true), true, nil
		},
		drop: func(ctx context.Context) error { return dropLost(ctx, mine, del) },
	}
}

// oldestAfterCreate re-reads, after this run created mine, every object
// with its natural key (list) and returns the oldest one's id and whether
// it is mine. It waits settleTick first. If the re-read keeps failing, the
// object is this run's: it keeps it rather than fail and find it again as
// if it had been there before.
func oldestAfterCreate(ctx context.Context, mine string, list func(context.Context) ([]candidate, error)) (string, bool) {
	time.Sleep(settleTick)
	var cs []candidate
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		if cs, err = list(ctx); err == nil || !transient(err) {
			break
		}
		time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
	}
	if err != nil {
		return mine, true
	}
	oldest := oldestOf(cs)
	if oldest.id == "" || oldest.id == mine {
		return mine, true
	}
	return oldest.id, false
}

// dropLost deletes id, this run's object that lost its race, with
// retries; an object already gone is dropped.
func dropLost(ctx context.Context, id string, del func(context.Context, string) (*okta.Response, error)) error {
	var resp *okta.Response
	var err error
	for attempt := 0; attempt < 4; attempt++ {
		if resp, err = del(ctx, id); err == nil || notFound(resp) || !transient(err) {
			break
		}
		time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
	}
	if err != nil && !notFound(resp) {
		return err
	}
	return nil
}

// timeOf is t, or the zero time.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
