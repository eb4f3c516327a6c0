package doctest

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apicenter/apicenter/inputs"
)

// repoRoot is the repository's root, two levels above this package.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at %s: %v", root, err)
	}
	return root
}

// documents returns README.md, inputs/README.md and docs/**/*.md, relative
// to root.
func documents(t *testing.T, root string) []string {
	t.Helper()
	docs := []string{"README.md", filepath.Join("inputs", "README.md")}
	err := filepath.WalkDir(filepath.Join(root, "docs"), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".md") {
			rel, _ := filepath.Rel(root, p)
			docs = append(docs, rel)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	slices.Sort(docs[2:])
	return docs
}

// buildApicenter builds cmd/apicenter into a temporary directory and
// returns that directory.
func buildApicenter(t *testing.T, root string) string {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		gobin = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	dir := t.TempDir()
	cmd := exec.Command(gobin, "build", "-o", filepath.Join(dir, "apicenter"), "./cmd/apicenter")
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/apicenter: %v\n%s", err, out)
	}
	// go test reuses a passing result while the files of the module the
	// test opened are unchanged; it cannot see what go build read. Opening
	// those files makes an edit of them run the test again.
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir() && (d.Name() == ".git" || d.Name() == "testdata"):
			return filepath.SkipDir
		case d.IsDir():
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		if ext := filepath.Ext(p); ext == ".go" || ext == ".mod" || ext == ".sum" || strings.HasPrefix(rel, "inputs"+string(filepath.Separator)) {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			return f.Close()
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return dir
}

// copied are the parts of the repository a document's command may name by
// path, as from a clone: they are copied into its working directory.
var copied = []string{"inputs", filepath.Join("internal", "gateway", "testdata")}

// copyTree copies the files under root/rel, except Go source, to dst/rel.
func copyTree(root, rel, dst string) error {
	return filepath.WalkDir(filepath.Join(root, rel), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		r, _ := filepath.Rel(root, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, r), 0o755)
		}
		if strings.HasSuffix(p, ".go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, r), b, 0o644)
	})
}

// tools are the programs the documents may call besides apicenter and the
// shell's builtins, with the Debian package that has each.
var tools = map[string]string{"bash": "bash", "curl": "curl", "jq": "jq", "openssl": "openssl"}

// TestDocs runs the shell blocks of every document (see the package
// comment), one document after another.
func TestDocs(t *testing.T) {
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("bash is missing: apt-get install bash")
	}
	root := repoRoot(t)
	binDir := buildApicenter(t, root)
	for _, doc := range documents(t, root) {
		t.Run(filepath.ToSlash(doc), func(t *testing.T) {
			md, err := os.ReadFile(filepath.Join(root, doc))
			if err != nil {
				t.Fatal(err)
			}
			blocks, err := Blocks(md)
			if err != nil {
				t.Fatalf("%s:%v", doc, err)
			}
			if len(blocks) == 0 {
				t.Logf("%s has no sh block", doc)
				return
			}
			for name, pkg := range tools {
				if usesTool(blocks, name) {
					if _, err := exec.LookPath(name); err != nil {
						t.Skipf("%s runs %s, which is missing: apt-get install %s", doc, name, pkg)
					}
				}
			}
			dir := t.TempDir()
			for _, c := range copied {
				if err := copyTree(root, c, dir); err != nil {
					t.Fatal(err)
				}
			}
			r := &Run{Name: filepath.ToSlash(doc), Blocks: blocks, Dir: dir, Home: t.TempDir(), BinDir: binDir,
				Env: os.Environ(), Timeout: 3 * time.Minute, Scratch: t.TempDir()}
			out, err := r.Do(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("%d blocks ran:\n%s", len(blocks), out)
		})
	}
}

// usesTool says whether a block calls name as a command word.
func usesTool(blocks []Block, name string) bool {
	re := regexp.MustCompile(`(^|[\s|;&(` + "`" + `$])` + regexp.QuoteMeta(name) + `(\s|$)`)
	for _, b := range blocks {
		if re.MatchString(b.Text) {
			return true
		}
	}
	return false
}

func TestDocumentsFindsWalkThroughs(t *testing.T) {
	root := t.TempDir()
	for _, f := range []string{"README.md", "inputs/README.md", "docs/gateways/aws.md", "docs/gateways/kong.md", "docs/intro.md", "docs/screenshots/x.png"} {
		p := filepath.Join(root, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got := documents(t, root)
	want := []string{"README.md", "inputs/README.md", "docs/gateways/aws.md", "docs/gateways/kong.md", "docs/intro.md"}
	for i := range want {
		want[i] = filepath.FromSlash(want[i])
	}
	if !slices.Equal(got, want) {
		t.Errorf("documents = %q, want %q", got, want)
	}
}

func TestBlocks(t *testing.T) {
	tests := []struct {
		name string
		md   string
		want []Block
		err  string
	}{
		{"sh, bash and shell run", "# t\n```sh\na\n```\n```bash\nb\n```\n```shell\nc\n```\n",
			[]Block{{2, "a\n"}, {5, "b\n"}, {8, "c\n"}}, ""},
		{"other languages do not", "```text\nmake test\n```\n```yaml\nk: v\n```\n```\nplain\n```\n```sh\nx\n```\n",
			[]Block{{10, "x\n"}}, ""},
		{"info string after the language", "```sh title=a\nx\ny\n```\n", []Block{{1, "x\ny\n"}}, ""},
		{"a longer fence holds a shorter one", "````sh\n```\ninner\n````\n", []Block{{1, "```\ninner\n"}}, ""},
		{"tildes", "~~~sh\nt\n~~~\n", []Block{{1, "t\n"}}, ""},
		{"indented by four is code, not a fence", "    ```sh\n    x\n    ```\n", nil, ""},
		{"empty block", "```sh\n```\n", []Block{{1, ""}}, ""},
		{"unclosed", "text\n```sh\nx\n", nil, "line 2: the fenced block is never closed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := Blocks([]byte(tt.md))
			if tt.err != "" {
				if err == nil || err.Error() != tt.err {
					t.Fatalf("err = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("Blocks = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// run runs md's blocks as doc.md with a plain environment.
func run(t *testing.T, md string, timeout time.Duration) (string, error) {
	t.Helper()
	blocks, err := Blocks([]byte(md))
	if err != nil {
		t.Fatal(err)
	}
	r := &Run{Name: "doc.md", Blocks: blocks, Dir: t.TempDir(), Home: t.TempDir(), BinDir: t.TempDir(),
		Env:     []string{"PATH=" + os.Getenv("PATH"), "OKTA_API_TOKEN=leaked", "APICENTER_DEV_ORG_API_TOKEN=leaked", "HOME=/root"},
		Timeout: timeout, Scratch: t.TempDir()}
	return r.Do(context.Background())
}

func TestRunReportsTheFailingLine(t *testing.T) {
	tests := []struct {
		name, md, where, block string
	}{
		{"second block", "# doc\n```sh\nA=1\n```\ntext\n```sh\necho $A\nfalse\necho not reached\n```\n", "doc.md:8", "echo $A\nfalse\necho not reached\n"},
		{"a pipeline fails when its first command does", "```sh\ntrue\nfalse | cat\n```\n", "doc.md:3", "true\nfalse | cat\n"},
		{"an assignment from a failing command", "```sh\nx=$(exit 3)\n```\n", "doc.md:2", "x=$(exit 3)\n"},
		// exit is no failing command: the block is named by its fence.
		{"the state of one block is the next one's", "```sh\ncd /\nX=1\n```\n```sh\ntest \"$X$PWD\" = 1/\nexit 7\n```\n", "doc.md:5", "test \"$X$PWD\" = 1/\nexit 7\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := run(t, tt.md, time.Minute)
			var f *Failure
			if !errors.As(err, &f) {
				t.Fatalf("err = %v, want a *Failure", err)
			}
			if f.Where() != tt.where || f.Block.Text != tt.block {
				t.Errorf("failure at %s in block %q, want %s in %q", f.Where(), f.Block.Text, tt.where, tt.block)
			}
			if !strings.Contains(f.Error(), tt.block) {
				t.Errorf("the error does not show the block:\n%s", f.Error())
			}
		})
	}
}

func TestRunEnvironment(t *testing.T) {
	out, err := run(t, "```sh\nenv | grep -E '^(OKTA|APICENTER)_' || echo clean\necho \"home=$HOME\"\necho \"path=${PATH%%:*}\"\n```\n", time.Minute)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "clean\n") {
		t.Errorf("OKTA_* or APICENTER_* inherited:\n%s", out)
	}
	if strings.Contains(out, "home=/root\n") || !strings.Contains(out, "home="+os.TempDir()) {
		t.Errorf("HOME not a temporary directory:\n%s", out)
	}
	if strings.Contains(out, "path="+strings.Split(os.Getenv("PATH"), ":")[0]+"\n") {
		t.Errorf("the binary's directory is not first on PATH:\n%s", out)
	}
}

func TestRunStopsBackgroundJobs(t *testing.T) {
	for _, tt := range []struct {
		name, md string
		fails    bool
	}{
		{"after success", "```sh\nsleep 300 &\necho $! > pid\n```\n", false},
		{"after a failure", "```sh\nsleep 300 &\necho $! > pid\nfalse\n```\n", true},
		{"a job that ignores SIGTERM", "```sh\n(trap '' TERM; sleep 300) &\necho $! > pid\n```\n", false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			blocks, _ := Blocks([]byte(tt.md))
			dir := t.TempDir()
			r := &Run{Name: "doc.md", Blocks: blocks, Dir: dir, Home: t.TempDir(), BinDir: t.TempDir(),
				Env: os.Environ(), Timeout: time.Minute, Scratch: t.TempDir()}
			_, err := r.Do(context.Background())
			if (err != nil) != tt.fails {
				t.Fatalf("err = %v, want failure %v", err, tt.fails)
			}
			b, rerr := os.ReadFile(filepath.Join(dir, "pid"))
			if rerr != nil {
				t.Fatal(rerr)
			}
			pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
			if alive(pid) {
				t.Errorf("background job %d survived the run", pid)
			}
		})
	}
}

func TestRunTimesOut(t *testing.T) {
	_, err := run(t, "```sh\necho started\n```\n```sh\nsleep 300\n```\n", 2*time.Second)
	var f *Failure
	if !errors.As(err, &f) {
		t.Fatalf("err = %v, want a *Failure", err)
	}
	if f.Where() != "doc.md:4" || !strings.Contains(f.Why, "timed out") || !strings.Contains(f.Output, "started") {
		t.Errorf("failure = %s: %s, output %q; want doc.md:4, a timeout, the output so far", f.Where(), f.Why, f.Output)
	}
}

// alive says whether pid is a live (not zombie) process.
func alive(pid int) bool {
	stat, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return syscall.Kill(pid, 0) == nil && !os.IsNotExist(err)
	}
	i := strings.LastIndexByte(string(stat), ')')
	f := strings.Fields(string(stat[i+1:]))
	return len(f) > 0 && f[0] != "Z" && f[0] != "X"
}

// TestOneSpellingOfTheAppSettings: the README, get-settings --help and the
// text bootstrap --mulesoft_policy prints next tell the same way to write
// the web app's settings.
func TestOneSpellingOfTheAppSettings(t *testing.T) {
	const want, wrong = "apicenter get-settings --mulesoft > .env", "--mulesoft >> .env"
	root := repoRoot(t)
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	help, err := exec.Command(filepath.Join(buildApicenter(t, root), "apicenter"), "get-settings", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("get-settings --help: %v\n%s", err, help)
	}
	policy, err := inputs.LoadEmbedded("mulesoft_policy")
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct{ where, text string }{
		{"README.md", string(readme)},
		{"get-settings --help", string(help)},
		{"the next text of bootstrap --mulesoft_policy", policy.Next.Raw},
	} {
		if !strings.Contains(tt.text, want) || strings.Contains(tt.text, wrong) {
			t.Errorf("%s does not say %q (or says %q)", tt.where, want, wrong)
		}
	}
}

func TestUsesTool(t *testing.T) {
	tests := []struct {
		text, tool string
		want       bool
	}{
		{"curl -s x | jq -r .a\n", "jq", true},
		{"v=$(openssl rand -hex 32)\n", "openssl", true},
		{"a=1; curl x\n", "curl", true},
		{"echo jquery curl-like\n", "jq", false},
		{"echo jquery curl-like\n", "curl", false},
		{"apicenter bootstrap --mulesoft\n", "jq", false},
	}
	for _, tt := range tests {
		if got := usesTool([]Block{{Line: 1, Text: tt.text}}, tt.tool); got != tt.want {
			t.Errorf("usesTool(%q, %s) = %v, want %v", tt.text, tt.tool, got, tt.want)
		}
	}
}
