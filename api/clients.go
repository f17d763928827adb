package api

import "time"

// Rankings names the client rankings (ClientProfile.Ranking), lowest
// first; index 0 (unset) is "".
var Rankings = []string{"", "low", "normal", "high", "urgent", "critical"}

// ClientStats counts a client's devices for the clients list.
type ClientStats struct {
	Devices       int `json:"devices"`
	Online        int `json:"online"`
	Offline       int `json:"offline"`
	PendingReboot int `json:"pending_reboot"`
	WithPatches   int `json:"with_patches"`
}

// ClientProfile is a client's overview fields. Phone numbers are shown as
// entered; the E.164 forms are what links and searches use.
type ClientProfile struct {
	Phone     string `json:"phone,omitempty"`
	PhoneE164 string `json:"phone_e164,omitempty"`
	Fax       string `json:"fax,omitempty"`
	FaxE164   string `json:"fax_e164,omitempty"`
	Address   string `json:"address,omitempty"`
	Postcode  string `json:"postcode,omitempty"`
	// MapURL opens the address and postcode on a public map ("" when both
	// are empty).
	MapURL        string   `json:"map_url,omitempty"`
	Domains       []string `json:"domains,omitempty"`
	Website       string   `json:"website,omitempty"`
	CompanyNumber string   `json:"company_number,omitempty"`
	// TicketLimit is how many tickets the client may open (0 = no limit).
	TicketLimit int    `json:"ticket_limit,omitempty"`
	Notes       string `json:"notes,omitempty"`
	// Ranking is 1 (low) to 5 (critical), 0 unset; see Rankings.
	Ranking int `json:"ranking,omitempty"`
	// Custom holds custom field values by field ID, as text: numbers as
	// written by Go, dates YYYY-MM-DD, yes/no as "true" or "false".
	Custom     map[string]string `json:"custom,omitempty"`
	ModifiedAt time.Time         `json:"modified_at,omitzero"`
	ModifiedBy string            `json:"modified_by,omitempty"`
	// TimeZone is the client's IANA time zone ("" = the server's): the
	// zone of automation schedules read in the client's zone.
	TimeZone string `json:"time_zone,omitempty"`
}

// PinnedValue is one pinned field as a client page shows it.
type PinnedValue struct {
	Key   string `json:"key"`
	Label string `json:"label"`
	Value string `json:"value"`
}

// ClientPage is GET /api/v1/clients/{id}: the client, its overview, the
// custom field definitions and the pinned fields with their values.
type ClientPage struct {
	Client  Client        `json:"client"`
	Profile ClientProfile `json:"profile"`
	Fields  []ClientField `json:"fields"`
	Pinned  []PinnedValue `json:"pinned"`
}

// UpdateClientRequest is PATCH /api/v1/clients/{id}: the fields given
// change, the others stay. An empty string clears a field; in Custom, an
// empty value clears that custom field.
type UpdateClientRequest struct {
	Phone         *string           `json:"phone,omitempty"`
	Fax           *string           `json:"fax,omitempty"`
	Address       *string           `json:"address,omitempty"`
	Postcode      *string           `json:"postcode,omitempty"`
	Domains       *[]string         `json:"domains,omitempty"`
	Website       *string           `json:"website,omitempty"`
	CompanyNumber *string           `json:"company_number,omitempty"`
	TicketLimit   *int              `json:"ticket_limit,omitempty"`
	Notes         *string           `json:"notes,omitempty"`
	Ranking       *int              `json:"ranking,omitempty"`
	Custom        map[string]string `json:"custom,omitempty"`
	// TimeZone sets the client's IANA time zone ("" = the server's).
	TimeZone *string `json:"time_zone,omitempty"`
}

// Custom field types (ClientField.Type).
const (
	FieldText   = "text"
	FieldNumber = "number"
	FieldDate   = "date"
	FieldBool   = "bool"
	FieldChoice = "choice"
)

// ClientField is a custom field every client has, defined by an admin.
type ClientField struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	// Type is text, number, date, bool (yes/no) or choice.
	Type    string   `json:"type"`
	Options []string `json:"options,omitempty"`
	Order   int      `json:"order"`
}

// ClientFieldRequest is POST /api/v1/client-fields and PUT
// /api/v1/client-fields/{field}.
type ClientFieldRequest struct {
	Label   string   `json:"label"`
	Type    string   `json:"type"`
	Options []string `json:"options,omitempty"`
	Order   int      `json:"order,omitempty"`
}

// PinnableField is a field that can be pinned: a built-in overview field
// or a custom field (its key is the field's ID).
type PinnableField struct {
	Key   string `json:"key"`
	Label string `json:"label"`
}

// PinnedFields is GET and PUT /api/v1/client-pinned: the keys of the 3 to
// 6 fields shown above every tab of every client page, in order. In a
// GET, Available lists what can be pinned.
type PinnedFields struct {
	Keys      []string        `json:"keys"`
	Available []PinnableField `json:"available,omitempty"`
}

// Contact is a person at a client.
type Contact struct {
	ID       string `json:"id"`
	ClientID string `json:"client_id"`
	Name     string `json:"name"`
	JobTitle string `json:"job_title,omitempty"`
	Email    string `json:"email,omitempty"`
	// Phone and Mobile are as entered; the E164 fields in E.164.
	Phone      string `json:"phone,omitempty"`
	PhoneE164  string `json:"phone_e164,omitempty"`
	Mobile     string `json:"mobile,omitempty"`
	MobileE164 string `json:"mobile_e164,omitempty"`
	// SIP is a SIP address (sip:user@host).
	SIP string `json:"sip,omitempty"`
	// Devices are IDs of the client's devices the contact uses.
	Devices    []string  `json:"devices,omitempty"`
	Disabled   bool      `json:"disabled"`
	CreatedAt  time.Time `json:"created_at"`
	ModifiedAt time.Time `json:"modified_at"`
	ModifiedBy string    `json:"modified_by,omitempty"`
}

// ContactList is a page of GET /api/v1/clients/{id}/contacts.
type ContactList struct {
	Contacts []Contact `json:"contacts"`
	Total    int       `json:"total"`
}

// ContactRequest is POST /api/v1/clients/{id}/contacts (Name required)
// and PATCH /api/v1/clients/{id}/contacts/{contact} (the fields given
// change; Disabled disables or enables the contact).
type ContactRequest struct {
	Name     *string   `json:"name,omitempty"`
	JobTitle *string   `json:"job_title,omitempty"`
	Email    *string   `json:"email,omitempty"`
	Phone    *string   `json:"phone,omitempty"`
	Mobile   *string   `json:"mobile,omitempty"`
	SIP      *string   `json:"sip,omitempty"`
	Devices  *[]string `json:"devices,omitempty"`
	Disabled *bool     `json:"disabled,omitempty"`
}

// ContactImportFields are the contact fields a CSV column can map to.
var ContactImportFields = []string{"name", "job_title", "email", "phone", "mobile", "sip"}

// ContactImportRequest is POST .../contacts/import/preview and
// .../contacts/import: a CSV file with a header line, and for a commit
// the field each column maps to (Mapping[i] for column i: one of
// ContactImportFields, or "" to ignore it).
type ContactImportRequest struct {
	CSV     string   `json:"csv"`
	Mapping []string `json:"mapping,omitempty"`
}

// ContactImportPreview shows a CSV before it is imported: its columns,
// its first rows, how many rows it has, and a proposed mapping.
type ContactImportPreview struct {
	Columns []string   `json:"columns"`
	Rows    [][]string `json:"rows"`
	Total   int        `json:"total_rows"`
	Mapping []string   `json:"mapping"`
	Fields  []string   `json:"fields"`
}

// ImportRowError is a CSV row that was not imported: its line in the file
// (the header is line 1) and why.
type ImportRowError struct {
	Line   int    `json:"line"`
	Reason string `json:"reason"`
}

// ContactImportResult is what an import did. Rows match existing contacts
// by e-mail: a row whose fields already hold is unchanged, so importing
// the same file twice changes nothing the second time.
type ContactImportResult struct {
	Created   int              `json:"created"`
	Updated   int              `json:"updated"`
	Unchanged int              `json:"unchanged"`
	Invalid   int              `json:"invalid"`
	Errors    []ImportRowError `json:"errors"`
}
