// Package api is Steward's typed REST contract: the request and response
// bodies of every route of the server's HTTP API, the list of those routes
// (Routes) and the OpenAPI 3.1 document derived from both (OpenAPI, and the
// committed openapi.json that a test keeps in step).
//
// The server decodes requests into these types and answers with them; the
// CLI (ctl) and the benchmark build and read the same types, so a field
// renamed on one side fails to compile or fails a test on the other. The
// JSON names are the ones the dashboard has always used.
//
// No type here holds a stored secret (token or password hashes, TOTP
// secrets). The only secrets are the one-time values a response exists to
// hand out once: a new token's secret (CreatedAPIToken.Token,
// EnrollTokenCreated.Token, LoginTokenResponse.Token), a shell ticket
// (ShellTicket.Ticket), a TOTP setup secret (TOTPSetupResponse.Secret) and
// the recovery codes (TOTPConfirmResponse.RecoveryCodes).
//
// It imports only the standard library and protocol, whose device-reported
// payloads (heartbeat, inventory, health, job specs) the API passes
// through unchanged.
package api
