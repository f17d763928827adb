package store

import (
	"slices"
	"time"
)

// Contract types.
const (
	ContractStandard   = "standard"
	ContractBlockHours = "block_of_hours"
	ContractMonitoring = "monitoring"
	ContractProject    = "project"
)

// ContractTypes lists the types a contract may have.
var ContractTypes = []string{ContractStandard, ContractBlockHours, ContractMonitoring, ContractProject}

// Entitlement units the server knows; an entitlement may also name a
// custom unit.
const (
	UnitHours        = "hours"
	UnitTickets      = "tickets"
	UnitVisits       = "visits"
	UnitTrainingDays = "training_days"
	SourceTicket     = "ticket"
	SourceTimeEntry  = "time_entry"
	SourceManual     = "manual"
)

// Contract is what a client bought: dates (midnight UTC; End is the
// last day covered, zero for open-ended), type, the tickets wing's SLA by
// ID, renewal terms and fees. Whether it is active is computed from the
// dates (see the contracts wing); EndedOn, when set, ends it early: from
// that day on it is no longer active. Default marks the client's default
// contract (at most one per client; the store keeps it so).
type Contract struct {
	ID              string
	ClientID        string
	Name            string
	Type            string
	Start           time.Time
	End             time.Time
	EndedOn         time.Time
	SLAID           string
	AutoRenew       bool
	RenewalMonths   int
	NoticeDays      int
	Default         bool
	MonthlyFeeCents int64
	HourlyRateCents int64
	Currency        string
	Notes           string
	CreatedAt       time.Time
	UpdatedAt       time.Time
	UpdatedBy       string
}

// Entitlement is one thing a contract includes. A consumable one has a
// Unit and a Quantity sold whose consumption is tracked (Used, kept by the
// store from the consumptions recorded against it); AllowOver lets
// consumption go beyond Quantity (flagged) instead of being refused.
// Expiry zero means the contract's end. A non-consumable one is a benefit
// listed but not tracked.
type Entitlement struct {
	ID         string
	ContractID string
	ClientID   string
	Name       string
	Consumable bool
	Unit       string
	Quantity   float64
	Expiry     time.Time
	AllowOver  bool
	Used       float64
	CreatedAt  time.Time
	UpdatedAt  time.Time
	UpdatedBy  string
}

// Consumption is one delivery counted against an entitlement, or work
// that belongs to no contract (ContractID and EntitlementID empty:
// uncovered work). SourceKind and SourceID name what it comes from (a
// ticket, a time entry, a manual delivery); one source has at most one
// consumption. Over marks a consumption that took the entitlement beyond
// what was sold.
type Consumption struct {
	ID            string
	ClientID      string
	ContractID    string
	EntitlementID string
	Unit          string
	Quantity      float64
	At            time.Time
	SourceKind    string
	SourceID      string
	TicketID      string
	TicketNumber  int64
	UserID        string
	UserName      string
	Note          string
	Over          bool
	CreatedAt     time.Time
}

// ContractQuery selects contracts, by client, start then ID: of ClientID
// ("" = any) and inside Scope.
type ContractQuery struct {
	ClientID string
	Scope    Scope
}

// Match reports whether q selects c.
func (q *ContractQuery) Match(c *Contract) bool {
	return (q.ClientID == "" || c.ClientID == q.ClientID) && q.Scope.Has(c.ClientID)
}

// ConsumptionQuery selects consumptions, oldest first (At, then ID): of
// ClientID ("" = any) inside Scope, of ContractID and EntitlementID when
// set, only uncovered work when Uncovered, with At in [From, To) for the
// bounds that are set, at most Limit (0 = all).
type ConsumptionQuery struct {
	ClientID      string
	Scope         Scope
	ContractID    string
	EntitlementID string
	Uncovered     bool
	From, To      time.Time
	Limit         int
}

// Match reports whether q selects c (Limit aside).
func (q *ConsumptionQuery) Match(c *Consumption) bool {
	switch {
	case q.ClientID != "" && c.ClientID != q.ClientID, !q.Scope.Has(c.ClientID),
		q.ContractID != "" && c.ContractID != q.ContractID,
		q.EntitlementID != "" && c.EntitlementID != q.EntitlementID,
		q.Uncovered && c.ContractID != "",
		!q.From.IsZero() && c.At.Before(q.From), !q.To.IsZero() && !c.At.Before(q.To):
		return false
	}
	return true
}

// SortConsumptions orders consumptions as ConsumptionQuery promises.
func SortConsumptions(cs []Consumption) {
	slices.SortFunc(cs, func(a, b Consumption) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		if a.ID < b.ID {
			return -1
		}
		if a.ID > b.ID {
			return 1
		}
		return 0
	})
}

// ContractStore holds contracts, their entitlements and consumption.
type ContractStore interface {
	// PutContract creates or replaces a contract of an existing client
	// (else ErrNotFound); a contract keeps its client (ErrConflict). A
	// contract saved with Default clears Default on the client's other
	// contracts in the same commit.
	PutContract(c Contract) error
	Contract(id string) (Contract, error)
	Contracts(q ContractQuery) ([]Contract, error)
	// PutEntitlement creates or replaces an entitlement of an existing
	// contract (else ErrNotFound), whose client it takes; it keeps its
	// contract (ErrConflict) and its Used, which only consumption changes.
	PutEntitlement(e Entitlement) error
	Entitlement(id string) (Entitlement, error)
	// Entitlements lists a contract's entitlements by name then ID.
	Entitlements(contractID string) ([]Entitlement, error)
	// DeleteEntitlement removes an entitlement with nothing consumed
	// (ErrConflict otherwise).
	DeleteEntitlement(id string) error
	// RecordConsumption stores c (ID set by the caller) and adds it to its
	// entitlement's Used, atomically. A consumption of the same source
	// (SourceKind and SourceID, when SourceID is set) is replaced, keeping
	// its ID, and its quantity taken off first. When the entitlement
	// refuses over-consumption and Used would exceed Quantity, nothing is
	// stored and the error wraps ErrConflict naming the entitlement, sold,
	// used and asked; when it allows it, Over is set. An unknown
	// entitlement or one of another contract or client: ErrNotFound. It
	// returns the consumption as stored.
	RecordConsumption(c Consumption) (Consumption, error)
	Consumption(id string) (Consumption, error)
	// ConsumptionBySource returns the consumption of a source
	// (ErrNotFound when it has none).
	ConsumptionBySource(kind, id string) (Consumption, error)
	Consumptions(q ConsumptionQuery) ([]Consumption, error)
	// DeleteConsumption removes a consumption and takes it off its
	// entitlement's Used.
	DeleteConsumption(id string) error
	// ReleaseSource is DeleteConsumption for the consumption of a source;
	// nil when there is none.
	ReleaseSource(kind, id string) error
}
