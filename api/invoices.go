package api

import "time"

// InvoiceLine is one line of an invoice. Kind is "time_entry" (SourceID
// the time entry), "contract_fee" (SourceID the contract) or "manual".
// Quantity has at most three decimals (hours for time entries); TaxRate
// is a percentage with at most two decimals; AmountCents is Quantity times
// UnitPriceCents rounded half away from zero to the cent.
type InvoiceLine struct {
	Kind           string  `json:"kind"`
	Description    string  `json:"description"`
	SourceID       string  `json:"source_id,omitempty"`
	TicketID       string  `json:"ticket_id,omitempty"`
	Quantity       float64 `json:"quantity"`
	UnitPriceCents int64   `json:"unit_price_cents"`
	TaxRate        float64 `json:"tax_rate"`
	AmountCents    int64   `json:"amount_cents"`
}

// Invoice is a bill to a client. Dates are YYYY-MM-DD; Status is draft,
// sent, paid or void; Next lists the statuses it may move to. Tax is
// computed per tax rate on the sum of that rate's line amounts, rounded
// half away from zero to the cent.
type Invoice struct {
	ID            string        `json:"id"`
	Number        string        `json:"number"`
	ClientID      string        `json:"client_id"`
	ClientName    string        `json:"client_name"`
	IssuerName    string        `json:"issuer_name,omitempty"`
	IssuerAddress string        `json:"issuer_address,omitempty"`
	Date          string        `json:"date"`
	DueDate       string        `json:"due_date"`
	PeriodFrom    string        `json:"period_from,omitempty"`
	PeriodTo      string        `json:"period_to,omitempty"`
	Status        string        `json:"status"`
	Next          []string      `json:"next"`
	Batch         string        `json:"batch,omitempty"`
	Currency      string        `json:"currency"`
	Lines         []InvoiceLine `json:"lines"`
	SubtotalCents int64         `json:"subtotal_cents"`
	TaxCents      int64         `json:"tax_cents"`
	TotalCents    int64         `json:"total_cents"`
	Notes         string        `json:"notes,omitempty"`
	CreatedAt     time.Time     `json:"created_at"`
	CreatedBy     string        `json:"created_by,omitempty"`
	UpdatedAt     time.Time     `json:"updated_at"`
	UpdatedBy     string        `json:"updated_by,omitempty"`
}

// InvoiceList is a page of invoices, newest date first (then newest
// number); Next is the cursor of the next page (pass it as ?cursor=), ""
// on the last. The first page (no cursor) also has Total, the number of
// all that match, and Totals, what the sent invoices of the same client
// and scope add up to per currency (the other filters aside); later pages
// leave both out.
type InvoiceList struct {
	Invoices []Invoice      `json:"invoices"`
	Total    int            `json:"total"`
	Next     string         `json:"next,omitempty"`
	Totals   []InvoiceTotal `json:"totals,omitempty"`
}

// InvoiceTotal is what the sent (unpaid) invoices of one currency add up
// to: all of them (outstanding) and those past their due date (overdue),
// in cents, with their counts.
type InvoiceTotal struct {
	Currency         string `json:"currency"`
	OutstandingCents int64  `json:"outstanding_cents"`
	Outstanding      int    `json:"outstanding"`
	OverdueCents     int64  `json:"overdue_cents"`
	Overdue          int    `json:"overdue"`
}

// InvoiceLineRequest is a manual line. TaxRate nil takes the default tax
// rate of the settings.
type InvoiceLineRequest struct {
	Description    string   `json:"description"`
	Quantity       float64  `json:"quantity"`
	UnitPriceCents int64    `json:"unit_price_cents"`
	TaxRate        *float64 `json:"tax_rate,omitempty"`
}

// InvoiceRequest creates an invoice of a client (POST) or changes a draft
// (PUT: its dates, batch, notes and manual lines; the lines billed from
// work stay). FromWork bills the client's billable time entries not yet
// invoiced and its contract fees of [PeriodFrom, PeriodTo) (dates
// YYYY-MM-DD); Lines adds manual lines. Date defaults to today, DueDate to
// Date plus the payment terms, Currency to the settings'.
type InvoiceRequest struct {
	Date       string               `json:"date,omitempty"`
	DueDate    string               `json:"due_date,omitempty"`
	PeriodFrom string               `json:"period_from,omitempty"`
	PeriodTo   string               `json:"period_to,omitempty"`
	FromWork   bool                 `json:"from_work,omitempty"`
	Batch      string               `json:"batch,omitempty"`
	Currency   string               `json:"currency,omitempty"`
	Notes      string               `json:"notes,omitempty"`
	Lines      []InvoiceLineRequest `json:"lines,omitempty"`
}

// InvoiceStatusRequest moves an invoice to another status.
type InvoiceStatusRequest struct {
	Status string `json:"status"`
}

// InvoiceDeleted answers the deletion of a draft.
type InvoiceDeleted struct {
	Deleted string `json:"deleted"`
	Number  string `json:"number"`
}

// InvoiceBatchRequest creates the invoices of many clients for one
// period under one batch name: Clients lists client IDs (empty = every
// client in the caller's scope); clients with nothing to bill are
// skipped.
type InvoiceBatchRequest struct {
	Batch      string   `json:"batch"`
	PeriodFrom string   `json:"period_from"`
	PeriodTo   string   `json:"period_to"`
	Date       string   `json:"date,omitempty"`
	Clients    []string `json:"clients,omitempty"`
}

// InvoiceBatchItem is one client's result in a batch: Result is
// "created", "skipped" (nothing to bill) or "failed" (Error says why).
type InvoiceBatchItem struct {
	ClientID   string `json:"client_id"`
	ClientName string `json:"client_name"`
	Result     string `json:"result"`
	InvoiceID  string `json:"invoice_id,omitempty"`
	Number     string `json:"number,omitempty"`
	TotalCents int64  `json:"total_cents,omitempty"`
	Error      string `json:"error,omitempty"`
}

// InvoiceBatchResult is what a batch did, client by client.
type InvoiceBatchResult struct {
	Batch   string             `json:"batch"`
	Created int                `json:"created"`
	Skipped int                `json:"skipped"`
	Failed  int                `json:"failed"`
	Items   []InvoiceBatchItem `json:"items"`
}

// InvoiceSettings are the server-wide invoice settings (admins change
// them): the issuer shown on invoices, the default hourly rate (used
// when a contract has none) and tax rate (percent), payment terms in days,
// the currency (ISO 4217) and the number format: NumberPrefix then the
// sequence zero-padded to NumberDigits (INV-000123).
type InvoiceSettings struct {
	IssuerName      string    `json:"issuer_name"`
	IssuerAddress   string    `json:"issuer_address"`
	HourlyRateCents int64     `json:"hourly_rate_cents"`
	TaxRate         float64   `json:"tax_rate"`
	PaymentDays     int       `json:"payment_days"`
	Currency        string    `json:"currency"`
	NumberPrefix    string    `json:"number_prefix"`
	NumberDigits    int       `json:"number_digits"`
	UpdatedAt       time.Time `json:"updated_at,omitzero"`
	UpdatedBy       string    `json:"updated_by,omitempty"`
}
