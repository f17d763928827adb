package clients

import (
	"strings"
	"testing"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/store"
)

// TestPhone: numbers are kept as entered and stored in E.164, read in the
// default region unless they carry a country code; junk is refused with
// the number and the region named.
func TestPhone(t *testing.T) {
	for _, tc := range []struct{ in, region, entered, e164 string }{
		{"(212) 555-2368", "US", "(212) 555-2368", "+12125552368"},
		{"  +44 20 7946 0958 ", "US", "+44 20 7946 0958", "+442079460958"},
		{"020 7946 0958", "GB", "020 7946 0958", "+442079460958"},
		{"030 123456", "DE", "030 123456", "+4930123456"},
		{"", "US", "", ""},
	} {
		entered, e164, err := phone("phone", tc.in, tc.region)
		if err != nil || entered != tc.entered || e164 != tc.e164 {
			t.Errorf("phone(%q, %s) = %q %q %v, want %q %q", tc.in, tc.region, entered, e164, err, tc.entered, tc.e164)
		}
	}
	for _, in := range []string{"12", "call me", "+1 000 000 0000", "020 7946 0958\u202e"} {
		if _, _, err := phone("mobile", in, "US"); err == nil || !strings.Contains(err.Error(), "mobile") {
			t.Errorf("phone(%q) = %v, want an error naming the field", in, err)
		}
	}
	if _, _, err := phone("phone", "020 7946 0958", "US"); err == nil || !strings.Contains(err.Error(), "region US") {
		t.Errorf("a UK number without its country code read as US: %v", err)
	}
}

// TestEmailSIPWebsiteDomains: the address fields accept what is well
// formed and name what is not; a website is only ever http or https.
func TestEmailSIPWebsiteDomains(t *testing.T) {
	for _, ok := range []string{"ann@example.com", "o'brien+it@sub.example.co.uk", ""} {
		if got, err := email(ok); err != nil || got != ok {
			t.Errorf("email(%q) = %q %v", ok, got, err)
		}
	}
	for _, bad := range []string{"ann", "ann@localhost", "Ann <ann@example.com>", "ann@example.com.", "a@b@example.com", "ann@exa mple.com"} {
		if _, err := email(bad); err == nil || !strings.Contains(err.Error(), "e-mail") {
			t.Errorf("email(%q) = %v, want refused", bad, err)
		}
	}
	if got, err := sip("SIP:ann@pbx.example.com"); err != nil || got != "sip:ann@pbx.example.com" {
		t.Errorf("sip = %q %v", got, err)
	}
	if got, err := sip("ann@pbx.example.com"); err != nil || got != "sip:ann@pbx.example.com" {
		t.Errorf("bare sip = %q %v", got, err)
	}
	if got, err := sip("sips:ann@pbx.example.com"); err != nil || got != "sips:ann@pbx.example.com" {
		t.Errorf("sips = %q %v", got, err)
	}
	if _, err := sip("sip:pbx.example.com"); err == nil {
		t.Error("a SIP address without a user was accepted")
	}
	if got, err := website("example.com/shop"); err != nil || got != "https://example.com/shop" {
		t.Errorf("website = %q %v", got, err)
	}
	for _, bad := range []string{"javascript:alert(1)", "ftp://example.com", "https://user:pw@example.com", "http://"} {
		if _, err := website(bad); err == nil {
			t.Errorf("website(%q) accepted", bad)
		}
	}
	ds, err := domains([]string{" Example.COM ", "https://shop.example.com/", "example.com", ""})
	if err != nil || strings.Join(ds, ",") != "example.com,shop.example.com" {
		t.Errorf("domains = %v %v", ds, err)
	}
	for _, bad := range []string{"-bad.com", "exa_mple.com", "<script>.com", "localhost"} {
		if _, err := domains([]string{bad}); err == nil {
			t.Errorf("domain %q accepted", bad)
		}
	}
}

// TestFieldValues: custom values are validated by type, canonicalised,
// and refused with a message naming the field and what it expects.
func TestFieldValues(t *testing.T) {
	num := store.ClientField{Label: "Seats", Type: api.FieldNumber}
	date := store.ClientField{Label: "Renewal", Type: api.FieldDate}
	yes := store.ClientField{Label: "Managed", Type: api.FieldBool}
	pick := store.ClientField{Label: "Plan", Type: api.FieldChoice, Options: []string{"Gold", "Silver"}}
	txt := store.ClientField{Label: "Note", Type: api.FieldText}
	for _, tc := range []struct {
		f        store.ClientField
		in, want string
	}{
		{num, " 12.50 ", "12.5"}, {num, "-3", "-3"}, {date, "2027-01-31", "2027-01-31"}, {yes, "Yes", "true"}, {yes, "0", "false"},
		{pick, "gold", "Gold"}, {txt, "=cmd|' /C calc'!A0\n<script>", "=cmd|' /C calc'!A0\n<script>"}, {num, "", ""},
	} {
		if got, err := fieldValue(tc.f, tc.in); err != nil || got != tc.want {
			t.Errorf("%s %q = %q %v, want %q", tc.f.Type, tc.in, got, err, tc.want)
		}
	}
	for _, tc := range []struct {
		f       store.ClientField
		in, msg string
	}{
		{num, "twelve", `custom field "Seats" is a number`}, {num, "Inf", "is a number"}, {date, "31/01/2027", "YYYY-MM-DD"},
		{date, "2027-02-30", "is a date"}, {yes, "maybe", "yes or no"}, {pick, "Bronze", "one of Gold, Silver"},
		{txt, "a\u202eb", "bidi"},
	} {
		if _, err := fieldValue(tc.f, tc.in); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s %q = %v, want an error with %q", tc.f.Type, tc.in, err, tc.msg)
		}
	}
	// Definitions: types, options, and labels unique and not built-in.
	others := []store.ClientField{{ID: "cf1", Label: "Plan"}}
	for _, tc := range []struct {
		req api.ClientFieldRequest
		msg string
	}{
		{api.ClientFieldRequest{Label: "x", Type: "colour"}, "give one of"},
		{api.ClientFieldRequest{Label: "plan", Type: "text"}, "already labelled"},
		{api.ClientFieldRequest{Label: "Phone", Type: "text"}, "built-in"},
		{api.ClientFieldRequest{Label: "Tier", Type: "choice"}, "needs 1 to"},
		{api.ClientFieldRequest{Label: "Tier", Type: "choice", Options: []string{"a", "A"}}, "twice"},
		{api.ClientFieldRequest{Label: "Tier", Type: "number", Options: []string{"a"}}, "only a choice"},
	} {
		if _, err := fieldDef(tc.req, others, "cf2"); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("fieldDef(%+v) = %v, want %q", tc.req, err, tc.msg)
		}
	}
	if f, err := fieldDef(api.ClientFieldRequest{Label: "Plan", Type: "text"}, others, "cf1"); err != nil || f.Label != "Plan" {
		t.Errorf("a field keeping its own label: %+v %v", f, err)
	}
}

// TestPins: between 3 and 6 known fields, each once.
func TestPins(t *testing.T) {
	fields := []store.ClientField{{ID: "cf1", Label: "Plan"}}
	for _, tc := range []struct {
		keys []string
		msg  string
	}{
		{[]string{"phone", "fax"}, "between 3 and 6 fields (got 2)"},
		{[]string{"phone", "fax", "notes", "ranking", "website", "domains", "postcode"}, "(got 7)"},
		{[]string{"phone", "fax", "nope"}, `"nope" is not a field`},
		{[]string{"phone", "fax", "phone"}, "twice"},
	} {
		if err := checkPins(tc.keys, fields); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("checkPins(%v) = %v, want %q", tc.keys, err, tc.msg)
		}
	}
	if err := checkPins([]string{"cf1", "phone", "created"}, fields); err != nil {
		t.Errorf("a custom field among the pins: %v", err)
	}
}
