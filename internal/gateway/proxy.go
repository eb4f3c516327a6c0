package gateway

import (
	"bufio"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/textproto"
	"net/url"
	"strings"
	"sync"
	"time"
)

// proxy forwards allowed requests to the upstream API.
//
// An idempotent request without a body to a plain-http upstream (every GET
// of the solar-system API) takes the fast path: it is written straight onto
// a kept-alive HTTP/1.1 connection from a pool, and the answer is read back
// and copied on the same goroutine, headers and body in one write. An
// answer of the common shape (parsePlainHead: HTTP/1.1, one Content-Length,
// no Connection, Transfer-Encoding, Trailer or Pragma) has its head read by
// hand, straight into the ResponseWriter's header with one string for all
// its lines; any other goes to http.ReadResponse. net/http's Transport
// hands each request to two more goroutines per connection (its read and
// write loops) and clones it: at 16 concurrent connections on 2 CPUs,
// httputil.ReverseProxy (with a tuned transport) measured 1.8x to 2.1x the
// direct call, this path 1.56x to 1.74x (BenchmarkGateway's bare proxy).
// Anything else (a request body, a non-idempotent method, an upgrade, an
// https upstream) goes through httputil.ReverseProxy with the same
// rewriting.
//
// What the hop still costs, by CPU profile (pprof labels per server): the
// gateway's own net/http server (reading the request, its background read,
// writing the answer) about 0.42x of what the client and the upstream cost
// together, and the upstream exchange 0.23x, half of it its write and read
// system calls. With only those system calls left the hop would cost 0.54x:
// 1.5x the direct call is out of reach for any proxy behind net/http's
// server on the same 2 CPUs as the client and the upstream; a TCP relay
// copying bytes, with no HTTP at all, measures 1.37x to 1.42x there
// (BenchmarkGateway's relay).
type proxy struct {
	target      *url.URL
	stripPrefix string
	dialer      net.Dialer
	bufs        *bufferPool
	fallback    *httputil.ReverseProxy
	// fail answers a request the upstream did not answer (before any
	// byte of the answer was written).
	fail func(w http.ResponseWriter, r *http.Request, err error)

	mu   sync.Mutex
	idle []*upstreamConn
}

// maxIdleUpstream bounds the kept-alive connections to the upstream.
const maxIdleUpstream = 256

type upstreamConn struct {
	conn net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
	// abort unblocks any read or write on conn (uc.unblock, made once
	// rather than a closure per request).
	abort func()
}

func (uc *upstreamConn) unblock() { uc.conn.SetDeadline(time.Unix(1, 0)) }

func newProxy(target *url.URL, stripPrefix string, fail func(http.ResponseWriter, *http.Request, error)) *proxy {
	p := &proxy{
		target:      target,
		stripPrefix: stripPrefix,
		dialer:      net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second},
		bufs:        newBufferPool(),
		fail:        fail,
	}
	p.fallback = &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			if stripPrefix != "" {
				pr.Out.URL.Path = "/" + strings.TrimLeft(strings.TrimPrefix(pr.Out.URL.Path, stripPrefix), "/")
				pr.Out.URL.RawPath = ""
			}
			// The client's own trusted headers go first, in every
			// spelling; then the gateway's.
			for k := range pr.Out.Header {
				if trustedHeader(k) {
					delete(pr.Out.Header, k)
				}
			}
			pr.SetURL(target)
			pr.SetXForwarded()
			if sub, ok := pr.In.Context().Value(subjectKey{}).(string); ok {
				pr.Out.Header.Set(SubjectHeader, sub)
			}
		},
		Transport:    upstreamTransport(),
		BufferPool:   p.bufs,
		ErrorHandler: fail,
	}
	return p
}

// path is the request's path with the strip prefix removed (still
// escaped as received, the target's path not yet joined).
func (p *proxy) path(u *url.URL) string {
	path := u.EscapedPath()
	if p.stripPrefix != "" {
		path = "/" + strings.TrimLeft(strings.TrimPrefix(path, p.stripPrefix), "/")
	}
	return path
}

// ServeHTTP forwards r without a subject.
func (p *proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) { p.forward(w, r, "") }

// forward forwards r with the verified subject (none if empty).
func (p *proxy) forward(w http.ResponseWriter, r *http.Request, subject string) {
	if p.target.Scheme != "http" || !idempotent(r.Method) || r.ContentLength != 0 || len(r.TransferEncoding) > 0 ||
		r.Header.Get("Upgrade") != "" || r.Header.Get("Expect") != "" {
		if subject != "" {
			r = r.WithContext(context.WithValue(r.Context(), subjectKey{}, subject))
		}
		p.fallback.ServeHTTP(w, r)
		return
	}
	for attempt := 0; ; attempt++ {
		uc, reused, err := p.conn(r.Context())
		if err != nil {
			p.fail(w, r, err)
			return
		}
		retry, err := p.roundTrip(w, r, uc, subject)
		if err == nil {
			return
		}
		// A kept-alive connection the upstream closed meanwhile fails
		// before any answer: try once more on a fresh one (the method
		// is idempotent).
		if retry && reused && attempt == 0 {
			continue
		}
		if retry {
			p.fail(w, r, err)
			return
		}
		// The answer was under way: the client sees a cut response, as
		// with httputil.ReverseProxy.
		panic(http.ErrAbortHandler)
	}
}

// idempotent reports whether a request of this method may be sent twice.
func idempotent(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// conn returns an idle connection to the upstream, or dials one.
func (p *proxy) conn(ctx context.Context) (*upstreamConn, bool, error) {
	p.mu.Lock()
	if n := len(p.idle); n > 0 {
		uc := p.idle[n-1]
		p.idle = p.idle[:n-1]
		p.mu.Unlock()
		return uc, true, nil
	}
	p.mu.Unlock()
	c, err := p.dialer.DialContext(ctx, "tcp", hostPort(p.target))
	if err != nil {
		return nil, false, err
	}
	uc := &upstreamConn{conn: c, br: bufio.NewReaderSize(c, 4<<10), bw: bufio.NewWriterSize(c, 4<<10)}
	uc.abort = uc.unblock
	return uc, false, nil
}

// release keeps a connection for the next request, or closes it.
func (p *proxy) release(uc *upstreamConn) {
	p.mu.Lock()
	if len(p.idle) < maxIdleUpstream {
		p.idle = append(p.idle, uc)
		p.mu.Unlock()
		return
	}
	p.mu.Unlock()
	uc.conn.Close()
}

// roundTrip forwards r on uc and copies the answer to w. It returns
// retry=true when it failed before writing anything to w.
func (p *proxy) roundTrip(w http.ResponseWriter, r *http.Request, uc *upstreamConn, subject string) (retry bool, err error) {
	// The client going away ends the exchange: the connection's deadline
	// unblocks any read or write, and the connection is dropped.
	stop := context.AfterFunc(r.Context(), uc.abort)
	keep := false
	defer func() {
		if !stop() || !keep {
			uc.conn.Close()
			return
		}
		p.release(uc)
	}()

	if err := p.writeRequest(uc.bw, r, subject); err != nil {
		return true, err
	}
	if r.Method != http.MethodHead {
		if _, err := uc.br.Peek(1); err != nil {
			return true, err
		}
		b, _ := uc.br.Peek(uc.br.Buffered())
		if head, ok := parsePlainHead(b); ok {
			setPlainHeader(w.Header(), b, head)
			uc.br.Discard(head.size)
			w.WriteHeader(head.status)
			if err := copyBody(w, uc.br, head.contentLength, p.bufs); err != nil {
				return false, err
			}
			keep = true
			return false, nil
		}
	}
	var resp *http.Response
	for {
		resp, err = http.ReadResponse(uc.br, r)
		if err != nil {
			return true, err
		}
		if resp.StatusCode >= 200 || resp.StatusCode == http.StatusSwitchingProtocols {
			break
		}
		resp.Body.Close() // an informational answer: the real one follows
	}
	if resp.StatusCode == http.StatusSwitchingProtocols {
		resp.Body.Close()
		return true, errors.New("the upstream switched protocols without being asked to")
	}
	h := w.Header()
	for k, vv := range resp.Header {
		if !hopByHop(k) {
			h[k] = vv
		}
	}
	for k := range connectionHeaders(resp.Header) {
		delete(h, k)
	}
	w.WriteHeader(resp.StatusCode)
	buf := p.bufs.Get()
	_, err = io.CopyBuffer(writerOnly{w}, resp.Body, buf)
	p.bufs.Put(buf)
	resp.Body.Close()
	if err != nil {
		return false, err
	}
	keep = !resp.Close
	return false, nil
}

// writeRequest writes r, rewritten for the upstream, as an HTTP/1.1
// request without a body: the target's host, path and query joined with
// the request's, the hop-by-hop headers, Authorization and SubjectHeader
// dropped, X-Forwarded-For, -Host and -Proto set anew, and the verified subject
// in SubjectHeader.
func (p *proxy) writeRequest(bw *bufio.Writer, r *http.Request, subject string) error {
	bw.WriteString(r.Method)
	bw.WriteByte(' ')
	bw.WriteString(joinPath(p.target.EscapedPath(), p.path(r.URL)))
	if q := joinQuery(p.target.RawQuery, r.URL.RawQuery); q != "" {
		bw.WriteByte('?')
		bw.WriteString(q)
	}
	bw.WriteString(" HTTP/1.1\r\nHost: ")
	bw.WriteString(p.target.Host)
	bw.WriteString("\r\n")
	dropped := connectionHeaders(r.Header)
	for k, vv := range r.Header {
		switch {
		case hopByHop(k), trustedHeader(k), dropped[k]:
			continue
		}
		for _, v := range vv {
			writeHeader(bw, k, v)
		}
	}
	// As httputil.ReverseProxy with Rewrite: the client's own
	// X-Forwarded-* headers are dropped, not trusted.
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		writeHeader(bw, "X-Forwarded-For", ip)
	}
	writeHeader(bw, "X-Forwarded-Host", r.Host)
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	writeHeader(bw, "X-Forwarded-Proto", proto)
	if subject != "" {
		writeHeader(bw, SubjectHeader, subject)
	}
	bw.WriteString("\r\n")
	return bw.Flush()
}

func writeHeader(bw *bufio.Writer, k, v string) {
	bw.WriteString(k)
	bw.WriteString(": ")
	bw.WriteString(v)
	bw.WriteString("\r\n")
}

// hopByHop reports whether k (canonical) is a hop-by-hop header (RFC 9110
// section 7.6.1), which a proxy does not forward.
// trustedHeader reports whether k is, or reads as, a header the gateway
// itself sets for the upstream (SubjectHeader, X-Forwarded-*, Forwarded) or
// the client's credentials (Authorization): a client's own is never
// forwarded. "Reads as": CGI, PHP and Rack turn X-Apicenter_Subject,
// x_apicenter-subject and X-Apicenter-Subject alike into
// HTTP_X_APICENTER_SUBJECT, so the comparison ignores case and takes '_'
// for '-'; otherwise a low-privilege token plus a forged header would pass
// as another subject.
func trustedHeader(k string) bool {
	return readsAs(k, "authorization") || readsAs(k, "forwarded") ||
		readsAs(k, "x-apicenter-subject") ||
		len(k) > len("x-forwarded-") && readsAs(k[:len("x-forwarded-")], "x-forwarded-")
}

// readsAs reports whether the header name k equals lower, a lower-case
// name, ignoring case and taking '_' for '-' (without allocating: it runs
// for each header of each request).
func readsAs(k, lower string) bool {
	if len(k) != len(lower) {
		return false
	}
	for i := 0; i < len(k); i++ {
		c := k[i]
		switch {
		case c == '_':
			c = '-'
		case 'A' <= c && c <= 'Z':
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func hopByHop(k string) bool {
	switch k {
	case "Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
		"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade":
		return true
	}
	return false
}

// connectionHeaders are the headers the Connection header names, which are
// hop-by-hop too.
func connectionHeaders(h http.Header) map[string]bool {
	var out map[string]bool
	for _, f := range h["Connection"] {
		for f != "" {
			var k string
			k, f, _ = strings.Cut(f, ",")
			if k = textproto.TrimString(k); k != "" {
				if out == nil {
					out = map[string]bool{}
				}
				out[textproto.CanonicalMIMEHeaderKey(k)] = true
			}
		}
	}
	return out
}

// joinPath joins the target's and the request's escaped paths as
// httputil.ProxyRequest.SetURL does.
func joinPath(a, b string) string {
	if a == "" {
		if b == "" {
			return "/"
		}
		return b
	}
	switch aslash, bslash := strings.HasSuffix(a, "/"), strings.HasPrefix(b, "/"); {
	case aslash && bslash:
		return a + b[1:]
	case !aslash && !bslash:
		return a + "/" + b
	}
	return a + b
}

func joinQuery(a, b string) string {
	if a == "" || b == "" {
		return a + b
	}
	return a + "&" + b
}

// hostPort is the target's host with its port (80 for http by default).
func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	return net.JoinHostPort(u.Hostname(), "80")
}

// writerOnly hides the ResponseWriter's ReadFrom from io.CopyBuffer: through
// it, the server flushes the headers and then writes the body in a second
// syscall (and packet), which cost the fast path more than it saved.
type writerOnly struct{ io.Writer }

// upstreamTransport is the proxy's transport: http.DefaultTransport's
// settings, but keeping idle connections to the one upstream host for
// many concurrent requests (the default keeps 2).
func upstreamTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = 1024
	t.MaxIdleConnsPerHost = 1024
	return t
}

// bufferPool lends the proxy its copy buffers, so that a request does not
// allocate (and clear) a fresh 32 KiB buffer.
type bufferPool struct{ pool sync.Pool }

func newBufferPool() *bufferPool {
	return &bufferPool{pool: sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}}
}

// Get implements httputil.BufferPool.
func (p *bufferPool) Get() []byte { return *p.pool.Get().(*[]byte) }

// Put implements httputil.BufferPool.
func (p *bufferPool) Put(b []byte) { p.pool.Put(&b) }
