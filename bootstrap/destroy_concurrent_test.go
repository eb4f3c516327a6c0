package bootstrap_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/orgenv"
	"github.com/apicenter/apicenter/outputs"
)

// writeLog records the writes a destroy makes: when each started and
// ended, in one sequence, and how many were in flight at most.
type writeLog struct {
	mu       sync.Mutex
	seq      int
	inFlight int
	most     int
	writes   []write
}

type write struct {
	what       string // "DELETE /api/v1/groups/{id}" and the like
	path       string // with the ids
	start, end int
}

var idSegment = regexp.MustCompile(`/(aus|00g|00u|scp|00p|0pr|0oa|tos)[0-9A-Za-z]{17}`)

func (l *writeLog) transport() http.RoundTripper {
	return roundTrip(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodGet {
			return http.DefaultTransport.RoundTrip(r)
		}
		l.mu.Lock()
		l.seq++
		w := write{what: r.Method + " " + idSegment.ReplaceAllString(r.URL.Path, "/{id}"), path: r.URL.Path, start: l.seq}
		l.inFlight++
		l.most = max(l.most, l.inFlight)
		l.mu.Unlock()
		resp, err := http.DefaultTransport.RoundTrip(r)
		l.mu.Lock()
		l.seq++
		w.end = l.seq
		l.inFlight--
		l.writes = append(l.writes, w)
		l.mu.Unlock()
		return resp, err
	})
}

type roundTrip func(*http.Request) (*http.Response, error)

func (f roundTrip) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestDestroyConcurrently destroys both Mulesoft steps on an org that
// answers each request after 20ms: independent objects are deleted at the
// same time (more than one write in flight), and never an object before
// what refers to it (rules before their policy, scopes before their
// server, users before their groups); the org ends as it was before.
func TestDestroyConcurrently(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	statePath := filepath.Join(t.TempDir(), "org.json")
	srv := devorgtest.Start(t, devorg.Options{StatePath: statePath, Latency: func(string, string) time.Duration { return 20 * time.Millisecond }})
	env := map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": srv.Token}
	outDir := t.TempDir()
	clientID, clientSecret := registerClient(t, srv)
	before := orgCounts(orgState(t, statePath))
	untilSuccess(t, "bootstrap --mulesoft", env, outDir)
	env["AUTHN_CLIENT_ID"], env["AUTHN_CLIENT_SECRET"] = clientID, clientSecret
	untilSuccess(t, "bootstrap --mulesoft_policy", env, outDir)

	tests := []struct {
		input string
		// each write of first ends before any write of then starts
		first, then string
	}{
		{"mulesoft_policy", "DELETE /api/v1/authorizationServers/{id}/policies/{id}/rules/{id}", "DELETE /api/v1/authorizationServers/{id}/policies/{id}"},
		{"mulesoft", "DELETE /api/v1/authorizationServers/{id}/scopes/{id}", "POST /api/v1/authorizationServers/{id}/lifecycle/deactivate"},
	}
	// Each user before its group.
	out, err := outputs.Load(outputs.Path(outDir, "mulesoft"))
	if err != nil {
		t.Fatal(err)
	}
	userGroups := [][2]string{
		{out.Object("SILVER_USER").ID, out.Object("SILVER_GROUP").ID},
		{out.Object("GOLD_USER").ID, out.Object("GOLD_GROUP").ID},
	}
	logs := map[string]*writeLog{}
	for _, name := range []string{"mulesoft_policy", "mulesoft"} {
		f, err := inputs.LoadEmbedded(name)
		if err != nil {
			t.Fatal(err)
		}
		l := &writeLog{}
		logs[name] = l
		var progress bytes.Buffer
		_, err = bootstrap.Destroy(context.Background(), bootstrap.DestroyOptions{Options: bootstrap.Options{
			IO:        &iostreams.IOStreams{In: strings.NewReader(""), Out: io.Discard, ErrOut: &progress},
			Input:     f,
			Env:       &orgenv.Env{Getenv: func(k string) (string, bool) { v, ok := env[k]; return v, ok }},
			Yes:       true,
			OutputDir: outDir,
			Transport: l.transport(),
		}})
		if err != nil {
			t.Fatalf("destroy --%s: %v\n%s", name, err, progress.String())
		}
		// The writes are those bootstrap.DestroyPlan counts on.
		var want, got []string
		for _, s := range bootstrap.DestroyPlan(f) {
			for _, r := range s.Requests {
				if !strings.HasPrefix(r, "GET ") {
					want = append(want, r)
				}
			}
		}
		for _, w := range l.writes {
			got = append(got, w.what)
		}
		slices.Sort(want)
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Errorf("destroy --%s wrote:\n  %s\nbootstrap.DestroyPlan expects:\n  %s", name, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
		}
		if l.most < 2 {
			t.Errorf("destroy --%s: at most %d write in flight; independent deletes should overlap", name, l.most)
		}
	}
	for _, tt := range tests {
		l := logs[tt.input]
		var firstEnds, thenStarts []int
		for _, w := range l.writes {
			switch w.what {
			case tt.first:
				firstEnds = append(firstEnds, w.end)
			case tt.then:
				thenStarts = append(thenStarts, w.start)
			}
		}
		if len(firstEnds) == 0 || len(thenStarts) == 0 {
			t.Errorf("destroy --%s: %d of %q and %d of %q; want both", tt.input, len(firstEnds), tt.first, len(thenStarts), tt.then)
			continue
		}
		if slices.Max(firstEnds) > slices.Min(thenStarts) {
			t.Errorf("destroy --%s: %q started before every %q had ended", tt.input, tt.then, tt.first)
		}
	}
	for _, ug := range userGroups {
		userEnd, groupStart := 0, 0
		for _, w := range logs["mulesoft"].writes {
			if strings.HasSuffix(w.path, "/"+ug[0]) {
				userEnd = max(userEnd, w.end)
			}
			if strings.HasSuffix(w.path, "/"+ug[1]) && (groupStart == 0 || w.start < groupStart) {
				groupStart = w.start
			}
		}
		if userEnd == 0 || groupStart == 0 || userEnd > groupStart {
			t.Errorf("destroy --mulesoft: user %s deleted (last write ended at %d) and its group %s (first write started at %d): want the user first", ug[0], userEnd, ug[1], groupStart)
		}
	}
	if got := orgCounts(orgState(t, statePath)); got != before {
		t.Errorf("after destroy the org holds %s\nbefore the bootstrap it held %s", got, before)
	}
}
