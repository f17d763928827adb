package server

import (
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// deviceScope gives wings the device and client lookups within a
// caller's scope that the device routes use.
type deviceScope struct{ s *Server }

func (d deviceScope) Device(p *httpx.Principal, id string) (fleet.View, bool) {
	return d.s.device(p, id)
}

func (d deviceScope) ResolveClient(p *httpx.Principal, ref string) (store.Client, bool) {
	return d.s.resolveClient(p, ref)
}
