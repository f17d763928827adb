package store

import (
	"slices"
	"time"
)

// Consent request statuses. A pending request past its ExpiresAt is
// expired: it can no longer be answered (Expired reports it).
const (
	ConsentPending  = "pending"
	ConsentAccepted = "accepted"
	ConsentDeclined = "declined"
)

// ConsentRequest is the MSP's request for delegated access to a client:
// the roles and duration asked, a message for the customer; a customer
// admin answers it (accepting makes a grant) before ExpiresAt.
type ConsentRequest struct {
	ID       string
	ClientID string
	Roles    []string
	// Days is the duration asked, in days.
	Days      int
	Message   string
	CreatedAt time.Time
	CreatedBy string
	ExpiresAt time.Time
	Status    string
	// AnsweredAt, AnsweredByID (the contact) and AnsweredBy (its name)
	// record the answer; GrantID the grant an acceptance made.
	AnsweredAt   time.Time
	AnsweredByID string
	AnsweredBy   string
	GrantID      string
}

// Expired reports whether r is pending but can no longer be answered.
func (r *ConsentRequest) Expired(now time.Time) bool {
	return r.Status == ConsentPending && !now.Before(r.ExpiresAt)
}

// ConsentGrant is delegated access a customer admin gave: the roles it
// covers, from StartsAt until EndsAt, unless revoked. EndedAt is set once
// the end's effects (shells closed, queued jobs cancelled) were applied.
// Uses, LastUsedAt and LastUsedBy count the actions taken under it.
type ConsentGrant struct {
	ID            string
	ClientID      string
	RequestID     string
	Roles         []string
	StartsAt      time.Time
	EndsAt        time.Time
	GrantedByID   string
	GrantedBy     string
	RenewedAt     time.Time
	RenewedBy     string
	Renewals      int
	RevokedAt     time.Time
	RevokedBy     string
	RevokedReason string
	EndedAt       time.Time
	Uses          int64
	LastUsedAt    time.Time
	LastUsedBy    string
}

// Active reports whether g is in force at now.
func (g *ConsentGrant) Active(now time.Time) bool {
	return g.RevokedAt.IsZero() && !now.Before(g.StartsAt) && now.Before(g.EndsAt)
}

// Covers reports whether g is in force at now and holds role.
func (g *ConsentGrant) Covers(role string, now time.Time) bool {
	return g.Active(now) && slices.Contains(g.Roles, role)
}

// ConsentSetting is whether a client requires consent for technicians'
// actions (clients without a setting do not).
type ConsentSetting struct {
	ClientID  string
	Required  bool
	UpdatedAt time.Time
	UpdatedBy string
}

// ConsentRequestQuery selects requests, newest first: of ClientID ("" =
// any), inside Scope, with Status when set.
type ConsentRequestQuery struct {
	ClientID string
	Scope    Scope
	Status   string
}

// Match reports whether q selects r.
func (q *ConsentRequestQuery) Match(r *ConsentRequest) bool {
	return (q.ClientID == "" || r.ClientID == q.ClientID) && q.Scope.Has(r.ClientID) &&
		(q.Status == "" || r.Status == q.Status)
}

// ConsentGrantQuery selects grants, newest first: of ClientID ("" = any),
// inside Scope, and only those active at ActiveAt when it is set.
type ConsentGrantQuery struct {
	ClientID string
	Scope    Scope
	ActiveAt time.Time
}

// Match reports whether q selects g.
func (q *ConsentGrantQuery) Match(g *ConsentGrant) bool {
	return (q.ClientID == "" || g.ClientID == q.ClientID) && q.Scope.Has(g.ClientID) &&
		(q.ActiveAt.IsZero() || g.Active(q.ActiveAt))
}

// ConsentStore holds consent requests, grants and the per-client
// "require consent" settings.
type ConsentStore interface {
	// CreateConsentRequest stores a new request of an existing client
	// (else ErrNotFound); ErrExists when the ID is taken.
	CreateConsentRequest(r ConsentRequest) error
	ConsentRequest(id string) (ConsentRequest, error)
	ConsentRequests(q ConsentRequestQuery) ([]ConsentRequest, error)
	// AnswerConsentRequest closes a pending request that has not expired
	// at at, with status ConsentAccepted (storing g, whose ID the request
	// records, in the same commit) or ConsentDeclined (g nil). A request
	// answered already or expired: ErrConflict, and nothing changes.
	AnswerConsentRequest(id, status string, at time.Time, byID, by string, g *ConsentGrant) (ConsentRequest, error)
	ConsentGrant(id string) (ConsentGrant, error)
	ConsentGrants(q ConsentGrantQuery) ([]ConsentGrant, error)
	// RevokeConsentGrant revokes a grant at at; ErrConflict when it was
	// revoked already.
	RevokeConsentGrant(id string, at time.Time, by, reason string) (ConsentGrant, error)
	// RenewConsentGrant moves a grant's end to endsAt and clears EndedAt
	// (an expired grant renewed is in force again); ErrConflict when it
	// was revoked.
	RenewConsentGrant(id string, endsAt, at time.Time, by string) (ConsentGrant, error)
	// EndConsentGrant records that the end's effects were applied at at;
	// ErrConflict when EndedAt is set already (they are applied once).
	EndConsentGrant(id string, at time.Time) (ConsentGrant, error)
	// RecordConsentUse counts one use of a grant.
	RecordConsentUse(id string, at time.Time, by string) error
	// SetConsentRequired stores a client's setting (the client must
	// exist, else ErrNotFound).
	SetConsentRequired(s ConsentSetting) error
	// ConsentSettings lists every stored setting in client ID order.
	ConsentSettings() ([]ConsentSetting, error)
}
