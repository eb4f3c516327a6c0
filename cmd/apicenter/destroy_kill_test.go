package main

import (
	"bufio"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/outputs"
)

var deletedRE = regexp.MustCompile(`^deleted \S+ ".*" \((\S+), (\S+)\)$`)

// TestKilledDestroyResumes kills (SIGKILL) a real destroy process after it
// reported two objects deleted: the output file no longer records those
// two but still records the rest, and a second destroy, which finds gone
// what the killed one deleted without recording it, leaves the org with
// the object counts it had before the bootstrap and removes the file.
func TestKilledDestroyResumes(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := binary(t)
	srv := devorgtest.Start(t, devorg.Options{Latency: func(string, string) time.Duration { return 40 * time.Millisecond }})
	dir := orgEnv(t, srv)
	c := sdk(t, srv)
	before := fmtCounts(counts(orgObjects(t, c)))
	if r := runCLI(t, "bootstrap", "--mulesoft", "--yes"); r.code != 0 {
		t.Fatalf("bootstrap: exit %d\n%s", r.code, r.errOut)
	}
	outPath := filepath.Join(dir, "outputs", "mulesoft.yaml")

	cmd := exec.Command(bin, "destroy", "--mulesoft", "--yes")
	cmd.Dir = dir
	stderr, err := cmd.StderrPipe()
	must(t, err)
	must(t, cmd.Start())
	var deleted []string
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if m := deletedRE.FindStringSubmatch(sc.Text()); m != nil {
			deleted = append(deleted, m[2])
			if len(deleted) == 2 {
				must(t, cmd.Process.Kill())
				break
			}
		}
	}
	cmd.Wait()
	if len(deleted) != 2 {
		t.Fatalf("saw %d objects deleted before the end", len(deleted))
	}
	out, err := outputs.Load(outPath)
	if errors.Is(err, outputs.ErrMissing) {
		t.Fatal("the destroy finished before it was killed")
	}
	must(t, err)
	recorded := map[string]bool{}
	for _, o := range out.Objects {
		recorded[o.ID] = true
	}
	for _, id := range deleted {
		if recorded[id] {
			t.Errorf("%s was reported deleted but is still in the output file", id)
		}
	}
	if len(out.Objects) == 0 {
		t.Errorf("the killed destroy recorded nothing left")
	}

	r := runCLI(t, "destroy", "--mulesoft", "--yes")
	if r.code != 0 || !strings.Contains(r.errOut, "removed outputs/mulesoft.yaml") {
		t.Fatalf("second destroy: exit %d\n%s", r.code, r.errOut)
	}
	if after := fmtCounts(counts(orgObjects(t, c))); after != before {
		t.Errorf("after the second destroy the org holds %s\nbefore the bootstrap it held %s\n%s", after, before, r.errOut)
	}
	if _, err := os.Stat(outPath); !os.IsNotExist(err) {
		t.Errorf("%s: %v, want it removed", outPath, err)
	}
}
