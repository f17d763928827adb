package server

import (
	"encoding/hex"
	"encoding/pem"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/steward-rmm/steward/installer"
	"github.com/steward-rmm/steward/server/pki"
	"github.com/steward-rmm/steward/server/release"
)

// installRoutes serves the install scripts the one-line install commands
// fetch. They are public: the token is only put into the script (the
// agent's enrollment checks it), after a strict format check, so nothing
// but [A-Za-z0-9_-] ever reaches a script.
func (s *Server) installRoutes() []route {
	pub := policy{public: true}
	return []route{
		{"GET", "/install.sh", pub, func(w http.ResponseWriter, r *http.Request, _ *principal) {
			s.serveInstallScript(w, r, false)
		}},
		{"GET", "/install.ps1", pub, func(w http.ResponseWriter, r *http.Request, _ *principal) {
			s.serveInstallScript(w, r, true)
		}},
		{"GET", "/install/ca.pem", pub, s.serveInstallAnchor},
	}
}

// serveInstallAnchor serves the certificate install.sh pins: the one of the
// server's chain whose fingerprint agents pin. That is the Steward CA,
// except with an operator's own certificate (--tls-cert), where it is the
// last certificate of their chain and /agent/ca.pem (the Steward CA, which
// signs agents) would not match the pin.
func (s *Server) serveInstallAnchor(w http.ResponseWriter, r *http.Request, _ *principal) {
	for _, der := range s.cert.Certificate {
		if pki.Fingerprint(der) == s.fp {
			w.Header().Set("Content-Type", "application/x-pem-file")
			_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: der})
			return
		}
	}
	writeError(w, http.StatusNotFound, "the pinned certificate is not in the server's chain")
}

func (s *Server) serveInstallScript(w http.ResponseWriter, r *http.Request, powershell bool) {
	token := r.URL.Query().Get("token")
	if !installer.ValidToken(token) {
		writeError(w, http.StatusBadRequest, "token must be 1-128 letters, digits, _ or -")
		return
	}
	scripts, err := installer.Render(s.installParams(r, token))
	if err != nil {
		// Most likely a Host header that is no usable URL.
		writeError(w, http.StatusBadRequest, "cannot make an install script for this server address; set the public URL")
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
func (s *Server) installCommandsFor(r *http.Request, token string) map[string]string {
	cmds, err := installer.Commands(s.installParams(r, token))
	if err != nil {
		s.log.Warn("no install commands for this token", "err", err)
		return nil
	}
	return cmds
}

func (s *Server) installParams(r *http.Request, token string) installer.Params {
	p := installer.Params{ServerURL: s.publicURL(r), Token: token, CAFingerprint: s.fp,
		Binaries: agentSums.get(s.cfg.AgentBinDir)}
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
	mu sync.Mutex
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
