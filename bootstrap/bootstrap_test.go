package bootstrap

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta/query"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/oktaclient"
	"github.com/apicenter/apicenter/internal/orgenv"
	"github.com/apicenter/apicenter/internal/prompter"
	"github.com/apicenter/apicenter/outputs"
)

func TestGeneratePassword(t *testing.T) {
	seen := map[string]bool{}
	for i := 0; i < 300; i++ {
		p, err := GeneratePassword()
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != PasswordLength || CheckPassword(p) != nil {
			t.Fatalf("password %q breaks the policy", p)
		}
		if seen[p] {
			t.Fatalf("password %q generated twice", p)
		}
		// No three consecutive characters are letters or digits: no part of
		// a login (Okta splits logins at separators) can be in it.
		for j := 0; j+3 <= len(p); j++ {
			if !strings.ContainsAny(p[j:j+3], passwordSeparators) {
				t.Fatalf("password %q has %q, which a login part could match", p, p[j:j+3])
			}
		}
		seen[p] = true
	}
	for _, weak := range []string{"short1A", "alllowercase1", "ALLUPPER1", "NoDigitsHere"} {
		if CheckPassword(weak) == nil {
			t.Errorf("CheckPassword(%q) accepted it", weak)
		}
	}
}

// TestQuoteEnvThroughShell checks that a POSIX shell reads KEY=value lines
// back unchanged.
func TestQuoteEnvThroughShell(t *testing.T) {
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	values := []string{"plain", "http://a.b/c?d=e&f", "with space", `quote"s`, "it's", "$HOME and ${X}", "back`tick`", `back\slash`, "ünïcode", ""}
	var settings []Setting
	for i, v := range values {
		settings = append(settings, Setting{Key: fmt.Sprintf("K%d", i), Value: v})
	}
	var b strings.Builder
	if err := WriteSettings(&b, settings, FormatEnv); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	f := filepath.Join(dir, "s.env")
	os.WriteFile(f, []byte(b.String()), 0o600)
	for i, v := range values {
		out, err := exec.Command(sh, "-c", fmt.Sprintf(`. %s; printf %%s "$K%d"`, f, i)).Output()
		if err != nil {
			t.Fatalf("sh: %v\n%s", err, b.String())
		}
		if string(out) != v {
			t.Errorf("K%d: shell read %q, want %q (line %q)", i, out, v, strings.Split(b.String(), "\n")[i])
		}
	}
	// A line break cannot be carried the same way to both: refused.
	var nl strings.Builder
	if err := WriteSettings(&nl, []Setting{{Key: "OK", Value: "x"}, {Key: "MULTI", Value: "a\nb"}}, FormatEnv); err == nil || !strings.Contains(err.Error(), "MULTI holds a line break") || nl.Len() != 0 {
		t.Errorf("a value with a line break: err %v, wrote %q", err, nl.String())
	}
	// The dotenv parser of apicenter reads them back too.
	parsed, err := orgenv.Parse("s.env", []byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	for i, v := range values {
		if parsed[fmt.Sprintf("K%d", i)] != v {
			t.Errorf("K%d: .env parser read %q, want %q", i, parsed[fmt.Sprintf("K%d", i)], v)
		}
	}
}

// script is a Prompter that answers from a list and records what it was
// shown. (The terminal prompter is tested through a real pty in
// internal/prompter and cmd/apicenter.)
type script struct {
	t       *testing.T
	answers []answer
	shown   []string
}

type answer struct {
	choice prompter.Choice
	inputs []string // for Provide, or a value without default
	err    error
	before func() // run before answering
}

func (s *script) next(name string) answer {
	if len(s.answers) == 0 {
		s.t.Fatalf("asked about %s with no answer left", name)
	}
	a := s.answers[0]
	s.answers = s.answers[1:]
	if a.before != nil {
		a.before()
	}
	return a
}

func (s *script) Choose(name, hint, shown string, _ prompter.Words) (prompter.Choice, error) {
	s.shown = append(s.shown, name+"="+shown)
	a := s.next(name)
	if a.choice == prompter.Provide {
		s.answers = append([]answer{a}, s.answers...) // Input takes it
	}
	return a.choice, a.err
}

func (s *script) Input(name, hint string, secret bool, validate func(string) error) (string, error) {
	a := s.next(name)
	if a.err != nil {
		return "", a.err
	}
	for _, in := range a.inputs {
		if validate == nil || validate(in) == nil {
			return in, nil
		}
		s.shown = append(s.shown, name+" rejected "+in)
	}
	s.t.Fatalf("no valid input for %s", name)
	return "", nil
}

const promptInput = `items:
  - value: GROUP_A
    hint: first group
    default: alpha group
    validate: nonempty
  - object: A
    kind: group
    spec: {name: "{{GROUP_A}}"}
  - value: LOGIN
    default: alpha@example.com
    validate: email
  - value: PASSWORD
    generate: password
    secret: true
  - value: GROUP_B
    default: beta group
  - object: B
    kind: group
    spec: {name: "{{GROUP_B}}"}
`

// orgOf is the environment of a run against srv: its URL and token, as if
// from .env, and nothing from the process environment.
func orgOf(srv *devorgtest.Server) *orgenv.Env {
	return &orgenv.Env{Getenv: func(string) (string, bool) { return "", false }, File: map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": srv.Token}}
}

// runYes runs f against srv with --yes, failing t if the run fails. It
// returns the result and what the run wrote on stderr.
func runYes(t *testing.T, srv *devorgtest.Server, f *inputs.File) (*Result, *bytes.Buffer) {
	t.Helper()
	ios, _, _, errOut := iostreams.Test()
	res, err := Run(context.Background(), Options{IO: ios, Input: f, OutputDir: t.TempDir(), Yes: true, Env: orgOf(srv)})
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	return res, errOut
}

func loadInput(t *testing.T, text string) *inputs.File {
	t.Helper()
	p := filepath.Join(t.TempDir(), "prompts.yaml")
	os.WriteFile(p, []byte(text), 0o600)
	f, err := inputs.LoadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return f
}

func TestPromptFlow(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	tests := []struct {
		name     string
		answers  func(outPath string) []answer
		code     int
		values   map[string]string // recorded values (prefix match for "*")
		objects  []string
		shownHas []string
	}{
		{
			name: "continue with every value",
			answers: func(string) []answer {
				return []answer{{choice: prompter.Continue}, {choice: prompter.Continue}, {choice: prompter.Continue}, {choice: prompter.Continue}}
			},
			values:   map[string]string{"GROUP_A": "alpha group", "LOGIN": "alpha@example.com", "GROUP_B": "beta group"},
			objects:  []string{"A", "B"},
			shownHas: []string{"PASSWORD=********"},
		},
		{
			name: "provide a value, an invalid one first",
			answers: func(string) []answer {
				return []answer{{choice: prompter.Continue}, {choice: prompter.Provide, inputs: []string{"not an email", "bob@example.com"}}, {choice: prompter.Continue}, {choice: prompter.Continue}}
			},
			values:   map[string]string{"LOGIN": "bob@example.com"},
			objects:  []string{"A", "B"},
			shownHas: []string{"LOGIN rejected not an email"},
		},
		{
			name: "auto-accept the rest",
			answers: func(string) []answer {
				return []answer{{choice: prompter.Continue}, {choice: prompter.AutoAccept}}
			},
			values:  map[string]string{"GROUP_B": "beta group"},
			objects: []string{"A", "B"},
		},
		{
			name: "quit keeps what was created",
			answers: func(outPath string) []answer {
				waitForA := func() { waitForObject(t, outPath, "A") }
				return []answer{{choice: prompter.Continue}, {choice: prompter.Continue, before: waitForA}, {choice: prompter.Quit}}
			},
			code:    exitcode.Quit,
			values:  map[string]string{"GROUP_A": "alpha group", "LOGIN": "alpha@example.com"},
			objects: []string{"A"},
		},
		{
			name: "Ctrl-C keeps what was created",
			answers: func(outPath string) []answer {
				waitForA := func() { waitForObject(t, outPath, "A") }
				return []answer{{choice: prompter.Continue}, {err: prompter.ErrInterrupted, before: waitForA}}
			},
			code:    exitcode.Interrupted,
			values:  map[string]string{"GROUP_A": "alpha group"},
			objects: []string{"A"},
		},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			in := strings.NewReplacer("alpha group", fmt.Sprintf("alpha group %d", i), "beta group", fmt.Sprintf("beta group %d", i)).Replace(promptInput)
			f := loadInput(t, in)
			outPath := outputs.Path(dir, f.Name)
			s := &script{t: t, answers: tt.answers(outPath)}
			ios, _, _, errOut := iostreams.Test()
			_, err := Run(context.Background(), Options{
				IO: ios, Prompter: s, Input: f, OutputDir: dir,
				Env: orgOf(srv),
			})
			if exitcode.Of(err) != tt.code {
				t.Fatalf("exit code %d (%v), want %d\n%s", exitcode.Of(err), err, tt.code, errOut)
			}
			out, lerr := outputs.Load(outPath)
			if lerr != nil {
				t.Fatal(lerr)
			}
			for k, want := range tt.values {
				v, _ := out.Value(k)
				if !strings.HasPrefix(v.Value, strings.TrimSuffix(want, "group")) {
					t.Errorf("%s = %q, want %q", k, v.Value, want)
				}
			}
			var names []string
			for _, o := range out.Objects {
				names = append(names, o.Name)
			}
			if strings.Join(names, ",") != strings.Join(tt.objects, ",") {
				t.Errorf("recorded objects %v, want %v", names, tt.objects)
			}
			for _, want := range tt.shownHas {
				if !strings.Contains(strings.Join(s.shown, "\n"), want) {
					t.Errorf("prompter was not shown %q: %v", want, s.shown)
				}
			}
			if len(s.answers) != 0 {
				t.Errorf("%d answers unused", len(s.answers))
			}
			if pw, _ := out.Value("PASSWORD"); strings.Contains(errOut.String(), pw.Value) && pw.Value != "" {
				t.Error("the password is shown in the progress")
			}
			if tt.code == exitcode.OK {
				return
			}
			// Running again completes, reusing what was recorded, with
			// exactly one of each group.
			res, err := Run(context.Background(), Options{
				IO: ios, Input: f, OutputDir: dir, Yes: true,
				Env: orgOf(srv),
			})
			if err != nil {
				t.Fatalf("re-run: %v\n%s", err, errOut)
			}
			if res.Created != 1 || res.Found != 1 {
				t.Errorf("re-run created %d and found %d, want 1 and 1", res.Created, res.Found)
			}
			for _, o := range res.Output.Objects {
				if n := countGroups(t, srv, o.Key); n != 1 {
					t.Errorf("%d groups called %q", n, o.Key)
				}
			}
		})
	}
}

func waitForObject(t *testing.T, path, name string) {
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		if out, err := outputs.Load(path); err == nil && out.Object(name) != nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Errorf("%s never recorded in %s", name, path)
}

// TestValueSources checks where values come from and in what order: --set,
// then the environment, then .env, then the earlier output, then the
// default; none of them is asked about.
func TestValueSources(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	f := loadInput(t, `items:
  - value: V_SET
    default: d
  - value: V_ENV
    default: d
  - value: V_FILE
    default: d
  - value: V_PREV
    default: d
  - value: V_DEFAULT
    default: "{{V_SET}}-{{ORG_URL}}"
`)
	dir := t.TempDir()
	prev := &outputs.File{Input: f.Name, OrgURL: srv.URL, Values: []outputs.Value{{Name: "V_PREV", Value: "from-prev", Source: "default"}, {Name: "V_SET", Value: "stale", Source: "default"}}}
	if err := prev.Save(outputs.Path(dir, f.Name)); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"V_ENV": "from-env", "V_FILE": "env-wins-over-file-only-when-set"}
	delete(env, "V_FILE")
	ios, _, _, errOut := iostreams.Test()
	res, err := Run(context.Background(), Options{
		IO: ios, Input: f, OutputDir: dir, Set: []string{"V_SET=from-set"}, Yes: true,
		Env: &orgenv.Env{
			Getenv:   func(k string) (string, bool) { v, ok := env[k]; return v, ok },
			File:     map[string]string{"OKTA_ORG_URL": srv.URL, "OKTA_API_TOKEN": srv.Token, "V_FILE": "from-file", "V_ENV": "file-loses"},
			FilePath: ".env",
		},
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	want := map[string][2]string{
		"V_SET":     {"from-set", "set"},
		"V_ENV":     {"from-env", "environment"},
		"V_FILE":    {"from-file", ".env"},
		"V_PREV":    {"from-prev", "output"},
		"V_DEFAULT": {"from-set-" + srv.URL, "default"},
	}
	for k, w := range want {
		v, _ := res.Output.Value(k)
		if v.Value != w[0] || v.Source != w[1] {
			t.Errorf("%s = %q from %q, want %q from %q", k, v.Value, v.Source, w[0], w[1])
		}
	}
}

// TestValueDefaultFromAnObject checks that a default may refer to a field
// of an object: the value is settled after the object exists.
func TestValueDefaultFromAnObject(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	f := loadInput(t, `items:
  - value: LOGIN_URL
    default: "{{AS.issuer}}/v1/authorize"
  - object: AS
    kind: authorizationServer
    spec: {name: defaults from objects, audience: "api://x"}
  - object: G
    kind: group
    spec: {name: "{{LOGIN_URL}}"}
`)
	res, _ := runYes(t, srv, f)
	issuer := res.Output.Object("AS").Fields["issuer"]
	if v, _ := res.Output.Value("LOGIN_URL"); issuer == "" || v.Value != issuer+"/v1/authorize" {
		t.Errorf("LOGIN_URL = %q, issuer %q", v.Value, issuer)
	}
	if g := res.Output.Object("G"); g == nil || g.Key != issuer+"/v1/authorize" {
		t.Errorf("group = %+v", g)
	}
	if res.Created != 2 {
		t.Errorf("created %d, want 2", res.Created)
	}
}

func countGroups(t *testing.T, srv *devorgtest.Server, name string) int {
	t.Helper()
	c, err := oktaclient.New(context.Background(), oktaclient.Config{OrgURL: srv.URL, Token: srv.Token})
	if err != nil {
		t.Fatal(err)
	}
	gs, _, err := c.Group.ListGroups(context.Background(), &query.Params{Search: fmt.Sprintf("profile.name eq %q", name)})
	if err != nil {
		t.Fatal(err)
	}
	return len(gs)
}

// TestPasswordLoginPart checks Okta's "no part of the username" rule.
func TestPasswordLoginPart(t *testing.T) {
	tests := []struct{ password, login, want string }{
		{"Silver1user", "silver.user@example.com", "silver"},
		{"Xy-12-GOLD-ab", "gold.user@example.com", "gold"},
		{"Xy-12-ab-EXAMPLE", "gold.user@example.com", "example"},
		{"Xy-12-ab-com", "gold.user@example.com", "com"},
		{"Zz-Xy-12345", "gold.user@example.com", ""},
		{"Ab1-go-ld", "gold.user@example.com", ""}, // parts are whole
		{"Ab1-jo-xyz", "jo@x.example", ""},         // shorter than 3: ignored
	}
	for _, tt := range tests {
		if got := PasswordLoginPart(tt.password, tt.login); got != tt.want {
			t.Errorf("PasswordLoginPart(%q, %q) = %q, want %q", tt.password, tt.login, got, tt.want)
		}
	}
}

// TestProvidedPasswordHoldingTheLogin checks that a password provided at
// the prompt that holds a part of the user's login is refused there, and
// asked again, before the user is created.
func TestProvidedPasswordHoldingTheLogin(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	f := loadInput(t, `items:
  - value: LOGIN
    default: alpha.prompt@example.com
    validate: email
  - value: PASSWORD
    generate: password
    secret: true
    validate: password
  - object: U
    kind: user
    spec: {login: "{{LOGIN}}", firstName: A, lastName: B, password: "{{PASSWORD}}"}
`)
	dir := t.TempDir()
	s := &script{t: t, answers: []answer{{choice: prompter.Continue}, {choice: prompter.Provide, inputs: []string{"Alpha-Xy-123", "Zz-Xy-12345"}}}}
	ios, _, _, errOut := iostreams.Test()
	_, err := Run(context.Background(), Options{
		IO: ios, Prompter: s, Input: f, OutputDir: dir,
		Env: orgOf(srv),
	})
	if err != nil {
		t.Fatalf("%v\n%s", err, errOut)
	}
	if got := strings.Join(s.shown, "\n"); !strings.Contains(got, "PASSWORD rejected Alpha-Xy-123") {
		t.Errorf("the password holding the login was not refused at the prompt: %v", s.shown)
	}
	out, err := outputs.Load(outputs.Path(dir, f.Name))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := out.Value("PASSWORD"); v.Value != "Zz-Xy-12345" {
		t.Errorf("PASSWORD recorded as %q, want the second answer", v.Value)
	}
	if out.Object("U") == nil || out.Object("U").ID == "" {
		t.Errorf("user not created: %+v", out.Objects)
	}
}

// TestRateLimitWaitIsShown checks that a run held by the org's rate limit
// says so on stderr instead of waiting silently.
func TestRateLimitWaitIsShown(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t, devorg.Options{RateLimit: 2, RateLimitWindow: time.Second})
	f := loadInput(t, `items:
  - object: A
    kind: group
    spec: {name: rate a}
  - object: B
    kind: group
    spec: {name: rate b}
  - object: C
    kind: group
    spec: {name: rate c}
`)
	res, errOut := runYes(t, srv, f)
	if res.Created != 3 {
		t.Errorf("created %d groups, want 3", res.Created)
	}
	if !regexp.MustCompile(`waiting up to \d+s: the org's rate limit for (GET|POST) /api/v1/groups is used up`).MatchString(errOut.String()) {
		t.Errorf("no word of the rate-limit wait:\n%s", errOut)
	}
}

// TestSpinnerLine checks the spinner's line: the first object being worked
// on in file order, how many more, cut to the terminal's width (a wrapped
// line could not be erased), and nothing while a prompt waits.
func TestSpinnerLine(t *testing.T) {
	var b strings.Builder
	a, z := &node{index: 0}, &node{index: 5}
	p := &progress{w: &b, working: map[*node]string{z: `user "z"`, a: `group "a very long group name indeed"`}, width: func() int { return 30 }}
	p.draw()
	line := strings.TrimPrefix(b.String(), "\r\x1b[K")
	if want := `| working on group "a very l…`; line != want {
		t.Errorf("spinner line %q, want %q", line, want)
	}
	if n := len([]rune(line)); n >= 30 {
		t.Errorf("spinner line of %d columns on a terminal of 30", n)
	}
	p.width = func() int { return 200 }
	b.Reset()
	p.draw()
	if want := "\r\x1b[K/ working on group \"a very long group name indeed\" (and 1 more)"; b.String() != want {
		t.Errorf("spinner line %q, want %q", b.String(), want)
	}
	p.asking = true
	b.Reset()
	p.draw()
	if b.Len() != 0 {
		t.Errorf("drawn while a prompt waits: %q", b.String())
	}
}
