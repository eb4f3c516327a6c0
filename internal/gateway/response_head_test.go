package gateway

import (
	"bufio"
	"bytes"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
)

// rawAnswers are upstream answers in every shape the fast path must read
// as net/http does, or leave to it: plain ones it reads by hand (plain),
// and the rest, refused by net/http or read by it in ways that depend on
// more than the bytes at hand.
var rawAnswers = []struct {
	name, raw string
	plain     bool
}{
	{"plain", "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}", true},
	{"no reason phrase", "HTTP/1.1 200\r\nContent-Length: 2\r\n\r\nok", true},
	{"empty reason phrase", "HTTP/1.1 404 \r\nContent-Length: 0\r\n\r\n", true},
	{"odd reason phrase", "HTTP/1.1 503 Not\tToday \x01\r\nContent-Length: 0\r\n\r\n", true},
	{"lower-case keys", "HTTP/1.1 200 OK\r\ncontent-length: 3\r\nx-request-id: r1\r\ncONTENT-tYPE: text/plain\r\n\r\nabc", true},
	{"spaces and tabs around values", "HTTP/1.1 200 OK\r\nContent-Length:\t 3 \t\r\nX-A:  a b  \r\nX-Empty:\r\n\r\nabc", true},
	{"repeated key", "HTTP/1.1 200 OK\r\nSet-Cookie: a=1\r\nContent-Length: 0\r\nSet-Cookie: b=2\r\nset-cookie: c=3\r\n\r\n", true},
	{"token punctuation in keys", "HTTP/1.1 200 OK\r\nX_Under.Score~!#$%&'*+^`|: v\r\nContent-Length: 0\r\n\r\n", true},
	{"obs-text in a value", "HTTP/1.1 200 OK\r\nX-Name: caf\xc3\xa9\r\nContent-Length: 0\r\n\r\n", true},
	{"leading zeros in Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 007\r\n\r\n1234567", true},
	{"hop-by-hop headers", "HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5\r\nUpgrade: h2c\r\nTe: trailers\r\nProxy-Authenticate: Basic\r\nProxy-Connection: keep-alive\r\nX-End: yes\r\nContent-Length: 0\r\n\r\n", true},
	{"body longer than Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nokNEXT", true},
	{"a 500", "HTTP/1.1 500 Internal Server Error\r\nContent-Length: 4\r\n\r\noops", true},

	{"HTTP/1.0", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
	{"HTTP/2 status line", "HTTP/2 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
	{"two spaces before the status", "HTTP/1.1  200 OK\r\nContent-Length: 2\r\n\r\nok", false},
	{"status glued to reason", "HTTP/1.1 200OK\r\nContent-Length: 2\r\n\r\nok", false},
	{"status with a sign", "HTTP/1.1 +20 OK\r\nContent-Length: 2\r\n\r\nok", false},
	{"two-digit status", "HTTP/1.1 20 OK\r\nContent-Length: 2\r\n\r\nok", false},
	{"status 600", "HTTP/1.1 600 Odd\r\nContent-Length: 2\r\n\r\nok", false},
	{"no status line", "Content-Length: 2\r\n\r\nok", false},
	{"1xx then the answer", "HTTP/1.1 103 Early Hints\r\nLink: </a.css>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", false},
	{"204 without body", "HTTP/1.1 204 No Content\r\n\r\n", false},
	{"304 with Content-Length", "HTTP/1.1 304 Not Modified\r\nContent-Length: 10\r\n\r\n", false},
	{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false},
	{"chunked with trailers", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nTrailer: X-Sum\r\n\r\n2\r\nok\r\n0\r\nX-Sum: 1\r\n\r\n", false},
	{"chunked and Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nok\r\n0\r\n\r\n", false},
	{"unknown transfer coding", "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\nContent-Length: 2\r\n\r\nok", false},
	{"conflicting Content-Lengths", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 5\r\n\r\nokokok", false},
	{"repeated Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nok", false},
	{"Content-Length list", "HTTP/1.1 200 OK\r\nContent-Length: 2, 2\r\n\r\nok", false},
	{"negative Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: -2\r\n\r\nok", false},
	{"Content-Length with a sign", "HTTP/1.1 200 OK\r\nContent-Length: +2\r\n\r\nok", false},
	{"empty Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: \r\n\r\nok", false},
	{"huge Content-Length", "HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\nok", false},
	{"no Content-Length", "HTTP/1.1 200 OK\r\nX-A: b\r\n\r\nuntil the end", false},
	{"Connection: close", "HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok", false},
	{"Connection naming a header", "HTTP/1.1 200 OK\r\nConnection: X-Hop\r\nX-Hop: h\r\nContent-Length: 2\r\n\r\nok", false},
	{"Pragma without Cache-Control", "HTTP/1.1 200 OK\r\nPragma: no-cache\r\nContent-Length: 2\r\n\r\nok", false},
	{"Trailer without chunks", "HTTP/1.1 200 OK\r\nTrailer: X-Sum\r\nContent-Length: 2\r\n\r\nok", false},
	{"folded header", "HTTP/1.1 200 OK\r\nX-Folded: one\r\n two\r\nContent-Length: 2\r\n\r\nok", false},
	{"folded first header", "HTTP/1.1 200 OK\r\n X-Folded: one\r\nContent-Length: 2\r\n\r\nok", false},
	{"space before the colon", "HTTP/1.1 200 OK\r\nX-Space : v\r\nContent-Length: 2\r\n\r\nok", false},
	{"no colon", "HTTP/1.1 200 OK\r\nX-NoColon\r\nContent-Length: 2\r\n\r\nok", false},
	{"empty key", "HTTP/1.1 200 OK\r\n: v\r\nContent-Length: 2\r\n\r\nok", false},
	{"control byte in a value", "HTTP/1.1 200 OK\r\nX-A: a\x00b\r\nContent-Length: 2\r\n\r\nok", false},
	{"DEL in a value", "HTTP/1.1 200 OK\r\nX-A: a\x7fb\r\nContent-Length: 2\r\n\r\nok", false},
	{"bare CR in a value", "HTTP/1.1 200 OK\r\nX-A: a\rb\r\nContent-Length: 2\r\n\r\nok", false},
	{"bare LF lines", "HTTP/1.1 200 OK\nContent-Length: 2\n\nok", false},
	{"bare LF in the head", "HTTP/1.1 200 OK\r\nX-A: a\nContent-Length: 2\r\n\r\nok", false},
	{"bare LF in the status line", "HTTP/1.1 200 O\nK\r\nContent-Length: 2\r\n\r\nok", false},
	{"non-token key", "HTTP/1.1 200 OK\r\nX(A): v\r\nContent-Length: 2\r\n\r\nok", false},
	{"truncated head", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n", false},
	{"truncated body", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", true},
	{"too many headers", "HTTP/1.1 200 OK\r\n" + strings.Repeat("X-A: a\r\n", maxPlainHeaders) + "Content-Length: 0\r\n\r\n", false},
}

// TestPlainHeadAsNetHTTP: parsePlainHead accepts the plain answers, and
// whatever it accepts, net/http reads alike: the status, the headers but
// the hop-by-hop ones, the body's length and its bytes, the connection
// kept. What it leaves alone, net/http reads (or refuses) itself.
func TestPlainHeadAsNetHTTP(t *testing.T) {
	for _, tt := range rawAnswers {
		t.Run(tt.name, func(t *testing.T) {
			plain := comparePlainHead(t, []byte(tt.raw))
			if plain != tt.plain {
				t.Errorf("read by hand: %v, want %v", plain, tt.plain)
			}
		})
	}
}

// FuzzPlainHeadAsNetHTTP: what parsePlainHead accepts, net/http reads
// alike (go test -fuzz FuzzPlainHeadAsNetHTTP ./internal/gateway).
func FuzzPlainHeadAsNetHTTP(f *testing.F) {
	for _, tt := range rawAnswers {
		f.Add([]byte(tt.raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) { comparePlainHead(t, raw) })
}

// comparePlainHead reads raw with parsePlainHead and, if it takes it,
// with http.ReadResponse (to a GET), and fails t where they differ. It
// reports whether parsePlainHead took raw.
func comparePlainHead(t *testing.T, raw []byte) bool {
	t.Helper()
	head, ok := parsePlainHead(raw)
	if !ok {
		return false
	}
	resp, err := http.ReadResponse(bufio.NewReader(bytes.NewReader(raw)), &http.Request{Method: http.MethodGet})
	if err != nil {
		t.Fatalf("read by hand as %+v; net/http refuses it: %v", head, err)
	}
	defer resp.Body.Close()
	if head.status != resp.StatusCode || head.contentLength != resp.ContentLength || resp.Close || resp.TransferEncoding != nil {
		t.Errorf("read by hand: status %d, length %d; net/http: status %d, length %d, close %v, transfer encoding %q",
			head.status, head.contentLength, resp.StatusCode, resp.ContentLength, resp.Close, resp.TransferEncoding)
	}
	got := http.Header{"X-Gateway-Own": {"replaced if the answer has it"}}
	setPlainHeader(got, raw, head)
	want := http.Header{"X-Gateway-Own": {"replaced if the answer has it"}}
	for k, vv := range resp.Header {
		if !hopByHop(k) {
			want[k] = vv
		}
	}
	if !maps.EqualFunc(got, want, slices.Equal) {
		t.Errorf("headers read by hand %q, net/http %q", got, want)
	}
	wantBody, wantErr := io.ReadAll(resp.Body)
	// The body from the buffer, and from the connection past it.
	for _, size := range []int{4096, 16} {
		var gotBody bytes.Buffer
		br := bufio.NewReaderSize(bytes.NewReader(raw), size)
		br.Discard(head.size)
		gotErr := copyBody(&gotBody, br, head.contentLength, newBufferPool())
		if gotBody.String() != string(wantBody) || (gotErr == nil) != (wantErr == nil) {
			t.Errorf("body read by hand (buffer of %d) %q (%v), net/http %q (%v)", size, gotBody.String(), gotErr, wantBody, wantErr)
		}
	}
	return true
}
