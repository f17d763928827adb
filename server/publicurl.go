package server

import (
	"crypto/x509"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"

	"github.com/steward-rmm/steward/tlspin"
)

// The URL devices use to reach the server (install scripts and one-line
// commands) is worked out once, at start, from the configuration and the
// bound address: never from a request, whose Host or X-Forwarded-Host
// anyone can set, so no request can make the server hand out install
// commands that point devices elsewhere.

// checkPublicURL refuses a --public-url that is no https://host[:port][/path].
func checkPublicURL(raw string) error {
	if raw == "" {
		return nil
	}
	u, err := url.Parse(raw)
	if err != nil || u.Scheme != "https" || u.Host == "" || u.User != nil || u.RawQuery != "" || u.Fragment != "" {
		return fmt.Errorf("--public-url must be https://host[:port][/path], got %q", raw)
	}
	return nil
}

// isWildcard reports whether a listen host accepts every address.
func isWildcard(host string) bool {
	ip := net.ParseIP(host)
	return host == "" || (ip != nil && ip.IsUnspecified())
}

// derivePublicURL is the device URL without --public-url: https:// the
// first --hostnames name, else the listen host when it is a specific
// address, else this machine's host name (guessed: the caller logs that
// --public-url should be set); with the port devices connect to. listen is
// the configured address of the listener devices use, bound its actual
// address (for port 0).
func derivePublicURL(hostnames []string, listen, bound string) (u string, guessed bool) {
	_, port, _ := net.SplitHostPort(bound)
	host, _, _ := net.SplitHostPort(listen)
	switch {
	case len(hostnames) > 0:
		host = hostnames[0]
	case !isWildcard(host):
	default:
		guessed = true
		if h, err := os.Hostname(); err == nil && h != "" {
			host = h
		} else {
			host = "localhost"
		}
	}
	return "https://" + net.JoinHostPort(host, port), guessed
}

// setPublicURL fixes the device URL once the listeners are bound.
func (s *Server) setPublicURL(mainAddr, agentAddr string) {
	u := strings.TrimRight(s.cfg.PublicURL, "/")
	if u == "" {
		listen, bound := s.cfg.Listen, mainAddr
		if s.cfg.AgentListen != "" {
			listen, bound = s.cfg.AgentListen, agentAddr
		}
		var guessed bool
		u, guessed = derivePublicURL(s.cfg.Hostnames, listen, bound)
		if guessed {
			s.log.Warn("no --public-url and no --hostnames: install commands use this machine's host name; set --public-url", "url", u)
		}
	}
	s.addrMu.Lock()
	s.pubURL = u
	s.addrMu.Unlock()
	if h, err := tlspin.HostOf(u); err == nil {
		if leaf, err := x509.ParseCertificate(s.tls.cert.Certificate[0]); err == nil && leaf.VerifyHostname(h) != nil {
			s.log.Warn("the server certificate does not name the public URL's host: agents that pin a CA check the name and will refuse it",
				"host", h)
		}
	}
}

// publicURL is the URL devices use to reach this server.
func (s *Server) publicURL() string {
	s.addrMu.Lock()
	defer s.addrMu.Unlock()
	return s.pubURL
}

// deviceRoute reports whether a route is one devices use: the agent
// endpoints and the install scripts and CA they fetch. With --agent-listen
// these are served on that listener only, and everything else (API,
// dashboard) on --listen only.
func deviceRoute(pattern string) bool {
	return strings.HasPrefix(pattern, "/agent/") || pattern == "/install.sh" || pattern == "/install.ps1" ||
		strings.HasPrefix(pattern, "/install/")
}
