package store

import "time"

// ClientProfile is what the client page shows of a client besides its
// name: the overview fields and the values of the admin's custom fields.
// It lives beside Client (one per client ID) so that the wings that only
// need a client's name and ID keep using Client unchanged.
type ClientProfile struct {
	ClientID string
	// Phone and Fax are as entered; PhoneE164 and FaxE164 the same numbers
	// in E.164 ("" when the number is empty).
	Phone, PhoneE164 string
	Fax, FaxE164     string
	Address          string
	Postcode         string
	Domains          []string
	Website          string
	CompanyNumber    string
	// TicketLimit is how many tickets the client may open (0 = no limit).
	TicketLimit int
	Notes       string
	// Ranking is the client's priority, 1 (low) to 5 (critical); 0 = unset.
	Ranking int
	// Custom holds the custom field values by field ID, in their canonical
	// text form (numbers as Go formats them, dates YYYY-MM-DD, yes/no as
	// "true"/"false").
	Custom     map[string]string
	ModifiedAt time.Time
	ModifiedBy string
	// TimeZone is the client's IANA time zone ("" = the server's), for
	// automation schedules read in the client's zone.
	TimeZone string
}

// ClientField is a custom field an admin defines once for every client.
type ClientField struct {
	ID    string
	Label string
	// Type is text, number, date, bool or choice; Options are the choices.
	Type    string
	Options []string
	// Order places the field among the others (ascending, then ID).
	Order     int
	CreatedAt time.Time
}

// Contact is a person at a client.
type Contact struct {
	ID       string
	ClientID string
	Name     string
	JobTitle string
	// Email is unique within the client (case-insensitively); "" = none.
	Email string
	// Phone and Mobile are as entered, the E164 fields the same numbers in
	// E.164.
	Phone, PhoneE164   string
	Mobile, MobileE164 string
	SIP                string
	// Devices are IDs of the client's devices the contact uses.
	Devices    []string
	Disabled   bool
	CreatedAt  time.Time
	ModifiedAt time.Time
	ModifiedBy string
}

// ContactQuery selects contacts, ordered by name (case-insensitively) then
// ID: of client ClientID ("" = every client inside Scope), whose name or
// e-mail contains Search (case-insensitively; "" = any), of Status
// ("active", "disabled" or "" = both); Offset of them skipped and at most
// Limit returned (0 = all).
type ContactQuery struct {
	ClientID string
	Scope    Scope
	Search   string
	Status   string
	Offset   int
	Limit    int
}

// ClientPageStore holds the client page: profiles, custom field
// definitions, the pinned fields, and contacts.
type ClientPageStore interface {
	// ClientProfile returns a client's profile; ErrNotFound when none is
	// stored (the client may still exist).
	ClientProfile(clientID string) (ClientProfile, error)
	// ClientProfiles lists every stored profile in client ID order.
	ClientProfiles() ([]ClientProfile, error)
	// PutClientProfile stores a profile of an existing client (else
	// ErrNotFound).
	PutClientProfile(p ClientProfile) error

	// ClientFields lists the custom field definitions by Order, then ID.
	ClientFields() ([]ClientField, error)
	// PutClientField creates or replaces a definition.
	PutClientField(f ClientField) error
	// DeleteClientField removes a definition (ErrNotFound if unknown);
	// values stored in profiles stay until the profile is next saved.
	DeleteClientField(id string) error
	// PinnedFields returns the keys of the pinned overview fields in their
	// order (none when unset).
	PinnedFields() ([]string, error)
	SetPinnedFields(keys []string) error

	// PutContacts creates or replaces contacts in one commit: of existing
	// clients (else ErrNotFound), with an e-mail no other contact of the
	// same client has (else ErrExists); a contact stored under another
	// client is ErrExists too (a contact never changes client).
	PutContacts(cs []Contact) error
	// Contact returns one contact by ID.
	Contact(id string) (Contact, error)
	// Contacts lists the contacts q selects and how many it selects in all.
	Contacts(q ContactQuery) ([]Contact, int, error)
}
