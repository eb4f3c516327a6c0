package gateway

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// recordingUpstream is an upstream that records every request it gets
// (method, URI, host, headers, body) and counts its new connections.
type recordingUpstream struct {
	srv   *httptest.Server
	mu    sync.Mutex
	reqs  []recorded
	conns int
}

type recorded struct {
	method, uri, host, body string
	header                  http.Header
}

func newRecordingUpstream(t *testing.T) *recordingUpstream {
	u := &recordingUpstream{}
	u.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		u.mu.Lock()
		u.reqs = append(u.reqs, recorded{r.Method, r.RequestURI, r.Host, string(b), r.Header.Clone()})
		u.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Upstream", "yes")
		w.Header().Set("Connection", "X-Hop")
		w.Header().Set("X-Hop", "not for the client")
		io.WriteString(w, `{"path":"`+r.URL.Path+`"}`)
	}))
	u.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			u.mu.Lock()
			u.conns++
			u.mu.Unlock()
		}
	}
	u.srv.Start()
	t.Cleanup(u.srv.Close)
	return u
}

func (u *recordingUpstream) last(t *testing.T) recorded {
	t.Helper()
	u.mu.Lock()
	defer u.mu.Unlock()
	if len(u.reqs) == 0 {
		t.Fatal("the upstream got no request")
	}
	return u.reqs[len(u.reqs)-1]
}

func (u *recordingUpstream) connections() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.conns
}

// TestProxyForwards: what the upstream gets, on the fast path (GET) and
// through httputil.ReverseProxy (a body), with a base path on the upstream
// and a stripped prefix.
func TestProxyForwards(t *testing.T) {
	as := newAuthServer(t)
	up := newRecordingUpstream(t)
	c := Config{
		Upstream:    up.srv.URL + "/api",
		Mode:        ModeJWT,
		Issuer:      as.issuer(),
		Audience:    "api://test",
		StripPrefix: "/solar-system",
		Routes: []Route{
			{Method: http.MethodGet, Path: "/solar-system/planets", Scopes: []string{silver}},
			{Method: http.MethodPost, Path: "/solar-system/planets", Scopes: []string{silver}},
		},
	}
	g, err := New(c)
	if err != nil {
		t.Fatal(err)
	}
	gw := newServer(t, g)
	token := as.mint(as.claims(silver), nil, as.kid)
	tests := []struct {
		name, method, body string
	}{
		{name: "fast path", method: http.MethodGet},
		{name: "reverse proxy (a body)", method: http.MethodPost, body: `{"name":"Vulcan"}`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, gw+"/solar-system/planets?order=size", strings.NewReader(tt.body))
			req.Header.Set("Authorization", "Bearer "+token)
			req.Header.Set(SubjectHeader, "forged-by-client")
			// Names CGI, PHP and Rack read as the same variable
			// (HTTP_X_APICENTER_SUBJECT, HTTP_X_FORWARDED_FOR).
			for _, k := range []string{"X-Apicenter_Subject", "X_Apicenter_Subject", "x_apicenter_subject", "X_Forwarded_For", "x_forwarded_host", "Forwarded"} {
				req.Header[k] = []string{"forged-by-client"}
			}
			req.Header.Set("X-Request-Id", "r1")
			req.Header.Set("X-Forwarded-For", "10.0.0.1")
			req.Header.Set("Connection", "X-Private")
			req.Header.Set("X-Private", "for the gateway only")
			req.Header.Set("Keep-Alive", "timeout=5")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 || string(body) != `{"path":"/api/planets"}` {
				t.Fatalf("status %d body %s", resp.StatusCode, body)
			}
			if resp.Header.Get("X-Upstream") != "yes" || resp.Header.Get("X-Hop") != "" {
				t.Errorf("answer headers %v: want the upstream's end-to-end headers only", resp.Header)
			}
			got := up.last(t)
			checks := []struct {
				what, got, want string
			}{
				{"method", got.method, tt.method},
				{"request URI", got.uri, "/api/planets?order=size"},
				{"host", got.host, strings.TrimPrefix(up.srv.URL, "http://")},
				{"body", got.body, tt.body},
				{"Authorization", got.header.Get("Authorization"), ""},
				{SubjectHeader, got.header.Get(SubjectHeader), "silver@example.com"},
				{"X-Request-Id", got.header.Get("X-Request-Id"), "r1"},
				{"X-Forwarded-For", got.header.Get("X-Forwarded-For"), "127.0.0.1"}, // the client's own is not trusted
				{"X-Forwarded-Host", got.header.Get("X-Forwarded-Host"), strings.TrimPrefix(gw, "http://")},
				{"X-Forwarded-Proto", got.header.Get("X-Forwarded-Proto"), "http"},
				{"X-Private", got.header.Get("X-Private"), ""},
				{"Keep-Alive", got.header.Get("Keep-Alive"), ""},
			}
			for _, ch := range checks {
				if ch.got != ch.want {
					t.Errorf("upstream got %s %q, want %q", ch.what, ch.got, ch.want)
				}
			}
			for k, vv := range got.header {
				for _, v := range vv {
					if v == "forged-by-client" {
						t.Errorf("upstream got the client's %s: %q", k, v)
					}
				}
			}
		})
	}
}

// TestProxyReusesConnections: requests share kept-alive connections to the
// upstream, and one the upstream closed meanwhile is replaced unseen.
func TestProxyReusesConnections(t *testing.T) {
	as := newAuthServer(t)
	up := newRecordingUpstream(t)
	gw := newTestGateway(t, ModeJWT, as, up.srv.URL)
	auth := "Bearer " + as.mint(as.claims(silver), nil, as.kid)
	for i := 0; i < 20; i++ {
		if resp, body := get(t, gw.URL+"/planets", auth); resp.StatusCode != 200 {
			t.Fatalf("request %d: status %d: %s", i, resp.StatusCode, body)
		}
	}
	if n := up.connections(); n != 1 {
		t.Errorf("20 requests one after another opened %d connections to the upstream, want 1", n)
	}
	up.srv.CloseClientConnections()
	if resp, body := get(t, gw.URL+"/planets", auth); resp.StatusCode != 200 {
		t.Fatalf("after the upstream closed its connections: status %d: %s", resp.StatusCode, body)
	}
	if n := up.connections(); n != 2 {
		t.Errorf("%d connections in all, want 2", n)
	}
}

// TestProxyAnswerShapes: the fast path relays every shape of HTTP/1.1
// answer intact: chunked, closing the connection, without a body, to HEAD.
func TestProxyAnswerShapes(t *testing.T) {
	as := newAuthServer(t)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Query().Get("shape") {
		case "chunked":
			io.WriteString(w, "part one, ")
			w.(http.Flusher).Flush()
			io.WriteString(w, "part two")
		case "close":
			w.Header().Set("Connection", "close")
			io.WriteString(w, "last words")
		case "empty":
			w.WriteHeader(http.StatusNoContent)
		default:
			w.Header().Set("Content-Length", "5")
			io.WriteString(w, "plain")
		}
	}))
	t.Cleanup(up.Close)
	gw := newTestGateway(t, ModeJWT, as, up.URL)
	auth := "Bearer " + as.mint(as.claims(), nil, as.kid)
	tests := []struct {
		method, shape string
		wantStatus    int
		wantBody      string
	}{
		{http.MethodGet, "chunked", 200, "part one, part two"},
		{http.MethodGet, "close", 200, "last words"},
		{http.MethodGet, "close", 200, "last words"}, // on a new connection
		{http.MethodGet, "empty", 204, ""},
		{http.MethodHead, "plain", 200, ""},
		{http.MethodGet, "plain", 200, "plain"},
	}
	for _, tt := range tests {
		req, _ := http.NewRequest(tt.method, gw.URL+"/asteroids?shape="+tt.shape, nil)
		req.Header.Set("Authorization", auth)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatalf("%s %s: %v", tt.method, tt.shape, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tt.wantStatus || string(body) != tt.wantBody {
			t.Errorf("%s %s: %d %q (%v), want %d %q", tt.method, tt.shape, resp.StatusCode, body, err, tt.wantStatus, tt.wantBody)
		}
	}
}

// TestProxyRelaysAsNetHTTP: for every shape of upstream answer, plain or
// not, well formed or not, the client gets through the proxy what
// net/http reads of it: the final answer's status, end-to-end headers and
// body, a 502 for an answer net/http refuses (conflicting Content-Lengths
// among them), a cut response for a short body.
func TestProxyRelaysAsNetHTTP(t *testing.T) {
	for _, tt := range rawAnswers {
		t.Run(tt.name, func(t *testing.T) {
			up := rawUpstream(t, tt.raw)
			target, _ := url.Parse(up)
			gw := newServer(t, newProxy(target, "", func(w http.ResponseWriter, _ *http.Request, err error) {
				w.WriteHeader(http.StatusBadGateway)
			}))

			want, wantBody, wantErr := netHTTPReads(tt.raw)
			resp, err := http.Get(gw + "/")
			var body []byte
			if err == nil {
				body, err = io.ReadAll(resp.Body)
				resp.Body.Close()
			}
			switch {
			case want == nil:
				if err != nil || resp.StatusCode != http.StatusBadGateway {
					t.Fatalf("net/http refuses the answer (%v); the client got %v, %v, want 502", wantErr, resp, err)
				}
				return
			case wantErr != nil:
				if err == nil {
					t.Fatalf("net/http cuts the body (%v); the client got all of %q", wantErr, body)
				}
				return
			case err != nil:
				t.Fatal(err)
			}
			if resp.StatusCode != want.StatusCode || string(body) != string(wantBody) {
				t.Errorf("client got %d %q, want %d %q", resp.StatusCode, body, want.StatusCode, wantBody)
			}
			dropped := connectionHeaders(want.Header)
			for k, vv := range want.Header {
				// The gateway's own net/http server drops these on
				// the way out, whoever forwards them.
				if strings.Contains(k, " ") || k == "Content-Length" && want.StatusCode == http.StatusNotModified {
					continue
				}
				if hopByHop(k) || dropped[k] {
					if resp.Header[k] != nil {
						t.Errorf("client got the hop-by-hop %s: %q", k, resp.Header[k])
					}
					continue
				}
				if !slices.Equal(resp.Header[k], vv) {
					t.Errorf("client got %s: %q, want %q", k, resp.Header[k], vv)
				}
			}
		})
	}
}

// rawUpstream is an upstream that answers each request with raw and then
// closes the connection.
func rawUpstream(t *testing.T, raw string) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				if _, err := http.ReadRequest(bufio.NewReader(c)); err != nil {
					return
				}
				io.WriteString(c, raw)
			}()
		}
	}()
	return "http://" + l.Addr().String()
}

// netHTTPReads is what net/http reads of raw as the answer to a GET: the
// first final answer (nil if net/http refuses raw) and its body, with the
// error that cut it if any.
func netHTTPReads(raw string) (*http.Response, []byte, error) {
	br := bufio.NewReader(strings.NewReader(raw))
	for {
		resp, err := http.ReadResponse(br, &http.Request{Method: http.MethodGet})
		if err != nil {
			return nil, nil, err
		}
		body, err := io.ReadAll(resp.Body)
		if resp.StatusCode >= 200 {
			return resp, body, err
		}
	}
}

// TestProxyAbortsWhenTheClientLeaves: a client that goes away while the
// upstream has not answered yet ends the upstream exchange (the
// upstream's request is cancelled), on the fast path and through
// httputil.ReverseProxy.
func TestProxyAbortsWhenTheClientLeaves(t *testing.T) {
	for _, method := range []string{http.MethodGet, http.MethodPost} {
		t.Run(method, func(t *testing.T) {
			arrived, cancelled, ended := make(chan struct{}), make(chan struct{}), make(chan struct{})
			up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				// Read to the end: net/http watches for the
				// client leaving only then.
				io.Copy(io.Discard, r.Body)
				close(arrived)
				select {
				case <-r.Context().Done():
					close(cancelled)
				case <-ended:
				}
			}))
			t.Cleanup(up.Close)
			target, _ := url.Parse(up.URL)
			gw := newServer(t, newProxy(target, "", func(w http.ResponseWriter, _ *http.Request, err error) {
				w.WriteHeader(http.StatusBadGateway)
			}))
			t.Cleanup(func() { close(ended) }) // first: the servers wait for their handlers
			ctx, cancel := context.WithCancel(context.Background())
			req, _ := http.NewRequestWithContext(ctx, method, gw+"/", strings.NewReader("body"))
			if method == http.MethodGet {
				req.Body, req.ContentLength = nil, 0
			}
			done := make(chan error, 1)
			go func() {
				resp, err := http.DefaultClient.Do(req)
				if err == nil {
					resp.Body.Close()
				}
				done <- err
			}()
			<-arrived
			cancel()
			if err := <-done; err == nil {
				t.Error("the client's request succeeded although cancelled")
			}
			select {
			case <-cancelled:
			case <-time.After(10 * time.Second):
				t.Fatal("the upstream's request went on after the client left")
			}
		})
	}
}
