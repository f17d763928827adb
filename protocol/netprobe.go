package protocol

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
)

// Network probes: toolbox methods an agent runs against an address on
// behalf of a network monitor (a TCP port, an HTTP(S) URL, a TLS
// certificate). Each answers one NetProbeResult; a probe that fails to
// connect is a result with OK false, not a call error.
const (
	// MethodNetProbeTCP connects to host:port.
	MethodNetProbeTCP = "netprobe.tcp"
	// MethodNetProbeHTTP fetches an http(s) URL (no redirects followed).
	MethodNetProbeHTTP = "netprobe.http"
	// MethodNetProbeTLS handshakes with host:port and reads the leaf
	// certificate's expiry.
	MethodNetProbeTLS = "netprobe.tls"

	// MaxNetProbeTimeoutMS bounds a probe's timeout.
	MaxNetProbeTimeoutMS = 30000
)

// NetProbeParams is a probe's request.
type NetProbeParams struct {
	// Address is host:port (tcp, tls; tls defaults to port 443) or an
	// http:// or https:// URL (http).
	Address string `json:"address"`
	// TimeoutMS bounds the probe (default 10000, at most
	// MaxNetProbeTimeoutMS).
	TimeoutMS int `json:"timeout_ms,omitempty"`
}

// NetProbeResult is a probe's outcome.
type NetProbeResult struct {
	OK bool `json:"ok"`
	// Error says why the probe failed to connect (or read), when !OK.
	Error string `json:"error,omitempty"`
	// LatencyMS is how long the probe took (connect, or the whole HTTP
	// response's headers).
	LatencyMS int64 `json:"latency_ms"`
	// Status is the HTTP status code (http).
	Status int `json:"status,omitempty"`
	// NotAfter is the leaf certificate's expiry, RFC 3339 (tls), and
	// Subject its subject's common name.
	NotAfter string `json:"not_after,omitempty"`
	Subject  string `json:"subject,omitempty"`
}

// ErrNetAddress is returned for an address that is not one a probe takes.
var ErrNetAddress = errors.New("bad probe address")

// NetHostPort validates host[:port], filling defPort when no port is
// given (defPort 0 = a port is required), and returns host:port.
func NetHostPort(addr string, defPort int) (string, error) {
	if addr == "" || len(addr) > 300 || strings.ContainsAny(addr, "/\\@?# \t\r\n") {
		return "", fmt.Errorf("%w: %q is not host[:port]", ErrNetAddress, addr)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		if defPort == 0 {
			return "", fmt.Errorf("%w: %q needs a port", ErrNetAddress, addr)
		}
		host, port = strings.Trim(addr, "[]"), strconv.Itoa(defPort)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 1 || n > 65535 || host == "" {
		return "", fmt.Errorf("%w: %q is not host:port", ErrNetAddress, addr)
	}
	return net.JoinHostPort(host, port), nil
}

// NetURL validates an http or https URL without credentials.
func NetURL(raw string) (*url.URL, error) {
	if len(raw) > 2000 {
		return nil, fmt.Errorf("%w: URL too long", ErrNetAddress)
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil {
		return nil, fmt.Errorf("%w: %q is not an http(s) URL", ErrNetAddress, raw)
	}
	return u, nil
}
