package toolbox

import (
	"net/http"
	"strconv"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
)

// regValueText is what the audit log keeps of a value: its type and its
// data as text, bounded.
func regValueText(v *protocol.RegValue) string {
	if v == nil {
		return ""
	}
	s := v.Type + ":"
	switch {
	case v.Number != "":
		s += v.Number
	case len(v.Strings) > 0:
		for i, x := range v.Strings {
			if i > 0 {
				s += "|"
			}
			s += x
		}
	case v.Data != nil:
		s += strconv.Itoa(len(v.Data)) + " bytes"
	default:
		s += v.String
	}
	return httpx.CleanText(s, 512)
}

func regDetail(path, view, name string) map[string]string {
	d := map[string]string{"path": clip(path), "view": view}
	if d["view"] == "" {
		d["view"] = protocol.RegView64
	}
	if name != "" {
		d["name"] = httpx.CleanText(name, 256)
	}
	return d
}

func (t *Wing) registryList(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, c, ok := t.device(w, r, p, "registry")
	if !ok {
		return
	}
	q := r.URL.Query()
	prm := protocol.RegistryListParams{RegistryKeyParams: protocol.RegistryKeyParams{Path: q.Get("path"), View: q.Get("view")}}
	if prm.Path == "" {
		prm.Path = "HKLM"
	}
	for key, dst := range map[string]*int{"cursor": &prm.Cursor, "limit": &prm.Limit} {
		if s := q.Get(key); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil || n < 0 {
				httpx.WriteError(w, http.StatusBadRequest, key+" must be a positive number")
				return
			}
			*dst = n
		}
	}
	var res api.RegistryList
	err := t.call(r, c, protocol.MethodRegistryList, prm, &res)
	if prm.Cursor == 0 || err != nil {
		t.audit(p, "registry.list", v, regDetail(prm.Path, prm.View, ""), err)
	}
	if err != nil {
		writeCallError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

func (t *Wing) registryGet(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, c, ok := t.device(w, r, p, "registry")
	if !ok {
		return
	}
	q := r.URL.Query()
	prm := protocol.RegistryValueParams{RegistryKeyParams: protocol.RegistryKeyParams{Path: q.Get("path"), View: q.Get("view")}, Name: q.Get("name")}
	var res api.RegValue
	err := t.call(r, c, protocol.MethodRegistryGet, prm, &res)
	t.audit(p, "registry.get", v, regDetail(prm.Path, prm.View, prm.Name), err)
	if err != nil {
		writeCallError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

// registryChange runs a registry write and audits it with the value it
// replaced.
func (t *Wing) registryChange(w http.ResponseWriter, r *http.Request, p *httpx.Principal, action, method string, req any,
	detail func() map[string]string) {
	v, c, ok := t.device(w, r, p, "registry")
	if !ok {
		return
	}
	if err := httpx.DecodeBody(r, req, maxBody+protocol.RegMaxData*2); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	var res api.RegistryChanged
	err := t.call(r, c, method, req, &res)
	d := detail()
	if res.Previous != nil {
		d["previous"] = regValueText(res.Previous)
	}
	if res.Created {
		d["created"] = "true"
	}
	t.audit(p, action, v, d, err)
	if err != nil {
		writeCallError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

func (t *Wing) registrySet(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.RegistrySetRequest
	t.registryChange(w, r, p, "registry.set", protocol.MethodRegistrySet, &req, func() map[string]string {
		d := regDetail(req.Path, req.View, req.Value.Name)
		d["value"] = regValueText(&req.Value)
		return d
	})
}

func (t *Wing) registryDeleteValue(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.RegistryValueRequest
	t.registryChange(w, r, p, "registry.delete_value", protocol.MethodRegistryDeleteValue, &req, func() map[string]string {
		return regDetail(req.Path, req.View, req.Name)
	})
}

func (t *Wing) registryCreateKey(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.RegistryKeyRequest
	t.registryChange(w, r, p, "registry.create_key", protocol.MethodRegistryCreateKey, &req, func() map[string]string {
		return regDetail(req.Path, req.View, "")
	})
}

func (t *Wing) registryDeleteKey(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req api.RegistryKeyRequest
	t.registryChange(w, r, p, "registry.delete_key", protocol.MethodRegistryDeleteKey, &req, func() map[string]string {
		d := regDetail(req.Path, req.View, "")
		d["recursive"] = strconv.FormatBool(req.Recursive)
		return d
	})
}
