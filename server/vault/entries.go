package vault

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
	"github.com/steward-rmm/steward/server/store"
)

// Limits of an entry's fields.
const (
	maxURL      = 2048
	maxUsername = 256
	maxPassword = 4096
	maxNotes    = 64 << 10
	maxBody     = 128 << 10
)

func toAPI(e *store.VaultEntry, clientName string) api.VaultEntry {
	return api.VaultEntry{ID: e.ID, ClientID: e.ClientID, ClientName: clientName, Name: e.Name, URL: e.URL, Username: e.Username,
		CreatedAt: e.CreatedAt, CreatedBy: e.CreatedBy, UpdatedAt: e.UpdatedAt, UpdatedBy: e.UpdatedBy}
}

func (vw *Wing) clientNames() map[string]string {
	m := map[string]string{}
	cs, _ := vw.d.Store.Clients()
	for _, c := range cs {
		m[c.ID] = c.Name
	}
	return m
}

// query is the ?q= search text, bounded.
func query(r *http.Request) string {
	return httpx.CleanText(strings.TrimSpace(r.URL.Query().Get("q")), 200)
}

// search lists the entries of every client in the caller's scope that
// match ?q= (name, URL or username), without their secrets.
func (vw *Wing) search(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	vw.writeList(w, store.VaultQuery{Scope: p.Scope(), Text: query(r)})
}

// list lists one client's entries, searched by ?q=.
func (vw *Wing) list(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := vw.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(w, 404, "client not found")
		return
	}
	vw.writeList(w, store.VaultQuery{ClientID: c.ID, Scope: p.Scope(), Text: query(r)})
}

func (vw *Wing) writeList(w http.ResponseWriter, q store.VaultQuery) {
	es, err := vw.d.Store.VaultEntries(q)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	names := vw.clientNames()
	out := make([]api.VaultEntry, 0, len(es))
	for i := range es {
		out = append(out, toAPI(&es[i], names[es[i].ClientID]))
	}
	httpx.WriteJSON(w, 200, out)
}

// entry finds an entry p may see; anything else is not found.
func (vw *Wing) entry(p *httpx.Principal, id string) (store.VaultEntry, bool) {
	e, err := vw.d.Store.VaultEntry(id)
	if err != nil || !p.CanSeeClient(e.ClientID) {
		return store.VaultEntry{}, false
	}
	return e, true
}

func (vw *Wing) show(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	e, ok := vw.entry(p, r.PathValue("vault"))
	if !ok {
		httpx.WriteError(w, 404, "vault entry not found")
		return
	}
	httpx.WriteJSON(w, 200, toAPI(&e, vw.clientNames()[e.ClientID]))
}

// checkURL accepts an empty URL or an absolute http or https one: a
// javascript: or data: "login URL" would run in the dashboard when
// clicked.
func checkURL(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", nil
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(s) > maxURL || strings.ContainsAny(s, " \t\r\n") {
		return "", errors.New("login URL must be an http:// or https:// URL of at most 2048 characters")
	}
	return s, nil
}

// checkFields validates the metadata and secret of a request.
func checkFields(req *api.VaultEntryRequest) (name, link, user string, err error) {
	if name, err = httpx.CleanName("name", req.Name, httpx.MaxNameRunes); err != nil {
		return
	}
	if link, err = checkURL(req.URL); err != nil {
		return
	}
	if user, err = httpx.CleanName("username", req.Username, maxUsername); err != nil {
		if strings.TrimSpace(req.Username) == "" {
			user, err = "", nil
		} else {
			return
		}
	}
	if req.Password != nil && (len(*req.Password) > maxPassword || !utf8.ValidString(*req.Password)) {
		err = errors.New("password must be valid UTF-8 of at most 4096 bytes")
		return
	}
	if req.Notes != nil && (len(*req.Notes) > maxNotes || !utf8.ValidString(*req.Notes)) {
		err = errors.New("notes must be valid UTF-8 of at most 64 KiB")
	}
	return
}

func (vw *Wing) create(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := vw.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(w, 404, "client not found")
		return
	}
	var req api.VaultEntryRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	name, link, user, err := checkFields(&req)
	if err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	var sec secret
	if req.Password != nil {
		sec.Password = *req.Password
	}
	if req.Notes != nil {
		sec.Notes = *req.Notes
	}
	now := vw.d.Now().UTC()
	e := store.VaultEntry{ID: httpx.NewID("vlt"), ClientID: c.ID, Name: name, URL: link, Username: user,
		CreatedAt: now, CreatedBy: p.Name, UpdatedAt: now, UpdatedBy: p.Name}
	if !vw.sealInto(w, &e, sec) {
		return
	}
	if err := vw.d.Store.PutVaultEntry(e); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	vw.d.Audit.AuditP(p, "vault.create", e.ID, map[string]string{"client": c.ID, "name": e.Name})
	httpx.WriteJSON(w, 201, toAPI(&e, c.Name))
}

// sealInto seals sec into e under its client's data key.
func (vw *Wing) sealInto(w http.ResponseWriter, e *store.VaultEntry, sec secret) bool {
	dk, err := vw.dataKey(e.ClientID, true)
	if err != nil {
		vw.d.Log.Error("vault data key", "client", e.ClientID, "err", err)
		httpx.WriteError(w, 500, "the client's vault key cannot be opened")
		return false
	}
	e.Sealed, err = sealSecret(dk, e.ClientID, e.ID, sec)
	clear(dk)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return false
	}
	return true
}

func (vw *Wing) update(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	e, ok := vw.entry(p, r.PathValue("vault"))
	if !ok {
		httpx.WriteError(w, 404, "vault entry not found")
		return
	}
	var req api.VaultEntryRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	name, link, user, err := checkFields(&req)
	if err != nil {
		httpx.WriteError(w, 400, err.Error())
		return
	}
	e.Name, e.URL, e.Username, e.UpdatedAt, e.UpdatedBy = name, link, user, vw.d.Now().UTC(), p.Name
	changed := []string{}
	if req.Password != nil || req.Notes != nil {
		sec, ok := vw.openEntry(w, p, &e)
		if !ok {
			return
		}
		if req.Password != nil {
			sec.Password = *req.Password
			changed = append(changed, "password")
		}
		if req.Notes != nil {
			sec.Notes = *req.Notes
			changed = append(changed, "notes")
		}
		if !vw.sealInto(w, &e, sec) {
			return
		}
	}
	if err := vw.d.Store.PutVaultEntry(e); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	vw.d.Audit.AuditP(p, "vault.update", e.ID, map[string]string{"client": e.ClientID, "name": e.Name, "secret_changed": strings.Join(changed, ",")})
	httpx.WriteJSON(w, 200, toAPI(&e, vw.clientNames()[e.ClientID]))
}

func (vw *Wing) remove(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	e, ok := vw.entry(p, r.PathValue("vault"))
	if !ok {
		httpx.WriteError(w, 404, "vault entry not found")
		return
	}
	if err := vw.d.Store.DeleteVaultEntry(e.ID); err != nil {
		httpx.WriteError(w, 404, "vault entry not found")
		return
	}
	vw.d.Audit.AuditP(p, "vault.delete", e.ID, map[string]string{"client": e.ClientID, "name": e.Name})
	httpx.WriteJSON(w, 200, api.VaultDeleted{Deleted: e.ID, Name: e.Name})
}

func (vw *Wing) settingsOf(c store.Client) (api.VaultSettings, error) {
	s, err := vw.d.Store.VaultSettings(c.ID)
	return api.VaultSettings{ClientID: c.ID, PortalAccess: s.PortalAccess, RequireReason: s.RequireReason,
		ServerRequiresReason: vw.d.RequireReason}, err
}

// settings shows a client's vault options (readable without a master
// key, so an admin can see them while the vault is off).
func (vw *Wing) settings(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := vw.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(w, 404, "client not found")
		return
	}
	s, err := vw.settingsOf(c)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	httpx.WriteJSON(w, 200, s)
}

// putSettings changes a client's vault options (admins: the users
// permission).
func (vw *Wing) putSettings(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	c, ok := vw.d.Clients.ResolveClient(p, r.PathValue("client"))
	if !ok {
		httpx.WriteError(w, 404, "client not found")
		return
	}
	var req api.VaultSettingsRequest
	if err := httpx.DecodeBody(r, &req, 4<<10); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	s, err := vw.d.Store.VaultSettings(c.ID)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	if req.PortalAccess != nil {
		s.PortalAccess = *req.PortalAccess
	}
	if req.RequireReason != nil {
		s.RequireReason = *req.RequireReason
	}
	s.ClientID, s.UpdatedAt, s.UpdatedBy = c.ID, vw.d.Now().UTC(), p.Name
	if err := vw.d.Store.PutVaultSettings(s); err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	vw.d.Audit.AuditP(p, "vault.settings", c.ID, map[string]string{"client": c.ID,
		"portal_access": boolText(s.PortalAccess), "require_reason": boolText(s.RequireReason)})
	out, _ := vw.settingsOf(c)
	httpx.WriteJSON(w, 200, out)
}

func boolText(b bool) string {
	if b {
		return "true"
	}
	return "false"
}
