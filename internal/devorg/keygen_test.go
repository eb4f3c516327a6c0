package devorg

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// TestAuthServerKeyIsMadeOutsideTheLock holds the key generation of a new
// authorization server open, and checks that an unrelated request is
// answered meanwhile: the org does not generate keys under its lock.
func TestAuthServerKeyIsMadeOutsideTheLock(t *testing.T) {
	o, err := New(Options{APIToken: testAPIToken})
	if err != nil {
		t.Fatal(err)
	}
	started, release := make(chan struct{}), make(chan struct{})
	o.newKey = func(now time.Time) (*SigningKey, error) {
		close(started)
		<-release
		return newSigningKey(now)
	}
	srv := httptest.NewServer(o.Handler())
	defer srv.Close()
	do := func(method, path, body string) <-chan int {
		done := make(chan int, 1)
		go func() {
			req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
			req.Header.Set("Authorization", "SSWS "+testAPIToken)
			req.Header.Set("Content-Type", "application/json")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				done <- 0
				return
			}
			resp.Body.Close()
			done <- resp.StatusCode
		}()
		return done
	}
	created := do("POST", "/api/v1/authorizationServers", `{"name":"solar","audiences":["api://solar"]}`)
	<-started
	// The key is being made; a request for something else must not wait
	// for it. The guard only keeps a regression from hanging the suite.
	select {
	case code := <-do("GET", "/api/v1/groups", ""):
		if code != http.StatusOK {
			t.Fatalf("GET /api/v1/groups = %d", code)
		}
	case <-time.After(20 * time.Second):
		close(release)
		t.Fatal("GET /api/v1/groups waited for the authorization server's key generation")
	}
	close(release)
	if code := <-created; code != http.StatusCreated {
		t.Fatalf("create authorization server = %d", code)
	}
}
