package devorg

import (
	"encoding/json"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

func (o *Org) userRoutes(mux *http.ServeMux) {
	mux.HandleFunc("POST /api/v1/users", o.api(o.createUser))
	mux.HandleFunc("GET /api/v1/users", o.api(o.listUsers))
	mux.HandleFunc("GET /api/v1/users/me", o.api(o.getMe))
	mux.HandleFunc("GET /api/v1/users/{userId}", o.api(o.getUser))
	mux.HandleFunc("PUT /api/v1/users/{userId}", o.api(o.replaceUser))
	mux.HandleFunc("POST /api/v1/users/{userId}", o.api(o.patchUser))
	mux.HandleFunc("DELETE /api/v1/users/{userId}", o.api(o.deleteUser))
	mux.HandleFunc("GET /api/v1/users/{userId}/groups", o.api(o.listUserGroups))
	mux.HandleFunc("POST /api/v1/users/{userId}/lifecycle/activate", o.api(o.activateUser))
	mux.HandleFunc("POST /api/v1/users/{userId}/lifecycle/deactivate", o.api(o.deactivateUser))
	mux.HandleFunc("POST /api/v1/users/{userId}/credentials/change_password", o.api(o.changePassword))
}

// userTypeID is the id of the org's one user type, realmID of its one
// realm.
const (
	userTypeID = "otydevorgdefault0001"
	realmID    = "guodevorgdefault0001"
)

type userBody struct {
	Profile     map[string]any `json:"profile"`
	Credentials *struct {
		Password *struct {
			Value *string       `json:"value"`
			Hash  *ImportedHash `json:"hash"`
		} `json:"password"`
		RecoveryQuestion json.RawMessage `json:"recovery_question"`
	} `json:"credentials"`
	GroupIDs []string `json:"groupIds"`
}

// baseProfileAttributes are the properties of Okta's default user
// schema (base); the local org has no custom ones.
var baseProfileAttributes = []string{
	"login", "firstName", "lastName", "middleName", "honorificPrefix", "honorificSuffix", "email", "title",
	"displayName", "nickName", "profileUrl", "secondEmail", "mobilePhone", "primaryPhone", "streetAddress",
	"city", "state", "zipCode", "countryCode", "postalAddress", "preferredLanguage", "locale", "timezone",
	"userType", "employeeNumber", "costCenter", "organization", "division", "department", "managerId", "manager",
}

// checkSchema refuses a profile attribute that the user schema does not
// define, with Okta's answer (recorded: 400 E0000001 "Api validation
// failed: newUser", cause "Property name 'x' is not defined in profile").
func checkSchema(p map[string]any, object string) error {
	for _, k := range slices.Sorted(maps.Keys(p)) {
		if !slices.Contains(baseProfileAttributes, k) {
			return errValidation(object, "Property name '"+k+"' is not defined in profile")
		}
	}
	return nil
}

// hash returns credentials.password.hash, validated, or nil.
func (b *userBody) hash() (*ImportedHash, error) {
	if b.Credentials == nil || b.Credentials.Password == nil || b.Credentials.Password.Hash == nil {
		return nil, nil
	}
	h := b.Credentials.Password.Hash
	if b.Credentials.Password.Value != nil {
		return nil, errValidation("password", "password: Cannot specify both a password value and a password hash")
	}
	return h, h.validate()
}

// recoveryQuestion returns credentials.recovery_question, validated as
// Okta does (an object; question at most 100 characters; an answer), or
// nil when the body has none.
func (b *userBody) recoveryQuestion() (*RecoveryQuestion, error) {
	if b.Credentials == nil || len(b.Credentials.RecoveryQuestion) == 0 || string(b.Credentials.RecoveryQuestion) == "null" {
		return nil, nil
	}
	var rq struct {
		Question string `json:"question"`
		Answer   string `json:"answer"`
	}
	if err := json.Unmarshal(b.Credentials.RecoveryQuestion, &rq); err != nil {
		return nil, errValidation("recovery_question", "recovery_question: must be an object with a question and an answer")
	}
	switch q := strings.TrimSpace(rq.Question); {
	case q == "":
		return nil, errValidation("recovery_question", "recovery_question.question: The field cannot be left blank")
	case utf8.RuneCountInString(rq.Question) > 100:
		return nil, errValidation("recovery_question", "recovery_question.question: The security question must be at most 100 characters")
	case rq.Answer == "":
		return nil, errValidation("recovery_question", "recovery_question.answer: The security question answer must be at least 1 character")
	}
	return &RecoveryQuestion{Question: rq.Question, AnswerHash: hashPassword(rq.Answer)}, nil
}

// hasPassword reports whether the user has a password (set, or imported
// as a hash).
func (u *User) hasPassword() bool { return u.PasswordHash != "" || u.ImportedHash != nil }

// setPassword sets a plain password, which replaces an imported hash.
func (u *User) setPassword(password string, now *time.Time) {
	u.PasswordHash, u.ImportedHash, u.PasswordChanged = hashPassword(password), nil, now
}

func (b *userBody) password() (string, bool) {
	if b.Credentials == nil || b.Credentials.Password == nil || b.Credentials.Password.Value == nil {
		return "", false
	}
	return *b.Credentials.Password.Value, true
}

func timeOrNil(t *time.Time) any {
	if t == nil {
		return nil
	}
	return oktaTime(*t)
}

// userCredentials answers a user's credentials as Okta does: never a
// password or a recovery answer, only that they exist and the question.
func userCredentials(u *User) obj {
	creds := obj{"provider": obj{"type": "OKTA", "name": "OKTA"}}
	if u.hasPassword() && u.PasswordChanged != nil {
		creds["password"] = obj{}
	}
	if u.RecoveryQuestion != nil {
		creds["recovery_question"] = obj{"question": u.RecoveryQuestion.Question}
	}
	return creds
}

// renderUserBrief answers a user as Okta does in lists: only a self link.
func renderUserBrief(base string, u *User) obj {
	profile := obj{"mobilePhone": nil, "secondEmail": nil}
	for k, v := range u.Profile {
		profile[k] = v
	}
	creds := userCredentials(u)
	return obj{
		"id":              u.ID,
		"status":          u.Status,
		"created":         oktaTime(u.Created),
		"activated":       timeOrNil(u.Activated),
		"statusChanged":   timeOrNil(u.StatusChanged),
		"lastLogin":       timeOrNil(u.LastLogin),
		"lastUpdated":     oktaTime(u.LastUpdated),
		"passwordChanged": timeOrNil(u.PasswordChanged),
		"realmId":         realmID,
		"type":            obj{"id": userTypeID},
		"profile":         profile,
		"credentials":     creds,
		"_links":          obj{"self": link(base + "/api/v1/users/" + u.ID)},
	}
}

// renderUser answers one user as Okta does, with its lifecycle links.
func renderUser(base string, u *User) obj {
	out := renderUserBrief(base, u)
	self := base + "/api/v1/users/" + u.ID
	links := obj{
		"self":         link(self),
		"schema":       link(base + "/api/v1/meta/schemas/user/default"),
		"type":         link(base + "/api/v1/meta/types/user/" + userTypeID),
		"resetFactors": linkMethod(self+"/lifecycle/reset_factors", "POST"),
	}
	switch u.Status {
	case "DEPROVISIONED":
		links["activate"] = linkMethod(self+"/lifecycle/activate", "POST")
		links["delete"] = linkMethod(self, "DELETE")
	case "STAGED":
		links["activate"] = linkMethod(self+"/lifecycle/activate", "POST")
		links["deactivate"] = linkMethod(self+"/lifecycle/deactivate", "POST")
	default:
		links["suspend"] = linkMethod(self+"/lifecycle/suspend", "POST")
		links["resetPassword"] = linkMethod(self+"/lifecycle/reset_password", "POST")
		links["deactivate"] = linkMethod(self+"/lifecycle/deactivate", "POST")
		if u.Status == "PROVISIONED" {
			links["reactivate"] = linkMethod(self+"/lifecycle/reactivate", "POST")
		} else {
			links["expirePassword"] = linkMethod(self+"/lifecycle/expire_password", "POST")
			links["changePassword"] = linkMethod(self+"/credentials/change_password", "POST")
		}
	}
	out["_links"] = links
	return out
}

// findUser finds a user by id or by login (ignoring case). Call with o.mu held.
func (st *State) findUser(idOrLogin string) *User {
	if u, ok := st.Users[idOrLogin]; ok {
		return u
	}
	return st.userByLogin(idOrLogin)
}

// userByLogin finds a user by login (ignoring case). Call with o.mu held.
func (st *State) userByLogin(login string) *User {
	for _, u := range st.Users {
		if strings.EqualFold(u.Login(), login) {
			return u
		}
	}
	return nil
}

func (st *State) loginTaken(login, exceptID string) bool {
	for _, u := range st.Users {
		if u.ID != exceptID && strings.EqualFold(u.Login(), login) {
			return true
		}
	}
	return false
}

// validateProfile checks the base profile of the default user schema.
func validateProfile(p map[string]any) error {
	for _, f := range []string{"login", "email", "firstName", "lastName"} {
		s, _ := p[f].(string)
		if strings.TrimSpace(s) == "" {
			return errBlank(f)
		}
	}
	login, _ := p["login"].(string)
	if !looksLikeEmail(login) {
		return errValidation("login", "login: Username must be in the form of an email address")
	}
	email, _ := p["email"].(string)
	if !looksLikeEmail(email) {
		return errValidation("email", "email: Does not match required pattern")
	}
	return nil
}

func looksLikeEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && domain != "" && !strings.ContainsAny(s, " \t")
}

// checkPasswordPolicy applies Okta's default password policy: at least 8
// characters, a lowercase letter, an uppercase letter, a number, and no
// part of the username.
func checkPasswordPolicy(password, login string) error {
	var lower, upper, digit bool
	for _, c := range password {
		switch {
		case unicode.IsLower(c):
			lower = true
		case unicode.IsUpper(c):
			upper = true
		case unicode.IsDigit(c):
			digit = true
		}
	}
	ok := len(password) >= 8 && lower && upper && digit
	lp := strings.ToLower(password)
	for _, part := range strings.FieldsFunc(strings.ToLower(login), func(r rune) bool { return strings.ContainsRune("@._-+", r) }) {
		if len(part) >= 3 && strings.Contains(lp, part) {
			ok = false
		}
	}
	if !ok {
		return errValidation("password", "password: Password requirements were not met. Password requirements: at least 8 characters, a lowercase letter, an uppercase letter, a number, no parts of your username.")
	}
	return nil
}

func (o *Org) createUser(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var in userBody
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	if in.Profile == nil {
		in.Profile = map[string]any{}
	}
	if err := checkSchema(in.Profile, "newUser"); err != nil {
		return 0, nil, err
	}
	if err := validateProfile(in.Profile); err != nil {
		return 0, nil, err
	}
	login, _ := in.Profile["login"].(string)
	password, hasPassword := in.password()
	if hasPassword {
		if err := checkPasswordPolicy(password, login); err != nil {
			return 0, nil, err
		}
	}
	imported, err := in.hash()
	if err != nil {
		return 0, nil, err
	}
	recovery, err := in.recoveryQuestion()
	if err != nil {
		return 0, nil, err
	}
	activate := queryBool(r, "activate", true)
	var out obj
	err = o.update(func(st *State) error {
		if st.loginTaken(login, "") {
			return errExists("login")
		}
		var groups []*Group
		for _, gid := range in.GroupIDs {
			g, ok := st.Groups[gid]
			if !ok {
				return errValidation("groupIds", "groupIds: Group "+gid+" does not exist")
			}
			groups = append(groups, g)
		}
		u := &User{Meta: o.nextMeta(prefixUser, "STAGED"), Profile: map[string]any{}}
		for k, v := range in.Profile {
			u.Profile[k] = v
		}
		now := u.Created
		if hasPassword {
			u.setPassword(password, &now)
		}
		if imported != nil {
			u.ImportedHash, u.PasswordChanged = imported, &now
		}
		u.RecoveryQuestion = recovery
		if activate {
			u.Status = "PROVISIONED"
			if u.hasPassword() {
				u.Status = "ACTIVE"
			}
			u.Activated, u.StatusChanged = &now, &now
		}
		st.Users[u.ID] = u
		for _, g := range groups {
			st.setMemberLocked(g, u.ID, true, now)
		}
		out = renderUser(base, u)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) listUsers(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	qp := r.URL.Query()
	q, search := qp.Get("q"), qp.Get("search")+qp.Get("filter")
	var rendered []obj
	o.view(func(st *State) {
		for _, u := range sortedBySeq(st.Users, func(u *User) int64 { return u.Seq }) {
			if search == "" && u.Status == "DEPROVISIONED" {
				continue // Okta lists deprovisioned users only through search or filter
			}
			if q != "" {
				match := false
				for _, f := range []string{"firstName", "lastName", "email", "login"} {
					if s, _ := u.Profile[f].(string); startsWithFold(s, q) {
						match = true
					}
				}
				if !match {
					continue
				}
			}
			rendered = append(rendered, renderUserBrief(base, u))
		}
	})
	items, err := filterObjs(r, rendered, nil)
	if err != nil {
		return 0, nil, err
	}
	page, err := paginate(r, base, items, idOfObj, 200, 200)
	return http.StatusOK, page, err
}

// withUser runs fn on the request's user (by id or login) under the lock,
// for reading or for a change.
func (o *Org) withUser(r *http.Request, update bool, fn func(st *State, u *User) error) error {
	return o.locked(update, func(st *State) error {
		u := st.findUser(r.PathValue("userId"))
		if u == nil {
			return errNotFound(r.PathValue("userId"))
		}
		return fn(st, u)
	})
}

func (o *Org) getUser(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	err := o.withUser(r, false, func(_ *State, u *User) error {
		out = renderUser(base, u)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) getMe(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var out obj
	var err error
	o.view(func(st *State) {
		u := st.adminUser()
		if u == nil {
			err = errNotFound("me")
			return
		}
		out = renderUser(base, u)
	})
	return http.StatusOK, out, err
}

func (o *Org) replaceUser(r *http.Request) (int, any, error) { return o.updateUser(r, true) }
func (o *Org) patchUser(r *http.Request) (int, any, error)   { return o.updateUser(r, false) }

// updateUser is PUT (replace the profile) and POST (merge into it).
func (o *Org) updateUser(r *http.Request, replace bool) (int, any, error) {
	base := o.baseURL(r)
	var in userBody
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withUser(r, true, func(st *State, u *User) error {
		profile := map[string]any{}
		if !replace {
			for k, v := range u.Profile {
				profile[k] = v
			}
		}
		for k, v := range in.Profile {
			profile[k] = v
		}
		if in.Profile == nil && replace {
			profile = u.Profile
		}
		if err := checkSchema(in.Profile, "user"); err != nil {
			return err
		}
		if err := validateProfile(profile); err != nil {
			return err
		}
		imported, err := in.hash()
		if err != nil {
			return err
		}
		if imported != nil && u.Status != "STAGED" {
			return errValidation("password", "password: A password hash can be set only on a STAGED user")
		}
		recovery, err := in.recoveryQuestion()
		if err != nil {
			return err
		}
		login, _ := profile["login"].(string)
		if st.loginTaken(login, u.ID) {
			return errExists("login")
		}
		now := nowMillis(o)
		if password, ok := in.password(); ok {
			if err := checkPasswordPolicy(password, login); err != nil {
				return err
			}
			u.setPassword(password, &now)
			if u.Status == "PROVISIONED" {
				u.Status, u.StatusChanged = "ACTIVE", &now
			}
		}
		if imported != nil {
			u.ImportedHash, u.PasswordChanged = imported, &now
		}
		if recovery != nil {
			u.RecoveryQuestion = recovery
		}
		u.Profile = profile
		u.LastUpdated = now
		out = renderUser(base, u)
		return nil
	})
	return http.StatusOK, out, err
}

func (o *Org) deleteUser(r *http.Request) (int, any, error) {
	err := o.withUser(r, true, func(st *State, u *User) error {
		if u.Status != "DEPROVISIONED" {
			// Like Okta: the first DELETE deactivates, the second deletes.
			now := nowMillis(o)
			u.Status, u.StatusChanged, u.LastUpdated = "DEPROVISIONED", &now, now
			return nil
		}
		delete(st.Users, u.ID)
		for gid := range st.Members {
			delete(st.Members[gid], u.ID)
		}
		for _, a := range st.Apps {
			delete(a.Users, u.ID)
		}
		return nil
	})
	return http.StatusNoContent, nil, err
}

func (o *Org) listUserGroups(r *http.Request) (int, any, error) {
	base := o.baseURL(r)
	var items []any
	err := o.withUser(r, false, func(st *State, u *User) error {
		for _, gid := range st.groupIDsOf(u.ID) {
			items = append(items, renderGroup(base, st.Groups[gid]))
		}
		return nil
	})
	if err != nil {
		return 0, nil, err
	}
	page, err := paginate(r, base, items, idOfObj, 200, 10000)
	return http.StatusOK, page, err
}

func (o *Org) activateUser(r *http.Request) (int, any, error) {
	err := o.withUser(r, true, func(_ *State, u *User) error {
		if u.Status == "ACTIVE" {
			return newAPIError(http.StatusForbidden, "E0000016", "Activation failed because the user is already active")
		}
		now := nowMillis(o)
		u.Status = "PROVISIONED"
		if u.hasPassword() && u.PasswordChanged != nil {
			u.Status = "ACTIVE"
		}
		u.Activated, u.StatusChanged, u.LastUpdated = &now, &now, now
		return nil
	})
	return http.StatusOK, obj{}, err
}

func (o *Org) deactivateUser(r *http.Request) (int, any, error) {
	err := o.withUser(r, true, func(_ *State, u *User) error {
		now := nowMillis(o)
		u.Status, u.StatusChanged, u.LastUpdated = "DEPROVISIONED", &now, now
		return nil
	})
	return http.StatusOK, obj{}, err
}

// changePassword checks the old password and sets a new one that meets
// the password policy.
func (o *Org) changePassword(r *http.Request) (int, any, error) {
	var in struct {
		Old struct {
			Value string `json:"value"`
		} `json:"oldPassword"`
		New struct {
			Value string `json:"value"`
		} `json:"newPassword"`
	}
	if err := decodeBody(r, &in); err != nil {
		return 0, nil, err
	}
	var out obj
	err := o.withUser(r, true, func(_ *State, u *User) error {
		if !u.hasPassword() || !checkPassword(u, in.Old.Value) {
			return newAPIError(http.StatusForbidden, "E0000014", "Update of credentials failed", "oldPassword: The credentials provided were incorrect.")
		}
		if err := checkPasswordPolicy(in.New.Value, u.Login()); err != nil {
			return err
		}
		now := nowMillis(o)
		u.setPassword(in.New.Value, &now)
		u.LastUpdated = now
		out = userCredentials(u)
		return nil
	})
	return http.StatusOK, out, err
}
