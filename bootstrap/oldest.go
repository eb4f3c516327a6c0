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
// adopts the oldest. The oldest is never deleted, and every newer creator
// sees it, because it was created before their own object was; so all
// runs end on the same object. A lone run pays one list request per such
// object it creates.

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

// keepOldest settles a create race for the object mine this run just
// created: list returns every object with its natural key, del deletes
// one. It returns the id of the object to keep, and whether it is mine.
func keepOldest(ctx context.Context, mine string, list func(context.Context) ([]candidate, error), del func(context.Context, string) (*okta.Response, error)) (string, bool, error) {
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
		// The object is this run's: keep it and say so, rather than fail
		// and find it again as if it had been there before.
		return mine, true, nil
	}
	oldest := oldestOf(cs)
	if oldest.id == "" || oldest.id == mine {
		return mine, true, nil
	}
	var resp *okta.Response
	for attempt := 0; attempt < 4; attempt++ {
		if resp, err = del(ctx, mine); err == nil || notFound(resp) || !transient(err) {
			break
		}
		time.Sleep(time.Duration(50<<attempt) * time.Millisecond)
	}
	if err != nil && !notFound(resp) {
		return "", false, err
	}
	return oldest.id, false, nil
}

// timeOf is t, or the zero time.
func timeOf(t *time.Time) time.Time {
	if t == nil {
		return time.Time{}
	}
	return *t
}
