package helpdesk

import (
	"slices"
	"testing"
)

// TestPhoneForms: every common form of one number reads as the same
// E.164; national forms use the default region; text, short numbers and
// invalid numbers are not phones.
func TestPhoneForms(t *testing.T) {
	for _, s := range []string{"+1-212-456-7890", "+1 212 456 7890", "+12124567890", "(212) 456-7890", "212.456.7890",
		"212 456 7890", "2124567890", "+1 (212) 456-7890", "1-212-456-7890"} {
		if got := normPhone(s, "US"); got != "+12124567890" {
			t.Errorf("normPhone(%q, US) = %q", s, got)
		}
	}
	for _, s := range []string{"020 7946 0018", "+44 20 7946 0018", "+442079460018", "(020) 7946-0018"} {
		if got := normPhone(s, "GB"); got != "+442079460018" {
			t.Errorf("normPhone(%q, GB) = %q", s, got)
		}
	}
	// The same national digits in another region are another number.
	if got := normPhone("020 7946 0018", "US"); got == "+442079460018" {
		t.Errorf("a GB national number read as GB under region US")
	}
	for _, s := range []string{"", "12345", "acme 212", "+1 212 456 789a", "000-000-0000", "1234567890123456789"} {
		if got := normPhone(s, "US"); got != "" {
			t.Errorf("normPhone(%q) = %q, want none", s, got)
		}
	}
}

// TestMACForms: colons, dashes, dots or none, any case, are one MAC;
// anything else is not one.
func TestMACForms(t *testing.T) {
	for _, s := range []string{"00:1A:2b:3C:4d:5E", "00-1a-2b-3c-4d-5e", "001a2b3c4d5e", "001A.2B3C.4D5E", "001A2B3C4D5E"} {
		if got := normMAC(s); got != "001a2b3c4d5e" {
			t.Errorf("normMAC(%q) = %q", s, got)
		}
	}
	for _, s := range []string{"00:1a:2b:3c:4d", "00:1a:2b:3c:4d:5e:6f", "00:1g:2b:3c:4d:5e", "00 1a 2b 3c 4d 5e", ""} {
		if got := normMAC(s); got != "" {
			t.Errorf("normMAC(%q) = %q, want none", s, got)
		}
	}
}

// TestSIPForms: sip: and sips: in any case read as sip:user@host in
// lower case; without a user or host, or with spaces, they are not SIP.
func TestSIPForms(t *testing.T) {
	for s, want := range map[string]string{"sip:Ann@PBX.example.com": "sip:ann@pbx.example.com",
		"SIPS:ann@pbx.example.com": "sip:ann@pbx.example.com", " sip:ann@pbx.example.com ": "sip:ann@pbx.example.com"} {
		if got := normSIP(s); got != want {
			t.Errorf("normSIP(%q) = %q, want %q", s, got, want)
		}
	}
	for _, s := range []string{"sip:pbx.example.com", "sip:@pbx.example.com", "sip:ann@", "ann@pbx.example.com", "sip:a b@x.com"} {
		if got := normSIP(s); got != "" {
			t.Errorf("normSIP(%q) = %q, want none", s, got)
		}
	}
}

// TestParseQuery: which kinds of key each query is searched as.
func TestParseQuery(t *testing.T) {
	for q, want := range map[string][]string{
		"Ann O'Brien":               {"name"},
		"ann@acme.example":          {"email", "sip"},
		"sip:ann@pbx.acme.example":  {"sip"},
		"+1 212 456 7890":           {"phone"},
		"10.1.2.3":                  {"ip"},
		"fe80::1":                   {"ip"},
		"00:1a:2b:3c:4d:5e":         {"mac", "serial", "id"},
		"acme.example":              {"name", "domain", "serial", "id"},
		"https://www.acme.example/": {"name", "domain", "serial", "id"},
		"7XK2Q53":                   {"name", "serial", "id"},
		"c_abc123":                  {"name", "serial", "id"},
		"2124567890":                {"phone", "serial", "id"},
		"ab":                        {"name"},
	} {
		k := parseQuery(q, "US")
		if got := k.read(); !slices.Equal(got, want) {
			t.Errorf("parseQuery(%q) reads %v, want %v (%+v)", q, got, want, k)
		}
	}
	if k := parseQuery("https://www.acme.example/about", "US"); k.Domain != "www.acme.example" {
		t.Errorf("URL domain = %q", k.Domain)
	}
	if k := parseQuery("  ", "US"); k.read() != nil {
		t.Errorf("blank query reads %v", k.read())
	}
}
