//go:build linux

package e2e_test

import (
	"bytes"
	"encoding/csv"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/api"
)

// TestContractsOverTLS: on the real server, an admin adds a contract, an
// entitlement and a manual delivery; the drill-down's CSV keeps hostile
// text inert; a technician scoped to Bravo gets 404 for Alpha's contract
// and activity; the activity page needs the customer-activity
// permission (technicians have it, help-desk users do not); every change
// is in the audit log.
func TestContractsOverTLS(t *testing.T) {
	e := startServer(t, serverConfig())
	a, b := e.createClient("Alpha"), e.createClient("Bravo")
	var k api.Contract
	if code := e.api("POST", "/api/v1/clients/"+a+"/contracts", api.ContractRequest{Name: "Alpha support", Type: "block_of_hours",
		Start: "2026-01-01", End: "2030-12-31", Default: true, MonthlyFeeCents: 50000, HourlyRateCents: 9000}, &k); code != 201 || !k.Active {
		t.Fatalf("create contract: %d %+v", code, k)
	}
	var en api.Entitlement
	if code := e.api("POST", "/api/v1/contracts/"+k.ID+"/entitlements", api.EntitlementRequest{Name: "On-site visits",
		Consumable: true, Unit: "visits", Quantity: 3}, &en); code != 201 || en.Remaining != 3 {
		t.Fatalf("add entitlement: %d %+v", code, en)
	}
	var cu api.Consumption
	if code := e.api("POST", "/api/v1/contracts/"+k.ID+"/entitlements/"+en.ID+"/consumptions", api.ConsumptionRequest{Quantity: 1,
		Date: "2026-06-01", Note: "=2+5+cmd|' /C calc'!A0", TicketNumber: 17}, &cu); code != 201 {
		t.Fatalf("delivery: %d %+v", code, cu)
	}
	if code, msg := e.apiErr("POST", "/api/v1/contracts/"+k.ID+"/entitlements/"+en.ID+"/consumptions", api.ConsumptionRequest{Quantity: 5}); code != 409 ||
		!strings.Contains(msg, "On-site visits") || !strings.Contains(msg, "sold 3") || !strings.Contains(msg, "used 1") || !strings.Contains(msg, "asked 5") {
		t.Errorf("over-consumption: %d %q", code, msg)
	}
	code, body := e.rawAs(t, e.token, "GET", "/api/v1/contracts/"+k.ID+"/entitlements/"+en.ID+"/consumptions?format=csv", nil)
	rows, err := csv.NewReader(bytes.NewReader([]byte(body))).ReadAll()
	if code != 200 || err != nil || len(rows) != 2 || rows[1][8] != "'=2+5+cmd|' /C calc'!A0" || rows[1][5] != "17" || rows[1][4] != "1" {
		t.Fatalf("csv: %d %v %q", code, err, rows)
	}

	e.createUser("bravo-tech", "technician", b)
	e.createUser("alpha-tech", "technician", a)
	e.createUser("alpha-desk", "helpdesk", a)
	bt := e.tokenFor("bravo-tech")
	for _, p := range []string{"/api/v1/contracts/" + k.ID, "/api/v1/clients/" + a + "/contracts", "/api/v1/clients/" + a + "/activity",
		"/api/v1/contracts/" + k.ID + "/entitlements/" + en.ID + "/consumptions?format=csv"} {
		if code, body := e.rawAs(t, bt, "GET", p, nil); code != 404 || strings.Contains(body, "Alpha support") {
			t.Errorf("Bravo's technician GET %s: %d %s", p, code, body)
		}
	}
	if code, _ := e.rawAs(t, bt, "POST", "/api/v1/contracts/"+k.ID+"/end", []byte(`{}`)); code != 404 {
		t.Errorf("Bravo's technician ending Alpha's contract: %d", code)
	}
	var act api.Activity
	if code := e.apiAs(e.tokenFor("alpha-tech"), "GET", "/api/v1/clients/"+a+"/activity", nil, &act); code != 200 ||
		len(act.Contracts) != 1 || act.Contracts[0].Entitlements[0].Used != 1 || act.Contracts[0].Entitlements[0].Remaining != 2 {
		t.Errorf("technician's activity: %d %+v", code, act)
	}
	if code, body := e.rawAs(t, e.tokenFor("alpha-desk"), "GET", "/api/v1/clients/"+a+"/activity", nil); code != 403 ||
		!strings.Contains(body, "customer_activity") {
		t.Errorf("help desk's activity: %d %s", code, body)
	}
	if code, _ := e.rawAs(t, e.tokenFor("alpha-desk"), "GET", "/api/v1/clients/"+a+"/contracts", nil); code != 200 {
		t.Errorf("help desk reading contracts: %d", code)
	}
	// An operator never passes the portal's copy.
	if code, _ := e.rawAs(t, e.token, "GET", "/api/v1/portal/usage", nil); code != 404 {
		t.Errorf("admin on the portal route: %d", code)
	}
	var audit []struct{ Action, Target string }
	e.api("GET", "/api/v1/audit?action=contract.", nil, &audit)
	got := map[string]bool{}
	for _, ev := range audit {
		got[ev.Action] = true
	}
	for _, want := range []string{"contract.create", "contract.entitlement.add", "contract.consume"} {
		if !got[want] {
			t.Errorf("audit lacks %s: %+v", want, audit)
		}
	}
}
