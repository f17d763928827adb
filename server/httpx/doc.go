// Package httpx is the base every wing of the server stands on: the
// authenticated caller (Principal) and its client scope, permissions and
// roles, the route and policy types each wing declares its routes with,
// JSON responses and request bodies, the caller's address behind trusted
// proxies, the same-origin check, and random IDs and secrets.
//
// It imports no wing. The wiring (package server) turns the routes of all
// wings into one mux and enforces each route's policy before its handler
// runs.
package httpx
