// Package netprobe answers the network probes of monitors (protocol
// netprobe.*): a TCP connect, an HTTP(S) request and a TLS handshake
// against an address the server names, each bounded by a timeout. The
// address is validated first: host[:port] for tcp and tls, an http or
// https URL for http; redirects are not followed (a redirect is a status
// like any other), so a probe cannot be steered to another scheme.
package netprobe

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

// DefaultTimeout is a probe's timeout when the call names none.
const DefaultTimeout = 10 * time.Second

// ErrAddress is returned for an address that is not one a probe takes.
var ErrAddress = protocol.ErrNetAddress

// Methods returns the probe methods.
func Methods() []toolbox.Method {
	m := func(name string, fn func(ctx context.Context, p protocol.NetProbeParams) (protocol.NetProbeResult, error)) toolbox.Method {
		return toolbox.Method{Name: name, Handler: func(ctx context.Context, c *toolbox.Call) (any, error) {
			var p protocol.NetProbeParams
			if err := c.Decode(&p); err != nil {
				return nil, err
			}
			r, err := fn(ctx, p)
			if err != nil {
				return nil, toolbox.Errorf(protocol.CallBadRequest, "%v", err)
			}
			return r, nil
		}}
	}
	return []toolbox.Method{m(protocol.MethodNetProbeTCP, TCP), m(protocol.MethodNetProbeHTTP, HTTP), m(protocol.MethodNetProbeTLS, TLS)}
}

func timeout(p protocol.NetProbeParams) (time.Duration, error) {
	if p.TimeoutMS < 0 || p.TimeoutMS > protocol.MaxNetProbeTimeoutMS {
		return 0, fmt.Errorf("%w: timeout_ms 0..%d", ErrAddress, protocol.MaxNetProbeTimeoutMS)
	}
	if p.TimeoutMS == 0 {
		return DefaultTimeout, nil
	}
	return time.Duration(p.TimeoutMS) * time.Millisecond, nil
}

func failed(start time.Time, err error) protocol.NetProbeResult {
	return protocol.NetProbeResult{Error: err.Error(), LatencyMS: time.Since(start).Milliseconds()}
}

// TCP connects to host:port.
func TCP(ctx context.Context, p protocol.NetProbeParams) (protocol.NetProbeResult, error) {
	addr, err := protocol.NetHostPort(p.Address, 0)
	if err != nil {
		return protocol.NetProbeResult{}, err
	}
	d, err := timeout(p)
	if err != nil {
		return protocol.NetProbeResult{}, err
	}
	start := time.Now()
	c, err := (&net.Dialer{Timeout: d}).DialContext(ctx, "tcp", addr)
	if err != nil {
		return failed(start, err), nil
	}
	c.Close()
	return protocol.NetProbeResult{OK: true, LatencyMS: time.Since(start).Milliseconds()}, nil
}

// HTTP requests the URL (GET, no redirects, certificates verified) and
// reports its status; the body is not read.
func HTTP(ctx context.Context, p protocol.NetProbeParams) (protocol.NetProbeResult, error) {
	u, err := protocol.NetURL(p.Address)
	if err != nil {
		return protocol.NetProbeResult{}, err
	}
	d, err := timeout(p)
	if err != nil {
		return protocol.NetProbeResult{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return protocol.NetProbeResult{}, fmt.Errorf("%w: %v", ErrAddress, err)
	}
	req.Header.Set("User-Agent", "steward-netprobe")
	cl := &http.Client{
		Transport:     &http.Transport{Proxy: nil, DisableKeepAlives: true, TLSClientConfig: &tls.Config{MinVersion: tls.VersionTLS12}},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	start := time.Now()
	resp, err := cl.Do(req)
	if err != nil {
		return failed(start, err), nil
	}
	resp.Body.Close()
	return protocol.NetProbeResult{OK: true, Status: resp.StatusCode, LatencyMS: time.Since(start).Milliseconds()}, nil
}

// TLS handshakes with host[:port] (default 443) and reports the leaf
// certificate's expiry. The chain is not verified: an expired or
// self-signed certificate is exactly what the monitor is there to see.
func TLS(ctx context.Context, p protocol.NetProbeParams) (protocol.NetProbeResult, error) {
	addr, err := protocol.NetHostPort(p.Address, 443)
	if err != nil {
		return protocol.NetProbeResult{}, err
	}
	d, err := timeout(p)
	if err != nil {
		return protocol.NetProbeResult{}, err
	}
	host, _, _ := net.SplitHostPort(addr)
	start := time.Now()
	td := &tls.Dialer{NetDialer: &net.Dialer{Timeout: d},
		Config: &tls.Config{ServerName: host, InsecureSkipVerify: true}} //nolint:gosec // reading the expiry, not trusting
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	c, err := td.DialContext(ctx, "tcp", addr)
	if err != nil {
		return failed(start, err), nil
	}
	defer c.Close()
	certs := c.(*tls.Conn).ConnectionState().PeerCertificates
	if len(certs) == 0 {
		return failed(start, errors.New("no certificate")), nil
	}
	return protocol.NetProbeResult{OK: true, LatencyMS: time.Since(start).Milliseconds(),
		NotAfter: certs[0].NotAfter.UTC().Format(time.RFC3339), Subject: certs[0].Subject.CommonName}, nil
}
