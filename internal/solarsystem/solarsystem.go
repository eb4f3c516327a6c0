// Package solarsystem is the sample API that sits behind the gateway:
// GET /planets, GET /moons and GET /asteroids answer JSON with real figures
// about the solar system. It trusts the gateway: it checks no token, and
// logs the subject the gateway verified, from the SubjectHeader.
package solarsystem

import (
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
)

// SubjectHeader is the request header in which the gateway forwards the
// subject (the user or client) of the token it verified.
const SubjectHeader = "X-Apicenter-Subject"

// Planets is the body of GET /planets.
type Planets struct {
	Count   int      `json:"count"`
	Planets []Planet `json:"planets"`
}

// Moons is the body of GET /moons (?planet=NAME keeps the moons of one
// planet, any case; an unknown name is a 404).
type Moons struct {
	Count int    `json:"count"`
	Moons []Moon `json:"moons"`
}

// Asteroids is the body of GET /asteroids.
type Asteroids struct {
	Count     int        `json:"count"`
	Asteroids []Asteroid `json:"asteroids"`
}

// Index is the body of GET /: the API's endpoints.
type Index struct {
	Name      string   `json:"name"`
	Endpoints []string `json:"endpoints"`
}

// Error is the body of every error answer.
type Error struct {
	Error   string `json:"error"`
	Message string `json:"message"`
}

// Handler returns the API; it logs nothing.
func Handler() http.Handler { return NewHandler(nil) }

// NewHandler returns the API, logging each request (method, path, status
// and the gateway's verified subject) to log unless log is nil.
func NewHandler(log *slog.Logger) http.Handler {
	return &api{log: log}
}

type api struct {
	log *slog.Logger
}

func (a *api) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	status := a.serve(w, r)
	if a.log != nil {
		subject := r.Header.Get(SubjectHeader)
		if subject == "" {
			subject = "(none)"
		}
		a.log.Info("request", "method", r.Method, "path", r.URL.Path, "status", status, "subject", subject)
	}
}

func (a *api) serve(w http.ResponseWriter, r *http.Request) int {
	switch r.URL.Path {
	case "/", "/planets", "/moons", "/asteroids":
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			return writeJSON(w, http.StatusMethodNotAllowed, Error{"method_not_allowed", fmt.Sprintf("%s %s: only GET is allowed", r.Method, r.URL.Path)})
		}
	}
	var body any
	switch r.URL.Path {
	case "/":
		body = Index{Name: "solar-system", Endpoints: []string{"GET /planets", "GET /moons", "GET /moons?planet=NAME", "GET /asteroids"}}
	case "/planets":
		ps := planets()
		body = Planets{Count: len(ps), Planets: ps}
	case "/moons":
		ms := moons()
		if p := r.URL.Query().Get("planet"); p != "" {
			if known := bodiesWithMoons(); !knownBody(p, known) {
				return writeJSON(w, http.StatusNotFound, Error{"not_found",
					fmt.Sprintf("no planet %q here (try one of %s)", p, strings.Join(known, ", "))})
			}
			var kept []Moon
			for _, m := range ms {
				if strings.EqualFold(m.Planet, p) {
					kept = append(kept, m)
				}
			}
			ms = kept
		}
		if ms == nil {
			ms = []Moon{}
		}
		body = Moons{Count: len(ms), Moons: ms}
	case "/asteroids":
		as := asteroids()
		body = Asteroids{Count: len(as), Asteroids: as}
	default:
		return writeJSON(w, http.StatusNotFound, Error{"not_found", fmt.Sprintf("no such endpoint: %s (try GET /planets, /moons or /asteroids)", r.URL.Path)})
	}
	return writeJSON(w, http.StatusOK, body)
}

// bodiesWithMoons are the names ?planet= takes: the planets, and the dwarf
// planets whose moons the API lists.
func bodiesWithMoons() []string {
	var names []string
	seen := map[string]bool{}
	for _, p := range planets() {
		names, seen[p.Name] = append(names, p.Name), true
	}
	for _, m := range moons() {
		if !seen[m.Planet] {
			names, seen[m.Planet] = append(names, m.Planet), true
		}
	}
	return names
}

func knownBody(name string, known []string) bool {
	for _, k := range known {
		if strings.EqualFold(k, name) {
			return true
		}
	}
	return false
}

func writeJSON(w http.ResponseWriter, status int, body any) int {
	b, err := json.MarshalIndent(body, "", "  ")
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":"internal","message":"cannot encode the answer"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = w.Write(append(b, '\n'))
	return status
}
