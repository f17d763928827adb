//go:build linux

package e2e_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
)

// TestServiceDeskChain runs issue 18's wings together on one real server:
// a contract with an SLA, a block of hours and a monthly fee is the
// client's default; a ticket opened without naming it takes its SLA and
// counts one ticket; time on the ticket consumes hours until the block
// refuses more (409 naming the entitlement); the period's invoice bills
// the billable time at the contract's rate plus its fee, and a second
// invoice of the same period bills nothing twice; voiding releases the
// time for the next one.
func TestServiceDeskChain(t *testing.T) {
	e := startServer(t, serverConfig())
	acme := e.createClient("Acme")
	allDay := []map[string]any{}
	for d := 0; d < 7; d++ {
		allDay = append(allDay, map[string]any{"weekday": d, "start": "00:00", "end": "24:00"})
	}
	var cal, sla api.SLAChange
	if code := e.api("POST", "/api/v1/sla-calendars", map[string]any{"name": "24x7", "time_zone": "UTC", "hours": allDay}, &cal); code != 201 {
		t.Fatalf("calendar: %d", code)
	}
	if code := e.api("POST", "/api/v1/slas", map[string]any{"name": "Gold", "calendar_id": cal.Calendar.ID, "targets": []map[string]any{
		{"priority": "medium", "first_response_minutes": 60, "resolution_minutes": 8 * 60}}}, &sla); code != 201 {
		t.Fatalf("SLA: %d", code)
	}
	today := time.Now().UTC()
	start := today.AddDate(0, -1, 0).Format("2006-01-02")
	var k api.Contract
	if code := e.api("POST", "/api/v1/clients/"+acme+"/contracts", api.ContractRequest{Name: "Support 2027", Type: "block_of_hours",
		Start: start, SLAID: sla.SLA.ID, Default: true, MonthlyFeeCents: 50000, HourlyRateCents: 9000, Currency: "EUR"}, &k); code != 201 {
		t.Fatalf("contract: %d %+v", code, k)
	}
	var hours, tickets api.Entitlement
	if code := e.api("POST", "/api/v1/contracts/"+k.ID+"/entitlements", api.EntitlementRequest{Name: "Reactive hours",
		Consumable: true, Unit: "hours", Quantity: 2}, &hours); code != 201 {
		t.Fatalf("hours entitlement: %d", code)
	}
	if code := e.api("POST", "/api/v1/contracts/"+k.ID+"/entitlements", api.EntitlementRequest{Name: "Tickets",
		Consumable: true, Unit: "tickets", Quantity: 10}, &tickets); code != 201 {
		t.Fatalf("tickets entitlement: %d", code)
	}

	// The ticket takes the default contract and its SLA, and counts.
	var tk api.Ticket
	if code := e.api("POST", "/api/v1/clients/"+acme+"/tickets", map[string]any{"title": "Printer down"}, &tk); code != 201 {
		t.Fatalf("ticket: %d", code)
	}
	if tk.ContractID != k.ID || tk.SLAID != sla.SLA.ID || tk.SLA == nil || tk.SLA.ResolutionDue == nil {
		t.Fatalf("ticket under the default contract: %+v", tk)
	}
	if d := tk.SLA.ResolutionDue.Sub(tk.CreatedAt); d < 7*time.Hour || d > 9*time.Hour {
		t.Errorf("resolution due %v after opening, want the contract SLA's 8 h", d)
	}
	entitlement := func(id string) api.Entitlement {
		t.Helper()
		var c api.Contract
		if code := e.api("GET", "/api/v1/contracts/"+k.ID, nil, &c); code != 200 {
			t.Fatalf("contract: %d", code)
		}
		for _, en := range c.Entitlements {
			if en.ID == id {
				return en
			}
		}
		t.Fatalf("entitlement %s missing from %+v", id, c.Entitlements)
		return api.Entitlement{}
	}
	if got := entitlement(tickets.ID); got.Used != 1 {
		t.Errorf("tickets used %v, want 1", got.Used)
	}

	// A file attaches to the ticket only through the ticket's own client.
	other := e.createClient("Other")
	if code, body := e.rawAs(t, e.token, "POST", "/api/v1/clients/"+other+"/attachments?name=log.txt&owner_kind=ticket&owner_id="+tk.ID,
		[]byte("log")); code != 404 {
		t.Errorf("a file for Acme's ticket through another client: %d %s, want 404", code, body)
	}
	if code, body := e.rawAs(t, e.token, "POST", "/api/v1/clients/"+acme+"/attachments?name=log.txt&owner_kind=ticket&owner_id="+tk.ID,
		[]byte("log")); code != 201 {
		t.Errorf("a file for the ticket: %d %s, want 201", code, body)
	}
	var files []api.Attachment
	if code := e.api("GET", "/api/v1/clients/"+acme+"/attachments?owner_kind=ticket&owner_id="+tk.ID, nil, &files); code != 200 || len(files) != 1 {
		t.Errorf("the ticket's files: %d %+v", code, files)
	}

	// Time consumes the block of hours; past it, refused with the reason.
	var te1, te2 api.TimeEntry
	if code := e.api("POST", "/api/v1/tickets/"+tk.ID+"/time", api.TimeEntryRequest{Minutes: 90, Billable: true, Note: "on site"}, &te1); code != 201 {
		t.Fatalf("time: %d", code)
	}
	if code := e.api("POST", "/api/v1/tickets/"+tk.ID+"/time", api.TimeEntryRequest{Minutes: 15, Note: "call back"}, &te2); code != 201 {
		t.Fatalf("unbilled time: %d", code)
	}
	if got := entitlement(hours.ID); got.Used != 1.75 || got.Remaining != 0.25 {
		t.Errorf("hours used %v remaining %v, want 1.75 and 0.25", got.Used, got.Remaining)
	}
	var er api.Error
	if code := e.api("POST", "/api/v1/tickets/"+tk.ID+"/time", api.TimeEntryRequest{Minutes: 60, Billable: true}, &er); code != http.StatusConflict ||
		!strings.Contains(er.Error, "Reactive hours") {
		t.Fatalf("over the block: %d %q, want 409 naming the entitlement", code, er.Error)
	}
	if got := entitlement(hours.ID); got.Used != 1.75 {
		t.Errorf("a refused entry consumed: used %v", got.Used)
	}

	// The period's invoice: the billable 90 minutes at the contract's
	// rate (1.5 h x 90.00) and the monthly fee; the unbilled entry never.
	period := api.InvoiceRequest{FromWork: true, PeriodFrom: today.AddDate(0, 0, -1).Format("2006-01-02"),
		PeriodTo: today.AddDate(0, 0, 2).Format("2006-01-02")}
	var inv api.Invoice
	if code := e.api("POST", "/api/v1/clients/"+acme+"/invoices", period, &inv); code != 201 {
		t.Fatalf("invoice from work: %d %+v", code, inv)
	}
	var timeLine, feeLine *api.InvoiceLine
	for i, l := range inv.Lines {
		switch {
		case l.SourceID == te1.ID:
			timeLine = &inv.Lines[i]
		case l.SourceID == te2.ID:
			t.Errorf("the non-billable entry was billed: %+v", l)
		case strings.Contains(l.Description, "Support 2027"):
			feeLine = &inv.Lines[i]
		}
	}
	if timeLine == nil || timeLine.Quantity != 1.5 || timeLine.UnitPriceCents != 9000 || timeLine.AmountCents != 13500 {
		t.Errorf("time line %+v, want 1.5 h at 90.00", timeLine)
	}
	if feeLine == nil || feeLine.AmountCents != 50000 {
		t.Errorf("fee line %+v (lines %+v), want the 500.00 monthly fee", feeLine, inv.Lines)
	}
	// Nothing is billed twice: the same period again has no time to bill.
	var again api.Invoice
	code := e.api("POST", "/api/v1/clients/"+acme+"/invoices", period, &again)
	for _, l := range again.Lines {
		if l.SourceID == te1.ID {
			t.Fatalf("time entry billed twice: %d %+v", code, again)
		}
	}
	// Voiding releases the entry for the next invoice.
	if code := e.api("POST", "/api/v1/invoices/"+inv.ID+"/status", api.InvoiceStatusRequest{Status: "void"}, nil); code != 200 {
		t.Fatalf("void: %d", code)
	}
	var third api.Invoice
	if code := e.api("POST", "/api/v1/clients/"+acme+"/invoices", period, &third); code != 201 {
		t.Fatalf("invoice after void: %d", code)
	}
	billed := false
	for _, l := range third.Lines {
		billed = billed || l.SourceID == te1.ID
	}
	if !billed || third.Number == inv.Number {
		t.Errorf("after the void: entry billed %v, number %s (voided %s)", billed, third.Number, inv.Number)
	}
}
