package devorg

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// FaultKinds are the faults FaultOptions.Kinds may name.
var FaultKinds = []string{"429", "500", "close", "close-after"}

//go:embed latency-recorded.json
var recordedLatencyJSON []byte

// ParseLatency reads the --latency knob: "" or "0" for none, a duration
// ("150ms") for a fixed delay, or "recorded" for the per-endpoint medians
// of real Okta (latency-recorded.json; an endpoint not in it gets the
// median of its method).
func ParseLatency(s string) (LatencyModel, error) {
	switch strings.TrimSpace(s) {
	case "", "0":
		return nil, nil
	case "recorded":
		return RecordedLatency()
	}
	d, err := time.ParseDuration(s)
	if err != nil || d < 0 {
		return nil, fmt.Errorf("latency %q: want a duration such as 200ms, or \"recorded\"", s)
	}
	return func(string, string) time.Duration { return d }, nil
}

// RecordedLatency is the latency model measured from real Okta answers.
func RecordedLatency() (LatencyModel, error) {
	var doc struct {
		Endpoints []struct {
			Method   string `json:"method"`
			Pattern  string `json:"pattern"`
			MedianMS int    `json:"median_ms"`
		} `json:"endpoints"`
	}
	if err := json.Unmarshal(recordedLatencyJSON, &doc); err != nil {
		return nil, fmt.Errorf("latency-recorded.json: %w", err)
	}
	byEndpoint := map[string]time.Duration{}
	perMethod := map[string][]int{}
	for _, e := range doc.Endpoints {
		byEndpoint[e.Method+" "+recordedPattern(e.Pattern)] = time.Duration(e.MedianMS) * time.Millisecond
		perMethod[e.Method] = append(perMethod[e.Method], e.MedianMS)
	}
	byMethod := map[string]time.Duration{}
	var all []int
	for m, v := range perMethod {
		byMethod[m] = time.Duration(median(v)) * time.Millisecond
		all = append(all, v...)
	}
	overall := time.Duration(median(all)) * time.Millisecond
	return func(method, pattern string) time.Duration {
		if d, ok := byEndpoint[method+" "+pattern]; ok {
			return d
		}
		if d, ok := byMethod[method]; ok {
			return d
		}
		return overall
	}, nil
}

// recordedPattern fixes the one pattern of latency-recorded.json whose key
// id was recorded literally.
func recordedPattern(p string) string {
	if i := strings.Index(p, "/credentials/keys/"); i >= 0 && !strings.HasSuffix(p, "{id}") {
		return p[:i] + "/credentials/keys/{id}"
	}
	return p
}

func median(v []int) int {
	if len(v) == 0 {
		return 0
	}
	s := append([]int(nil), v...)
	sort.Ints(s)
	if len(s)%2 == 1 {
		return s[len(s)/2]
	}
	return (s[len(s)/2-1] + s[len(s)/2]) / 2
}

// ParseFaults reads the --faults knob: "" for none, a fraction ("0.1": that
// share of requests gets one of the four faults), or comma-separated
// settings "rate=0.1,seed=7,kinds=429+500+close+close-after".
func ParseFaults(s string) (FaultOptions, error) {
	var f FaultOptions
	s = strings.TrimSpace(s)
	if s == "" {
		return f, nil
	}
	bad := func(why string) (FaultOptions, error) {
		return FaultOptions{}, fmt.Errorf("faults %q: %s (want 0.1 or rate=0.1,seed=7,kinds=429+500+close+close-after)", s, why)
	}
	if !strings.Contains(s, "=") {
		s = "rate=" + s
	}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		if !ok {
			return bad("missing = in " + part)
		}
		switch k {
		case "rate":
			r, err := strconv.ParseFloat(v, 64)
			if err != nil || r < 0 || r > 1 {
				return bad("rate must be a number from 0 to 1")
			}
			f.Rate = r
		case "seed":
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil {
				return bad("seed must be an integer")
			}
			f.Seed = n
		case "kinds":
			for _, kind := range strings.Split(v, "+") {
				if !slices.Contains(FaultKinds, kind) {
					return bad("unknown kind " + kind)
				}
				f.Kinds = append(f.Kinds, kind)
			}
		default:
			return bad("unknown setting " + k)
		}
	}
	return f, nil
}
