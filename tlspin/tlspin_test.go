package tlspin

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"
)

type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

var serial int64

func issue(t *testing.T, parent *testCA, tmpl *x509.Certificate) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	serial++
	tmpl.SerialNumber = big.NewInt(serial)
	tmpl.NotBefore, tmpl.NotAfter = time.Now().Add(-time.Hour), time.Now().Add(time.Hour)
	signer, signerKey := tmpl, key
	if parent != nil {
		signer, signerKey = parent.cert, parent.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	if err != nil {
		t.Fatal(err)
	}
	c, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: c, key: key}
}

func caTmpl(name string) *x509.Certificate {
	return &x509.Certificate{Subject: pkix.Name{CommonName: name}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign}
}

func leafTmpl(eku x509.ExtKeyUsage, names ...string) *x509.Certificate {
	t := &x509.Certificate{Subject: pkix.Name{CommonName: names[0]}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{eku}}
	for _, n := range names {
		if ip := net.ParseIP(n); ip != nil {
			t.IPAddresses = append(t.IPAddresses, ip)
		} else {
			t.DNSNames = append(t.DNSNames, n)
		}
	}
	return t
}

// pki is an operator's chain: root → intermediate → the server's leaf,
// and, from the same intermediate, a leaf for another name (what anyone
// can buy from a public CA) and a client-only leaf.
type pkiSet struct {
	root, inter, leaf, evil, client, otherRoot *testCA
}

func newPKI(t *testing.T) pkiSet {
	var p pkiSet
	p.root = issue(t, nil, caTmpl("Root"))
	p.inter = issue(t, p.root, caTmpl("Intermediate"))
	p.leaf = issue(t, p.inter, leafTmpl(x509.ExtKeyUsageServerAuth, "rmm.example", "127.0.0.1"))
	p.evil = issue(t, p.inter, leafTmpl(x509.ExtKeyUsageServerAuth, "evil.example"))
	p.client = issue(t, p.inter, leafTmpl(x509.ExtKeyUsageClientAuth, "rmm.example", "127.0.0.1"))
	p.otherRoot = issue(t, nil, caTmpl("Other Root"))
	return p
}

func chainOf(cs ...*testCA) []*x509.Certificate {
	out := make([]*x509.Certificate, len(cs))
	for i, c := range cs {
		out[i] = c.cert
	}
	return out
}

func TestVerify(t *testing.T) {
	p := newPKI(t)
	full := chainOf(p.leaf, p.inter, p.root)
	evil := chainOf(p.evil, p.inter, p.root)
	cases := []struct {
		name   string
		v      Verifier
		chain  []*x509.Certificate
		accept bool
	}{
		{"SPKI pin of the server's key", Verifier{Pins: []Pin{KeyPin(p.leaf.cert)}}, full, true},
		{"SPKI pin, any name dialled", Verifier{Pins: []Pin{KeyPin(p.leaf.cert)}, ServerName: "other.example"}, full, true},
		{"SPKI pin, another leaf of the same CA", Verifier{Pins: []Pin{KeyPin(p.leaf.cert)}}, evil, false},
		{"SPKI pin of the intermediate only", Verifier{Pins: []Pin{KeyPin(p.inter.cert)}, ServerName: "rmm.example"}, full, false},
		{"SPKI pin of the root only", Verifier{Pins: []Pin{KeyPin(p.root.cert)}, ServerName: "rmm.example"}, full, false},
		{"CA pin of the root, right name", Verifier{Pins: []Pin{CertPin(p.root.cert.Raw)}, ServerName: "rmm.example"}, full, true},
		{"CA pin of the root, IP dialled", Verifier{Pins: []Pin{CertPin(p.root.cert.Raw)}, ServerName: "127.0.0.1"}, full, true},
		{"CA pin of the intermediate, right name", Verifier{Pins: []Pin{CertPin(p.inter.cert.Raw)}, ServerName: "rmm.example"}, chainOf(p.leaf, p.inter), true},
		{"CA pin of the root, other name from the same intermediate", Verifier{Pins: []Pin{CertPin(p.root.cert.Raw)}, ServerName: "rmm.example"}, evil, false},
		{"CA pin of the intermediate, other name from it", Verifier{Pins: []Pin{CertPin(p.inter.cert.Raw)}, ServerName: "rmm.example"}, evil, false},
		{"CA pin of the intermediate, other name, IP dialled", Verifier{Pins: []Pin{CertPin(p.inter.cert.Raw)}, ServerName: "127.0.0.1"}, evil, false},
		{"CA pin, wrong name dialled", Verifier{Pins: []Pin{CertPin(p.root.cert.Raw)}, ServerName: "evil.example"}, full, false},
		{"CA pin, no name to check", Verifier{Pins: []Pin{CertPin(p.root.cert.Raw)}}, full, false},
		{"CA pin, AnyName for a server-only CA", Verifier{Pins: []Pin{CertPin(p.root.cert.Raw)}, AnyName: true}, full, true},
		{"CA pin, client-only leaf", Verifier{Pins: []Pin{CertPin(p.root.cert.Raw)}, ServerName: "rmm.example"}, chainOf(p.client, p.inter, p.root), false},
		{"CA pin, CA not in the chain", Verifier{Pins: []Pin{CertPin(p.otherRoot.cert.Raw)}, ServerName: "rmm.example"}, full, false},
		{"CA pin of the root, root not sent", Verifier{Pins: []Pin{CertPin(p.root.cert.Raw)}, ServerName: "rmm.example"}, chainOf(p.leaf, p.inter), false},
		{"CA pin, other root added to the chain", Verifier{Pins: []Pin{CertPin(p.otherRoot.cert.Raw)}, ServerName: "rmm.example"},
			append(chainOf(p.leaf, p.inter), p.otherRoot.cert), false},
		{"two pins (rotation), second matches", Verifier{Pins: []Pin{KeyPin(p.evil.cert), CertPin(p.root.cert.Raw)}, ServerName: "rmm.example"}, full, true},
		{"no pins", Verifier{ServerName: "rmm.example"}, full, false},
		{"empty chain", Verifier{Pins: []Pin{KeyPin(p.leaf.cert)}}, nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.v.Verify(tc.chain)
			if tc.accept && err != nil {
				t.Errorf("refused: %v", err)
			}
			if !tc.accept && err == nil {
				t.Error("accepted")
			}
		})
	}
}

func TestNormalizeAndParse(t *testing.T) {
	hex := "ab0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcd"
	upperColons := ""
	for i := 0; i < len(hex); i += 2 {
		if i > 0 {
			upperColons += ":"
		}
		upperColons += strings.ToUpper(hex[i : i+2])
	}
	ok := []struct {
		in   string
		want string
	}{
		{hex, "ca:" + hex},
		{strings.ToUpper(hex), "ca:" + hex},
		{upperColons, "ca:" + hex},
		{strings.ReplaceAll(upperColons, ":", "-"), "ca:" + hex},
		{strings.ReplaceAll(upperColons, ":", " "), "ca:" + hex},
		{"  sha256:" + hex + "\n", "ca:" + hex},
		{"SHA256:" + upperColons, "ca:" + hex},
		{"ca:" + hex, "ca:" + hex},
		{"CA:sha256:" + upperColons, "ca:" + hex},
		{"spki:" + hex, "spki:" + hex},
		{"SPKI:sha256:" + strings.ReplaceAll(upperColons, ":", "-"), "spki:" + hex},
		// A colon-separated fingerprint that starts with the byte CA.
		{"CA:" + upperColons[3:], "ca:ca" + hex[2:]},
	}
	for _, tc := range ok {
		p, err := ParsePin(tc.in)
		if err != nil || p.String() != tc.want {
			t.Errorf("ParsePin(%q) = %v, %v; want %s", tc.in, p, err, tc.want)
		}
	}
	bad := []string{"", "abcd", hex + "00", hex[:63] + "g", "spki:", "spki:" + hex[:62], "md5:" + hex,
		"spki:ca:" + hex, "sha1:" + hex, hex + ",", "ca :" + hex}
	for _, in := range bad {
		if p, err := ParsePin(in); err == nil {
			t.Errorf("ParsePin(%q) accepted as %v", in, p)
		}
	}
	pins, err := ParsePins(" spki:" + hex + " , " + upperColons)
	if err != nil || Format(pins) != "spki:"+hex+",ca:"+hex {
		t.Errorf("ParsePins: %v %v", Format(pins), err)
	}
	if _, err := ParsePins(" , "); err == nil {
		t.Error("ParsePins accepted an empty list")
	}
}

// TestClientConfigHandshake runs real TLS handshakes: the server with the
// right leaf is accepted, one with another name's leaf from the same CA
// is refused before any application data.
func TestClientConfigHandshake(t *testing.T) {
	p := newPKI(t)
	serve := func(leaf *testCA) *tls.Config {
		return &tls.Config{Certificates: []tls.Certificate{{
			Certificate: [][]byte{leaf.cert.Raw, p.inter.cert.Raw, p.root.cert.Raw}, PrivateKey: leaf.key}}}
	}
	handshake := func(srv *tls.Config, v Verifier) error {
		c, s := net.Pipe()
		defer c.Close()
		defer s.Close()
		go func() { _ = tls.Server(s, srv).Handshake() }()
		return tls.Client(c, ClientConfig(v)).Handshake()
	}
	caPin := Verifier{Pins: []Pin{CertPin(p.root.cert.Raw)}, ServerName: "127.0.0.1"}
	keyPin := Verifier{Pins: []Pin{KeyPin(p.leaf.cert)}, ServerName: "127.0.0.1"}
	for _, v := range []Verifier{caPin, keyPin} {
		if err := handshake(serve(p.leaf), v); err != nil {
			t.Errorf("real server refused with %v: %v", v.Pins, err)
		}
		if err := handshake(serve(p.evil), v); err == nil {
			t.Errorf("impostor with a leaf from the same CA accepted with %v", v.Pins)
		}
	}
}
