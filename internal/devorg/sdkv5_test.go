package devorg_test

import (
	"context"
	"net/http"
	"net/url"
	"testing"
	"time"

	oktav5 "github.com/okta/okta-sdk-golang/v5/okta"

	"github.com/apicenter/apicenter/internal/devorg/devorgtest"
)

// TestSDKv5HostRecipe proves the README's recipe for okta-sdk-golang v5,
// which keeps only the host name of the org URL (so every call would go
// to port 80 or 443): set the configuration's Host to host:port after
// NewConfiguration. Then v5 lists, creates and reads through the local org.
func TestSDKv5HostRecipe(t *testing.T) {
	srv := devorgtest.Start(t)
	t.Setenv("HOME", t.TempDir()) // v5 reads ~/.okta/okta.yaml too
	cfg, err := oktav5.NewConfiguration(
		oktav5.WithOrgUrl(srv.URL),
		oktav5.WithToken(srv.Token),
		oktav5.WithCache(false),
		oktav5.WithTestingDisableHttpsCheck(true),
		oktav5.WithHttpClientPtr(&http.Client{Timeout: 20 * time.Second}),
		oktav5.WithRequestTimeout(20),
		oktav5.WithRateLimitMaxRetries(2),
		oktav5.WithRateLimitMaxBackOff(5),
	)
	if err != nil {
		t.Fatal(err)
	}
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Host == u.Host {
		t.Fatalf("v5 kept the port (%s): the recipe is no longer needed, update the README", cfg.Host)
	}
	cfg.Host = u.Host // the recipe
	c := oktav5.NewAPIClient(cfg)
	ctx := context.Background()

	groups, _, err := c.GroupAPI.ListGroups(ctx).Execute()
	if err != nil {
		t.Fatalf("ListGroups: %v", err)
	}
	everyone := false
	for _, g := range groups {
		if g.Profile != nil && g.Profile.Name != nil && *g.Profile.Name == "Everyone" {
			everyone = true
		}
	}
	if !everyone {
		t.Fatalf("groups = %+v, want Everyone", groups)
	}
	name := "v5-gold"
	created, _, err := c.GroupAPI.CreateGroup(ctx).Group(oktav5.Group{Profile: &oktav5.GroupProfile{Name: &name}}).Execute()
	if err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	got, _, err := c.GroupAPI.GetGroup(ctx, created.GetId()).Execute()
	if err != nil || got.GetId() != created.GetId() {
		t.Fatalf("GetGroup = %+v, %v", got, err)
	}
	me, _, err := c.UserAPI.GetUser(ctx, "me").Execute()
	if err != nil || me.GetStatus() != "ACTIVE" {
		t.Fatalf("GetUser(me) = %+v, %v", me, err)
	}
}
