package flow

import (
	"strings"
	"testing"

	"github.com/apicenter/apicenter/bootstrap"
	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
)

// TestDemoSectionsResolve: every gateway's demo names settings sets that
// exist, of the right kind (the loader cannot check those of other steps'
// inputs).
func TestDemoSectionsResolve(t *testing.T) {
	gws := Gateways()
	if !strings.Contains(" "+strings.Join(gws, " ")+" ", " mulesoft ") {
		t.Fatalf("Gateways() = %v, want mulesoft among them", gws)
	}
	sets := map[string]bool{}
	for _, s := range bootstrap.SettingsSets() {
		sets[s.Name] = true
	}
	for _, g := range gws {
		fl, err := New(g)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range append([]string{fl.Input.Demo.App}, fl.Input.Demo.Gateway.Config...) {
			if !sets[name] {
				t.Errorf("%s: demo names the settings set %q, which no input has", g, name)
			}
		}
		if set, _ := fl.settingsSet(fl.Input.Demo.App); set == nil || len(set.Keys) == 0 {
			t.Errorf("%s: demo.app %q is not a key set of the flow's inputs", g, fl.Input.Demo.App)
		}
		for _, st := range fl.Steps {
			if st.Bootstrap != "" {
				if _, err := inputs.LoadEmbedded(st.Bootstrap); err != nil {
					t.Errorf("%s: %s: %v", g, st.Pos, err)
				}
			}
		}
	}
	if _, err := New("nosuch"); err == nil {
		t.Error("New(nosuch): no error")
	}
}

// TestMulesoftFlowRunsTwice: the Mulesoft flow's three steps run against
// the local org, the web app's settings name the client the flow
// registered, and a second run registers nothing and creates nothing.
func TestMulesoftFlowRunsTwice(t *testing.T) {
	t.Setenv("HOME", t.TempDir())
	srv := devorgtest.Start(t)
	fl, err := New("mulesoft")
	if err != nil {
		t.Fatal(err)
	}
	o := Options{OrgURL: srv.URL, Token: srv.Token, OutputDir: t.TempDir(),
		Values: map[string]string{"REDIRECT_URI": "http://127.0.0.1:9999/authorization-code/callback", "GATEWAY_URI": "http://127.0.0.1:9998"}}
	var names []string
	var progress string
	observe := func(r StepResult) {
		name := r.Name
		if r.Skipped {
			name += " (skipped)"
		}
		names = append(names, name)
		progress += r.Progress
	}
	if err := fl.Run(t.Context(), o, observe); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names, ", "); got != "bootstrap --mulesoft, client registration, bootstrap --mulesoft_policy" {
		t.Errorf("steps: %s", got)
	}
	app, err := fl.App(o)
	if err != nil {
		t.Fatal(err)
	}
	if app["CLIENT_ID"] == "" || app["CLIENT_ID"] != fl.registered["AUTHN_CLIENT_ID"] || app["GATEWAY_URI"] != "http://127.0.0.1:9998" || app["REDIRECT_URI"] != o.Values["REDIRECT_URI"] {
		t.Errorf("app settings: %v", app)
	}
	names, progress = nil, ""
	if err := fl.Run(t.Context(), o, observe); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(names, ", "); got != "bootstrap --mulesoft, client registration (skipped), bootstrap --mulesoft_policy" {
		t.Errorf("second run's steps: %s", got)
	}
	if !strings.Contains(progress, "0 created, 8 found") || !strings.Contains(progress, "0 created, 6 found") {
		t.Errorf("second run created something:\n%s", progress)
	}
}

// TestNewBootstrap: an input without a demo section has no flow of its
// own, but a flow of its one bootstrap, which the benchmark runs.
func TestNewBootstrap(t *testing.T) {
	if _, err := New("apache"); err == nil {
		t.Fatal("New(apache) = nil error: apache has no demo section")
	}
	f, err := NewBootstrap("apache")
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Steps) != 1 || f.Steps[0].Bootstrap != "apache" || f.Input.Name != "apache" {
		t.Errorf("NewBootstrap(apache) = %+v, want one bootstrap of apache", f.Steps)
	}
	if _, err := NewBootstrap("nosuch"); err == nil {
		t.Error("NewBootstrap(nosuch) = nil error")
	}
}
