package devorg_test

import (
	"context"
	"fmt"
	"net/http"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"
)

func newGroup(name string) okta.Group {
	return okta.Group{Profile: &okta.GroupProfile{Name: name, Description: "d " + name}}
}

func TestGroupsCRUDThroughSDK(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()

	g := must[*okta.Group](t)(c.Group.CreateGroup(ctx, newGroup("gold")))
	if len(g.Id) != 20 || g.Id[:3] != "00g" || g.Type != "OKTA_GROUP" || g.Profile.Name != "gold" {
		t.Fatalf("created group = %+v", g)
	}
	_, _, err := c.Group.CreateGroup(ctx, newGroup("GOLD"))
	wantOktaErr(t, err, "E0000001", "name: An object with this field already exists")

	got := must[*okta.Group](t)(c.Group.GetGroup(ctx, g.Id))
	if got.Profile.Description != "d gold" || got.Created == nil {
		t.Fatalf("get = %+v", got)
	}
	upd := must[*okta.Group](t)(c.Group.UpdateGroup(ctx, g.Id, newGroup("gold-2")))
	if upd.Profile.Name != "gold-2" {
		t.Fatalf("update = %+v", upd.Profile)
	}

	everyone := must[[]*okta.Group](t)(c.Group.ListGroups(ctx, query.NewQueryParams(query.WithQ("Everyone"))))
	if len(everyone) != 1 || everyone[0].Type != "BUILT_IN" {
		t.Fatalf("Everyone = %+v", everyone)
	}
	_, err = c.Group.DeleteGroup(ctx, everyone[0].Id)
	wantOktaErr(t, err, "E0000006", "")

	mustDo(t)(c.Group.DeleteGroup(ctx, g.Id))
	_, _, err = c.Group.GetGroup(ctx, g.Id)
	wantOktaErr(t, err, "E0000007", "")
}

func TestGroupLookups(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	for _, n := range []string{"silver", "silverware", "Gold", "bronze"} {
		must[*okta.Group](t)(c.Group.CreateGroup(ctx, newGroup(n)))
	}
	tests := []struct {
		name string
		qp   *query.Params
		want []string
	}{
		{"q starts-with ignores case", query.NewQueryParams(query.WithQ("SILVER")), []string{"silver", "silverware"}},
		{"search eq is exact", query.NewQueryParams(query.WithSearch(`profile.name eq "silver"`)), []string{"silver"}},
		{"search sw", query.NewQueryParams(query.WithSearch(`profile.name sw "silv"`)), []string{"silver", "silverware"}},
		{"search or", query.NewQueryParams(query.WithSearch(`profile.name eq "Gold" or profile.name eq "bronze"`)), []string{"Gold", "bronze"}},
		{"filter type", query.NewQueryParams(query.WithFilter(`type eq "BUILT_IN"`)), []string{"Everyone"}},
		{"q no match", query.NewQueryParams(query.WithQ("zzz")), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gs := must[[]*okta.Group](t)(c.Group.ListGroups(ctx, tt.qp))
			var names []string
			for _, g := range gs {
				names = append(names, g.Profile.Name)
			}
			if fmt.Sprint(names) != fmt.Sprint(tt.want) {
				t.Fatalf("names = %v, want %v", names, tt.want)
			}
		})
	}
	_, _, err := c.Group.ListGroups(ctx, query.NewQueryParams(query.WithSearch(`profile.name eq`)))
	wantOktaErr(t, err, "E0000031", "")
}

func TestGroupPagingThroughSDK(t *testing.T) {
	srv, c := startOrg(t)
	ctx := context.Background()
	const n = 7
	for i := range n {
		must[*okta.Group](t)(c.Group.CreateGroup(ctx, newGroup(fmt.Sprintf("page-%02d", i))))
	}
	groups, resp, err := c.Group.ListGroups(ctx, query.NewQueryParams(query.WithQ("page-"), query.WithLimit(3)))
	if err != nil {
		t.Fatal(err)
	}
	if links := resp.Header.Values("Link"); len(links) != 2 {
		t.Fatalf("Link headers = %q, want one self and one next", links)
	}
	pages := 1
	for resp.HasNextPage() {
		var next []*okta.Group
		resp, err = resp.Next(ctx, &next)
		if err != nil {
			t.Fatal(err)
		}
		groups = append(groups, next...)
		pages++
		if pages > n {
			t.Fatal("paging does not end")
		}
	}
	if len(groups) != n || pages != 3 {
		t.Fatalf("got %d groups in %d pages, want %d in 3", len(groups), pages, n)
	}
	for i, g := range groups {
		if want := fmt.Sprintf("page-%02d", i); g.Profile.Name != want {
			t.Fatalf("groups[%d] = %s, want %s", i, g.Profile.Name, want)
		}
	}

	// The q lookup answers 10 at most without a limit, as Okta does.
	for i := range 12 {
		must[*okta.Group](t)(c.Group.CreateGroup(ctx, newGroup(fmt.Sprintf("many-%02d", i))))
	}
	res, err := http.NewRequest("GET", srv.URL+"/api/v1/groups?q=many-", nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Header.Set("Authorization", "SSWS "+srv.Token)
	hr, err := http.DefaultClient.Do(res)
	if err != nil {
		t.Fatal(err)
	}
	hr.Body.Close()
	if len(hr.Header.Values("Link")) != 2 {
		t.Fatalf("q without limit: Link = %q, want a next link after 10", hr.Header.Values("Link"))
	}
}

func TestGroupMembership(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	g := must[*okta.Group](t)(c.Group.CreateGroup(ctx, newGroup("members")))
	u := must[*okta.User](t)(c.User.CreateUser(ctx, newUser("ann@example.com", "Xyzzy-Plugh-42"), nil))

	mustDo(t)(c.Group.AddUserToGroup(ctx, g.Id, u.Id))
	members := must[[]*okta.User](t)(c.Group.ListGroupUsers(ctx, g.Id, nil))
	if len(members) != 1 || members[0].Id != u.Id {
		t.Fatalf("members = %v", members)
	}
	ugs := must[[]*okta.Group](t)(c.User.ListUserGroups(ctx, u.Id))
	if len(ugs) != 2 || ugs[0].Profile.Name != "Everyone" || ugs[1].Id != g.Id {
		t.Fatalf("user's groups = %v", ugs)
	}
	mustDo(t)(c.Group.RemoveUserFromGroup(ctx, g.Id, u.Id))
	members = must[[]*okta.User](t)(c.Group.ListGroupUsers(ctx, g.Id, nil))
	if len(members) != 0 {
		t.Fatalf("members after remove = %v", members)
	}
	_, err := c.Group.AddUserToGroup(ctx, g.Id, "00unosuchuser0000000")
	wantOktaErr(t, err, "E0000007", "")
}
