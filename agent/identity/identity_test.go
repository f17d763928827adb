package identity

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"testing"
	"time"

	"github.com/steward-rmm/steward/tlspin"
)

type kc struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

func mk(t *testing.T, parent *kc, serial int64, ca bool, eku x509.ExtKeyUsage, hosts ...string) *kc {
	t.Helper()
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: "c"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour)}
	if ca {
		tmpl.IsCA, tmpl.BasicConstraintsValid, tmpl.KeyUsage = true, true, x509.KeyUsageCertSign
	} else {
		tmpl.KeyUsage, tmpl.ExtKeyUsage = x509.KeyUsageDigitalSignature, []x509.ExtKeyUsage{eku}
		for _, h := range hosts {
			if ip := net.ParseIP(h); ip != nil {
				tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
			} else {
				tmpl.DNSNames = append(tmpl.DNSNames, h)
			}
		}
	}
	signer, sk := tmpl, key
	if parent != nil {
		signer, sk = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, sk)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := x509.ParseCertificate(der)
	return &kc{c, key}
}

// TestLegacyFingerprint: an identity from before typed pins holds one CA
// fingerprint. The host name is checked, except when that CA signed the
// agent's own certificate (the server's private Steward CA); so a
// certificate for another name from an operator's CA is refused.
func TestLegacyFingerprint(t *testing.T) {
	steward := mk(t, nil, 1, true, 0)
	agentCert := mk(t, steward, 2, false, x509.ExtKeyUsageClientAuth, "d_1")
	root := mk(t, nil, 3, true, 0)
	inter := mk(t, root, 4, true, 0)
	opLeaf := mk(t, inter, 5, false, x509.ExtKeyUsageServerAuth, "127.0.0.1")
	opEvil := mk(t, inter, 6, false, x509.ExtKeyUsageServerAuth, "evil.example")
	stewardLeaf := mk(t, steward, 7, false, x509.ExtKeyUsageServerAuth, "localhost")
	stewardClient := mk(t, steward, 8, false, x509.ExtKeyUsageClientAuth, "127.0.0.1")

	serve := func(leaf *kc, chain ...*kc) *tls.Config {
		c := tls.Certificate{Certificate: [][]byte{leaf.cert.Raw}, PrivateKey: leaf.key}
		for _, x := range chain {
			c.Certificate = append(c.Certificate, x.cert.Raw)
		}
		return &tls.Config{Certificates: []tls.Certificate{c}, ClientAuth: tls.RequestClientCert}
	}
	for _, tc := range []struct {
		name   string
		pin    *kc
		srv    *tls.Config
		accept bool
	}{
		{"Steward CA, name not in the certificate", steward, serve(stewardLeaf, steward), true},
		{"Steward CA, client-only certificate", steward, serve(stewardClient, steward), false},
		{"operator root, right name", root, serve(opLeaf, inter, root), true},
		{"operator root, other name from the same intermediate", root, serve(opEvil, inter, root), false},
		{"operator intermediate, other name from it", inter, serve(opEvil, inter, root), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := &Identity{Dir: t.TempDir(), Config: Config{Server: "https://127.0.0.1:8443",
				Fingerprint: tlspin.CertPin(tc.pin.cert.Raw).Hex()},
				Cert: tls.Certificate{Certificate: [][]byte{agentCert.cert.Raw}, PrivateKey: agentCert.key}}
			cfg, err := id.TLSConfig(id.Config.Server)
			if err != nil {
				t.Fatal(err)
			}
			c, s := net.Pipe()
			defer c.Close()
			defer s.Close()
			go func() { _ = tls.Server(s, tc.srv).Handshake() }()
			err = tls.Client(c, cfg).Handshake()
			if tc.accept && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tc.accept && err == nil {
				t.Error("accepted")
			}
		})
	}
}

// TestVerifyMemo: reconnecting to the same server skips the chain
// verification (it passed before, for the same pins and name), while
// another chain is verified in full and one that fails is refused.
func TestVerifyMemo(t *testing.T) {
	steward := mk(t, nil, 1, true, 0)
	agentCert := mk(t, steward, 2, false, x509.ExtKeyUsageClientAuth, "d_1")
	leaf := mk(t, steward, 3, false, x509.ExtKeyUsageServerAuth, "127.0.0.1")
	other := mk(t, steward, 4, false, x509.ExtKeyUsageServerAuth, "127.0.0.1")
	foreignCA := mk(t, nil, 5, true, 0)
	foreign := mk(t, foreignCA, 6, false, x509.ExtKeyUsageServerAuth, "127.0.0.1")
	serve := func(leaf, ca *kc) *tls.Config {
		return &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{leaf.cert.Raw, ca.cert.Raw},
			PrivateKey: leaf.key}}, ClientAuth: tls.RequestClientCert, SessionTicketsDisabled: true}
	}
	id := &Identity{Dir: t.TempDir(), Config: Config{Server: "https://127.0.0.1:8443",
		Pins: []string{tlspin.CertPin(steward.cert.Raw).String()}},
		Cert: tls.Certificate{Certificate: [][]byte{agentCert.cert.Raw}, PrivateKey: agentCert.key}}
	cfg, err := id.TLSConfig(id.Config.Server)
	if err != nil {
		t.Fatal(err)
	}
	connect := func(srv *tls.Config) error {
		c, s := net.Pipe()
		defer c.Close()
		defer s.Close()
		go func() { _ = tls.Server(s, srv).Handshake() }()
		return tls.Client(c, cfg).Handshake()
	}
	for _, step := range []struct {
		name   string
		srv    *tls.Config
		accept bool
		checks int
	}{
		{"first connection", serve(leaf, steward), true, 1},
		{"the same server again", serve(leaf, steward), true, 1},
		{"and again", serve(leaf, steward), true, 1},
		{"another certificate of the pinned CA", serve(other, steward), true, 2},
		{"a certificate of another CA", serve(foreign, foreignCA), false, 3},
		{"the other certificate again", serve(other, steward), true, 3},
		{"the first server again", serve(leaf, steward), true, 4},
	} {
		err := connect(step.srv)
		if (err == nil) != step.accept {
			t.Fatalf("%s: %v, want accepted %v", step.name, err, step.accept)
		}
		if id.memo.checks != step.checks {
			t.Fatalf("%s: %d full verifications so far, want %d", step.name, id.memo.checks, step.checks)
		}
	}
}
