package devorg

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/http"
	"time"
)

// ServeOptions say where and how to serve an org.
type ServeOptions struct {
	// Addr is host:port on a loopback address (127.0.0.0/8, ::1 or
	// localhost); port 0 picks a free port.
	Addr string
	// TLS serves HTTPS with a certificate made at start, signed by a fresh
	// CA whose certificate is Server.CACertPEM.
	TLS bool
	// ErrorLog receives net/http's own errors (TLS handshakes); nil
	// discards them.
	ErrorLog *log.Logger
}

// Server is an org served on a loopback address.
type Server struct {
	// URL is the org URL (http://127.0.0.1:port or https://...).
	URL string
	// Org is the org being served.
	Org *Org
	// CACertPEM is the PEM certificate of the CA that signed the HTTPS
	// certificate (TLS only): what clients must trust.
	CACertPEM []byte

	hs   *http.Server
	done chan error
}

// Listen makes an org from opts, starts serving it as so says, and
// returns once it accepts connections. Stop it with Shutdown.
func Listen(so ServeOptions, opts Options) (*Server, error) {
	if err := CheckLoopbackAddr(so.Addr); err != nil {
		return nil, err
	}
	host, _, _ := net.SplitHostPort(so.Addr)
	org, err := New(opts)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", so.Addr)
	if err != nil {
		return nil, err
	}
	errorLog := so.ErrorLog
	if errorLog == nil {
		errorLog = log.New(io.Discard, "", 0)
	}
	s := &Server{Org: org, done: make(chan error, 1),
		hs: &http.Server{Handler: org.Handler(), ReadHeaderTimeout: 10 * time.Second, ErrorLog: errorLog}}
	scheme := "http"
	if so.TLS {
		scheme = "https"
		caPEM, cert, err := selfSignedCert(host)
		if err != nil {
			ln.Close()
			return nil, err
		}
		s.CACertPEM = caPEM
		ln = tls.NewListener(ln, &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12, NextProtos: []string{"http/1.1"}}) // HTTP/1.1 so that the close faults can hijack the connection
	}
	s.URL = orgURL(scheme + "://" + ln.Addr().String())
	org.SetBaseURL(s.URL)
	go func() { s.done <- s.hs.Serve(ln) }()
	return s, nil
}

// Done receives the serving error once the server stops.
func (s *Server) Done() <-chan error { return s.done }

// Shutdown stops the server, letting requests in flight finish until ctx
// ends.
func (s *Server) Shutdown(ctx context.Context) error {
	err := s.hs.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return s.hs.Close()
	}
	return err
}

// CheckLoopbackAddr checks that addr is host:port with a loopback host,
// the only kind of address the local org listens on.
func CheckLoopbackAddr(addr string) error {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("address %q: %w", addr, err)
	}
	if !isLoopback(host) {
		return fmt.Errorf("address %q: the local org listens on a loopback address only (127.0.0.1, ::1, localhost)", addr)
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// selfSignedCert makes a CA and a server certificate for the loopback
// names, valid for a week. It returns the CA's PEM and the server key pair.
func selfSignedCert(host string) ([]byte, tls.Certificate, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "apicenter dev-org CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(7 * 24 * time.Hour),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: host},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.Add(7 * 24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	if ip := net.ParseIP(host); ip != nil && !ip.Equal(net.IPv4(127, 0, 0, 1)) && !ip.Equal(net.IPv6loopback) {
		tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		return nil, tls.Certificate{}, err
	}
	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	return caPEM, tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// NewAPIToken returns a random API token in the shape of Okta's (42
// characters starting with 00).
func NewAPIToken() string { return "00" + randomToken(40) }
