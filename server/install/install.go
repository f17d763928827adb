// Package install is the wing that puts Steward on a device: the install
// scripts the one-line install commands fetch (/install.sh, /install.ps1),
// the CA they pin (/install/ca.pem), the agent builds they download
// (/agent/download/...), and the one-line commands for a new enrollment
// token. Its routes are public: the token is only put into the script
// (the agent's enrollment checks it), after a strict format check, so
// nothing but [A-Za-z0-9_-] ever reaches a script.
package install

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/installer"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/release"
)

// Deps are what the install wing is built from.
type Deps struct {
	// Anchor is the DER of the CA the server is pinned by (served as
	// /install/ca.pem); nil when it is pinned by its key.
	Anchor []byte
	// Leaf is the DER of the server certificate (its SHA-256 goes into
	// the scripts).
	Leaf []byte
	// Pin is the server's pin as tlspin.Format writes it.
	Pin string
	// PublicURL is how devices reach the server, known once it listens.
	PublicURL func() string
	// AgentBinDir holds the agent builds ("" = none).
	AgentBinDir string
	// ReleaseKey is the release public key devices installed from here
	// pin ("" = none).
	ReleaseKey string
	Log        *slog.Logger
}

// Wing serves install scripts and agent builds.
type Wing struct{ d Deps }

// New builds the install wing.
func New(d Deps) *Wing { return &Wing{d: d} }

// Routes lists the wing's routes.
func (ins *Wing) Routes() []httpx.Route {
	return []httpx.Route{
		httpx.R("GET", "/agent/download/{os}/{file}", httpx.Public, ins.agentDownload),
		httpx.R("GET", "/install.sh", httpx.Public, func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
			ins.serveInstallScript(w, r, false)
		}),
		httpx.R("GET", "/install.ps1", httpx.Public, func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
			ins.serveInstallScript(w, r, true)
		}),
		httpx.R("GET", "/install/ca.pem", httpx.Public, ins.serveInstallAnchor),
		httpx.R("GET", "/api/v1/agent-builds", httpx.NeedPerm(httpx.PermView), func(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
			httpx.WriteJSON(w, 200, ins.Builds())
		}),
	}
}

// Builds says which platforms have an agent build in AgentBinDir, so
// the dashboard and stewardctl can say which one-liners would fail.
func (ins *Wing) Builds() api.AgentBuilds {
	have := agentSums.get(ins.d.AgentBinDir)
	out := api.AgentBuilds{Available: []string{}, Missing: []string{}}
	for _, p := range installer.Platforms {
		if have[p] != "" {
			out.Available = append(out.Available, p)
		} else {
			out.Missing = append(out.Missing, p)
		}
	}
	return out
}

// serveInstallAnchor serves the CA certificate install.sh pins when the
// server is pinned by a CA (the Steward CA of the self-made certificate,
// or --pin-ca): /agent/ca.pem is always the Steward CA, which signs agents
// but not an operator's certificate. A server pinned by its own key has
// no CA to serve; its install.sh pins the key.
func (ins *Wing) serveInstallAnchor(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
	if ins.d.Anchor == nil {
		httpx.WriteError(w, http.StatusNotFound, "this server is pinned by its key, not a CA")
		return
	}
	w.Header().Set("Content-Type", "application/x-pem-file")
	_ = pem.Encode(w, &pem.Block{Type: "CERTIFICATE", Bytes: ins.d.Anchor})
}

func (ins *Wing) serveInstallScript(w http.ResponseWriter, r *http.Request, powershell bool) {
	token := r.URL.Query().Get("token")
	if !installer.ValidToken(token) {
		httpx.WriteError(w, http.StatusBadRequest, "token must be 1-128 letters, digits, _ or -")
		return
	}
	scripts, err := installer.Render(ins.params(token))
	if err != nil {
		ins.d.Log.Warn("no install script", "err", err)
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

// Commands returns the one-line install commands for a new token, each
// pinned to the script the routes above serve for it. The request plays
// no part: the URL in them is fixed at start.
func (ins *Wing) Commands(token string) map[string]string {
	cmds, err := installer.Commands(ins.params(token))
	if err != nil {
		ins.d.Log.Warn("no install commands for this token", "err", err)
		return nil
	}
	return cmds
}

func (ins *Wing) params(token string) installer.Params {
	leaf := sha256.Sum256(ins.d.Leaf)
	p := installer.Params{ServerURL: ins.d.PublicURL(), Token: token, Pin: ins.d.Pin,
		ServerCertSHA256: hex.EncodeToString(leaf[:]), Binaries: agentSums.get(ins.d.AgentBinDir)}
	// Devices installed from here pin the release key self-updates are
	// signed with.
	if ins.d.ReleaseKey != "" {
		if key, err := release.ParsePublicKey(ins.d.ReleaseKey); err == nil {
			p.ReleaseKey = hex.EncodeToString(key)
		}
	}
	return p
}

// agentDownload serves an agent build (or its SHA-256 with .sha256) for
// one-line installs that fetch the binary.
func (ins *Wing) agentDownload(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
	goos, file := r.PathValue("os"), r.PathValue("file")
	osOK := map[string]bool{"linux": true, "darwin": true, "windows": true}
	arch, sum := strings.CutSuffix(file, ".sha256")
	if !osOK[goos] || (arch != "amd64" && arch != "arm64") || ins.d.AgentBinDir == "" {
		httpx.WriteError(w, 404, "no agent build for that platform")
		return
	}
	name := "steward-agent-" + goos + "-" + arch
	if goos == "windows" {
		name += ".exe"
	}
	path := filepath.Join(ins.d.AgentBinDir, name)
	f, err := os.Open(path)
	if err != nil {
		httpx.WriteError(w, 404, "no agent build for that platform")
		return
	}
	defer f.Close()
	if sum {
		h, err := fileSHA256(f)
		if err != nil {
			httpx.WriteError(w, 500, "internal error")
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintln(w, h)
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	http.ServeContent(w, r, name, time.Time{}, f)
}

func fileSHA256(r io.Reader) (string, error) {
	h := sha256.New()
	if _, err := io.Copy(h, r); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
