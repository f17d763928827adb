package api

import "time"

// Consent roles: what a customer's grant lets the MSP do on its
// organisation. ConsentManageDevices covers every technician action on
// the client's devices and data (and reading them); ConsentHelpdeskView
// covers reading only (and the portal's "view as the customer").
const (
	ConsentManageDevices = "manage_devices"
	ConsentHelpdeskView  = "helpdesk_view"
)

// ConsentRoleLabels names each consent role in messages and pages.
var ConsentRoleLabels = map[string]string{
	ConsentManageDevices: "manage devices",
	ConsentHelpdeskView:  "read-only help-desk view",
}

// ConsentRequestCreate is the body of POST /api/v1/clients/{id}/consent/requests:
// the roles asked, the duration asked in days (1 to 730) and a message
// for the customer.
type ConsentRequestCreate struct {
	Roles   []string `json:"roles"`
	Days    int      `json:"days"`
	Message string   `json:"message,omitempty"`
}

// ConsentRequest is a request for delegated access. Status is pending,
// accepted, declined or expired (pending past ExpiresAt, 90 days after it
// was sent). Link is the portal page to give the customer.
type ConsentRequest struct {
	ID         string    `json:"id"`
	ClientID   string    `json:"client_id"`
	ClientName string    `json:"client_name,omitempty"`
	Roles      []string  `json:"roles"`
	Days       int       `json:"days"`
	Message    string    `json:"message,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	CreatedBy  string    `json:"created_by,omitempty"`
	ExpiresAt  time.Time `json:"expires_at"`
	Status     string    `json:"status"`
	AnsweredAt time.Time `json:"answered_at,omitzero"`
	AnsweredBy string    `json:"answered_by,omitempty"`
	GrantID    string    `json:"grant_id,omitempty"`
	Link       string    `json:"link"`
}

// ConsentGrant is delegated access a customer admin gave. Status is
// active, revoked or expired.
type ConsentGrant struct {
	ID            string    `json:"id"`
	ClientID      string    `json:"client_id"`
	ClientName    string    `json:"client_name,omitempty"`
	RequestID     string    `json:"request_id,omitempty"`
	Roles         []string  `json:"roles"`
	StartsAt      time.Time `json:"starts_at"`
	EndsAt        time.Time `json:"ends_at"`
	GrantedBy     string    `json:"granted_by,omitempty"`
	Status        string    `json:"status"`
	RenewedAt     time.Time `json:"renewed_at,omitzero"`
	RenewedBy     string    `json:"renewed_by,omitempty"`
	Renewals      int       `json:"renewals,omitempty"`
	RevokedAt     time.Time `json:"revoked_at,omitzero"`
	RevokedBy     string    `json:"revoked_by,omitempty"`
	RevokedReason string    `json:"revoked_reason,omitempty"`
	Uses          int64     `json:"uses"`
	LastUsedAt    time.Time `json:"last_used_at,omitzero"`
	LastUsedBy    string    `json:"last_used_by,omitempty"`
}

// ConsentEvent is one audited consent event: a request, an answer, a
// grant's use, renewal, revocation or expiry, a setting changed.
type ConsentEvent struct {
	At     time.Time         `json:"at"`
	Actor  string            `json:"actor"`
	Action string            `json:"action"`
	Target string            `json:"target,omitempty"`
	Detail map[string]string `json:"detail,omitempty"`
}

// ClientConsent is a client's consent state: whether it requires consent,
// the roles active grants cover now, its requests, grants and history
// (newest first).
type ClientConsent struct {
	ClientID   string           `json:"client_id"`
	ClientName string           `json:"client_name"`
	Required   bool             `json:"required"`
	Covered    []string         `json:"covered"`
	Requests   []ConsentRequest `json:"requests"`
	Grants     []ConsentGrant   `json:"grants"`
	History    []ConsentEvent   `json:"history"`
}

// ConsentSettingRequest is the body of PUT /api/v1/clients/{id}/consent.
type ConsentSettingRequest struct {
	Required bool `json:"required"`
}

// ConsentAcceptRequest is the body of accepting a request in the portal:
// the roles granted (a subset of those asked) and the end (at most two
// years away).
type ConsentAcceptRequest struct {
	Roles  []string  `json:"roles"`
	EndsAt time.Time `json:"ends_at"`
}

// ConsentRenewRequest is the body of renewing a grant: its new end (at
// most two years away).
type ConsentRenewRequest struct {
	EndsAt time.Time `json:"ends_at"`
}

// ConsentRevokeRequest is the body of revoking a grant; the reason is
// shown to the MSP, to technicians whose shells close and on cancelled
// jobs.
type ConsentRevokeRequest struct {
	Reason string `json:"reason,omitempty"`
}

// Customer is one client that granted access, for the customers view:
// its health at a glance, its details and its grant.
type Customer struct {
	ClientID        string      `json:"client_id"`
	Name            string      `json:"name"`
	Devices         int         `json:"devices"`
	Offline         int         `json:"offline"`
	Alerts          AlertCounts `json:"alerts"`
	PendingReboot   int         `json:"pending_reboot"`
	SecurityPatches int         `json:"security_patches"`
	Address         string      `json:"address,omitempty"`
	Postcode        string      `json:"postcode,omitempty"`
	Website         string      `json:"website,omitempty"`
	// Contract is the client's default contract once contracts exist.
	Contract        string    `json:"contract,omitempty"`
	GrantID         string    `json:"grant_id"`
	Roles           []string  `json:"roles"`
	GrantEndsAt     time.Time `json:"grant_ends_at"`
	ConsentRequired bool      `json:"consent_required"`
}

// CustomerList is GET /api/v1/customers.
type CustomerList struct {
	Customers []Customer `json:"customers"`
}
