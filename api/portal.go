package api

import "time"

// PortalUser is a client's customer portal account as operators see it.
// Status is "invited" (no password yet), "active" or "disabled".
type PortalUser struct {
	ID            string    `json:"id"`
	ClientID      string    `json:"client_id"`
	ContactID     string    `json:"contact_id,omitempty"`
	ContactName   string    `json:"contact_name,omitempty"`
	Email         string    `json:"email"`
	Admin         bool      `json:"admin"`
	Status        string    `json:"status"`
	TOTPEnabled   bool      `json:"totp_enabled"`
	InviteExpires time.Time `json:"invite_expires,omitzero"`
	CreatedAt     time.Time `json:"created_at"`
	CreatedBy     string    `json:"created_by,omitempty"`
	LastLoginAt   time.Time `json:"last_login_at,omitzero"`
}

// Portal account states (PortalUser.Status).
const (
	PortalInvited  = "invited"
	PortalActive   = "active"
	PortalDisabled = "disabled"
)

// PortalUserCreate is POST /api/v1/clients/{client}/portal-users: give a
// contact (by ID) a portal account; SendEmail mails the set-password link
// to the contact, otherwise the link is in the answer, shown once.
type PortalUserCreate struct {
	Contact   string `json:"contact"`
	Admin     bool   `json:"admin"`
	SendEmail bool   `json:"send_email"`
}

// PortalInvite answers a new account or a new invite: the account and,
// unless it was e-mailed, the one-time set-password link (shown once).
type PortalInvite struct {
	User           PortalUser `json:"user"`
	SetPasswordURL string     `json:"set_password_url,omitempty"`
	Emailed        bool       `json:"emailed"`
}

// PortalInviteRequest is POST .../portal-users/{portaluser}/invite: a new
// set-password link (the old one stops working).
type PortalInviteRequest struct {
	SendEmail bool `json:"send_email"`
}

// PortalUserUpdate is PATCH .../portal-users/{portaluser}; unset fields
// stay. Disabling ends the account's sessions.
type PortalUserUpdate struct {
	Disabled *bool `json:"disabled,omitempty"`
	Admin    *bool `json:"admin,omitempty"`
}

// PortalLoginRequest is a portal sign-in's first step.
type PortalLoginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

// PortalSetPasswordRequest uses an invite's one-time secret.
type PortalSetPasswordRequest struct {
	Token    string `json:"token"`
	Password string `json:"password"`
}

// PortalPasswordChange is the portal user's own password change.
type PortalPasswordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// PortalMe is who is signed in to the portal. ViewedBy is the
// technician's name while a technician views the portal as the customer
// (read only).
type PortalMe struct {
	ClientID    string `json:"client_id"`
	ClientName  string `json:"client_name"`
	ContactID   string `json:"contact_id,omitempty"`
	ContactName string `json:"contact_name,omitempty"`
	Email       string `json:"email,omitempty"`
	Admin       bool   `json:"admin"`
	ViewedBy    string `json:"viewed_by,omitempty"`
	CSRF        string `json:"csrf"`
}

// PortalDevice is one of the customer's devices and its health, as the
// portal shows it (no technician-only fields).
type PortalDevice struct {
	ID               string    `json:"id"`
	Hostname         string    `json:"hostname"`
	Online           bool      `json:"online"`
	LastSeen         time.Time `json:"last_seen,omitzero"`
	OS               string    `json:"os"`
	OSVersion        string    `json:"os_version,omitempty"`
	DeviceType       string    `json:"device_type"`
	PendingReboot    bool      `json:"pending_reboot"`
	PatchesAvailable int       `json:"patches_available"`
	SecurityPatches  int       `json:"security_patches"`
	DiskPercent      float64   `json:"disk_percent"`
	OpenAlerts       int       `json:"open_alerts"`
}

// PortalAlert is an open alert of one of the customer's devices.
type PortalAlert struct {
	ID         string    `json:"id"`
	DeviceID   string    `json:"device_id"`
	DeviceName string    `json:"device_name"`
	Severity   string    `json:"severity"`
	Category   string    `json:"category,omitempty"`
	Title      string    `json:"title"`
	Status     string    `json:"status"`
	CreatedAt  time.Time `json:"created_at"`
}

// PortalActivity is one action the MSP took on the customer's
// organisation, from the audit log: who, what, when, on which of their
// devices, with the details that describe it.
type PortalActivity struct {
	Seq     uint64            `json:"seq"`
	At      time.Time         `json:"at"`
	Actor   string            `json:"actor"`
	Action  string            `json:"action"`
	Devices []string          `json:"devices,omitempty"`
	Detail  map[string]string `json:"detail,omitempty"`
}

// PortalActivityPage is a page of activity, newest first; Before is the
// seq to pass as ?before= for the next (older) page, 0 at the end.
type PortalActivityPage struct {
	Items  []PortalActivity `json:"items"`
	Before uint64           `json:"before,omitempty"`
}

// PortalViewStatus says whether a technician may view a client's portal
// as the customer now, and why not.
type PortalViewStatus struct {
	Available bool   `json:"available"`
	Reason    string `json:"reason,omitempty"`
}

// PortalView answers POST /api/v1/clients/{client}/portal-view: the
// read-only view session is set as a cookie; open URL in the browser.
type PortalView struct {
	URL       string    `json:"url"`
	ExpiresAt time.Time `json:"expires_at"`
}
