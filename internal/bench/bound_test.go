package bench

import (
	"strings"
	"testing"
	"time"

	"github.com/apicenter/apicenter/inputs"
	"github.com/apicenter/apicenter/internal/devorg"
)

// TestBounds checks the bounds of the embedded inputs against the chains
// worked out by hand from latency-recorded.json.
func TestBounds(t *testing.T) {
	lat, err := devorg.RecordedLatency()
	if err != nil {
		t.Fatal(err)
	}
	ms := time.Millisecond
	tests := []struct {
		input    string
		bound    func(*inputs.File, devorg.LatencyModel) Chain
		want     time.Duration
		lastLine string
		reads    int
	}{
		// token check, app lookup, create, and the re-read that settles a
		// race with a concurrent run (bootstrap's race)
		{"mulesoft", FreshBound, (158 + 1152 + 1724 + 1152) * ms, "INTROSPECT_CLIENT: GET /api/v1/apps", 6},
		// token check, policy lookup and create, two rules one after
		// another, the last read again (each re-read runs beside what
		// follows its object)
		{"mulesoft_policy", FreshBound, (158 + 1156 + 2096 + 1341 + 1341 + 1156) * ms, "GOLD_RULE: GET", 6},
		// token check, then the slowest read
		{"mulesoft", RerunBound, (158 + 1171) * ms, "AUTH_SERVER: GET /api/v1/authorizationServers/{id} ", 6},
		{"mulesoft_policy", RerunBound, (158 + 1221) * ms, "POLICY: GET /api/v1/authorizationServers/{id}/policies/{id} ", 6},
	}
	for _, tt := range tests {
		f, err := inputs.LoadEmbedded(tt.input)
		if err != nil {
			t.Fatal(err)
		}
		c := tt.bound(f, lat)
		if c.Total != tt.want {
			t.Errorf("%s: bound %v, want %v\n%s", tt.input, c.Total, tt.want, c)
		}
		if last := c.Lines[len(c.Lines)-1]; !strings.HasPrefix(last, tt.lastLine) {
			t.Errorf("%s: chain ends with %q, want %q", tt.input, last, tt.lastLine)
		}
		if n := RerunReads(f); n != tt.reads {
			t.Errorf("%s: %d reads allowed on a re-run, want %d", tt.input, n, tt.reads)
		}
	}
}
