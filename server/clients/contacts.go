package clients

import (
	"encoding/csv"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

func toAPIContact(c store.Contact) api.Contact {
	return api.Contact{ID: c.ID, ClientID: c.ClientID, Name: c.Name, JobTitle: c.JobTitle, Email: c.Email, Phone: c.Phone,
		PhoneE164: c.PhoneE164, Mobile: c.Mobile, MobileE164: c.MobileE164, SIP: c.SIP, Devices: c.Devices, Disabled: c.Disabled,
		CreatedAt: c.CreatedAt, ModifiedAt: c.ModifiedAt, ModifiedBy: c.ModifiedBy}
}

// applyContact validates a change and applies it to c; it reports whether
// anything changed. The devices must be the contact's client's.
func (s *Wing) applyContact(c *store.Contact, req api.ContactRequest) (bool, error) {
	before := *c
	before.Devices = slices.Clone(c.Devices)
	if req.Name != nil {
		v, err := httpx.CleanName("name", *req.Name, maxLine)
		if err != nil {
			return false, err
		}
		c.Name = v
	}
	if c.Name == "" {
		return false, errors.New("name is required")
	}
	if req.JobTitle != nil {
		v, err := line("job title", *req.JobTitle, maxLine)
		if err != nil {
			return false, err
		}
		c.JobTitle = v
	}
	if req.Email != nil {
		v, err := email(*req.Email)
		if err != nil {
			return false, err
		}
		c.Email = v
	}
	// A number as stored was parsed when it was stored: a re-import of the
	// same file skips parsing it again.
	if req.Phone != nil && strings.TrimSpace(*req.Phone) != c.Phone {
		v, e, err := phone("phone", *req.Phone, s.region)
		if err != nil {
			return false, err
		}
		c.Phone, c.PhoneE164 = v, e
	}
	if req.Mobile != nil && strings.TrimSpace(*req.Mobile) != c.Mobile {
		v, e, err := phone("mobile", *req.Mobile, s.region)
		if err != nil {
			return false, err
		}
		c.Mobile, c.MobileE164 = v, e
	}
	if req.SIP != nil {
		v, err := sip(*req.SIP)
		if err != nil {
			return false, err
		}
		c.SIP = v
	}
	if req.Devices != nil {
		var ds []string
		for _, id := range *req.Devices {
			if slices.Contains(ds, id) {
				continue
			}
			d, _, ok := s.fleet.Device(id)
			if !ok || d.ClientID != c.ClientID {
				return false, fmt.Errorf("device %q is not a device of this client", id)
			}
			ds = append(ds, id)
		}
		if len(ds) > maxDevices {
			return false, fmt.Errorf("at most %d devices per contact", maxDevices)
		}
		c.Devices = ds
	}
	if req.Disabled != nil {
		c.Disabled = *req.Disabled
	}
	return !sameContact(&before, c), nil
}

// sameContact compares what an operator can change of two contacts.
func sameContact(a, b *store.Contact) bool {
	return a.Name == b.Name && a.JobTitle == b.JobTitle && a.Email == b.Email && a.Phone == b.Phone && a.Mobile == b.Mobile &&
		a.SIP == b.SIP && a.Disabled == b.Disabled && slices.Equal(a.Devices, b.Devices)
}

// putContact stores one contact, answering the store's refusals.
func (s *Wing) putContact(w http.ResponseWriter, c store.Contact) bool {
	err := s.st.PutContacts([]store.Contact{c})
	switch {
	case errors.Is(err, store.ErrExists):
		httpx.WriteError(w, 409, fmt.Sprintf("another contact of this client has the e-mail %s", c.Email))
	case err != nil:
		httpx.WriteError(w, 500, "internal error")
	default:
		return true
	}
	return false
}

func (s *Wing) apiCreateContact(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	cl, ok := s.client(w, r, p)
	if !ok {
		return
	}
	var req api.ContactRequest
	if err := httpx.DecodeBody(r, &req, 16<<10); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	now := s.now()
	c := store.Contact{ID: httpx.NewID("ct"), ClientID: cl.ID, CreatedAt: now, ModifiedAt: now, ModifiedBy: p.Name}
	if _, err := s.applyContact(&c, req); err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	if !s.putContact(w, c) {
		return
	}
	s.alog.AuditP(p, "contact.create", c.ID, map[string]string{"client": cl.ID, "name": c.Name, "email": c.Email})
	httpx.WriteJSON(w, 201, toAPIContact(c))
}

// contact finds the request's {contact} of the request's client.
func (s *Wing) contact(w http.ResponseWriter, r *http.Request, p *httpx.Principal) (store.Contact, bool) {
	cl, ok := s.client(w, r, p)
	if !ok {
		return store.Contact{}, false
	}
	c, err := s.st.Contact(r.PathValue("contact"))
	if err == nil && c.ClientID == cl.ID {
		return c, true
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		httpx.WriteError(w, 500, "internal error")
	} else {
		httpx.WriteError(w, 404, "contact not found")
	}
	return store.Contact{}, false
}

func (s *Wing) apiContact(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	if c, ok := s.contact(w, r, p); ok {
		httpx.WriteJSON(w, 200, toAPIContact(c))
	}
}

func (s *Wing) apiUpdateContact(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := s.contact(w, r, p)
	if !ok {
		return
	}
	var req api.ContactRequest
	if err := httpx.DecodeBody(r, &req, 16<<10); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	wasDisabled := c.Disabled
	changed, err := s.applyContact(&c, req)
	if err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	if changed {
		c.ModifiedAt, c.ModifiedBy = s.now(), p.Name
		if !s.putContact(w, c) {
			return
		}
		action := "contact.update"
		if c.Disabled != wasDisabled {
			action = map[bool]string{true: "contact.disable", false: "contact.enable"}[c.Disabled]
		}
		s.alog.AuditP(p, action, c.ID, map[string]string{"client": c.ClientID, "name": c.Name, "email": c.Email})
	}
	httpx.WriteJSON(w, 200, toAPIContact(c))
}

// Contact page sizes.
const (
	defaultContactPage = 50
	maxContactPage     = 500
)

func (s *Wing) apiContacts(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	cl, ok := s.client(w, r, p)
	if !ok {
		return
	}
	q := r.URL.Query()
	cq := store.ContactQuery{ClientID: cl.ID, Scope: p.Scope(), Search: strings.TrimSpace(q.Get("search")), Status: q.Get("status"),
		Limit: defaultContactPage}
	if len(cq.Search) > 256 {
		httpx.WriteError(w, 400, "search is too long: at most 256 bytes")
		return
	}
	if cq.Status != "" && cq.Status != "active" && cq.Status != "disabled" {
		httpx.WriteError(w, 400, "status must be active or disabled")
		return
	}
	for _, x := range []struct {
		name string
		dst  *int
		max  int
	}{{"limit", &cq.Limit, maxContactPage}, {"offset", &cq.Offset, 1 << 30}} {
		if v := q.Get(x.name); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 || n > x.max {
				httpx.WriteError(w, 400, fmt.Sprintf("%s must be a number from 0 to %d", x.name, x.max))
				return
			}
			*x.dst = n
		}
	}
	csvOut := q.Get("format") == "csv"
	if csvOut {
		cq.Limit, cq.Offset = 0, 0
	}
	cs, total, err := s.st.Contacts(cq)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	if csvOut {
		writeContactsCSV(w, cs)
		return
	}
	out := api.ContactList{Contacts: make([]api.Contact, 0, len(cs)), Total: total}
	for _, c := range cs {
		out.Contacts = append(out.Contacts, toAPIContact(c))
	}
	w.Header().Set("X-Total-Count", strconv.Itoa(total))
	httpx.WriteJSON(w, 200, out)
}

// writeContactsCSV exports contacts; every cell goes through CSVSafe, so
// "=cmd|..." is text in a spreadsheet. Its columns import back as they are.
func writeContactsCSV(w http.ResponseWriter, cs []store.Contact) {
	w.Header().Set("Content-Type", "text/csv; charset=utf-8")
	w.Header().Set("Content-Disposition", `attachment; filename="contacts.csv"`)
	cw := csv.NewWriter(w)
	_ = cw.Write([]string{"name", "job_title", "email", "phone", "mobile", "sip", "phone_e164", "mobile_e164", "devices", "status",
		"modified_at"})
	for _, c := range cs {
		status := "active"
		if c.Disabled {
			status = "disabled"
		}
		row := []string{c.Name, c.JobTitle, c.Email, c.Phone, c.Mobile, c.SIP, c.PhoneE164, c.MobileE164,
			strings.Join(c.Devices, " "), status, c.ModifiedAt.UTC().Format(time.RFC3339)}
		for i := range row {
			row[i] = httpx.CSVSafe(row[i])
		}
		_ = cw.Write(row)
	}
	cw.Flush()
}
