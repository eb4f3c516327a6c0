package devorg

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"
)

func TestParseFaults(t *testing.T) {
	tests := []struct {
		in      string
		want    FaultOptions
		wantErr string
	}{
		{"", FaultOptions{}, ""},
		{"0.1", FaultOptions{Rate: 0.1}, ""},
		{"rate=0.25,seed=7,kinds=429+close-after", FaultOptions{Rate: 0.25, Seed: 7, Kinds: []string{"429", "close-after"}}, ""},
		{"1.5", FaultOptions{}, "rate must be a number from 0 to 1"},
		{"rate=0.1,kinds=teapot", FaultOptions{}, "unknown kind teapot"},
		{"rate=0.1,color=red", FaultOptions{}, "unknown setting color"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseFaults(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || fmt.Sprint(got) != fmt.Sprint(tt.want) {
				t.Fatalf("got %+v, %v; want %+v", got, err, tt.want)
			}
		})
	}
}

func TestParseLatency(t *testing.T) {
	tests := []struct {
		in           string
		method, path string
		want         time.Duration
		wantNil      bool
		wantErr      bool
	}{
		{in: "", wantNil: true},
		{in: "150ms", method: "GET", path: "/api/v1/groups", want: 150 * time.Millisecond},
		{in: "recorded", method: "POST", path: "/api/v1/groups", want: 241 * time.Millisecond},
		{in: "recorded", method: "POST", path: "/api/v1/apps", want: 1724 * time.Millisecond},
		{in: "soon", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in+" "+tt.path, func(t *testing.T) {
			m, err := ParseLatency(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v", err)
			}
			if tt.wantErr {
				return
			}
			if (m == nil) != tt.wantNil {
				t.Fatalf("model nil = %v", m == nil)
			}
			if m != nil && m(tt.method, tt.path) != tt.want {
				t.Fatalf("latency = %v, want %v", m(tt.method, tt.path), tt.want)
			}
		})
	}
}

// TestRecordedLatencyCoversOurRoutes checks that the mux patterns of the
// org map onto the endpoint patterns of latency-recorded.json, so that
// --latency recorded delays each endpoint by its own recorded median.
func TestRecordedLatencyCoversOurRoutes(t *testing.T) {
	var doc struct {
		Endpoints []struct {
			Method, Pattern string
		} `json:"endpoints"`
	}
	if err := json.Unmarshal(recordedLatencyJSON, &doc); err != nil {
		t.Fatal(err)
	}
	o, err := New(Options{APIToken: "t"})
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	o.managementRoutes(mux)
	served := 0
	for _, e := range doc.Endpoints {
		path := strings.ReplaceAll(e.Pattern, "{id}", "x1")
		r, _ := http.NewRequest(e.Method, "http://org"+path, nil)
		_, pattern := mux.Handler(r)
		if pattern == "" {
			continue // an endpoint the local org does not serve
		}
		served++
		if got := endpointPattern(pattern); got != recordedPattern(e.Pattern) {
			t.Errorf("%s %s is served by %q, whose endpoint pattern %q is not the recorded one", e.Method, e.Pattern, pattern, got)
		}
	}
	if served < 40 {
		t.Fatalf("only %d recorded endpoints are served", served)
	}
}
