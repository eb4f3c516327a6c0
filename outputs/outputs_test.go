package outputs

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestSaveLoadRoundTripPrivateAndAtomic(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "outputs")
	path := Path(dir, "mulesoft")
	f := &File{Input: "mulesoft", OrgURL: "https://example.okta.com"}
	f.SetValue(Value{Name: "A", Value: "1", Source: "default"})
	f.SetValue(Value{Name: "A", Value: "2", Source: "set"})
	f.SetObject(Object{Name: "G", Kind: "group", Key: "g", ID: "00g1", Created: true, Fields: map[string]string{"id": "00g1", "name": "g"}})
	if err := f.Save(path); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("mode = %v, want 0600", st.Mode().Perm())
	}
	dst, _ := os.Stat(dir)
	if dst.Mode().Perm() != 0o700 {
		t.Errorf("dir mode = %v, want 0700", dst.Mode().Perm())
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("temp files left behind: %v", entries)
	}
	g, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := g.Value("A"); v.Value != "2" || len(g.Values) != 1 {
		t.Errorf("values = %+v", g.Values)
	}
	if o := g.Object("G"); o == nil || o.ID != "00g1" || o.Fields["name"] != "g" || !o.Created {
		t.Errorf("object = %+v", o)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "# Written by apicenter bootstrap") {
		t.Errorf("no header: %s", b)
	}
	// a clone is independent
	c := g.Clone()
	c.Objects[0].Fields["name"] = "changed"
	if g.Object("G").Fields["name"] != "g" {
		t.Error("Clone shares fields")
	}
}

func TestLoadMissingAndDamaged(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "nope.yaml")); !errors.Is(err, ErrMissing) {
		t.Errorf("missing file: err = %v, want ErrMissing", err)
	}
	for _, tt := range []struct{ content, want string }{
		{"values: {oops", "bad.yaml:1: the output file is damaged ("},
		{"input: x\nvalues: 3\nobjects: 4\n", "bad.yaml:2: the output file is damaged (cannot unmarshal"},
	} {
		p := filepath.Join(dir, "bad.yaml")
		os.WriteFile(p, []byte(tt.content), 0o600)
		_, err := Load(p)
		if err == nil || !strings.Contains(err.Error(), tt.want) || strings.Contains(err.Error(), "\n") {
			t.Errorf("damaged file %q: err = %v, want one line with %q", tt.content, err, tt.want)
		}
	}
}

// TestRemoveStaleTemps checks that the temporary files a killed run left
// beside an output file are removed, and that a fresh one (a Save of a
// run in progress) and other files are kept.
func TestRemoveStaleTemps(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "mulesoft.yaml")
	now := time.Now()
	files := []struct {
		name     string
		age      time.Duration
		wantGone bool
	}{
		{".mulesoft.yaml.123.tmp", time.Hour, true},
		{".mulesoft.yaml.456.tmp", 2 * StaleTempAge, true},
		{".mulesoft.yaml.789.tmp", 0, false},              // a Save in progress
		{".mulesoft_policy.yaml.1.tmp", time.Hour, false}, // another input's
		{"mulesoft.yaml", time.Hour, false},
	}
	for _, f := range files {
		p := filepath.Join(dir, f.name)
		if err := os.WriteFile(p, []byte("secret"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-f.age), now.Add(-f.age)); err != nil {
			t.Fatal(err)
		}
	}
	n, err := RemoveStaleTemps(path, now)
	if err != nil || n != 2 {
		t.Fatalf("RemoveStaleTemps = %d, %v; want 2, nil", n, err)
	}
	for _, f := range files {
		_, err := os.Stat(filepath.Join(dir, f.name))
		if gone := errors.Is(err, os.ErrNotExist); gone != f.wantGone {
			t.Errorf("%s: gone = %v, want %v", f.name, gone, f.wantGone)
		}
	}
}
