package gateway

import (
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
)

// newProxy returns the reverse proxy that forwards allowed requests to the
// upstream: the path joined to the upstream's (after stripPrefix is
// removed), X-Forwarded-* set anew (the client's are not trusted), the
// Authorization header dropped and the verified subject in SubjectHeader.
// fail answers a request the upstream did not answer.
//
// Its transport keeps enough idle connections to the one upstream host for
// many concurrent requests, and its copy buffers are pooled: with net/http's
// defaults (2 idle connections per host, a fresh 32 KiB buffer per
// request), most requests at 16 concurrent connections opened a new
// connection, and the gateway cost several times the direct call. (A
// hand-written HTTP/1.1 forwarder on the handler's goroutine was tried and
// measured slower than this.)
func newProxy(target *url.URL, stripPrefix string, fail func(http.ResponseWriter, *http.Request, error)) *httputil.ReverseProxy {
	return &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			if stripPrefix != "" {
				pr.Out.URL.Path = "/" + strings.TrimLeft(strings.TrimPrefix(pr.Out.URL.Path, stripPrefix), "/")
				pr.Out.URL.RawPath = ""
			}
			pr.SetURL(target)
			pr.SetXForwarded()
			pr.Out.Header.Del("Authorization")
			pr.Out.Header.Del(SubjectHeader)
			if sub, ok := pr.In.Context().Value(subjectKey{}).(string); ok {
				pr.Out.Header.Set(SubjectHeader, sub)
			}
		},
		Transport:    upstreamTransport(),
		BufferPool:   newBufferPool(),
		ErrorHandler: fail,
	}
}

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
