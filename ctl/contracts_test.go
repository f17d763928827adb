package ctl

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/api"
)

// TestContractsTables: contracts list, show, create, entitlement add,
// consume, usage and activity print people's tables (money with its
// currency, benefits as such, over-consumption flagged, hostile text
// escaped), compared with testdata/contracts.golden; the requests are the
// API's; bad input is refused before any request.
func TestContractsTables(t *testing.T) {
	t.Setenv("XDG_CONFIG_HOME", t.TempDir())
	js := func(v any) string {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		return string(b)
	}
	at := time.Date(2027, 3, 1, 12, 0, 0, 0, time.UTC)
	ents := []api.Entitlement{
		{ID: "en_1", ContractID: "ct_1", Name: "Reactive hours", Consumable: true, Unit: "hours", Sold: 10, Used: 11.5, Remaining: -1.5,
			Expiry: "2027-12-31", AllowOver: true, OverConsumed: true},
		{ID: "en_2", ContractID: "ct_1", Name: "Training\x1b[31m\u202e", Consumable: true, Unit: "training_days", Sold: 2, Used: 1, Remaining: 1,
			Expiry: "2027-03-20", ExpiresSoon: true},
		{ID: "en_3", ContractID: "ct_1", Name: "Patching included"},
	}
	k := api.Contract{ID: "ct_1", ClientID: "c_1", ClientName: "Smith, Jones & Co", Name: "Support 2027", Type: "block_of_hours",
		Start: "2027-01-01", End: "2027-12-31", EffectiveEnd: "2027-12-31", NoticeBy: "2027-10-02", Status: "active", Active: true,
		AutoRenew: true, RenewalMonths: 12, NoticeDays: 90, Default: true, MonthlyFeeCents: 123450, HourlyRateCents: 9500, Currency: "EUR",
		SLAID: "sla_gold", Entitlements: ents, CreatedAt: at, UpdatedAt: at}
	old := api.Contract{ID: "ct_2", ClientID: "c_1", Name: "<b>2026</b>", Type: "standard", Start: "2026-01-01", End: "2026-12-31",
		EffectiveEnd: "2026-12-31", Status: "expired", Currency: "USD", CreatedAt: at, UpdatedAt: at}
	use := api.Consumption{ID: "cu_1", ContractID: "ct_1", ContractName: "Support 2027", EntitlementID: "en_2", EntitlementName: "Training",
		Unit: "training_days", Quantity: 1, At: at, SourceKind: "manual", TicketNumber: 42, UserName: "tina", Note: "=cmd|' /C calc'!A0\x1b[2J"}
	srv, seen, fp := fakeAPI(t, map[string]string{
		"GET /api/v1/clients/c_1/contracts":                          js(api.ContractList{Contracts: []api.Contract{k, old}}),
		"GET /api/v1/contracts/ct_1":                                 js(k),
		"POST /api/v1/clients/c_1/contracts":                         js(k),
		"POST /api/v1/contracts/ct_1/entitlements":                   js(ents[0]),
		"POST /api/v1/contracts/ct_1/entitlements/en_2/consumptions": js(use),
		"GET /api/v1/contracts/ct_1/entitlements/en_2/consumptions": js(api.ConsumptionList{Entitlement: ents[1],
			Consumptions: []api.Consumption{use}}),
		"GET /api/v1/clients/c_1/activity": js(api.Activity{ClientID: "c_1", ClientName: "Smith, Jones & Co", Today: "2027-03-10", SoonDays: 30,
			Contracts:    []api.Contract{k},
			ExpiringSoon: []api.ExpiringItem{{Kind: "entitlement", ContractID: "ct_1", EntitlementID: "en_2", Name: "Support 2027 / Training", Date: "2027-03-20", Days: 10}},
			Uncovered: []api.Consumption{{ID: "cu_9", Unit: "hours", Quantity: 1.25, At: at, SourceKind: "time_entry", TicketNumber: 7,
				UserName: "tina"}},
			UncoveredTotals: []api.UnitTotal{{Unit: "hours", Quantity: 1.25}}}),
	})
	var got strings.Builder
	for _, args := range [][]string{
		{"contracts", "list", "--client", "c_1"},
		{"contracts", "show", "ct_1"},
		{"contracts", "create", "Support 2027", "--client", "c_1", "--type", "block_of_hours", "--start", "2027-01-01", "--end", "2027-12-31",
			"--auto-renew", "--notice-days", "90", "--default", "--monthly-fee", "1,234.50", "--hourly-rate", "95", "--sla", "sla_gold"},
		{"contracts", "entitlement", "add", "ct_1", "Reactive hours", "--unit", "hours", "--quantity", "10", "--allow-over"},
		{"contracts", "consume", "ct_1", "en_2", "--quantity", "1", "--ticket", "42", "--note", "on site"},
		{"contracts", "usage", "ct_1", "en_2"},
		{"contracts", "activity", "--client", "c_1"},
	} {
		out, errs, code := runCtl(t, srv, fp, args...)
		if code != 0 {
			t.Fatalf("%v: exit %d %q", args, code, errs)
		}
		got.WriteString("$ stewardctl " + strings.Join(args, " ") + "\n" + out + "\n")
	}
	golden := filepath.Join("testdata", "contracts.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(got.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if got.String() != string(want) {
		t.Errorf("tables differ from %s (go test ./ctl -run TestContractsTables -update to accept):\n%s", golden, got.String())
	}
	if strings.Contains(got.String(), "\x1b") || strings.Contains(got.String(), "\u202e") {
		t.Error("hostile text reached the terminal unescaped")
	}
	reqs := strings.Join(*seen, "\n")
	for _, want := range []string{
		`POST /api/v1/clients/c_1/contracts {"name":"Support 2027","type":"block_of_hours","start":"2027-01-01","end":"2027-12-31","sla_id":"sla_gold","auto_renew":true,"notice_days":90,"default":true,"monthly_fee_cents":123450,"hourly_rate_cents":9500}`,
		`POST /api/v1/contracts/ct_1/entitlements {"name":"Reactive hours","consumable":true,"unit":"hours","quantity":10,"allow_over":true}`,
		`POST /api/v1/contracts/ct_1/entitlements/en_2/consumptions {"quantity":1,"ticket_number":42,"note":"on site"}`,
		`GET /api/v1/clients/c_1/activity? `,
	} {
		if !strings.Contains(reqs, want) {
			t.Errorf("no request %s in:\n%s", want, reqs)
		}
	}
	for _, args := range [][]string{{"contracts", "create", "x", "--client", "c_1", "--monthly-fee", "lots"},
		{"contracts", "consume", "ct_1", "en_2"}, {"contracts", "entitlement", "add", "ct_1", "AV", "--benefit", "--quantity", "3"},
		{"contracts", "list"}} {
		if _, errs, code := runCtl(t, srv, fp, args...); code == 0 || errs == "" {
			t.Errorf("%v: exit %d %q, want a refusal", args, code, errs)
		}
	}
	if n := len(*seen); n != 7 {
		t.Errorf("%d requests, want 7 (refusals send none)", n)
	}
}
