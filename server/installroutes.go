package server

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/installer"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/release"
	"github.com/steward-rmm/steward/tlspin"
)

// installRoutes serves the install scripts the one-line install commands
// fetch. They are public: the token is only put into the script (the
// agent's enrollment checks it), after a strict format check, so nothing
// but [A-Za-z0-9_-] ever reaches a script.
func (s *Server) installRoutes() []httpx.Route {
	pub := httpx.Public
	return []httpx.Route{
		httpx.R("GET", "/install.sh", pub, func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
			s.serveInstallScript(w, r, false)
		}),
		httpx.R("GET", "/install.ps1", pub, func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
			s.serveInstallScript(w, r, true)
		}),
		httpx.R("GET", "/install/ca.pem", pub, s.serveInstallAnchor),
	}
}

// serveInstallAnchor serves the CA certificate install.sh pins when the
// server is pinned by a CA (the Steward CA of the self-made certificate,
// or --pin-ca): /agent/ca.pem is always the Steward CA, which signs agents
// but not an operator's certificate. A server pinned by its own key has
// no CA to serve; its install.sh pins the key.
func (s *Server) serveInstallAnchor(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
	if s.tls.anchor == nil {
		httpx.WriteError(w, http.StatusNotFound, "this server is pinned by its key, not a CA")
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: s.tls.anchor})
}

func (s *Server) serveInstallScript(w http.ResponseWriter, r *http.Request, powershell bool) {
	token := r.URL.Query().Get("token")
	if !installer.ValidToken(token) {
		httpx.WriteError(w, http.StatusBadRequest, "token must be 1-128 letters, digits, _ or -")
		return
	}
	scripts, err := installer.Render(s.installParams(token))
	if err != nil {
		s.log.Warn("no install script", "err", err)
		httpx.WriteError(w, http.StatusInternalServerError, "cannot make an install script for this server's public URL; set --public-url")
		return
	}
	body, ctype := scripts.Shell, "text/x-shellscript; charset=utf-8"
	if powershell {
		body, ctype = scripts.PowerShell, "text/plain; charset=utf-8"
	}
	w.Header().Set("Content-Type", ctype)
	_, _ = w.Write(body)
}

// installCommandsFor is installCommands' body: the one-line install
// commands for a new token, each pinned to the script the routes above
// serve for it.
func (s *Server) installCommandsFor(token string) map[string]string {
	cmds, err := installer.Commands(s.installParams(token))
	if err != nil {
		s.log.Warn("no install commands for this token", "err", err)
		return nil
	}
	return cmds
}

func (s *Server) installParams(token string) installer.Params {
	leaf := sha256.Sum256(s.tls.cert.Certificate[0])
	p := installer.Params{ServerURL: s.publicURL(), Token: token, Pin: tlspin.Format(s.tls.pins),
		ServerCertSHA256: hex.EncodeToString(leaf[:]), Binaries: agentSums.get(s.cfg.AgentBinDir)}
	// Devices installed from here pin the release key self-updates are
	// signed with.
	if s.cfg.ReleaseKey != "" {
		if key, err := release.ParsePublicKey(s.cfg.ReleaseKey); err == nil {
			p.ReleaseKey = hex.EncodeToString(key)
		}
	}
	return p
}

// agentSums caches the SHA-256 of each agent build by file size and
// modification time, so scripts and tokens do not rehash ~10 MB files.
var agentSums = &sumCache{m: map[string]cachedSum{}}

type cachedSum struct {
	size int64
	mod  time.Time
	sum  string
}

type sumCache struct {
	mu sync.Mutex // guards m; lock order: a leaf
	m  map[string]cachedSum
}

// get returns "os/arch" -> SHA-256 for the builds present in dir.
func (c *sumCache) get(dir string) map[string]string {
	out := map[string]string{}
	if dir == "" {
		return out
	}
	for _, p := range installer.Platforms {
		goos, arch, _ := strings.Cut(p, "/")
		name := "steward-agent-" + goos + "-" + arch
		if goos == "windows" {
			name += ".exe"
		}
		if sum := c.sum(filepath.Join(dir, name)); sum != "" {
			out[p] = sum
		}
	}
	return out
}

func (c *sumCache) sum(path string) string {
	fi, err := os.Stat(path)
	if err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	c.mu.Lock()
	e, ok := c.m[path]
	c.mu.Unlock()
	if ok && e.size == fi.Size() && e.mod.Equal(fi.ModTime()) {
		return e.sum
	}
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	sum, err := fileSHA256(f)
	if err != nil {
		return ""
	}
	c.mu.Lock()
	c.m[path] = cachedSum{size: fi.Size(), mod: fi.ModTime(), sum: sum}
	c.mu.Unlock()
	return sum
}
