package api

import "time"

// Contract is what a client bought. Dates are YYYY-MM-DD; End "" is
// open-ended. Status is computed: "upcoming" before Start, "active", or
// "expired" after the effective end (End, moved by auto-renewal terms
// while AutoRenew holds, or EndedOn when the contract was ended early:
// not active from that day on). NoticeBy is the last day to give notice
// of non-renewal. Default marks the client's default contract (the one
// tickets use when none is named). Money is in cents of Currency.
type Contract struct {
	ID              string        `json:"id"`
	ClientID        string        `json:"client_id"`
	ClientName      string        `json:"client_name,omitempty"`
	Name            string        `json:"name"`
	Type            string        `json:"type"`
	Start           string        `json:"start"`
	End             string        `json:"end,omitempty"`
	EndedOn         string        `json:"ended_on,omitempty"`
	EffectiveEnd    string        `json:"effective_end,omitempty"`
	NoticeBy        string        `json:"notice_by,omitempty"`
	Status          string        `json:"status"`
	Active          bool          `json:"active"`
	SLAID           string        `json:"sla_id,omitempty"`
	AutoRenew       bool          `json:"auto_renew"`
	RenewalMonths   int           `json:"renewal_months,omitempty"`
	NoticeDays      int           `json:"notice_days,omitempty"`
	Default         bool          `json:"default"`
	MonthlyFeeCents int64         `json:"monthly_fee_cents"`
	HourlyRateCents int64         `json:"hourly_rate_cents"`
	Currency        string        `json:"currency"`
	Notes           string        `json:"notes,omitempty"`
	Entitlements    []Entitlement `json:"entitlements,omitempty"`
	CreatedAt       time.Time     `json:"created_at"`
	UpdatedAt       time.Time     `json:"updated_at"`
	UpdatedBy       string        `json:"updated_by,omitempty"`
}

// ContractRequest creates (POST) or replaces (PUT) a contract. Type is
// standard, block_of_hours, monitoring or project ("" = standard); Start
// YYYY-MM-DD ("" = today), End YYYY-MM-DD or "" (open-ended).
// RenewalMonths is the auto-renewal term (default 12 when AutoRenew),
// NoticeDays the notice before the end. Currency is an ISO 4217 code (""
// = EUR).
type ContractRequest struct {
	Name            string `json:"name"`
	Type            string `json:"type,omitempty"`
	Start           string `json:"start,omitempty"`
	End             string `json:"end,omitempty"`
	SLAID           string `json:"sla_id,omitempty"`
	AutoRenew       bool   `json:"auto_renew,omitempty"`
	RenewalMonths   int    `json:"renewal_months,omitempty"`
	NoticeDays      int    `json:"notice_days,omitempty"`
	Default         bool   `json:"default,omitempty"`
	MonthlyFeeCents int64  `json:"monthly_fee_cents,omitempty"`
	HourlyRateCents int64  `json:"hourly_rate_cents,omitempty"`
	Currency        string `json:"currency,omitempty"`
	Notes           string `json:"notes,omitempty"`
}

// ContractEndRequest ends a contract early: from Date (YYYY-MM-DD, ""
// = today) on it is not active.
type ContractEndRequest struct {
	Date string `json:"date,omitempty"`
}

// ContractList is a client's contracts, each with its entitlements.
type ContractList struct {
	Contracts []Contract `json:"contracts"`
}

// Entitlement is one thing a contract includes. A consumable one has a
// Unit (hours, tickets, visits, training_days or a custom unit), what was
// Sold, Used and Remaining (negative when over-consumed), and an Expiry
// (the contract's effective end unless set); OverConsumed flags use
// beyond what was sold (possible only when AllowOver). A non-consumable
// one is a benefit: listed, not tracked.
type Entitlement struct {
	ID           string  `json:"id"`
	ContractID   string  `json:"contract_id"`
	Name         string  `json:"name"`
	Consumable   bool    `json:"consumable"`
	Unit         string  `json:"unit,omitempty"`
	Sold         float64 `json:"sold"`
	Used         float64 `json:"used"`
	Remaining    float64 `json:"remaining"`
	Expiry       string  `json:"expiry,omitempty"`
	Expired      bool    `json:"expired"`
	ExpiresSoon  bool    `json:"expires_soon"`
	AllowOver    bool    `json:"allow_over"`
	OverConsumed bool    `json:"over_consumed"`
}

// EntitlementRequest adds (POST) or changes (PUT) an entitlement.
// Quantity is what was sold (consumable ones); Expiry YYYY-MM-DD ("" =
// the contract's end); AllowOver allows consumption beyond Quantity
// (flagged) instead of refusing it.
type EntitlementRequest struct {
	Name       string  `json:"name"`
	Consumable bool    `json:"consumable"`
	Unit       string  `json:"unit,omitempty"`
	Quantity   float64 `json:"quantity,omitempty"`
	Expiry     string  `json:"expiry,omitempty"`
	AllowOver  bool    `json:"allow_over,omitempty"`
}

// Consumption is one delivery counted against an entitlement (or, with
// no ContractID, work that belongs to no contract). SourceKind is
// ticket, time_entry or manual.
type Consumption struct {
	ID              string    `json:"id"`
	ContractID      string    `json:"contract_id,omitempty"`
	ContractName    string    `json:"contract_name,omitempty"`
	EntitlementID   string    `json:"entitlement_id,omitempty"`
	EntitlementName string    `json:"entitlement_name,omitempty"`
	Unit            string    `json:"unit"`
	Quantity        float64   `json:"quantity"`
	At              time.Time `json:"at"`
	SourceKind      string    `json:"source_kind,omitempty"`
	SourceID        string    `json:"source_id,omitempty"`
	TicketID        string    `json:"ticket_id,omitempty"`
	TicketNumber    int64     `json:"ticket_number,omitempty"`
	UserName        string    `json:"user_name,omitempty"`
	Note            string    `json:"note,omitempty"`
	Over            bool      `json:"over"`
}

// ConsumptionRequest records a manual delivery (an on-site visit, a
// training day) against an entitlement: Quantity in its unit, on Date
// (YYYY-MM-DD, "" = today), with an optional ticket number and note.
type ConsumptionRequest struct {
	Quantity     float64 `json:"quantity"`
	Date         string  `json:"date,omitempty"`
	TicketNumber int64   `json:"ticket_number,omitempty"`
	Note         string  `json:"note,omitempty"`
}

// ConsumptionList is an entitlement's drill-down: the entitlement and
// every consumption of it, oldest first.
type ConsumptionList struct {
	Entitlement  Entitlement   `json:"entitlement"`
	Consumptions []Consumption `json:"consumptions"`
}

// UnitTotal is a quantity of one unit.
type UnitTotal struct {
	Unit     string  `json:"unit"`
	Quantity float64 `json:"quantity"`
}

// ExpiringItem is a contract or entitlement that ends within the
// activity page's window.
type ExpiringItem struct {
	Kind          string `json:"kind"` // contract or entitlement
	ContractID    string `json:"contract_id"`
	EntitlementID string `json:"entitlement_id,omitempty"`
	Name          string `json:"name"`
	Date          string `json:"date"`
	Days          int    `json:"days"`
}

// Activity is a client's customer activity page: its contracts (active
// ones unless asked otherwise) with start, end and each entitlement's
// consumption; what expires within SoonDays; and work that belongs to no
// contract (Uncovered, newest last, with totals per unit).
type Activity struct {
	ClientID        string         `json:"client_id"`
	ClientName      string         `json:"client_name"`
	Today           string         `json:"today"`
	SoonDays        int            `json:"soon_days"`
	Contracts       []Contract     `json:"contracts"`
	ExpiringSoon    []ExpiringItem `json:"expiring_soon"`
	Uncovered       []Consumption  `json:"uncovered"`
	UncoveredTotals []UnitTotal    `json:"uncovered_totals"`
}
