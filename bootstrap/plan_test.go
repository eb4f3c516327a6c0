package bootstrap

import (
	"strings"
	"testing"
	"time"

	"github.com/apicenter/apicenter/inputs"
)

func TestPlanAndCriticalPath(t *testing.T) {
	unit := func(string, string) time.Duration { return time.Second }
	tests := []struct {
		input     string
		wantBound time.Duration
		wantChain []string // substrings of the chain, in order
		requests  map[string]string
		settle    map[string]string // the re-read beside what follows
	}{
		{
			// token check, then the server (lookup, create) and its
			// re-read, beside which its scopes are created: three requests
			// after the check
			input:     "mulesoft",
			wantBound: 4 * time.Second,
			wantChain: []string{"token check: GET /api/v1/users"},
			requests: map[string]string{
				"SILVER_GROUP":      "POST /api/v1/groups",
				"SILVER_USER":       "POST /api/v1/users",
				"INTROSPECT_CLIENT": "GET /api/v1/apps,POST /api/v1/apps",
			},
			settle: map[string]string{"INTROSPECT_CLIENT": "GET /api/v1/apps", "SILVER_USER": ""},
		},
		{
			// token check, policy (lookup, create), the two rules one after
			// the other without lookups (their policy is new), the last
			// one's re-read: the others' run beside what follows them
			input:     "mulesoft_policy",
			wantBound: 6 * time.Second,
			wantChain: []string{"token check", "POLICY: GET", "POLICY: POST", "SILVER_RULE: POST", "GOLD_RULE: POST", "GOLD_RULE: GET"},
			requests: map[string]string{
				"SILVER_RULE": "POST /api/v1/authorizationServers/{id}/policies/{id}/rules",
				"EVERYONE":    "GET /api/v1/groups",
			},
			settle: map[string]string{"SILVER_RULE": "GET /api/v1/authorizationServers/{id}/policies/{id}/rules", "POLICY": "GET /api/v1/authorizationServers/{id}/policies", "EVERYONE": ""},
		},
	}
	for _, tt := range tests {
		t.Run(tt.input, func(t *testing.T) {
			f, err := inputs.LoadEmbedded(tt.input)
			if err != nil {
				t.Fatal(err)
			}
			steps := Plan(f)
			if steps[0].Name != TokenCheck {
				t.Fatalf("first step %q", steps[0].Name)
			}
			byName := map[string]Step{}
			for _, s := range steps {
				byName[s.Name] = s
			}
			for name, want := range tt.requests {
				if got := strings.Join(byName[name].Requests, ","); got != want {
					t.Errorf("%s requests %q, want %q", name, got, want)
				}
			}
			for name, want := range tt.settle {
				if got := strings.Join(byName[name].Settle, ","); got != want {
					t.Errorf("%s settles with %q, want %q", name, got, want)
				}
			}
			bound, chain := CriticalPath(steps, unit)
			if bound != tt.wantBound {
				t.Errorf("bound %v, want %v\n%s", bound, tt.wantBound, strings.Join(chain, "\n"))
			}
			joined := strings.Join(chain, "\n")
			at := 0
			for _, w := range tt.wantChain {
				i := strings.Index(joined[at:], w)
				if i < 0 {
					t.Fatalf("chain lacks %q after position %d:\n%s", w, at, joined)
				}
				at += i + len(w)
			}
		})
	}
}
