package server

import (
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/store"
)

// The script library. A script belongs to one client or is global. Who may
// do what:
//   - read: global scripts and those of clients in the caller's scope;
//     anything else answers 404, as if it did not exist;
//   - write and delete (the run permission): a client's script by anyone
//     whose scope holds that client, a global script only by a user of
//     every client, since a global script runs on every client's devices;
//   - run: a client's script only on that client's devices.
// Each save appends an immutable version; a job records the version and
// the SHA-256 of the body it sent.

// scriptRequest is the body of POST /api/v1/scripts: a new script, or the
// next version of the one named by id, or by owner and name.
type scriptRequest = api.ScriptRequest

// scriptView is a script with what the API adds to it (toAPIScript).
type scriptView struct {
	store.Script
	ClientName string
	Versions   []versionInfo
}

type versionInfo = api.ScriptVersion

// scriptVisible reports whether p may read sc.
func scriptVisible(p *principal, sc *store.Script) bool {
	return sc.ClientID == "" || p.canSeeClient(sc.ClientID)
}

// canWriteScript reports whether p may save or delete a script of owner
// clientID ("" = global). The route has already checked the run permission.
func canWriteScript(p *principal, clientID string) bool {
	if clientID == "" {
		return p.AllClients
	}
	return p.canSeeClient(clientID)
}

const globalScriptDenied = "only a user with access to every client can write or delete a global script; give a client"

var errScriptAmbiguous = errors.New("several clients have a script of that name")

// resolveScript finds a script p may read by ID or by name. A name is
// looked up with the owners in this order: the given client (ID or name,
// which p must see), else p's only client when p is scoped to one; then
// the global scripts. A caller of several clients who names none gets the
// global script, else the one script of that name among their clients.
// Another client's script is never found.
func (s *Server) resolveScript(p *principal, ref, client string) (store.Script, error) {
	if sc, err := s.st.Script(ref); err == nil {
		if scriptVisible(p, &sc) {
			return sc, nil
		}
		return store.Script{}, errNotFound
	}
	if !scriptNameRE.MatchString(ref) {
		return store.Script{}, errNotFound
	}
	var owners []string
	switch {
	case client != "":
		c, ok := s.resolveClient(p, client)
		if !ok {
			return store.Script{}, errNotFound
		}
		owners = []string{c.ID}
	case !p.AllClients && len(p.Clients) == 1:
		owners = []string{p.Clients[0]}
	}
	for _, o := range append(owners, "") {
		if sc, err := s.st.ScriptByName(o, ref); err == nil {
			return sc, nil
		}
	}
	if client != "" {
		return store.Script{}, errNotFound
	}
	hits, err := s.st.Scripts(store.ScriptQuery{Name: ref, Scope: p.scope()})
	switch {
	case err != nil || len(hits) == 0:
		return store.Script{}, errNotFound
	case len(hits) > 1:
		return store.Script{}, errScriptAmbiguous
	}
	return hits[0], nil
}

// libraryScript resolves a job's library reference, NAME or ID with an
// optional @VERSION, for the job's targets: a name means the script of the
// targets' client when they are all on one client, else the global one.
// It answers an HTTP status and message when the job must be refused.
func (s *Server) libraryScript(p *principal, ref string, views []fleet.View) (store.Script, int, string) {
	name, ver := ref, 0
	if i := strings.LastIndexByte(ref, '@'); i >= 0 {
		v, err := strconv.Atoi(ref[i+1:])
		if err != nil || v < 1 {
			return store.Script{}, 400, "library: want NAME or NAME@VERSION"
		}
		name, ver = ref[:i], v
	}
	client := ""
	for i, v := range views {
		if i == 0 {
			client = v.Client
		} else if v.Client != client {
			client = ""
			break
		}
	}
	sc, err := s.resolveScriptFor(p, name, client)
	if err != nil {
		return sc, 400, "no library script named " + strconv.Quote(cleanText(name, 80)) + " for these devices"
	}
	if sc.ClientID != "" {
		for _, v := range views {
			if v.Client != sc.ClientID {
				return store.Script{}, 403, "library script " + strconv.Quote(sc.Name) + " belongs to one client and runs only on that client's devices"
			}
		}
	}
	if ver != 0 && ver != sc.Version {
		v, err := s.st.ScriptVersion(sc.ID, ver)
		if err != nil {
			return store.Script{}, 400, "library script " + strconv.Quote(sc.Name) + " has no version " + strconv.Itoa(ver)
		}
		sc = v
	}
	return sc, 0, ""
}

// resolveScriptFor is resolveScript with the targets' client (an ID p can
// see, already checked by the target resolution) first.
func (s *Server) resolveScriptFor(p *principal, ref, client string) (store.Script, error) {
	if client == "" {
		return s.resolveScript(p, ref, "")
	}
	if sc, err := s.st.Script(ref); err == nil {
		if scriptVisible(p, &sc) {
			return sc, nil
		}
		return store.Script{}, errNotFound
	}
	for _, o := range []string{client, ""} {
		if sc, err := s.st.ScriptByName(o, ref); err == nil {
			return sc, nil
		}
	}
	return store.Script{}, errNotFound
}

func (s *Server) scriptView(sc store.Script, names map[string]string) scriptView {
	v := scriptView{Script: sc}
	if sc.ClientID != "" {
		if names == nil {
			names = s.clientNames()
		}
		v.ClientName = names[sc.ClientID]
	}
	return v
}

func (s *Server) clientNames() map[string]string {
	m := map[string]string{}
	cs, _ := s.st.Clients()
	for _, c := range cs {
		m[c.ID] = c.Name
	}
	return m
}

// apiScripts lists the scripts p can read; ?client=ID|NAME narrows it to
// one client's scripts and the global ones, ?global=1 to the global ones.
func (s *Server) apiScripts(w http.ResponseWriter, r *http.Request, p *principal) {
	only, global := "", r.URL.Query().Get("global") == "1"
	if c := r.URL.Query().Get("client"); c != "" {
		cl, ok := s.resolveClient(p, c)
		if !ok {
			writeError(w, 404, "client not found")
			return
		}
		only = cl.ID
	}
	q := store.ScriptQuery{Scope: p.scope()}
	switch {
	case global:
		q.Owners = []string{""}
	case only != "":
		q.Owners = []string{"", only}
	}
	scs, err := s.st.Scripts(q)
	if err != nil {
		writeError(w, 500, "internal error")
		return
	}
	names := s.clientNames()
	out := make([]api.Script, 0, len(scs))
	for _, sc := range scs {
		out = append(out, toAPIScript(s.scriptView(sc, names)))
	}
	writeJSON(w, 200, out)
}

// apiScript shows a script by ID or name (?client= picks the owner of a
// name) with the list of its versions; ?version=N shows that version.
func (s *Server) apiScript(w http.ResponseWriter, r *http.Request, p *principal) {
	sc, err := s.resolveScript(p, r.PathValue("script"), r.URL.Query().Get("client"))
	if err != nil {
		writeScriptLookupError(w, err)
		return
	}
	vs, err := s.st.ScriptVersions(sc.ID)
	if err != nil {
		writeError(w, 500, "internal error")
		return
	}
	if q := r.URL.Query().Get("version"); q != "" {
		n, _ := strconv.Atoi(q)
		i := slices.IndexFunc(vs, func(x store.Script) bool { return x.Version == n })
		if i < 0 {
			writeError(w, 404, "script version not found")
			return
		}
		sc = vs[i]
	}
	v := s.scriptView(sc, nil)
	for _, x := range vs {
		v.Versions = append(v.Versions, versionInfo{Version: x.Version, SHA256: x.SHA256,
			UpdatedAt: x.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z"), UpdatedBy: x.UpdatedBy})
	}
	writeJSON(w, 200, toAPIScript(v))
}

func writeScriptLookupError(w http.ResponseWriter, err error) {
	if errors.Is(err, errScriptAmbiguous) {
		writeError(w, 409, "several of your clients have a script of that name; give the client or the script ID")
		return
	}
	writeError(w, 404, "script not found")
}

func (s *Server) apiPutScript(w http.ResponseWriter, r *http.Request, p *principal) {
	var req scriptRequest
	if err := decodeBody(r, &req, 2<<20); err != nil {
		writeError(w, 400, err.Error())
		return
	}
	owner := ""
	switch {
	case req.ID != "":
		sc, err := s.st.Script(req.ID)
		if err != nil || !scriptVisible(p, &sc) {
			writeError(w, 404, "script not found")
			return
		}
		owner, req.Name = sc.ClientID, sc.Name
	case req.Client != "":
		c, ok := s.resolveClient(p, req.Client)
		if !ok {
			writeError(w, 404, "client not found")
			return
		}
		owner = c.ID
	}
	if !canWriteScript(p, owner) {
		writeError(w, 403, globalScriptDenied)
		return
	}
	if !scriptNameRE.MatchString(req.Name) {
		writeError(w, 400, "script name must be 1-64 of a-z A-Z 0-9 . _ -")
		return
	}
	if !interpreters[req.Interpreter] {
		writeError(w, 400, "interpreter must be one of sh, bash, powershell, cmd, python")
		return
	}
	if req.Body == "" || len(req.Body) > 1<<20 {
		writeError(w, 400, "body must be 1 byte to 1 MiB")
		return
	}
	if len(req.Args) > 256 {
		writeError(w, 400, "at most 256 default arguments")
		return
	}
	sc, err := s.st.PutScript(store.Script{ID: req.ID, ClientID: owner, Name: req.Name, Interpreter: req.Interpreter,
		Description: cleanText(req.Description, 1000), Body: req.Body, Args: req.Args, UpdatedAt: s.now(), UpdatedBy: p.Name})
	if errors.Is(err, store.ErrNotFound) {
		writeError(w, 404, "script not found")
		return
	}
	if err != nil {
		writeError(w, 500, "internal error")
		return
	}
	s.auditP(p, "script.put", sc.ID, scriptAudit(&sc))
	writeJSON(w, 201, toAPIScript(s.scriptView(sc, nil)))
}

func (s *Server) apiDeleteScript(w http.ResponseWriter, r *http.Request, p *principal) {
	sc, err := s.resolveScript(p, r.PathValue("script"), r.URL.Query().Get("client"))
	if err != nil {
		writeScriptLookupError(w, err)
		return
	}
	if !canWriteScript(p, sc.ClientID) {
		writeError(w, 403, globalScriptDenied)
		return
	}
	if err := s.st.DeleteScript(sc.ID); err != nil {
		writeError(w, 404, "script not found")
		return
	}
	s.auditP(p, "script.delete", sc.ID, scriptAudit(&sc))
	writeJSON(w, 200, api.ScriptDeleted{Deleted: sc.ID, Name: sc.Name})
}

// scriptAudit is what the audit log records of a script change: which
// script, whose (client "" = global), and which body.
func scriptAudit(sc *store.Script) map[string]string {
	d := map[string]string{"name": sc.Name, "version": strconv.Itoa(sc.Version), "sha256": sc.SHA256}
	if sc.ClientID == "" {
		d["global"] = "true"
	} else {
		d["client"] = sc.ClientID
	}
	return d
}
