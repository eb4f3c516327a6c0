package devorg_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"github.com/okta/okta-sdk-golang/v2/okta/query"
)

func newUser(login, password string) okta.CreateUserRequest {
	p := okta.UserProfile{"firstName": "Test", "lastName": "User", "email": login, "login": login}
	req := okta.CreateUserRequest{Profile: &p}
	if password != "" {
		req.Credentials = &okta.UserCredentials{Password: &okta.PasswordCredential{Value: password}}
	}
	return req
}

func TestUserCreateStatuses(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	tests := []struct {
		name     string
		password string
		qp       *query.Params
		want     string
	}{
		{"password and activate", "Xyzzy-Plugh-42", nil, "ACTIVE"},
		{"no password", "", nil, "PROVISIONED"},
		{"activate=false", "Xyzzy-Plugh-42", query.NewQueryParams(query.WithActivate(false)), "STAGED"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u := must[*okta.User](t)(c.User.CreateUser(ctx, newUser(fmt.Sprintf("status%d@example.com", i), tt.password), tt.qp))
			if u.Status != tt.want || u.Id[:3] != "00u" {
				t.Fatalf("status = %s, id %s; want %s", u.Status, u.Id, tt.want)
			}
		})
	}
}

func TestUserValidation(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	must[*okta.User](t)(c.User.CreateUser(ctx, newUser("taken@example.com", "Xyzzy-Plugh-42"), nil))
	tests := []struct {
		name, login, password, field, cause string
	}{
		{"login taken, other case", "TAKEN@example.com", "Xyzzy-Plugh-42", "login", "login: An object with this field already exists in the current organization"},
		{"short password", "p1@example.com", "Ab1", "password", "password: Password requirements"},
		{"no upper case", "p2@example.com", "xyzzy-plugh-42", "password", "password: Password requirements"},
		{"no digit", "p3@example.com", "Xyzzy-Plugh", "password", "password: Password requirements"},
		{"no lower case", "p4@example.com", "XYZZY-PLUGH-42", "password", "password: Password requirements"},
		{"part of username", "plughman@example.com", "Xyzzy-Plughman-42", "password", "password: Password requirements"},
		{"login not an email", "justaname", "Xyzzy-Plugh-42", "login", "login: Username must be in the form of an email address"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.User.CreateUser(ctx, newUser(tt.login, tt.password), nil)
			wantOktaErr(t, err, "E0000001", tt.cause)
		})
	}
}

func TestUserLookupsAndLifecycle(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	ann := must[*okta.User](t)(c.User.CreateUser(ctx, newUser("ann@example.com", "Xyzzy-Plugh-42"), nil))
	must[*okta.User](t)(c.User.CreateUser(ctx, newUser("bob@example.com", "Xyzzy-Plugh-42"), nil))

	byLogin := must[*okta.User](t)(c.User.GetUser(ctx, "ANN@example.com"))
	if byLogin.Id != ann.Id {
		t.Fatalf("get by login = %s, want %s", byLogin.Id, ann.Id)
	}
	tests := []struct {
		name string
		qp   *query.Params
		want int
	}{
		{"search login eq", query.NewQueryParams(query.WithSearch(`profile.login eq "ann@example.com"`)), 1},
		{"search login eq is exact", query.NewQueryParams(query.WithSearch(`profile.login eq "ann@example"`)), 0},
		{"search login sw", query.NewQueryParams(query.WithSearch(`profile.login sw "b"`)), 1},
		{"search login sw the domain", query.NewQueryParams(query.WithSearch(`profile.login sw "example"`)), 0},
		{"search and", query.NewQueryParams(query.WithSearch(`profile.lastName eq "User" and profile.firstName eq "Test"`)), 2},
		{"filter status", query.NewQueryParams(query.WithFilter(`status eq "ACTIVE"`)), 3}, // with the admin
		{"q starts-with", query.NewQueryParams(query.WithQ("bo")), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			us := must[[]*okta.User](t)(c.User.ListUsers(ctx, tt.qp))
			if len(us) != tt.want {
				t.Fatalf("got %d users, want %d", len(us), tt.want)
			}
		})
	}

	mustDo(t)(c.User.DeactivateUser(ctx, ann.Id, nil))
	if u := must[*okta.User](t)(c.User.GetUser(ctx, ann.Id)); u.Status != "DEPROVISIONED" {
		t.Fatalf("after deactivate: %s", u.Status)
	}
	if l := must[[]*okta.User](t)(c.User.ListUsers(ctx, nil)); len(l) != 2 {
		t.Fatalf("a plain list shows %d users, want 2 (no deprovisioned ones)", len(l))
	}
	if l := must[[]*okta.User](t)(c.User.ListUsers(ctx, query.NewQueryParams(query.WithFilter(`status eq "DEPROVISIONED"`)))); len(l) != 1 || l[0].Id != ann.Id {
		t.Fatalf("filter DEPROVISIONED = %v", l)
	}
	must[*okta.UserActivationToken](t)(c.User.ActivateUser(ctx, ann.Id, query.NewQueryParams(query.WithSendEmail(false))))
	if u := must[*okta.User](t)(c.User.GetUser(ctx, ann.Id)); u.Status != "ACTIVE" {
		t.Fatalf("after activate: %s", u.Status)
	}
	_, _, err := c.User.ActivateUser(ctx, ann.Id, nil)
	wantOktaErr(t, err, "E0000016", "")

	// DELETE on an active user deactivates it; the second deletes it.
	mustDo(t)(c.User.DeactivateOrDeleteUser(ctx, ann.Id, nil))
	if u := must[*okta.User](t)(c.User.GetUser(ctx, ann.Id)); u.Status != "DEPROVISIONED" {
		t.Fatalf("after first delete: %s", u.Status)
	}
	mustDo(t)(c.User.DeactivateOrDeleteUser(ctx, ann.Id, nil))
	_, _, err = c.User.GetUser(ctx, ann.Id)
	wantOktaErr(t, err, "E0000007", "")
}

func TestUserUpdate(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	u := must[*okta.User](t)(c.User.CreateUser(ctx, newUser("upd@example.com", ""), nil))
	p := *u.Profile
	p["firstName"] = "Changed"
	got := must[*okta.User](t)(c.User.UpdateUser(ctx, u.Id, okta.User{Profile: &p,
		Credentials: &okta.UserCredentials{Password: &okta.PasswordCredential{Value: "Xyzzy-Plugh-42"}}}, nil))
	if (*got.Profile)["firstName"] != "Changed" || got.Status != "ACTIVE" {
		t.Fatalf("after update: %v %s", *got.Profile, got.Status)
	}
	partial := okta.UserProfile{"lastName": "Partial"}
	got = must[*okta.User](t)(c.User.PartialUpdateUser(ctx, u.Id, okta.User{Profile: &partial}, nil))
	if (*got.Profile)["firstName"] != "Changed" || (*got.Profile)["lastName"] != "Partial" {
		t.Fatalf("after partial update: %v", *got.Profile)
	}
}

func TestUsersMeAndTokenCheck(t *testing.T) {
	srv, c := startOrg(t)
	ctx := context.Background()
	me := must[*okta.User](t)(c.User.GetUser(ctx, "me"))
	if me.Status != "ACTIVE" || (*me.Profile)["login"] == "" {
		t.Fatalf("me = %+v", me)
	}
	req, err := c.CloneRequestExecutor().NewRequest("GET", "/api/v1/meta/schemas/user/default", nil)
	if err != nil {
		t.Fatal(err)
	}
	var schema map[string]any
	mustDo(t)(c.CloneRequestExecutor().Do(ctx, req, &schema))
	if schema["name"] != "user" {
		t.Fatalf("schema = %v", schema)
	}

	bad := newSDK(t, srv.URL, "wrong-token")
	_, _, err = bad.User.GetUser(ctx, "me")
	wantOktaErr(t, err, "E0000011", "")
	_, _, err = bad.Group.ListGroups(ctx, nil)
	wantOktaErr(t, err, "E0000011", "")
}

func TestUserCreateWithGroupIDs(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	g := must[*okta.Group](t)(c.Group.CreateGroup(ctx, newGroup("gold")))
	req := newUser("gold@example.com", "Xyzzy-Plugh-42")
	req.GroupIds = []string{g.Id}
	u := must[*okta.User](t)(c.User.CreateUser(ctx, req, nil))
	if m := must[[]*okta.User](t)(c.Group.ListGroupUsers(ctx, g.Id, nil)); len(m) != 1 || m[0].Id != u.Id {
		t.Fatalf("members of gold = %v", m)
	}
	bad := newUser("nogroup@example.com", "Xyzzy-Plugh-42")
	bad.GroupIds = []string{"00gnosuchgroup000000"}
	_, _, err := c.User.CreateUser(ctx, bad, nil)
	wantOktaErr(t, err, "E0000001", "groupIds")
	if _, _, err := c.User.GetUser(ctx, "nogroup@example.com"); err == nil {
		t.Fatal("a failed create left a user behind")
	}
}

func TestChangePassword(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	u := must[*okta.User](t)(c.User.CreateUser(ctx, newUser("pw@example.com", "Xyzzy-Plugh-42"), nil))
	change := func(old, new string) error {
		_, _, err := c.User.ChangePassword(ctx, u.Id, okta.ChangePasswordRequest{
			OldPassword: &okta.PasswordCredential{Value: old}, NewPassword: &okta.PasswordCredential{Value: new}}, nil)
		return err
	}
	wantOktaErr(t, change("wrong", "Other-Secret-43"), "E0000014", "")
	wantOktaErr(t, change("Xyzzy-Plugh-42", "weak"), "E0000001", "password")
	if err := change("Xyzzy-Plugh-42", "Other-Secret-43"); err != nil {
		t.Fatal(err)
	}
	wantOktaErr(t, change("Xyzzy-Plugh-42", "Third-Secret-44"), "E0000014", "")
}
