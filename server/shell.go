package server

import (
	"context"
	"net/http"

	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/hub"
)

// shellRelay joins technicians' terminal websockets to agent sessions.
type shellRelay struct {
	s *Server
}

func newShellRelay(s *Server) *shellRelay { return &shellRelay{s: s} }

func (sr *shellRelay) agentMessage(c *hub.Conn, env protocol.Envelope) error { return nil }
func (sr *shellRelay) agentBinary(c *hub.Conn, frame []byte)                 {}
func (sr *shellRelay) deviceGone(c *hub.Conn, reason string)                 {}
func (sr *shellRelay) closeAll(reason string)                                {}
func (sr *shellRelay) retentionLoop(ctx context.Context)                     { <-ctx.Done() }

func (s *Server) apiShell(w http.ResponseWriter, r *http.Request, p *principal) {
	writeError(w, 501, "not implemented")
}
func (s *Server) apiShellRecordings(w http.ResponseWriter, r *http.Request, p *principal) {
	writeJSON(w, 200, []any{})
}
func (s *Server) apiShellRecording(w http.ResponseWriter, r *http.Request, p *principal) {
	writeError(w, 404, "recording not found")
}
