package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"

	"github.com/apicenter/apicenter/internal/demo/mulesoft"
	"github.com/apicenter/apicenter/internal/devorg"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
	"github.com/apicenter/apicenter/internal/exitcode"
	"github.com/apicenter/apicenter/internal/iostreams"
	"github.com/apicenter/apicenter/internal/prompter"
	"github.com/apicenter/apicenter/internal/ptytest"
	"github.com/apicenter/apicenter/outputs"
)

// mulesoftValues are the values `bootstrap --mulesoft` asks about, in the
// order it asks (inputs/mulesoft.yaml), when nothing sets them.
var mulesoftValues = []string{
	"AUTH_SERVER_NAME", "AUDIENCE", "SILVER_SCOPE", "GOLD_SCOPE",
	"SILVER_GROUP_NAME", "GOLD_GROUP_NAME", "REDIRECT_URI", "INTROSPECT_CLIENT_LABEL",
	"SILVER_USERNAME", "SILVER_PASSWORD", "GOLD_USERNAME", "GOLD_PASSWORD",
}

// ptyStep is one value asked about and what the user types.
type ptyStep struct {
	name string // the value shown
	key  string // typed at the (C)ontinue/(p)rovide/(a)uto-accept/(q)uit question: one key
	// inputs are typed in turn (each with Enter) at "New value for name"
	// after p; each but the last is refused with refusal.
	inputs  []string
	refusal string
	// recorded are objects (item names) that must be in the output file
	// before key is typed: objects are created concurrently with the
	// prompts, and their progress lines wait until a prompt is answered.
	recorded []string
}

// enterUntil answers Enter to every value before stop.
func enterUntil(stop string) []ptyStep {
	var steps []ptyStep
	for _, v := range mulesoftValues {
		if v == stop {
			break
		}
		steps = append(steps, ptyStep{name: v, key: ptytest.Enter})
	}
	return steps
}

func concat(parts ...[]ptyStep) []ptyStep {
	var all []ptyStep
	for _, p := range parts {
		all = append(all, p...)
	}
	return all
}

// TestBootstrapInteractivePty runs `apicenter bootstrap --mulesoft` in a
// real pseudo-terminal against the local org, answering its prompts as a
// user would (one key each), in-process and as the built binary.
func TestBootstrapInteractivePty(t *testing.T) {
	quitKeys := []string{"authorizationServer:solar system API", "group:silver subscribers", "group:gold subscribers", "app:solar system token introspection"}
	quitObjects := []string{"AUTH_SERVER", "SILVER_GROUP", "GOLD_GROUP", "INTROSPECT_CLIENT"}
	interruptKeys := append(append([]string{}, quitKeys...), "user:silver.user@example.com")
	interruptObjects := append(append([]string{}, quitObjects...), "SILVER_USER")
	// Users are created last (they need the groups); slow enough that
	// Ctrl-C typed once the spinner names them finds them still to be done.
	slowUserCreation := func(method, pattern string) time.Duration {
		if method == "POST" && pattern == "/api/v1/users" {
			return time.Second
		}
		return 0
	}
	tests := []struct {
		name    string
		binary  bool     // run the built binary (else the command tree in-process)
		args    []string // after bootstrap --mulesoft
		latency devorg.LatencyModel
		steps   []ptyStep
		// interruptAfter: once these objects (item names) are recorded,
		// type Ctrl-C (the terminal is not in a prompt: a SIGINT).
		interruptAfter []string
		wantCode       int
		// the org afterwards: natural keys there exactly once, and absent
		wantKeys, absentKeys []string
		// values recorded in the output file, with their source
		wantValues map[string]string
		// signIn: logins whose password in the output file the org accepts
		signIn []string
		// neverShown: typed text that must not appear on the terminal
		neverShown []string
		// shown: text that must appear on the terminal (before the
		// interrupt, with interruptAfter)
		shown []string
		// screen: lines on the rendered screen at the end
		screen []string
	}{
		{
			name:       "Enter accepts every value",
			steps:      enterUntil(""),
			wantCode:   exitcode.OK,
			wantKeys:   mulesoftKeys,
			wantValues: map[string]string{"SILVER_GROUP_NAME": "silver subscribers/default", "GOLD_USERNAME": "gold.user@example.com/default"},
		},
		{
			name: "p with an invalid value then a new one",
			steps: concat(enterUntil("SILVER_GROUP_NAME"),
				[]ptyStep{{name: "SILVER_GROUP_NAME", key: "p", inputs: []string{"", "silver club"}, refusal: "must not be empty"}},
				[]ptyStep{{name: "GOLD_GROUP_NAME", key: ptytest.Enter}, {name: "REDIRECT_URI", key: ptytest.Enter}, {name: "INTROSPECT_CLIENT_LABEL", key: ptytest.Enter}},
				[]ptyStep{{name: "SILVER_USERNAME", key: "P", inputs: []string{"not an email", "ann@example.com"}, refusal: `"not an email" is not an email address`}},
				[]ptyStep{{name: "SILVER_PASSWORD", key: "a"}},
			),
			wantCode:   exitcode.OK,
			wantKeys:   []string{"group:silver club", "user:ann@example.com", "group:gold subscribers", "user:gold.user@example.com", "authorizationServer:solar system API", "app:solar system token introspection"},
			absentKeys: []string{"group:silver subscribers", "user:silver.user@example.com"},
			wantValues: map[string]string{"SILVER_GROUP_NAME": "silver club/provided", "SILVER_USERNAME": "ann@example.com/provided"},
		},
		{
			name: "p with a secret: typed without echo, a weak one refused",
			steps: concat(enterUntil("SILVER_PASSWORD"),
				[]ptyStep{{name: "SILVER_PASSWORD", key: "p", inputs: []string{"weakpass", "Typed-Passw0rd-42"}, refusal: "a password needs at least 8 characters"}},
				[]ptyStep{{name: "GOLD_USERNAME", key: "a"}},
			),
			wantCode:   exitcode.OK,
			wantKeys:   mulesoftKeys,
			wantValues: map[string]string{"SILVER_PASSWORD": "Typed-Passw0rd-42/provided", "GOLD_PASSWORD": "/generated"},
			signIn:     []string{"silver.user@example.com"},
			neverShown: []string{"weakpass", "Typed-Passw0rd-42"},
		},
		{
			name:       "a auto-accepts this and every remaining value",
			steps:      concat(enterUntil("AUDIENCE"), []ptyStep{{name: "AUDIENCE", key: "a"}}),
			wantCode:   exitcode.OK,
			wantKeys:   mulesoftKeys,
			wantValues: map[string]string{"AUDIENCE": "api://solarsystem/default", "GOLD_GROUP_NAME": "gold subscribers/default"},
		},
		{
			name:       "q quits and keeps what was created",
			steps:      concat(enterUntil("SILVER_USERNAME"), []ptyStep{{name: "SILVER_USERNAME", key: "q", recorded: quitObjects}}),
			wantCode:   exitcode.Quit,
			wantKeys:   quitKeys,
			absentKeys: []string{"user:silver.user@example.com", "user:gold.user@example.com"},
		},
		{
			name:       "Ctrl-C at a prompt interrupts and keeps what was created",
			steps:      concat(enterUntil("GOLD_USERNAME"), []ptyStep{{name: "GOLD_USERNAME", key: ptytest.CtrlC, recorded: interruptObjects}}),
			wantCode:   exitcode.Interrupted,
			wantKeys:   interruptKeys,
			absentKeys: []string{"user:gold.user@example.com"},
		},
		{
			name:       "Ctrl-C in the binary interrupts and keeps what was created",
			binary:     true,
			steps:      concat(enterUntil("GOLD_USERNAME"), []ptyStep{{name: "GOLD_USERNAME", key: ptytest.CtrlC, recorded: interruptObjects}}),
			wantCode:   exitcode.Interrupted,
			wantKeys:   interruptKeys,
			absentKeys: []string{"user:gold.user@example.com"},
		},
		{
			name:           "Ctrl-C in the binary while objects are created with --yes",
			binary:         true,
			args:           []string{"--yes"},
			latency:        slowUserCreation,
			interruptAfter: quitObjects,
			wantCode:       exitcode.Interrupted,
			wantKeys:       quitKeys,
			// the users take 1 s: the spinner names what is being created
			shown: []string{"\r\x1b[K", `working on user "silver.user@example.com"`},
		},
		{
			name:       "Ctrl-D at a question quits like q, keeping what was created",
			steps:      concat(enterUntil("SILVER_USERNAME"), []ptyStep{{name: "SILVER_USERNAME", key: ptytest.CtrlD, recorded: quitObjects}}),
			wantCode:   exitcode.Quit,
			wantKeys:   quitKeys,
			absentKeys: []string{"user:silver.user@example.com", "user:gold.user@example.com"},
			wantValues: map[string]string{"INTROSPECT_CLIENT_LABEL": "solar system token introspection/default"},
			screen:     []string{"? SILVER_USERNAME = silver.user@example.com (default)  quit"},
		},
		{
			name:       "Ctrl-D in the binary at a new value quits, keeping what was created",
			binary:     true,
			steps:      concat(enterUntil("SILVER_USERNAME"), []ptyStep{{name: "SILVER_USERNAME", key: "p", inputs: []string{ptytest.CtrlD}, recorded: quitObjects}}),
			wantCode:   exitcode.Quit,
			wantKeys:   quitKeys,
			absentKeys: []string{"user:silver.user@example.com", "user:gold.user@example.com"},
			screen:     []string{"? SILVER_USERNAME = silver.user@example.com (default)  provide\n? New value for SILVER_USERNAME: ^D", "quit: what was created is recorded in outputs/mulesoft.yaml"},
		},
		{
			name:       "q in the binary quits",
			binary:     true,
			steps:      concat(enterUntil("SILVER_SCOPE"), []ptyStep{{name: "SILVER_SCOPE", key: "Q"}}),
			wantCode:   exitcode.Quit,
			absentKeys: []string{"group:silver subscribers", "user:silver.user@example.com"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var bin string
			if tt.binary {
				if testing.Short() {
					t.Skip("builds the binary")
				}
				bin = binary(t) // before orgEnv changes directory
			}
			srv := devorgtest.Start(t, devorg.Options{Latency: tt.latency})
			requireManagementAPI(t, srv)
			dir := orgEnv(t, srv)
			outPath := filepath.Join(dir, "outputs", "mulesoft.yaml")
			c := sdk(t, srv)
			before := orgObjects(t, c)

			term := ptytest.New(t)
			args := append([]string{"bootstrap", "--mulesoft"}, tt.args...)
			var proc *ptytest.Process
			if tt.binary {
				cmd := exec.Command(bin, args...)
				cmd.Dir = dir
				proc = term.Start(cmd)
			} else {
				proc = term.Run(func(ios *iostreams.IOStreams) int { return Execute(context.Background(), args, ios) })
			}
			for _, s := range tt.steps {
				term.Expect(s.name + " = ")
				term.Expect(prompter.ChooseQuestion)
				waitRecorded(t, outPath, s.recorded)
				term.Answer(s.key)
				for i, in := range s.inputs {
					if i > 0 {
						term.Expect(s.refusal)
					}
					term.Expect("New value for " + s.name)
					if in == ptytest.CtrlD {
						term.Answer(in)
					} else {
						term.AnswerLine(in)
					}
				}
			}
			if tt.interruptAfter != nil {
				waitRecorded(t, outPath, tt.interruptAfter)
				for _, s := range tt.shown {
					term.WaitFor(s) // with what is still being created
				}
				term.Send(ptytest.CtrlC)
			}
			proc.ExpectExit(tt.wantCode)

			transcript := term.Transcript()
			// Objects are created while a question waits: their progress
			// lines wait for the answer instead of breaking into the question.
			for i, part := range strings.Split(transcript, prompter.ChooseQuestion)[1:] {
				rest, _, _ := strings.Cut(part, "\n")
				for _, word := range []string{"created ", "found ", "failed ", "value "} {
					if strings.Contains(rest, word) {
						t.Errorf("question %d was broken into by a progress line: %q", i+1, rest)
					}
				}
			}
			if n := strings.Count(transcript, prompter.ChooseQuestion); n < len(tt.steps) {
				t.Errorf("asked %d times, want at least %d", n, len(tt.steps))
			}
			if tt.wantCode == exitcode.OK {
				// After (a), nothing more is asked; without it, every value
				// is, once (no key was refused).
				if n := strings.Count(transcript, prompter.ChooseQuestion); n != len(tt.steps) {
					t.Errorf("%d values asked about, want %d (one per step)", n, len(tt.steps))
				}
			}

			// The output file holds exactly the objects the run created.
			path := outPath
			st, err := os.Stat(path)
			if err != nil {
				t.Fatalf("output file: %v", err)
			}
			if st.Mode().Perm() != 0o600 {
				t.Errorf("%s has mode %v, want 0600", path, st.Mode().Perm())
			}
			out, err := outputs.Load(path)
			must(t, err)
			var recorded, created []string
			for _, o := range out.Objects {
				recorded = append(recorded, o.Kind+" "+o.ID)
			}
			for kind, ids := range newObjects(before, orgObjects(t, c)) {
				if kind == "membership" {
					continue
				}
				for _, id := range ids {
					created = append(created, kind+" "+id)
				}
			}
			sort.Strings(recorded)
			sort.Strings(created)
			if strings.Join(recorded, ",") != strings.Join(created, ",") {
				t.Errorf("objects in the output file:\n  %v\nobjects created in the org:\n  %v", recorded, created)
			}

			keys := byKey(t, c)
			for _, k := range tt.wantKeys {
				if keys[k] != 1 {
					t.Errorf("%d of %s in the org, want 1", keys[k], k)
				}
			}
			for _, k := range tt.absentKeys {
				if keys[k] != 0 {
					t.Errorf("%d of %s in the org, want none", keys[k], k)
				}
			}
			for name, want := range tt.wantValues {
				v, ok := out.Value(name)
				got := v.Value + "/" + v.Source
				if strings.HasPrefix(want, "/") { // the source only
					got = "/" + v.Source
				}
				if !ok || got != want {
					t.Errorf("value %s = %q, want %q", name, got, want)
				}
			}
			for _, login := range tt.signIn {
				pw := ""
				for _, p := range [][2]string{{"SILVER_USERNAME", "SILVER_PASSWORD"}, {"GOLD_USERNAME", "GOLD_PASSWORD"}} {
					if u, _ := out.Value(p[0]); u.Value == login {
						v, _ := out.Value(p[1])
						pw = v.Value
					}
				}
				if status := authnStatus(t, srv.URL, login, pw); status != "SUCCESS" {
					t.Errorf("signing in as %s with the recorded password: %s", login, status)
				}
			}
			for _, s := range tt.shown {
				if !strings.Contains(transcript, s) {
					t.Errorf("%q was not shown on the terminal", s)
				}
			}
			for _, s := range tt.screen {
				if !strings.Contains(term.Screen(), s) {
					t.Errorf("the screen does not show %q:\n%s", s, term.Screen())
				}
			}
			for _, s := range tt.neverShown {
				if strings.Contains(transcript, s) {
					t.Errorf("%q was shown on the terminal", s)
				}
			}

			// Secrets stay off the screen: the token, and the generated
			// passwords (shown masked).
			if strings.Contains(transcript, srv.Token) {
				t.Errorf("the API token was shown on the terminal")
			}
			for _, name := range []string{"SILVER_PASSWORD", "GOLD_PASSWORD"} {
				if v, ok := out.Value(name); ok && strings.Contains(transcript, v.Value) {
					t.Errorf("%s was shown on the terminal", name)
				}
			}
		})
	}
}

// authnStatus signs in at the org's primary authentication endpoint and
// returns the transaction status (SUCCESS) or the HTTP status.
func authnStatus(t *testing.T, orgURL, login, password string) string {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"username": login, "password": password})
	resp, err := http.Post(orgURL+"/api/v1/authn", "application/json", bytes.NewReader(body))
	if err != nil {
		t.Fatalf("POST /api/v1/authn: %v", err)
	}
	defer resp.Body.Close()
	var tx struct {
		Status string `json:"status"`
	}
	if resp.StatusCode != http.StatusOK || json.NewDecoder(resp.Body).Decode(&tx) != nil {
		return resp.Status
	}
	return tx.Status
}

// waitRecorded waits until the output file at path records the objects
// called names (input item names).
func waitRecorded(t *testing.T, path string, names []string) {
	t.Helper()
	if len(names) == 0 {
		return
	}
	deadline := time.Now().Add(ptytest.Timeout)
	for {
		missing := names
		if out, err := outputs.Load(path); err == nil {
			missing = nil
			for _, n := range names {
				if o := out.Object(n); o == nil || o.ID == "" {
					missing = append(missing, n)
				}
			}
		}
		if len(missing) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s does not record %v after %v", path, missing, ptytest.Timeout)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestBootstrapPolicyInteractivePty runs `bootstrap --mulesoft_policy` in a
// pseudo-terminal: the client Mulesoft registered has no default, so its id
// and secret are asked for directly (an empty id refused, the secret typed
// without echo), and they reach get-settings.
func TestBootstrapPolicyInteractivePty(t *testing.T) {
	srv := devorgtest.Start(t)
	requireManagementAPI(t, srv)
	dir := orgEnv(t, srv)
	if r := runCLI(t, "bootstrap", "--mulesoft", "--yes"); r.code != exitcode.OK {
		t.Fatalf("bootstrap --mulesoft: exit %d\n%s", r.code, r.errOut)
	}
	id, secret, err := mulesoft.RegisterClient(t.Context(), nil, srv.URL, srv.Token, appClient)
	must(t, err)

	term := ptytest.New(t)
	proc := term.Run(func(ios *iostreams.IOStreams) int {
		return Execute(context.Background(), []string{"bootstrap", "--mulesoft_policy"}, ios)
	})
	term.Expect("New value for AUTHN_CLIENT_ID")
	term.AnswerLine("")
	term.Expect("must not be empty")
	term.Expect("New value for AUTHN_CLIENT_ID")
	term.AnswerLine(id)
	term.Expect("New value for AUTHN_CLIENT_SECRET")
	term.AnswerLine(secret)
	term.Expect("GATEWAY_URI = ")
	term.Expect(prompter.ChooseQuestion)
	term.Answer("a")
	proc.ExpectExit(exitcode.OK)

	if strings.Contains(term.Transcript(), secret) {
		t.Errorf("the client secret typed at the prompt was shown on the terminal")
	}
	out, err := outputs.Load(filepath.Join(dir, "outputs", "mulesoft_policy.yaml"))
	must(t, err)
	for name, want := range map[string]string{"AUTHN_CLIENT_ID": id, "AUTHN_CLIENT_SECRET": secret, "GATEWAY_URI": "http://localhost:8081"} {
		if v, ok := out.Value(name); !ok || v.Value != want {
			t.Errorf("value %s = %q, want %q", name, v.Value, want)
		}
	}
	r := runCLI(t, "get-settings", "--mulesoft")
	if r.code != exitcode.OK {
		t.Fatalf("get-settings --mulesoft: exit %d\n%s", r.code, r.errOut)
	}
	settings := parseEnv(t, r.out)
	if settings["CLIENT_ID"] != id || settings["CLIENT_SECRET"] != secret {
		t.Errorf("get-settings gives CLIENT_ID %q and a CLIENT_SECRET of %d characters; want the typed ones", settings["CLIENT_ID"], len(settings["CLIENT_SECRET"]))
	}
}

// TestSignalAtAPrompt sends SIGTERM to a real bootstrap process while a
// prompt waits for a key: it stops at once with the interrupted exit code,
// keeps what was answered, and leaves the terminal as it found it (not in
// the prompt's raw mode).
func TestSignalAtAPrompt(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := binary(t)
	srv := devorgtest.Start(t)
	dir := orgEnv(t, srv)
	term := ptytest.New(t)
	cooked, err := unix.IoctlGetTermios(int(term.Tty().Fd()), unix.TCGETS)
	must(t, err)
	cmd := exec.Command(bin, "bootstrap", "--mulesoft")
	cmd.Dir = dir
	proc := term.Start(cmd)
	term.Expect("AUTH_SERVER_NAME = ")
	term.Expect(prompter.ChooseQuestion)
	term.Answer(ptytest.Enter)
	term.Expect("AUDIENCE = ")
	term.Expect(prompter.ChooseQuestion)
	term.WaitRaw()
	proc.Signal(syscall.SIGTERM)
	proc.ExpectExit(exitcode.Interrupted)
	term.Expect("interrupted: what was created is recorded in outputs/mulesoft.yaml")

	after, err := unix.IoctlGetTermios(int(term.Tty().Fd()), unix.TCGETS)
	must(t, err)
	if after.Lflag&(unix.ECHO|unix.ICANON) != cooked.Lflag&(unix.ECHO|unix.ICANON) {
		t.Errorf("the terminal was left with lflag %#x, it had %#x", after.Lflag, cooked.Lflag)
	}
	out, err := outputs.Load(filepath.Join(dir, "outputs", "mulesoft.yaml"))
	must(t, err)
	if v, ok := out.Value("AUTH_SERVER_NAME"); !ok || v.Value != "solar system API" {
		t.Errorf("the answered value was not kept: %+v", out.Values)
	}
}
