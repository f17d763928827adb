package clients

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/store"
)

func testWing() *Wing {
	at := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	return &Wing{region: "GB", now: func() time.Time { return at }}
}

// TestReadCSV: a header and rows with the line each starts on (a quoted
// field may span lines); a BOM is dropped; malformed and empty files are
// errors that say so.
func TestReadCSV(t *testing.T) {
	header, rows, err := readCSV("\ufeffName,E-mail\nAnn,ann@example.com\n\"Bob\nJr\",bob@example.com\nCat,cat@example.com\n")
	if err != nil || !slices.Equal(header, []string{"Name", "E-mail"}) || len(rows) != 3 {
		t.Fatalf("readCSV = %v %v %v", header, rows, err)
	}
	if rows[0].line != 2 || rows[1].line != 3 || rows[2].line != 5 {
		t.Errorf("lines = %d %d %d, want 2 3 5", rows[0].line, rows[1].line, rows[2].line)
	}
	if _, _, err := readCSV("name,email\nAnn,\"ann@example.com\nBob,b\"x\n"); err == nil || !strings.Contains(err.Error(), "malformed CSV") {
		t.Errorf("a stray quote: %v", err)
	}
	if _, _, err := readCSV(""); err == nil || !strings.Contains(err.Error(), "empty") {
		t.Errorf("empty file: %v", err)
	}
	if m := proposeMapping([]string{"First Name", "Last Name", "E-mail Address", "Job Title", "Cell Phone", "Notes", "email"}); !slices.Equal(m,
		[]string{"first_name", "last_name", "email", "job_title", "mobile", "", ""}) {
		t.Errorf("proposed mapping = %q", m)
	}
}

// TestImportPlan: rows create contacts, match existing ones on e-mail
// (any case) to update only what differs, leave identical ones unchanged,
// never clear a field from an empty cell, and every bad row is reported
// with its line and reason while the good ones still import.
func TestImportPlan(t *testing.T) {
	s := testWing()
	file := "name,email,phone,title,ignored\n" +
		"Ann Smith,ann@example.com,020 7946 0958,CEO,x\n" + // line 2: matches Ann, unchanged
		"Bob Jones,BOB@example.com,,CTO,x\n" + // line 3: matches Bob, title changes, phone kept
		"Cat New,cat@example.com,+1 212 555 2368,,x\n" + // line 4: created
		"No Mail,,020 7946 0958,,x\n" + // line 5: no e-mail
		"Dup,ann@EXAMPLE.com,,,x\n" + // line 6: repeats line 2
		"Bad Phone,dan@example.com,12,,x\n" + // line 7: bad phone
		"Bad Mail,not-an-address,,,x\n" + // line 8: bad e-mail
		"Short,eve@example.com\n" + // line 9: too few fields
		"\"Ev\u202eil\",evil@example.com,,,x\n" + // line 10: bidi control
		"=cmd|' /C calc'!A0,formula@example.com,,<script>alert(1)</script>,x\n" // line 11: hostile but valid text
	header, rows, err := readCSV(file)
	if err != nil {
		t.Fatal(err)
	}
	mapping := []string{"name", "email", "phone", "job_title", ""}
	if err := checkMapping(mapping, header); err != nil {
		t.Fatal(err)
	}
	existing := []store.Contact{
		{ID: "ct1", ClientID: "c1", Name: "Ann Smith", Email: "ann@example.com", Phone: "020 7946 0958", PhoneE164: "+442079460958", JobTitle: "CEO"},
		{ID: "ct2", ClientID: "c1", Name: "Bob Jones", Email: "bob@example.com", Phone: "020 7946 0001", PhoneE164: "+442079460001", JobTitle: "Dev"},
	}
	pl := s.plan("c1", existing, mapping, rows, "admin")
	r := pl.result
	if r.Created != 2 || r.Updated != 1 || r.Unchanged != 1 || r.Invalid != 6 {
		t.Errorf("result = %+v", r)
	}
	want := map[int]string{5: "no e-mail", 6: "on line 2 already", 7: "not a valid phone number", 8: "not a valid address",
		9: "has 2 fields, the header 5", 10: "bidi"}
	for _, e := range r.Errors {
		if !strings.Contains(e.Reason, want[e.Line]) || want[e.Line] == "" {
			t.Errorf("line %d: %q, want %q", e.Line, e.Reason, want[e.Line])
		}
		delete(want, e.Line)
	}
	if len(want) > 0 {
		t.Errorf("not reported: %v", want)
	}
	byMail := map[string]store.Contact{}
	for _, c := range pl.put {
		byMail[strings.ToLower(c.Email)] = c
	}
	if bob := byMail["bob@example.com"]; bob.ID != "ct2" || bob.JobTitle != "CTO" || bob.Phone != "020 7946 0001" || bob.ModifiedBy != "admin" {
		t.Errorf("Bob updated = %+v", bob)
	}
	if cat := byMail["cat@example.com"]; cat.ClientID != "c1" || cat.PhoneE164 != "+12125552368" || cat.Phone != "+1 212 555 2368" {
		t.Errorf("Cat created = %+v", cat)
	}
	if f := byMail["formula@example.com"]; f.Name != "=cmd|' /C calc'!A0" || f.JobTitle != "<script>alert(1)</script>" {
		t.Errorf("hostile text did not stay text: %+v", f)
	}

	// The same file again, over the result: nothing changes.
	after := slices.Clone(existing)
	for _, c := range pl.put {
		if i := slices.IndexFunc(after, func(x store.Contact) bool { return x.ID == c.ID }); i >= 0 {
			after[i] = c
		} else {
			after = append(after, c)
		}
	}
	again := s.plan("c1", after, mapping, rows, "admin")
	if again.result.Created != 0 || again.result.Updated != 0 || again.result.Unchanged != 4 || len(again.put) != 0 || again.result.Invalid != 6 {
		t.Errorf("second import = %+v, %d to store", again.result, len(again.put))
	}
}

// TestImportMapping: a mapping names every column, fields once, and
// includes e-mail and a name; an exported cell's formula quote is undone.
func TestImportMapping(t *testing.T) {
	h := []string{"a", "b", "c"}
	for _, tc := range []struct {
		m   []string
		msg string
	}{
		{[]string{"name", "email"}, "2 entries and the CSV 3 columns"},
		{[]string{"name", "email", "fax"}, `maps to "fax"`},
		{[]string{"name", "email", "email"}, "two columns map to email"},
		{[]string{"name", "phone", ""}, "map a column to email"},
		{[]string{"job_title", "email", ""}, "map a column to name"},
	} {
		if err := checkMapping(tc.m, h); err == nil || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("checkMapping(%q) = %v, want %q", tc.m, err, tc.msg)
		}
	}
	req, _, _ := rowRequest([]string{"Ann", "Smith", "'+44 20 7946 0958", "'=1+1"}, []string{"first_name", "last_name", "phone", "job_title"})
	if *req.Name != "Ann Smith" || *req.Phone != "+44 20 7946 0958" || *req.JobTitle != "=1+1" {
		t.Errorf("row = %+v", req)
	}
}
