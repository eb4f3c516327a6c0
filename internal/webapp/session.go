package webapp

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strings"
	"sync"
	"time"
)

const (
	sessionCookieName = "apicenter_session"
	sessionLifetime   = 8 * time.Hour
	pendingLifetime   = 10 * time.Minute
	maxPending        = 8
	maxSessions       = 10000
)

// pendingSignIn is a sign-in the browser started and has not finished: what
// the callback must match.
type pendingSignIn struct {
	as       string // "silver" or "gold"
	nonce    string
	verifier string // PKCE code verifier
	started  time.Time
}

// session is one browser's server-side state. Tokens never leave the server.
type session struct {
	id      string
	expires time.Time
	pending map[string]pendingSignIn // by state

	signedInAs   string // "silver" or "gold"; empty when signed out
	idClaims     map[string]any
	accessClaims map[string]any
	accessToken  string

	flash notice // shown once on the next page
}

// sessionStore keeps sessions in memory, keyed by a random id. The cookie
// carries the id and a MAC of it under the store's secret.
type sessionStore struct {
	secret []byte
	secure bool
	now    func() time.Time

	mu       sync.Mutex
	sessions map[string]*session
}

func newSessionStore(secret string, secure bool) *sessionStore {
	key := []byte(secret)
	if secret == "" {
		key = make([]byte, 32)
		_, _ = rand.Read(key)
	}
	return &sessionStore{secret: key, secure: secure, now: time.Now, sessions: make(map[string]*session)}
}

func (s *sessionStore) mac(id string) string {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte(id))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// get returns the request's session, or nil.
func (s *sessionStore) get(r *http.Request) *session {
	ck, err := r.Cookie(sessionCookieName)
	if err != nil {
		return nil
	}
	id, mac, ok := strings.Cut(ck.Value, ".")
	if !ok || !hmac.Equal([]byte(mac), []byte(s.mac(id))) {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	sess := s.sessions[id]
	if sess == nil {
		return nil
	}
	if !s.now().Before(sess.expires) {
		delete(s.sessions, id)
		return nil
	}
	return sess
}

// getOrCreate returns the request's session, creating one (and setting its
// cookie) when there is none.
func (s *sessionStore) getOrCreate(w http.ResponseWriter, r *http.Request) *session {
	if sess := s.get(r); sess != nil {
		return sess
	}
	return s.create(w)
}

// create starts a new session with a fresh id and sets its cookie.
func (s *sessionStore) create(w http.ResponseWriter) *session {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	sess := &session{
		id:      base64.RawURLEncoding.EncodeToString(b),
		expires: s.now().Add(sessionLifetime),
		pending: make(map[string]pendingSignIn),
	}
	s.mu.Lock()
	now := s.now()
	for id, old := range s.sessions {
		if !now.Before(old.expires) {
			delete(s.sessions, id)
		}
	}
	if len(s.sessions) >= maxSessions {
		var oldest *session
		for _, old := range s.sessions {
			if oldest == nil || old.expires.Before(oldest.expires) {
				oldest = old
			}
		}
		delete(s.sessions, oldest.id)
	}
	s.sessions[sess.id] = sess
	s.mu.Unlock()
	s.setCookie(w, sess.id+"."+s.mac(sess.id), int(sessionLifetime/time.Second))
	return sess
}

// rotate replaces sess by a new session holding the same state under a new
// id (on sign-in, against session fixation).
func (s *sessionStore) rotate(w http.ResponseWriter, sess *session) *session {
	s.mu.Lock()
	delete(s.sessions, sess.id)
	s.mu.Unlock()
	fresh := s.create(w)
	s.mu.Lock()
	fresh.pending = sess.pending
	fresh.flash = sess.flash
	s.mu.Unlock()
	return fresh
}

// destroy ends sess and clears the cookie.
func (s *sessionStore) destroy(w http.ResponseWriter, sess *session) {
	if sess != nil {
		s.mu.Lock()
		delete(s.sessions, sess.id)
		s.mu.Unlock()
	}
	s.setCookie(w, "", -1)
}

func (s *sessionStore) setCookie(w http.ResponseWriter, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name:     sessionCookieName,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   s.secure,
		SameSite: http.SameSiteLaxMode,
	})
}

// with runs f with the store locked, so handlers read and change a session
// without racing another request of the same browser.
func (s *sessionStore) with(f func()) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f()
}

// addPending records a started sign-in, dropping expired ones and, past
// maxPending, the oldest.
func (s *sessionStore) addPending(sess *session, state string, p pendingSignIn) {
	s.with(func() {
		now := s.now()
		for st, old := range sess.pending {
			if now.Sub(old.started) > pendingLifetime {
				delete(sess.pending, st)
			}
		}
		for len(sess.pending) >= maxPending {
			var oldestState string
			var oldest time.Time
			for st, old := range sess.pending {
				if oldestState == "" || old.started.Before(oldest) {
					oldestState, oldest = st, old.started
				}
			}
			delete(sess.pending, oldestState)
		}
		sess.pending[state] = p
	})
}

// takePending removes and returns the sign-in started with state: a state
// is good for one callback only.
func (s *sessionStore) takePending(sess *session, state string) (pendingSignIn, bool) {
	var p pendingSignIn
	var ok bool
	s.with(func() {
		p, ok = sess.pending[state]
		delete(sess.pending, state)
		if ok && s.now().Sub(p.started) > pendingLifetime {
			ok = false
		}
	})
	return p, ok
}
