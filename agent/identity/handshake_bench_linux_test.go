//go:build linux

package identity

import (
	"crypto/tls"
	"crypto/x509"
	"net"
	"syscall"
	"testing"
	"time"

	"github.com/steward-rmm/steward/tlspin"
)

// BenchmarkHandshake measures one agent connection's TLS handshake, both
// ends on this CPU (as in steward-bench), full or resumed, with the
// agent's configuration ("agent") and with the one before the memo and
// the curve preference ("plain": Go's default key shares, the pin chain
// verified every time). cpu-µs/op is the process's CPU time per
// handshake, which other load on the machine disturbs less than ns/op.
func BenchmarkHandshake(b *testing.B) {
	t := &testing.T{}
	ca := mk(t, nil, 1, true, 0)
	agentCert := mk(t, ca, 2, false, x509.ExtKeyUsageClientAuth, "d_1")
	leaf := mk(t, ca, 3, false, x509.ExtKeyUsageServerAuth, "127.0.0.1")
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	srv := &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.cert.Raw, ca.cert.Raw}, PrivateKey: leaf.key}},
		ClientAuth: tls.VerifyClientCertIfGiven, ClientCAs: pool, MinVersion: tls.VersionTLS12,
		CurvePreferences: []tls.CurveID{tls.X25519, tls.CurveP256}}
	pins := []tlspin.Pin{tlspin.CertPin(ca.cert.Raw)}
	for _, mode := range []string{"full", "resumed"} {
		for _, variant := range []string{"plain", "agent"} {
			b.Run(mode+"/"+variant, func(b *testing.B) {
				id := &Identity{Dir: b.TempDir(), Config: Config{Server: "https://127.0.0.1:8443", Pins: []string{pins[0].String()}},
					Cert: tls.Certificate{Certificate: [][]byte{agentCert.cert.Raw}, PrivateKey: agentCert.key}}
				cfg, err := id.TLSConfig(id.Config.Server)
				if err != nil {
					b.Fatal(err)
				}
				if variant == "plain" {
					cfg.CurvePreferences = nil
					cfg.VerifyConnection = func(cs tls.ConnectionState) error {
						return tlspin.Verifier{Pins: pins, ServerName: "127.0.0.1"}.Verify(cs.PeerCertificates)
					}
				}
				if mode == "resumed" {
					cfg.ClientSessionCache = tls.NewLRUClientSessionCache(1)
				}
				cfg.ServerName = "127.0.0.1"
				ln, err := net.Listen("tcp", "127.0.0.1:0")
				if err != nil {
					b.Fatal(err)
				}
				defer ln.Close()
				connect := func() bool {
					done := make(chan struct{})
					go func() {
						defer close(done)
						s, err := ln.Accept()
						if err != nil {
							return
						}
						defer s.Close()
						sc := tls.Server(s, srv)
						if sc.Handshake() == nil {
							_, _ = sc.Write([]byte{1}) // the client reads its ticket with this
						}
					}()
					c, err := net.Dial("tcp", ln.Addr().String())
					if err != nil {
						b.Fatal(err)
					}
					defer c.Close()
					cc := tls.Client(c, cfg)
					if err := cc.Handshake(); err != nil {
						b.Fatal(err)
					}
					_, _ = cc.Read(make([]byte, 1))
					<-done
					return cc.ConnectionState().DidResume
				}
				connect()
				b.ResetTimer()
				cpu0 := cpuTime()
				for range b.N {
					if connect() != (mode == "resumed") {
						b.Fatal("resumption not as expected")
					}
				}
				b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-µs/op")
			})
		}
	}
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
