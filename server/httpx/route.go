package httpx

import (
	"net/http"
	"time"
)

// Policy is a route's auth rule. Every route declares one; the route
// table test walks them all.
type Policy struct {
	Public bool   // no credentials (login, enrollment, CA download)
	Agent  bool   // agent client certificate
	Perm   string // operator permission required
	Fresh  bool   // needs a recent second factor
	// Partial admits a session that has passed only the password (the
	// two-factor and logout routes); handlers check what they need.
	Partial bool
	// Portal marks a route of the customer portal: only portal principals
	// (a client's contacts, or a technician viewing as the customer) pass
	// it, and they pass no other route. PortalAdmin narrows it to the
	// customer's admins.
	Portal, PortalAdmin bool
	// NoConsent exempts an operator route from consent narrowing: the
	// MSP's own records of its customers (the clients list, a client's
	// page) and asking for consent itself.
	NoConsent bool
}

// Public is the policy of a route that needs no credentials.
var Public = Policy{Public: true}

// Agent is the policy of a route for agents (client certificate).
var Agent = Policy{Agent: true}

// NeedPerm is the policy of an operator route that needs perm.
func NeedPerm(perm string) Policy { return Policy{Perm: perm} }

// NeedFresh is NeedPerm plus a recent second factor.
func NeedFresh(perm string) Policy { return Policy{Perm: perm, Fresh: true} }

// PortalUser is the policy of a customer portal route any portal user of
// the client may call; the handler scopes to Principal.Portal.ClientID.
var PortalUser = Policy{Portal: true}

// PortalAdmin is the policy of a customer portal route only the client's
// customer admins may call (grants, portal users).
var PortalAdmin = Policy{Portal: true, PortalAdmin: true}

// Handler serves one route; p is nil on public and agent routes.
type Handler func(w http.ResponseWriter, r *http.Request, p *Principal)

// Route is one API route: method, pattern (net/http ServeMux syntax),
// policy and handler.
type Route struct {
	Method, Pattern string
	Pol             Policy
	H               Handler
}

// Clock tells the time; tests replace it.
type Clock func() time.Time

// R builds a Route, so that route tables read one route per line.
func R(method, pattern string, pol Policy, h Handler) Route {
	return Route{Method: method, Pattern: pattern, Pol: pol, H: h}
}
