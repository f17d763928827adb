package netprobe

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// TestCert makes a self-signed certificate for 127.0.0.1 expiring at notAfter.
func testCert(t *testing.T, notAfter time.Time) tls.Certificate {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "probe.test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: notAfter, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: k}
}

func TestTCPOpenAndClosed(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	r, err := TCP(context.Background(), protocol.NetProbeParams{Address: addr})
	if err != nil || !r.OK {
		t.Fatalf("open port: %+v %v", r, err)
	}
	ln.Close()
	r, err = TCP(context.Background(), protocol.NetProbeParams{Address: addr, TimeoutMS: 2000})
	if err != nil || r.OK || r.Error == "" {
		t.Fatalf("closed port: %+v %v", r, err)
	}
}

func TestHTTPStatusNoRedirect(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/moved" {
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
			return
		}
		w.WriteHeader(http.StatusTeapot)
	}))
	defer srv.Close()
	r, err := HTTP(context.Background(), protocol.NetProbeParams{Address: srv.URL + "/x"})
	if err != nil || !r.OK || r.Status != http.StatusTeapot {
		t.Fatalf("status: %+v %v", r, err)
	}
	// A redirect to another scheme is reported as the redirect itself.
	r, err = HTTP(context.Background(), protocol.NetProbeParams{Address: srv.URL + "/moved"})
	if err != nil || !r.OK || r.Status != http.StatusFound {
		t.Fatalf("redirect: %+v %v", r, err)
	}
}

func TestTLSDaysLeft(t *testing.T) {
	notAfter := time.Now().Add(10 * 24 * time.Hour).Truncate(time.Second).UTC()
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{testCert(t, notAfter)}}
	srv.StartTLS()
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "https://")
	r, err := TLS(context.Background(), protocol.NetProbeParams{Address: host})
	if err != nil || !r.OK || r.Subject != "probe.test" || r.NotAfter != notAfter.Format(time.RFC3339) {
		t.Fatalf("tls: %+v %v (want %s)", r, err, notAfter)
	}
	// HTTP over the same self-signed certificate fails verification.
	r, err = HTTP(context.Background(), protocol.NetProbeParams{Address: srv.URL})
	if err != nil || r.OK {
		t.Fatalf("unverified https: %+v %v", r, err)
	}
}

func TestBadAddresses(t *testing.T) {
	for _, a := range []string{"", "file:///etc/passwd", "host", "host:0", "host:99999", "a/b:80", "user@h:22", "h:80 x"} {
		if _, err := TCP(context.Background(), protocol.NetProbeParams{Address: a}); !errors.Is(err, ErrAddress) {
			t.Errorf("tcp %q: %v", a, err)
		}
	}
	for _, a := range []string{"file:///etc/passwd", "ftp://h/", "gopher://h", "http://", "https://u:p@h/", "//h/x"} {
		if _, err := HTTP(context.Background(), protocol.NetProbeParams{Address: a}); !errors.Is(err, ErrAddress) {
			t.Errorf("http %q: %v", a, err)
		}
	}
	if _, err := TCP(context.Background(), protocol.NetProbeParams{Address: "h:1", TimeoutMS: 999999}); !errors.Is(err, ErrAddress) {
		t.Errorf("huge timeout: %v", err)
	}
	if a, err := protocol.NetHostPort("example.com", 443); err != nil || a != "example.com:443" {
		t.Errorf("default port: %q %v", a, err)
	}
}
