package store

import "time"

// Search fields of a SearchQuery: which normalised key of a client or
// contact it matches.
const (
	// SearchName matches names: every word of Value (lower case, split on
	// spaces) is the start of a word of the name.
	SearchName = "name"
	// SearchEmail matches a contact's e-mail, whole and case-insensitively.
	SearchEmail = "email"
	// SearchPhone matches an E.164 number: a contact's phone or mobile, a
	// client's phone.
	SearchPhone = "phone"
	// SearchSIP matches a contact's SIP address by its user@host part,
	// case-insensitively (sip: and sips: alike).
	SearchSIP = "sip"
	// SearchDomain matches a client's domains and its website's host name,
	// whole and case-insensitively.
	SearchDomain = "domain"
)

// SearchQuery selects clients or contacts by one normalised key: Field
// (a Search constant) equal to Value as that field describes, of client
// ClientID ("" = every client inside Scope), at most Limit (0 = 50). The
// order is the index's (by key, then client, then ID); a query names one
// field so that a database implementation can answer it from one index.
type SearchQuery struct {
	Field    string
	Value    string
	ClientID string
	Scope    Scope
	Limit    int
}

// CallerCode is a one-time code sent to a contact to verify a caller:
// only its hash is stored. One code per contact: a new one replaces it.
type CallerCode struct {
	ContactID string
	ClientID  string
	// Salt and Hash: Hash is SHA-256 of Salt followed by the code, hex.
	Salt      string
	Hash      string
	SentTo    string
	SentBy    string
	SentAt    time.Time
	ExpiresAt time.Time
	// Attempts counts the checks made against the code.
	Attempts int
}

// Outcomes of CheckCallerCode.
const (
	CodeVerified = "verified" // the code matched; it is used up
	CodeWrong    = "wrong"    // it did not match; one attempt counted
	CodeExpired  = "expired"  // past ExpiresAt (the code is removed)
	CodeLocked   = "locked"   // no attempts left (the code is removed)
	CodeNone     = "none"     // no code outstanding
)

// HelpdeskStore is the help desk's storage: the search over clients and
// contacts, kept by the store in the same commits as the records it
// indexes (so an edit or a deletion is never found stale), and the
// one-time codes that verify callers.
type HelpdeskStore interface {
	// SearchClients lists the clients q selects.
	SearchClients(q SearchQuery) ([]Client, error)
	// SearchContacts lists the contacts q selects.
	SearchContacts(q SearchQuery) ([]Contact, error)
	// RebuildSearchIndex rebuilds the search index from the records
	// (after a restore; the index never drifts otherwise).
	RebuildSearchIndex() error

	// SetDeviceSIP sets the SIP address of a device (a desk phone's, a
	// softphone's), "" removing it; ErrNotFound for an unknown device.
	// DeleteDevice removes it with the device.
	SetDeviceSIP(deviceID, sip string) error
	// DeviceSIP returns a device's SIP address ("" if none).
	DeviceSIP(deviceID string) (string, error)
	// DevicesBySIP lists the IDs of the devices with the SIP address
	// (matched as SearchSIP says), in ID order. The caller scopes them by
	// the devices' current clients.
	DevicesBySIP(sip string) ([]string, error)

	// PutCallerCode stores a contact's code, replacing any earlier one.
	PutCallerCode(c CallerCode) error
	// CallerCode returns the contact's outstanding code (ErrNotFound if
	// none).
	CallerCode(contactID string) (CallerCode, error)
	// CheckCallerCode counts one attempt against the contact's code, in
	// one atomic step: CodeVerified (and the code is removed) when hash
	// equals the stored hash (compared in constant time), else CodeWrong;
	// CodeExpired when now is past ExpiresAt, CodeLocked when maxAttempts
	// were made already (both remove the code), CodeNone when there is
	// none. The returned code is the stored one as it was checked.
	CheckCallerCode(contactID, hash string, now time.Time, maxAttempts int) (string, CallerCode, error)
}
