package devorg_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/okta/okta-sdk-golang/v2/okta"
)

// BenchmarkCreateGroup measures the local org answering POST
// /api/v1/groups through the real okta SDK, and prints requests/second so
// later work can see the org is never the bottleneck.
func BenchmarkCreateGroup(b *testing.B) {
	_, c := startOrg(b)
	ctx := context.Background()
	start := time.Now()
	i := 0
	for b.Loop() {
		if _, _, err := c.Group.CreateGroup(ctx, okta.Group{Profile: &okta.GroupProfile{Name: fmt.Sprintf("bench-%d", i)}}); err != nil {
			b.Fatal(err)
		}
		i++
	}
	b.ReportMetric(float64(i)/time.Since(start).Seconds(), "requests/s")
}

// BenchmarkListUsersPaged measures a paged list (200 users, 50 a page).
func BenchmarkListUsersPaged(b *testing.B) {
	_, c := startOrg(b)
	ctx := context.Background()
	for i := range 200 {
		p := okta.UserProfile{"firstName": "B", "lastName": "U", "email": fmt.Sprintf("u%d@example.com", i), "login": fmt.Sprintf("u%d@example.com", i)}
		if _, _, err := c.User.CreateUser(ctx, okta.CreateUserRequest{Profile: &p}, nil); err != nil {
			b.Fatal(err)
		}
	}
	start := time.Now()
	requests := 0
	for b.Loop() {
		req, err := c.CloneRequestExecutor().NewRequest("GET", "/api/v1/users?limit=50", nil)
		if err != nil {
			b.Fatal(err)
		}
		var users []*okta.User
		resp, err := c.CloneRequestExecutor().Do(ctx, req, &users)
		requests++
		for err == nil && resp.HasNextPage() {
			var next []*okta.User
			resp, err = resp.Next(ctx, &next)
			requests++
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(requests)/time.Since(start).Seconds(), "requests/s")
}
