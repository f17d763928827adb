package api

// Error is the body of every error response (4xx and 5xx).
type Error struct {
	Error string `json:"error"`
	// Code is a machine-readable reason when the client can act on it:
	// CodeFresh2FA, CodeTOTPRequired, CodeTOTPSetup.
	Code string `json:"code,omitempty"`
}

// Error codes the client can act on.
const (
	// CodeFresh2FA: the action needs a recent second factor
	// (POST /api/v1/auth/totp, then retry).
	CodeFresh2FA = "fresh_2fa"
	// CodeTOTPRequired: the login needs a two-factor code.
	CodeTOTPRequired = "totp_required"
	// CodeTOTPSetup: the account must enrol two-factor first.
	CodeTOTPSetup = "totp_setup"
	// CodeConsent: the client requires the customer's consent and no
	// active grant covers the action (the message names the grant).
	CodeConsent = "consent_required"
)

// OK is the body of actions that only report success.
type OK struct {
	OK bool `json:"ok"`
}

// Healthz is GET /healthz.
type Healthz struct {
	OK     bool `json:"ok"`
	Agents int  `json:"agents"`
}
