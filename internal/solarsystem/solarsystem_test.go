package solarsystem_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/apicenter/apicenter/internal/solarsystem"
)

// get calls the API over real HTTP and decodes the JSON answer into out.
func get(t *testing.T, srv *httptest.Server, method, path string, out any) *http.Response {
	t.Helper()
	req, err := http.NewRequest(method, srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set(solarsystem.SubjectHeader, "00usilver")
	resp, err := srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("%s %s: Content-Type = %q, want application/json", method, path, ct)
	}
	if out != nil && method != http.MethodHead {
		if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
			t.Fatalf("%s %s: decode: %v", method, path, err)
		}
	}
	return resp
}

func TestPlanets(t *testing.T) {
	srv := httptest.NewServer(solarsystem.Handler())
	defer srv.Close()
	var body solarsystem.Planets
	if resp := get(t, srv, http.MethodGet, "/planets", &body); resp.StatusCode != http.StatusOK {
		t.Fatalf("status = %d", resp.StatusCode)
	}
	if body.Count != 8 || len(body.Planets) != 8 {
		t.Fatalf("count = %d, %d planets; want 8", body.Count, len(body.Planets))
	}
	byName := map[string]solarsystem.Planet{}
	largest, heaviest, farthest := body.Planets[0], body.Planets[0], body.Planets[0]
	for i, p := range body.Planets {
		byName[p.Name] = p
		if p.MeanRadiusKm > largest.MeanRadiusKm {
			largest = p
		}
		if p.MassE24Kg > heaviest.MassE24Kg {
			heaviest = p
		}
		if p.SemiMajorAxisAU > farthest.SemiMajorAxisAU {
			farthest = p
		}
		if i > 0 && p.SemiMajorAxisAU <= body.Planets[i-1].SemiMajorAxisAU {
			t.Errorf("%s listed after %s but not farther from the Sun", p.Name, body.Planets[i-1].Name)
		}
	}
	if largest.Name != "Jupiter" || heaviest.Name != "Jupiter" || farthest.Name != "Neptune" {
		t.Errorf("largest %s, heaviest %s, farthest %s; want Jupiter, Jupiter, Neptune", largest.Name, heaviest.Name, farthest.Name)
	}
	tests := []struct {
		name       string
		typ        string
		radiusKm   float64 // within 1%
		periodDays float64 // within 1%
		moons      int
	}{
		{"Mercury", "terrestrial", 2440, 88, 0},
		{"Venus", "terrestrial", 6052, 224.7, 0},
		{"Earth", "terrestrial", 6371, 365.25, 1},
		{"Mars", "terrestrial", 3390, 687, 2},
		{"Jupiter", "gas giant", 69911, 4333, 95},
		{"Saturn", "gas giant", 58232, 10759, 274},
		{"Uranus", "ice giant", 25362, 30687, 28},
		{"Neptune", "ice giant", 24622, 60190, 16},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := byName[tt.name]
			if !ok {
				t.Fatalf("%s missing", tt.name)
			}
			if p.Type != tt.typ || p.Moons != tt.moons {
				t.Errorf("%s: type %q, %d moons; want %q, %d", tt.name, p.Type, p.Moons, tt.typ, tt.moons)
			}
			if !near(p.MeanRadiusKm, tt.radiusKm) || !near(p.OrbitalPeriodDays, tt.periodDays) {
				t.Errorf("%s: radius %v km, period %v d; want about %v, %v", tt.name, p.MeanRadiusKm, p.OrbitalPeriodDays, tt.radiusKm, tt.periodDays)
			}
		})
	}
	if e := byName["Earth"]; !near(e.MassE24Kg, 5.972) || e.SemiMajorAxisAU != 1 {
		t.Errorf("Earth: mass %v e24 kg, %v AU; want 5.972, 1", e.MassE24Kg, e.SemiMajorAxisAU)
	}
}

func TestMoons(t *testing.T) {
	srv := httptest.NewServer(solarsystem.Handler())
	defer srv.Close()
	var body solarsystem.Moons
	get(t, srv, http.MethodGet, "/moons", &body)
	if body.Count != 21 || len(body.Moons) != 21 {
		t.Fatalf("count = %d, %d moons; want the 21 major moons", body.Count, len(body.Moons))
	}
	byName := map[string]solarsystem.Moon{}
	for _, m := range body.Moons {
		byName[m.Name] = m
	}
	tests := []struct {
		name       string
		planet     string
		radiusKm   float64
		periodDays float64
		year       int
	}{
		{"Moon", "Earth", 1737.4, 27.32, 0},
		{"Phobos", "Mars", 11.1, 0.319, 1877},
		{"Deimos", "Mars", 6.2, 1.263, 1877},
		{"Io", "Jupiter", 1821.6, 1.769, 1610},
		{"Europa", "Jupiter", 1560.8, 3.551, 1610},
		{"Ganymede", "Jupiter", 2634.1, 7.155, 1610},
		{"Callisto", "Jupiter", 2410.3, 16.69, 1610},
		{"Titan", "Saturn", 2574.7, 15.95, 1655},
		{"Enceladus", "Saturn", 252.1, 1.370, 1789},
		{"Rhea", "Saturn", 763.8, 4.518, 1672},
		{"Iapetus", "Saturn", 734.5, 79.32, 1671},
		{"Dione", "Saturn", 561.4, 2.737, 1684},
		{"Tethys", "Saturn", 531.1, 1.888, 1684},
		{"Mimas", "Saturn", 198.2, 0.942, 1789},
		{"Titania", "Uranus", 788.4, 8.706, 1787},
		{"Oberon", "Uranus", 761.4, 13.46, 1787},
		{"Umbriel", "Uranus", 584.7, 4.144, 1851},
		{"Ariel", "Uranus", 578.9, 2.520, 1851},
		{"Miranda", "Uranus", 235.8, 1.413, 1948},
		{"Triton", "Neptune", 1353.4, 5.877, 1846},
		{"Charon", "Pluto", 606, 6.387, 1978},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, ok := byName[tt.name]
			if !ok {
				t.Fatalf("%s missing", tt.name)
			}
			if m.Planet != tt.planet || m.DiscoveredYear != tt.year || m.DiscoveredBy == "" {
				t.Errorf("%s: planet %q, discovered %d by %q; want %q, %d", tt.name, m.Planet, m.DiscoveredYear, m.DiscoveredBy, tt.planet, tt.year)
			}
			if !near(m.MeanRadiusKm, tt.radiusKm) || !near(m.OrbitalPeriodDays, tt.periodDays) {
				t.Errorf("%s: radius %v km, period %v d; want about %v, %v", tt.name, m.MeanRadiusKm, m.OrbitalPeriodDays, tt.radiusKm, tt.periodDays)
			}
		})
	}
	largest := body.Moons[0]
	for _, m := range body.Moons {
		if m.MeanRadiusKm > largest.MeanRadiusKm {
			largest = m
		}
	}
	if largest.Name != "Ganymede" {
		t.Errorf("largest moon = %s, want Ganymede", largest.Name)
	}
}

func TestMoonsOfOnePlanet(t *testing.T) {
	srv := httptest.NewServer(solarsystem.Handler())
	defer srv.Close()
	tests := []struct {
		planet string
		want   []string
	}{
		{"Jupiter", []string{"Io", "Europa", "Ganymede", "Callisto"}},
		{"mars", []string{"Phobos", "Deimos"}},
		{"NEPTUNE", []string{"Triton"}},
		{"Venus", []string{}},
		{"pluto", []string{"Charon"}},
	}
	for _, tt := range tests {
		t.Run(tt.planet, func(t *testing.T) {
			var body solarsystem.Moons
			if resp := get(t, srv, http.MethodGet, "/moons?planet="+tt.planet, &body); resp.StatusCode != http.StatusOK {
				t.Fatalf("status %d", resp.StatusCode)
			}
			var got []string
			for _, m := range body.Moons {
				got = append(got, m.Name)
			}
			if strings.Join(got, ",") != strings.Join(tt.want, ",") || body.Count != len(tt.want) || body.Moons == nil {
				t.Errorf("moons of %s = %v (count %d), want %v", tt.planet, got, body.Count, tt.want)
			}
		})
	}
}

// TestMoonsOfAnUnknownPlanet: a typo is a 404 naming the known planets,
// not an empty list that reads as "no moons".
func TestMoonsOfAnUnknownPlanet(t *testing.T) {
	srv := httptest.NewServer(solarsystem.Handler())
	defer srv.Close()
	var body solarsystem.Error
	resp := get(t, srv, http.MethodGet, "/moons?planet=Jupitr", &body)
	if resp.StatusCode != http.StatusNotFound || body.Error != "not_found" ||
		!strings.Contains(body.Message, `"Jupitr"`) || !strings.Contains(body.Message, "Jupiter") || !strings.Contains(body.Message, "Pluto") {
		t.Errorf("status %d, body %+v; want 404 naming Jupitr and the known planets", resp.StatusCode, body)
	}
}

func TestAsteroids(t *testing.T) {
	srv := httptest.NewServer(solarsystem.Handler())
	defer srv.Close()
	var body solarsystem.Asteroids
	get(t, srv, http.MethodGet, "/asteroids", &body)
	if body.Count != len(body.Asteroids) || body.Count < 4 {
		t.Fatalf("count = %d, %d asteroids", body.Count, len(body.Asteroids))
	}
	tests := []struct {
		name  string
		class string
		year  int
	}{
		{"Ceres", "dwarf planet", 1801},
		{"Vesta", "main belt", 1807},
		{"Pallas", "main belt", 1802},
		{"Hygiea", "main belt", 1849},
	}
	for i, tt := range tests {
		a := body.Asteroids[i]
		if a.Name != tt.name || a.Class != tt.class || a.DiscoveredYear != tt.year {
			t.Errorf("asteroid %d = %s (%s, %d), want %s (%s, %d)", i, a.Name, a.Class, a.DiscoveredYear, tt.name, tt.class, tt.year)
		}
	}
	if c := body.Asteroids[0]; c.Name != "Ceres" || !near(c.MeanRadiusKm, 470) || !near(c.SemiMajorAxisAU, 2.77) {
		t.Errorf("Ceres = %+v", c)
	}
}

func TestErrors(t *testing.T) {
	srv := httptest.NewServer(solarsystem.Handler())
	defer srv.Close()
	tests := []struct {
		method, path string
		status       int
		code         string
		allow        string
	}{
		{http.MethodGet, "/pluto", http.StatusNotFound, "not_found", ""},
		{http.MethodGet, "/planets/", http.StatusNotFound, "not_found", ""},
		{http.MethodPost, "/planets", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
		{http.MethodDelete, "/moons", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
		{http.MethodPut, "/asteroids", http.StatusMethodNotAllowed, "method_not_allowed", "GET, HEAD"},
		{http.MethodPost, "/nowhere", http.StatusNotFound, "not_found", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+tt.path, func(t *testing.T) {
			var body solarsystem.Error
			resp := get(t, srv, tt.method, tt.path, &body)
			if resp.StatusCode != tt.status || body.Error != tt.code || body.Message == "" {
				t.Errorf("%s %s = %d %+v, want %d %s", tt.method, tt.path, resp.StatusCode, body, tt.status, tt.code)
			}
			if got := resp.Header.Get("Allow"); got != tt.allow {
				t.Errorf("Allow = %q, want %q", got, tt.allow)
			}
		})
	}
}

func TestLogsTheGatewaySubject(t *testing.T) {
	var logs bytes.Buffer
	srv := httptest.NewServer(solarsystem.NewHandler(slog.New(slog.NewTextHandler(&logs, nil))))
	defer srv.Close()
	get(t, srv, http.MethodGet, "/planets", &solarsystem.Planets{})
	get(t, srv, http.MethodPost, "/moons", &solarsystem.Error{})
	for _, want := range []string{"path=/planets status=200 subject=00usilver", "method=POST path=/moons status=405 subject=00usilver"} {
		if !strings.Contains(logs.String(), want) {
			t.Errorf("log does not say %q:\n%s", want, logs.String())
		}
	}
}

func near(got, want float64) bool {
	d := got - want
	if d < 0 {
		d = -d
	}
	return d <= 0.01*want
}
