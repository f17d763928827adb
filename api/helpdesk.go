package api

import "time"

// SearchResults is GET /api/v1/search?q=: clients, contacts and devices
// the query finds within the caller's scope (and ?client=, when given),
// grouped by kind. Read tells how the query was read: which kinds of key
// were searched ("name", "email", "phone", "sip", "mac", "ip", "serial",
// "domain", "id"); Phone is the E.164 number searched when "phone" is
// among them.
type SearchResults struct {
	Query    string          `json:"query"`
	Read     []string        `json:"read"`
	Phone    string          `json:"phone,omitempty"`
	ClientID string          `json:"client_id,omitempty"`
	Clients  []SearchClient  `json:"clients"`
	Contacts []SearchContact `json:"contacts"`
	Devices  []SearchDevice  `json:"devices"`
}

// SearchClient is a client a search found. Matched names the keys that
// found it; Link is its dashboard page.
type SearchClient struct {
	ID      string   `json:"id"`
	Name    string   `json:"name"`
	Domains []string `json:"domains,omitempty"`
	Phone   string   `json:"phone,omitempty"`
	Matched []string `json:"matched"`
	Link    string   `json:"link"`
}

// SearchContact is a contact a search found, with its client.
type SearchContact struct {
	ID         string   `json:"id"`
	ClientID   string   `json:"client_id"`
	ClientName string   `json:"client_name"`
	Name       string   `json:"name"`
	JobTitle   string   `json:"job_title,omitempty"`
	Email      string   `json:"email,omitempty"`
	Phone      string   `json:"phone,omitempty"`
	Mobile     string   `json:"mobile,omitempty"`
	SIP        string   `json:"sip,omitempty"`
	Disabled   bool     `json:"disabled,omitempty"`
	Matched    []string `json:"matched"`
	Link       string   `json:"link"`
}

// SearchDevice is a device a search found, with its client.
type SearchDevice struct {
	ID         string   `json:"id"`
	ClientID   string   `json:"client_id"`
	ClientName string   `json:"client_name"`
	Hostname   string   `json:"hostname"`
	Online     bool     `json:"online"`
	Retired    bool     `json:"retired,omitempty"`
	IPs        []string `json:"ips,omitempty"`
	MACs       []string `json:"macs,omitempty"`
	Serial     string   `json:"serial,omitempty"`
	SIP        string   `json:"sip,omitempty"`
	Matched    []string `json:"matched"`
	Link       string   `json:"link"`
}

// VerifySent is POST /api/v1/contacts/{contact}/verify: a one-time code
// went to the contact's e-mail (SentTo, partly masked), valid until
// ExpiresAt.
type VerifySent struct {
	ContactID string    `json:"contact_id"`
	SentTo    string    `json:"sent_to"`
	ExpiresAt time.Time `json:"expires_at"`
	Attempts  int       `json:"attempts"`
}

// VerifyCheckRequest is the code the caller read back.
type VerifyCheckRequest struct {
	Code string `json:"code"`
}

// VerifyResult is POST /api/v1/contacts/{contact}/verify/check. Outcome
// is "verified", "wrong" (AttemptsLeft more may be made), "expired",
// "locked" (too many wrong codes) or "none" (no code outstanding: send
// one); Message says it in words.
type VerifyResult struct {
	ContactID    string `json:"contact_id"`
	Verified     bool   `json:"verified"`
	Outcome      string `json:"outcome"`
	AttemptsLeft int    `json:"attempts_left"`
	Message      string `json:"message"`
}

// DeviceSIP is GET and PUT /api/v1/devices/{id}/sip: the SIP address a
// technician gave the device (a desk phone's or softphone's), which the
// help-desk search finds it by.
type DeviceSIP struct {
	DeviceID string `json:"device_id"`
	SIP      string `json:"sip"`
}

// DeviceSIPRequest sets a device's SIP address ("" removes it).
type DeviceSIPRequest struct {
	SIP string `json:"sip"`
}
