package api

import "time"

// LoginRequest is POST /api/v1/auth/login.
type LoginRequest struct {
	Username string `json:"username"`
	Password string `json:"password"`
}

// LoginResponse answers a login or logout-free session step: the stage
// reached ("totp" when a code is still needed, "totp_setup", "done") and
// the session's CSRF token.
type LoginResponse struct {
	Stage string `json:"stage"`
	CSRF  string `json:"csrf"`
}

// LoginTokenRequest is POST /api/v1/auth/token: a password login that
// returns an API token (the CLI's login).
type LoginTokenRequest struct {
	Username       string `json:"username"`
	Password       string `json:"password"`
	Code           string `json:"code,omitempty"`
	Name           string `json:"name,omitempty"`
	ExpiresSeconds int64  `json:"expires_seconds,omitempty"`
}

// LoginTokenResponse carries the new token's secret, shown once.
type LoginTokenResponse struct {
	Token     string    `json:"token"`
	ID        string    `json:"id"`
	ExpiresAt time.Time `json:"expires_at"`
	User      string    `json:"user"`
}

// CodeRequest carries a two-factor or recovery code
// (POST /api/v1/auth/totp, /api/v1/auth/totp/confirm, /api/v1/me/totp/disable).
type CodeRequest struct {
	Code string `json:"code"`
}

// TOTPResponse answers a passed two-factor check.
type TOTPResponse struct {
	Stage      string    `json:"stage"`
	FreshUntil time.Time `json:"fresh_until"`
	CSRF       string    `json:"csrf,omitempty"` // sessions only
}

// TOTPSetupResponse starts two-factor enrolment: the TOTP secret, shown
// once, as text, otpauth URL and QR code.
type TOTPSetupResponse struct {
	Secret string `json:"secret"`
	URL    string `json:"url"`
	QRPNG  string `json:"qr_png,omitempty"` // data: URL
}

// TOTPConfirmResponse finishes enrolment with the recovery codes, shown
// once.
type TOTPConfirmResponse struct {
	Stage         string   `json:"stage"`
	RecoveryCodes []string `json:"recovery_codes"`
	CSRF          string   `json:"csrf,omitempty"` // sessions only
}

// TOTPDisableResponse answers POST /api/v1/me/totp/disable.
type TOTPDisableResponse struct {
	TOTPEnabled bool `json:"totp_enabled"`
}

// PasswordChange is PUT /api/v1/me/password.
type PasswordChange struct {
	Current string `json:"current"`
	New     string `json:"new"`
}

// PasswordChanged answers a password change: every session is closed.
type PasswordChanged struct {
	OK      bool `json:"ok"`
	Relogin bool `json:"relogin"`
}

// Prefs is the caller's dashboard preferences: a free-form JSON object
// the server stores and returns as given.
type Prefs map[string]any

// Me is GET /api/v1/me: who the caller is and what they may do.
type Me struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Role        string   `json:"role"`
	Perms       []string `json:"perms"`
	AllClients  bool     `json:"all_clients"`
	Clients     []string `json:"clients"`
	Via         string   `json:"via"` // session or token
	TOTPEnabled bool     `json:"totp_enabled"`
	// Session callers only.
	CSRF           string    `json:"csrf,omitempty"`
	SessionExpires time.Time `json:"session_expires,omitzero"`
	FreshUntil     time.Time `json:"fresh_until,omitzero"`
	// Seats lists the seat modules the caller holds.
	Seats []string `json:"seats"`
}

// APIToken is one of the caller's API tokens (never its secret or hash).
type APIToken struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Perms     []string  `json:"perms,omitempty"`
	CreatedAt time.Time `json:"created_at"`
	ExpiresAt time.Time `json:"expires_at,omitzero"`
	Revoked   bool      `json:"revoked,omitempty"`
}

// MintTokenRequest is POST /api/v1/me/tokens.
type MintTokenRequest struct {
	Name           string   `json:"name"`
	Perms          []string `json:"perms,omitempty"`
	ExpiresSeconds int64    `json:"expires_seconds,omitempty"`
}

// CreatedAPIToken carries a new API token's secret, shown once.
type CreatedAPIToken struct {
	Token     string    `json:"token"`
	ID        string    `json:"id"`
	Perms     []string  `json:"perms"`
	ExpiresAt time.Time `json:"expires_at"`
}

// Revoked answers DELETE /api/v1/me/tokens/{id}.
type Revoked struct {
	Revoked string `json:"revoked"`
}

// User is an account as user management shows it (never its password
// hash, TOTP secret or recovery codes).
type User struct {
	ID          string   `json:"id"`
	Name        string   `json:"name"`
	Role        string   `json:"role"`
	AllClients  bool     `json:"all_clients"`
	Clients     []string `json:"clients"`
	Disabled    bool     `json:"disabled"`
	TOTPEnabled bool     `json:"totp_enabled"`
	CreatedAt   string   `json:"created_at"` // RFC 3339, UTC
	// Seats lists the seat modules the user holds (remote_support,
	// service_desk).
	Seats []string `json:"seats"`
	// Email receives the notifications meant for the user (SLA warnings
	// and breaches of their tickets).
	Email string `json:"email,omitempty"`
}

// CreateUserRequest is POST /api/v1/users.
type CreateUserRequest struct {
	Name       string   `json:"name"`
	Password   string   `json:"password"`
	Role       string   `json:"role,omitempty"`
	AllClients bool     `json:"all_clients"`
	Clients    []string `json:"clients"`
	Email      string   `json:"email,omitempty"`
}

// UpdateUserRequest is PATCH /api/v1/users/{id}; nil fields are left as
// they are.
type UpdateUserRequest struct {
	Role       *string   `json:"role,omitempty"`
	AllClients *bool     `json:"all_clients,omitempty"`
	Clients    *[]string `json:"clients,omitempty"`
	Disabled   *bool     `json:"disabled,omitempty"`
	Password   *string   `json:"password,omitempty"`
	Email      *string   `json:"email,omitempty"` // "" removes it
}

// SeatModule is one seat module of the account plan: how many seats it
// has (Limit 0 = unlimited), how many active users hold one, and whether
// the limit was fixed by a server flag (then only the flag changes it).
type SeatModule struct {
	Module string   `json:"module"` // remote_support, service_desk
	Label  string   `json:"label"`
	Perms  []string `json:"perms"` // what the seat is needed for
	Limit  int      `json:"limit"`
	Used   int      `json:"used"`
	Fixed  bool     `json:"fixed,omitempty"`
}

// DeviceSeats is the device limit (0 = unlimited) against the devices in
// use (enrolled and not retired).
type DeviceSeats struct {
	Limit int  `json:"limit"`
	Used  int  `json:"used"`
	Fixed bool `json:"fixed,omitempty"`
}

// Seats is GET /api/v1/seats: the account plan and its use.
type Seats struct {
	Modules []SeatModule `json:"modules"`
	Devices DeviceSeats  `json:"devices"`
}

// SetPlanRequest is PUT /api/v1/seats: the limits to change (0 =
// unlimited; absent = unchanged).
type SetPlanRequest struct {
	RemoteSupport *int `json:"remote_support,omitempty"`
	ServiceDesk   *int `json:"service_desk,omitempty"`
	DeviceLimit   *int `json:"device_limit,omitempty"`
}

// SetSeatRequest is PUT /api/v1/users/{id}/seats/{module}: give
// (enabled) or take away the user's seat of the module.
type SetSeatRequest struct {
	Enabled bool `json:"enabled"`
}
