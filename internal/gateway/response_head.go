package gateway

import (
	"bufio"
	"bytes"
	"io"
	"net/http"
	"net/textproto"
	"strings"
)

// plainHead is the head of an upstream's answer in its most common shape,
// which the proxy's fast path reads by hand rather than through
// http.ReadResponse: an HTTP/1.1 status line with a final status other
// than 204 and 304, at most maxPlainHeaders well-formed header lines
// ending in CRLF (no folded line), one valid Content-Length, and none of
// Transfer-Encoding, Connection, Trailer or Pragma (which make
// net/http's reading depend on more than the bytes: chunking, keep-alive,
// trailers, the Cache-Control it adds for Pragma). Anything else goes to
// http.ReadResponse, which then decides, so that the hand reading never
// accepts what net/http refuses, nor reads what it accepts differently
// (TestPlainHeadAsNetHTTP compares the two).
type plainHead struct {
	status        int
	contentLength int64
	// size is the head's length in bytes, the blank line included.
	size int
	// lines is the number of header lines.
	lines int
}

// maxPlainHeaders bounds the header lines of a plain head (a larger head
// goes to http.ReadResponse).
const maxPlainHeaders = 32

var (
	crlf     = []byte("\r\n")
	crlfcrlf = []byte("\r\n\r\n")
)

// parsePlainHead reads the head at the start of b (the bytes buffered so
// far), if it is all there and plain. It does not allocate.
func parsePlainHead(b []byte) (head plainHead, ok bool) {
	end := bytes.Index(b, crlfcrlf)
	if end < 0 {
		return head, false
	}
	head.size = end + len(crlfcrlf)
	b = b[:end+len(crlf)] // each line with its CRLF

	i := bytes.Index(b, crlf)
	status, ok := plainStatus(b[:i])
	if !ok {
		return head, false
	}
	head.status = status
	head.contentLength = -1
	for rest := b[i+len(crlf):]; len(rest) > 0; {
		j := bytes.Index(rest, crlf)
		key, value, ok := headerLine(rest[:j])
		if !ok {
			return head, false
		}
		rest = rest[j+len(crlf):]
		if head.lines++; head.lines > maxPlainHeaders {
			return head, false
		}
		switch {
		case foldEqual(key, "content-length"):
			n, ok := contentLength(value)
			if !ok || head.contentLength >= 0 {
				return head, false
			}
			head.contentLength = n
		case foldEqual(key, "transfer-encoding"), foldEqual(key, "connection"),
			foldEqual(key, "trailer"), foldEqual(key, "pragma"):
			return head, false
		}
	}
	if head.contentLength < 0 {
		return head, false // the body lasts until the upstream closes
	}
	return head, true
}

// plainStatus reads a status line "HTTP/1.1 DDD[ reason]" with a final
// status from 200 to 599 other than 204 and 304 (which have no body).
func plainStatus(line []byte) (int, bool) {
	const proto = "HTTP/1.1 "
	if len(line) < len(proto)+3 || string(line[:len(proto)]) != proto {
		return 0, false
	}
	d := line[len(proto) : len(proto)+3]
	if d[0] < '2' || d[0] > '5' || !isDigit(d[1]) || !isDigit(d[2]) {
		return 0, false
	}
	// net/http ignores the reason phrase; a bare CR or LF in it would end
	// the line for textproto, though.
	if rest := line[len(proto)+3:]; len(rest) > 0 && rest[0] != ' ' ||
		bytes.IndexByte(rest, '\r') >= 0 || bytes.IndexByte(rest, '\n') >= 0 {
		return 0, false
	}
	status := int(d[0]-'0')*100 + int(d[1]-'0')*10 + int(d[2]-'0')
	if status == http.StatusNoContent || status == http.StatusNotModified {
		return 0, false
	}
	return status, true
}

// headerLine splits a header line "Key: value" as textproto does (the
// value without the spaces and tabs around it), when the key is a token
// and the value has no control byte but tab: ok=false for anything else,
// a folded line among them.
func headerLine(line []byte) (key, value []byte, ok bool) {
	colon := bytes.IndexByte(line, ':')
	if colon <= 0 {
		return nil, nil, false
	}
	key, value = line[:colon], line[colon+1:]
	for _, c := range key {
		if !validHeaderFieldByte(c) {
			return nil, nil, false
		}
	}
	for _, c := range value {
		if !validHeaderValueByte(c) {
			return nil, nil, false
		}
	}
	return key, bytes.Trim(value, " \t"), true
}

// contentLength reads a Content-Length value as net/http does
// (strconv.ParseUint, base 10, 63 bits); ok=false if it is not plain
// digits, or too long to be sure of.
func contentLength(v []byte) (int64, bool) {
	if len(v) == 0 || len(v) > 18 {
		return 0, false
	}
	var n int64
	for _, c := range v {
		if !isDigit(c) {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// setPlainHeader puts the header lines of head, a plain head at the start
// of b, into h, but the hop-by-hop ones: a key the answer has replaces
// any value h had, as with the headers of http.ReadResponse. The keys are
// canonical (textproto.CanonicalMIMEHeaderKey) and the values trimmed, as
// net/http reads them; keys and values share one string, and the value
// slices one array.
func setPlainHeader(h http.Header, b []byte, head plainHead) {
	block := string(b[:head.size])
	values := make([]string, head.lines)
	var seen [maxPlainHeaders]string
	n := 0
	rest := block[bytes.Index(b, crlf)+len(crlf) : head.size-len(crlf)]
	for len(rest) > 0 {
		j := strings.Index(rest, "\r\n")
		line := rest[:j]
		rest = rest[j+len(crlf):]
		colon := strings.IndexByte(line, ':')
		key := canonicalKey(line[:colon])
		value := strings.Trim(line[colon+1:], " \t")
		if hopByHop(key) {
			continue
		}
		first := true
		for _, k := range seen[:n] {
			if k == key {
				first = false
				break
			}
		}
		if first {
			seen[n] = key
			values[n] = value
			h[key] = values[n : n+1 : n+1]
			n++
			continue
		}
		h[key] = append(h[key], value)
	}
}

// copyBody copies the n bytes of a body from br to w: what br holds
// already straight from its buffer, the rest through a buffer from bufs.
func copyBody(w io.Writer, br *bufio.Reader, n int64, bufs *bufferPool) error {
	if k := int64(br.Buffered()); k > 0 {
		b, _ := br.Peek(int(min(k, n)))
		if _, err := w.Write(b); err != nil {
			return err
		}
		br.Discard(len(b))
		n -= int64(len(b))
	}
	if n == 0 {
		return nil
	}
	buf := bufs.Get()
	copied, err := io.CopyBuffer(writerOnly{w}, io.LimitReader(br, n), buf)
	bufs.Put(buf)
	if err == nil && copied < n {
		err = io.ErrUnexpectedEOF
	}
	return err
}

// canonicalKey is textproto.CanonicalMIMEHeaderKey(key) for a token,
// without allocating when the key is canonical already.
func canonicalKey(key string) string {
	upper := true
	for i := 0; i < len(key); i++ {
		c := key[i]
		if upper && 'a' <= c && c <= 'z' || !upper && 'A' <= c && c <= 'Z' {
			return textproto.CanonicalMIMEHeaderKey(key)
		}
		upper = c == '-'
	}
	return key
}

// foldEqual reports whether the token b equals lower, a lower-case name,
// ignoring ASCII case.
func foldEqual(b []byte, lower string) bool {
	if len(b) != len(lower) {
		return false
	}
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }

// validHeaderFieldByte reports whether c may be in a header name (a
// token, RFC 9110 section 5.6.2), as textproto's.
func validHeaderFieldByte(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	switch c {
	case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~':
		return true
	}
	return false
}

// validHeaderValueByte reports whether c may be in a header value, as
// textproto's: anything but a control byte other than tab, and DEL.
func validHeaderValueByte(c byte) bool {
	return c == '\t' || c >= 0x20 && c != 0x7f
}
