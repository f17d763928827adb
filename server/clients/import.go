package clients

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Import limits: the JSON body holding the CSV, and its rows.
const (
	maxImportBody = 8 << 20
	maxImportRows = 50000
	previewRows   = 10
)

// importFields are what a column can map to: the contact's fields, plus
// first and last name, joined into the name when no column is the name.
var importFields = append(slices.Clone(api.ContactImportFields), "first_name", "last_name")

// headerAliases propose a field for a column header, compared without
// case, spaces or punctuation.
var headerAliases = map[string]string{
	"name": "name", "fullname": "name", "contact": "name", "contactname": "name", "displayname": "name",
	"firstname": "first_name", "givenname": "first_name", "forename": "first_name",
	"lastname": "last_name", "surname": "last_name", "familyname": "last_name",
	"jobtitle": "job_title", "title": "job_title", "position": "job_title", "role": "job_title",
	"email": "email", "emailaddress": "email", "mail": "email",
	"phone": "phone", "telephone": "phone", "tel": "phone", "phonenumber": "phone", "workphone": "phone",
	"businessphone": "phone", "officephone": "phone",
	"mobile": "mobile", "mobilephone": "mobile", "cell": "mobile", "cellphone": "mobile", "mobilenumber": "mobile",
	"sip": "sip", "sipaddress": "sip", "sipuri": "sip",
}

// proposeMapping maps each header to a field, each field at most once.
func proposeMapping(header []string) []string {
	out := make([]string, len(header))
	for i, h := range header {
		key := strings.Map(func(r rune) rune {
			if r >= 'a' && r <= 'z' || r >= '0' && r <= '9' {
				return r
			}
			return -1
		}, strings.ToLower(h))
		if f := headerAliases[key]; f != "" && !slices.Contains(out, f) {
			out[i] = f
		}
	}
	return out
}

// csvRow is one record of an uploaded file and the line it starts on.
type csvRow struct {
	line   int
	fields []string
}

// readCSV parses an uploaded file: its header and rows. A malformed file
// (a stray quote, say) is an error naming the line.
func readCSV(data string) ([]string, []csvRow, error) {
	data = strings.TrimPrefix(data, "\ufeff") // a byte order mark from spreadsheets
	r := csv.NewReader(strings.NewReader(data))
	r.FieldsPerRecord = -1
	header, err := r.Read()
	if errors.Is(err, io.EOF) {
		return nil, nil, errors.New("the CSV is empty: it needs a header line and rows")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("malformed CSV: %w", err)
	}
	for i := range header {
		header[i] = strings.TrimSpace(header[i])
	}
	var rows []csvRow
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("malformed CSV: %w", err)
		}
		if len(rows) == maxImportRows {
			return nil, nil, fmt.Errorf("the CSV has more than %d rows: split it", maxImportRows)
		}
		line, _ := r.FieldPos(0)
		rows = append(rows, csvRow{line: line, fields: rec})
	}
	return header, rows, nil
}

// unneutralise undoes the quote a CSV export puts before a cell a
// spreadsheet would run as a formula, so exported contacts import back.
func unneutralise(s string) string {
	if len(s) > 1 && s[0] == '\'' && strings.ContainsRune("=+-@", rune(s[1])) {
		return s[1:]
	}
	return s
}

// rowRequest turns a row into the contact fields it sets: only non-empty
// mapped cells, so that an empty cell never clears what a contact has.
func rowRequest(row []string, mapping []string) (req api.ContactRequest, first, last string) {
	for i, f := range mapping {
		if f == "" || i >= len(row) {
			continue
		}
		v := strings.TrimSpace(unneutralise(row[i]))
		if v == "" {
			continue
		}
		switch f {
		case "name":
			req.Name = &v
		case "first_name":
			first = v
		case "last_name":
			last = v
		case "job_title":
			req.JobTitle = &v
		case "email":
			req.Email = &v
		case "phone":
			req.Phone = &v
		case "mobile":
			req.Mobile = &v
		case "sip":
			req.SIP = &v
		}
	}
	if req.Name == nil && (first != "" || last != "") {
		n := strings.TrimSpace(first + " " + last)
		req.Name = &n
	}
	return req, first, last
}

// checkMapping validates a mapping for a header.
func checkMapping(mapping, header []string) error {
	if len(mapping) != len(header) {
		return fmt.Errorf("the mapping has %d entries and the CSV %d columns: give one per column (\"\" ignores a column)",
			len(mapping), len(header))
	}
	for i, f := range mapping {
		if f == "" {
			continue
		}
		if !slices.Contains(importFields, f) {
			return fmt.Errorf("column %d maps to %q: give one of %s, or \"\" to ignore it", i+1, f, strings.Join(importFields, ", "))
		}
		if slices.Contains(mapping[:i], f) {
			return fmt.Errorf("two columns map to %s", f)
		}
	}
	if !slices.Contains(mapping, "email") {
		return errors.New("map a column to email: imported contacts are matched on it")
	}
	if !slices.Contains(mapping, "name") && !slices.Contains(mapping, "first_name") && !slices.Contains(mapping, "last_name") {
		return errors.New("map a column to name (or first_name and last_name)")
	}
	return nil
}

// importPlan is what an import will do.
type importPlan struct {
	result api.ContactImportResult
	put    []store.Contact
}

// plan decides, row by row, what importing rows into client does given
// its existing contacts: a row matching a contact by e-mail updates the
// fields whose cells differ (or leaves it unchanged); other rows create
// contacts; invalid rows are reported with their line and reason.
func (s *Wing) plan(client string, existing []store.Contact, mapping []string, rows []csvRow, by string) importPlan {
	var pl importPlan
	pl.result.Errors = []api.ImportRowError{}
	byEmail := make(map[string]*store.Contact, len(existing))
	for i := range existing {
		if existing[i].Email != "" {
			byEmail[strings.ToLower(existing[i].Email)] = &existing[i]
		}
	}
	seen := map[string]int{} // e-mail -> line it was first on
	now := s.now()
	bad := func(line int, reason string) {
		pl.result.Invalid++
		pl.result.Errors = append(pl.result.Errors, api.ImportRowError{Line: line, Reason: reason})
	}
	for _, row := range rows {
		if len(row.fields) != len(mapping) {
			if len(row.fields) == 1 && strings.TrimSpace(row.fields[0]) == "" {
				continue // an empty line
			}
			bad(row.line, fmt.Sprintf("has %d fields, the header %d", len(row.fields), len(mapping)))
			continue
		}
		req, _, _ := rowRequest(row.fields, mapping)
		if req.Email == nil {
			bad(row.line, "no e-mail: imported contacts are matched on it")
			continue
		}
		key := strings.ToLower(strings.TrimSpace(*req.Email))
		if first, dup := seen[key]; dup {
			bad(row.line, fmt.Sprintf("e-mail %s is on line %d already", *req.Email, first))
			continue
		}
		seen[key] = row.line
		var c store.Contact
		old := byEmail[key]
		if old != nil {
			c = *old
			c.Devices = slices.Clone(old.Devices)
		} else {
			c = store.Contact{ID: httpx.NewID("ct"), ClientID: client, CreatedAt: now}
		}
		changed, err := s.applyContact(&c, req)
		if err != nil {
			bad(row.line, err.Error())
			continue
		}
		switch {
		case old == nil:
			pl.result.Created++
		case !changed:
			pl.result.Unchanged++
			continue
		default:
			pl.result.Updated++
		}
		c.ModifiedAt, c.ModifiedBy = now, by
		pl.put = append(pl.put, c)
	}
	return pl
}

// importBody reads an import request; it answers errors itself.
func (s *Wing) importBody(w http.ResponseWriter, r *http.Request) (api.ContactImportRequest, []string, []csvRow, bool) {
	var req api.ContactImportRequest
	if err := httpx.DecodeBody(r, &req, maxImportBody); err != nil {
		httpx.WriteBodyError(w, err)
		return req, nil, nil, false
	}
	header, rows, err := readCSV(req.CSV)
	if err != nil {
		httpx.WriteError(w, 400, err.Error())
		return req, nil, nil, false
	}
	return req, header, rows, true
}

func (s *Wing) apiImportPreview(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	if _, ok := s.client(w, r, p); !ok {
		return
	}
	_, header, rows, ok := s.importBody(w, r)
	if !ok {
		return
	}
	out := api.ContactImportPreview{Columns: header, Rows: [][]string{}, Total: len(rows), Mapping: proposeMapping(header),
		Fields: importFields}
	for _, row := range rows[:min(len(rows), previewRows)] {
		out.Rows = append(out.Rows, row.fields)
	}
	httpx.WriteJSON(w, 200, out)
}

func (s *Wing) apiImport(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	cl, ok := s.client(w, r, p)
	if !ok {
		return
	}
	req, header, rows, ok := s.importBody(w, r)
	if !ok {
		return
	}
	if err := checkMapping(req.Mapping, header); err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	existing, _, err := s.st.Contacts(store.ContactQuery{ClientID: cl.ID, Scope: p.Scope()})
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	pl := s.plan(cl.ID, existing, req.Mapping, rows, p.Name)
	if len(pl.put) > 0 {
		if err := s.st.PutContacts(pl.put); errors.Is(err, store.ErrExists) {
			// A contact added meanwhile took an e-mail of the file.
			httpx.WriteError(w, 409, "a contact with an e-mail of this file was added meanwhile: import again")
			return
		} else if err != nil {
			httpx.WriteError(w, 500, "internal error")
			return
		}
	}
	res := pl.result
	s.alog.AuditP(p, "contact.import", cl.ID, map[string]string{"client": cl.ID, "rows": fmt.Sprint(len(rows)),
		"created": fmt.Sprint(res.Created), "updated": fmt.Sprint(res.Updated), "unchanged": fmt.Sprint(res.Unchanged),
		"invalid": fmt.Sprint(res.Invalid)})
	httpx.WriteJSON(w, 200, res)
}
