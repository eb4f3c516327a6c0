package devorg_test

import (
	"context"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"encoding/json"
	"errors"
	"hash"
	"net/http"
	"strings"
	"testing"

	"github.com/okta/okta-sdk-golang/v2/okta"
	"golang.org/x/crypto/bcrypt"
)

// authnStatus signs in through /api/v1/authn and answers the HTTP status.
func authnStatus(t *testing.T, url, login, password string) int {
	t.Helper()
	body := `{"username":"` + login + `","password":"` + password + `"}`
	resp, err := http.Post(url+"/api/v1/authn", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

// TestUserUnknownProfileAttribute answers the recorded Okta request
// (testdata, POST /api/v1/users 400: a profile attribute the schema does
// not define) with Okta's recorded error, code, summary and cause.
func TestUserUnknownProfileAttribute(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	var want struct {
		ErrorCode, ErrorSummary string
		ErrorCauses             []struct{ ErrorSummary string }
	}
	if err := json.Unmarshal(loadRecorded(t)["POST /api/v1/users 400"].ResponseBody, &want); err != nil || len(want.ErrorCauses) != 1 {
		t.Fatalf("recorded answer: %+v, %v", want, err)
	}
	req := newUser("testacc@example.com", "")
	(*req.Profile)["notValid"] = "this-isnt-valid"
	(*req.Profile)["postalAddress"] = nil
	_, _, err := c.User.CreateUser(ctx, req, nil)
	var oe *okta.Error
	if !errors.As(err, &oe) {
		t.Fatalf("want Okta's error, got %v", err)
	}
	code, causes := oktaErr(t, err)
	if code != want.ErrorCode || oe.ErrorSummary != want.ErrorSummary || causes != want.ErrorCauses[0].ErrorSummary {
		t.Fatalf("answer %s %q %q, Okta answered %s %q %q", code, oe.ErrorSummary, causes, want.ErrorCode, want.ErrorSummary, want.ErrorCauses[0].ErrorSummary)
	}
	if _, _, err := c.User.GetUser(ctx, "testacc@example.com"); err == nil {
		t.Fatal("the refused user was stored")
	}
}

// TestUserImportedPasswordHash imports a password as each hash Okta
// documents, then signs in with the original password.
func TestUserImportedPasswordHash(t *testing.T) {
	srv, c := startOrg(t)
	ctx := context.Background()
	const password = "Imported-Secret-9"
	salt := []byte("pepper-and-salt")
	digest := func(h func() hash.Hash, order string) string {
		d := h()
		if order == "PREFIX" {
			d.Write(salt)
		}
		d.Write([]byte(password))
		if order == "POSTFIX" {
			d.Write(salt)
		}
		return base64.StdEncoding.EncodeToString(d.Sum(nil))
	}
	b, err := bcrypt.GenerateFromPassword([]byte(password), 4)
	if err != nil {
		t.Fatal(err)
	}
	bs := string(b) // $2a$04$<22 salt><31 hash>
	salt64 := base64.StdEncoding.EncodeToString(salt)
	tests := []struct {
		name string
		hash okta.PasswordCredentialHash
	}{
		{"SHA-256 PREFIX", okta.PasswordCredentialHash{Algorithm: "SHA-256", Salt: salt64, SaltOrder: "PREFIX", Value: digest(sha256.New, "PREFIX")}},
		{"SHA-512 POSTFIX", okta.PasswordCredentialHash{Algorithm: "SHA-512", Salt: salt64, SaltOrder: "POSTFIX", Value: digest(sha512.New, "POSTFIX")}},
		{"SHA-1 PREFIX", okta.PasswordCredentialHash{Algorithm: "SHA-1", Salt: salt64, SaltOrder: "PREFIX", Value: digest(sha1.New, "PREFIX")}},
		{"MD5 unsalted", okta.PasswordCredentialHash{Algorithm: "MD5", Value: digest(md5.New, "")}},
		{"BCRYPT", okta.PasswordCredentialHash{Algorithm: "BCRYPT", WorkFactorPtr: okta.Int64Ptr(4), Salt: bs[7:29], Value: bs[29:]}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			login := "hash" + string(rune('a'+i)) + "@example.com"
			req := newUser(login, "")
			h := tt.hash
			req.Credentials = &okta.UserCredentials{Password: &okta.PasswordCredential{Hash: &h}}
			u := must[*okta.User](t)(c.User.CreateUser(ctx, req, nil))
			checkSignIn(t, srv.URL, u, login, password)
		})
	}
	// PBKDF2's parameters are not in the SDK v2's hash object: raw JSON.
	t.Run("PBKDF2", func(t *testing.T) {
		key, err := pbkdf2.Key(sha512.New, password, salt, 1000, 32)
		if err != nil {
			t.Fatal(err)
		}
		created, err := rawCall(t, c, "POST", "/api/v1/users", map[string]any{
			"profile": map[string]any{"login": "pbkdf2@example.com", "email": "pbkdf2@example.com", "firstName": "P", "lastName": "B"},
			"credentials": map[string]any{"password": map[string]any{"hash": map[string]any{"algorithm": "PBKDF2",
				"salt": salt64, "value": base64.StdEncoding.EncodeToString(key), "iterationCount": 1000, "keySize": 32, "digestAlgorithm": "SHA512_HMAC"}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		status, _ := created["status"].(string)
		checkSignIn(t, srv.URL, &okta.User{Status: status}, "pbkdf2@example.com", password)
	})
	bad := newUser("badhash@example.com", "")
	bad.Credentials = &okta.UserCredentials{Password: &okta.PasswordCredential{Hash: &okta.PasswordCredentialHash{Algorithm: "SHA-256", Salt: salt64, SaltOrder: "SIDEWAYS", Value: digest(sha256.New, "PREFIX")}}}
	_, _, err = c.User.CreateUser(ctx, bad, nil)
	wantOktaErr(t, err, "E0000001", "saltOrder")
}

// checkSignIn checks that a user with an imported password is ACTIVE and
// signs in with the original password only.
func checkSignIn(t *testing.T, url string, u *okta.User, login, password string) {
	t.Helper()
	if u.Status != "ACTIVE" {
		t.Fatalf("status = %s, want ACTIVE (a user with an imported password)", u.Status)
	}
	if got := authnStatus(t, url, login, password); got != http.StatusOK {
		t.Fatalf("sign-in with the original password: %d", got)
	}
	if got := authnStatus(t, url, login, password+"x"); got != http.StatusUnauthorized {
		t.Fatalf("sign-in with a wrong password: %d", got)
	}
}

// TestUserRecoveryQuestion: the question is validated, stored and
// answered; the answer never is.
func TestUserRecoveryQuestion(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	withQuestion := func(login, q, a string) okta.CreateUserRequest {
		req := newUser(login, "Xyzzy-Plugh-42")
		req.Credentials.RecoveryQuestion = &okta.RecoveryQuestionCredential{Question: q, Answer: a}
		return req
	}
	u := must[*okta.User](t)(c.User.CreateUser(ctx, withQuestion("rq@example.com", "Who is a major player in the cowboy scene?", "Annie Oakley"), nil))
	got := must[*okta.User](t)(c.User.GetUser(ctx, u.Id))
	for _, x := range []*okta.User{u, got} {
		if x.Credentials == nil || x.Credentials.RecoveryQuestion == nil || x.Credentials.RecoveryQuestion.Question != "Who is a major player in the cowboy scene?" {
			t.Fatalf("recovery question not answered: %+v", x.Credentials)
		}
		if x.Credentials.RecoveryQuestion.Answer != "" {
			t.Fatal("the recovery answer was answered")
		}
	}
	tests := []struct {
		name, q, a, cause string
	}{
		{"question over 100 characters", strings.Repeat("q", 101), "answer", "recovery_question.question"},
		{"no answer", "Favourite planet?", "", "recovery_question.answer"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := c.User.CreateUser(ctx, withQuestion("rq"+string(rune('a'+i))+"@example.com", tt.q, tt.a), nil)
			wantOktaErr(t, err, "E0000001", tt.cause)
		})
	}
	t.Run("not an object", func(t *testing.T) {
		_, err := rawCall(t, c, "POST", "/api/v1/users", map[string]any{
			"profile":     map[string]any{"login": "rqs@example.com", "email": "rqs@example.com", "firstName": "R", "lastName": "Q"},
			"credentials": map[string]any{"recovery_question": "What?"},
		})
		wantOktaErr(t, err, "E0000001", "recovery_question")
	})
}

// TestDeactivatedUserHasDeleteLink: Okta's deactivated user carries
// _links.delete (the second DELETE removes it).
func TestDeactivatedUserHasDeleteLink(t *testing.T) {
	_, c := startOrg(t)
	ctx := context.Background()
	u := must[*okta.User](t)(c.User.CreateUser(ctx, newUser("gone@example.com", "Xyzzy-Plugh-42"), nil))
	mustDo(t)(c.User.DeactivateUser(ctx, u.Id, nil))
	got, err := rawCall(t, c, "GET", "/api/v1/users/"+u.Id, nil)
	if err != nil {
		t.Fatal(err)
	}
	if href, _ := dig(got, "_links", "delete", "href").(string); !strings.HasSuffix(href, "/api/v1/users/"+u.Id) {
		t.Fatalf("_links.delete = %v", dig(got, "_links", "delete"))
	}
}
