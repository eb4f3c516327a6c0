package bootstrap

import (
	"context"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/iostreams"
)

// roundTripFunc is an http.RoundTripper made of a function.
type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

// TestOutputDirLostMidRun checks that when the output directory can no
// longer be written during a run (here it is replaced by a file when the
// first scope is created), the run fails and its summary says that not
// everything was recorded, instead of "recorded in".
func TestOutputDirLostMidRun(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	f := loadInput(t, `items:
  - object: AS
    kind: authorizationServer
    spec: {name: lost-dir-server, audience: api://lost}
  - object: S1
    kind: scope
    spec: {server: "{{AS.id}}", name: lost:one}
  - object: S2
    kind: scope
    spec: {server: "{{AS.id}}", name: lost:two}
`)
	dir := filepath.Join(t.TempDir(), "out")
	var once sync.Once
	tr := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		if r.Method == http.MethodPost && strings.HasSuffix(r.URL.Path, "/scopes") {
			once.Do(func() {
				os.RemoveAll(dir)
				os.WriteFile(dir, []byte("not a directory"), 0o600)
			})
		}
		return http.DefaultTransport.RoundTrip(r)
	})
	ios, _, _, errOut := iostreams.Test()
	_, err := Run(context.Background(), Options{IO: ios, Input: f, OutputDir: dir, Yes: true, Env: orgOf(srv), Transport: tr, Concurrency: 1})
	if err == nil {
		t.Fatalf("the run succeeded though its output directory was gone\n%s", errOut)
	}
	if !strings.Contains(err.Error(), filepath.Join(dir, "prompts.yaml")) {
		t.Errorf("error %q does not name the output file", err)
	}
	if strings.Contains(errOut.String(), "Summary (recorded in") {
		t.Errorf("summary claims everything was recorded:\n%s", errOut)
	}
	if !strings.Contains(errOut.String(), "Summary (NOT all recorded: writing "+filepath.Join(dir, "prompts.yaml")+" failed") {
		t.Errorf("summary does not say what was not recorded:\n%s", errOut)
	}
}
