// Package scripts is the wing for the script library: global scripts and
// each client's own, versioned, read and written within the caller's
// scope; and the lookup that pins a job to one library script version.
package scripts

import (
	"errors"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/auditlog"
	"github.com/steward-rmm/steward/server/fleet"
	"github.com/steward-rmm/steward/server/httpx"
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

// Store is the part of the store the wing uses.
type Store interface {
	store.ScriptStore
	Clients() ([]store.Client, error)
}

// Clients resolves a client by ID or name within the caller's scope.
type Clients interface {
	ResolveClient(p *httpx.Principal, ref string) (store.Client, bool)
}

// Deps are what the scripts wing is built from.
type Deps struct {
	Store   Store
	Clients Clients
	Audit   auditlog.Writer
	Now     httpx.Clock
}

// Wing serves the script library.
type Wing struct{ d Deps }

// New builds the scripts wing.
func New(d Deps) *Wing { return &Wing{d: d} }

// Routes lists the wing's routes.
func (sw *Wing) Routes() []httpx.Route {
	return []httpx.Route{
		httpx.R("GET", "/api/v1/scripts", httpx.NeedPerm(httpx.PermView), sw.list),
		httpx.R("POST", "/api/v1/scripts", httpx.NeedPerm(httpx.PermRun), sw.put),
		httpx.R("GET", "/api/v1/scripts/{script}", httpx.NeedPerm(httpx.PermView), sw.show), // ID or name, within scope
		httpx.R("DELETE", "/api/v1/scripts/{script}", httpx.NeedPerm(httpx.PermRun), sw.remove),
	}
}

var scriptNameRE = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

var errNotFound = errors.New("not found")

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
func scriptVisible(p *httpx.Principal, sc *store.Script) bool {
	return sc.ClientID == "" || p.CanSeeClient(sc.ClientID)
}

// canWriteScript reports whether p may save or delete a script of owner
// clientID ("" = global). The route has already checked the run permission.
func canWriteScript(p *httpx.Principal, clientID string) bool {
	if clientID == "" {
		return p.AllClients
	}
	return p.CanSeeClient(clientID)
}

const globalScriptDenied = "only a user with access to every client can write or delete a global script; give a client"

var errScriptAmbiguous = errors.New("several clients have a script of that name")

// resolveScript finds a script p may read by ID or by name. A name is
// looked up with the owners in this order: the given client (ID or name,
// which p must see), else p's only client when p is scoped to one; then
// the global scripts. A caller of several clients who names none gets the
// global script, else the one script of that name among their clients.
// Another client's script is never found.
func (sw *Wing) resolveScript(p *httpx.Principal, ref, client string) (store.Script, error) {
	if sc, err := sw.d.Store.Script(ref); err == nil {
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
		c, ok := sw.d.Clients.ResolveClient(p, client)
		if !ok {
			return store.Script{}, errNotFound
		}
		owners = []string{c.ID}
	case !p.AllClients && len(p.Clients) == 1:
		owners = []string{p.Clients[0]}
	}
	for _, o := range append(owners, "") {
		if sc, err := sw.d.Store.ScriptByName(o, ref); err == nil {
			return sc, nil
		}
	}
	if client != "" {
		return store.Script{}, errNotFound
	}
	hits, err := sw.d.Store.Scripts(store.ScriptQuery{Name: ref, Scope: p.Scope()})
	switch {
	case err != nil || len(hits) == 0:
		return store.Script{}, errNotFound
	case len(hits) > 1:
		return store.Script{}, errScriptAmbiguous
	}
	return hits[0], nil
}

// Library resolves a job's library reference, NAME or ID with an
// optional @VERSION, for the job's targets: a name means the script of the
// targets' client when they are all on one client, else the global one.
// It answers an HTTP status and message when the job must be refused.
func (sw *Wing) Library(p *httpx.Principal, ref string, views []fleet.View) (store.Script, int, string) {
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
	sc, err := sw.resolveScriptFor(p, name, client)
	if err != nil {
		return sc, 400, "no library script named " + strconv.Quote(httpx.CleanText(name, 80)) + " for these devices"
	}
	if sc.ClientID != "" {
		for _, v := range views {
			if v.Client != sc.ClientID {
				return store.Script{}, 403, "library script " + strconv.Quote(sc.Name) + " belongs to one client and runs only on that client's devices"
			}
		}
	}
	if ver != 0 && ver != sc.Version {
		v, err := sw.d.Store.ScriptVersion(sc.ID, ver)
		if err != nil {
			return store.Script{}, 400, "library script " + strconv.Quote(sc.Name) + " has no version " + strconv.Itoa(ver)
		}
		sc = v
	}
	return sc, 0, ""
}

// resolveScriptFor is resolveScript with the targets' client (an ID p can
// see, already checked by the target resolution) first.
func (sw *Wing) resolveScriptFor(p *httpx.Principal, ref, client string) (store.Script, error) {
	if client == "" {
		return sw.resolveScript(p, ref, "")
	}
	if sc, err := sw.d.Store.Script(ref); err == nil {
		if scriptVisible(p, &sc) {
			return sc, nil
		}
		return store.Script{}, errNotFound
	}
	for _, o := range []string{client, ""} {
		if sc, err := sw.d.Store.ScriptByName(o, ref); err == nil {
			return sc, nil
		}
	}
	return store.Script{}, errNotFound
}

func (sw *Wing) scriptView(sc store.Script, names map[string]string) scriptView {
	v := scriptView{Script: sc}
	if sc.ClientID != "" {
		if names == nil {
			names = sw.clientNames()
		}
		v.ClientName = names[sc.ClientID]
	}
	return v
}

func (sw *Wing) clientNames() map[string]string {
	m := map[string]string{}
	cs, _ := sw.d.Store.Clients()
	for _, c := range cs {
		m[c.ID] = c.Name
	}
	return m
}

// list lists the scripts p can read; ?client=ID|NAME narrows it to
// one client's scripts and the global ones, ?global=1 to the global ones.
func (sw *Wing) list(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	only, global := "", r.URL.Query().Get("global") == "1"
	if c := r.URL.Query().Get("client"); c != "" {
		cl, ok := sw.d.Clients.ResolveClient(p, c)
		if !ok {
			httpx.WriteError(w, 404, "client not found")
			return
		}
		only = cl.ID
	}
	q := store.ScriptQuery{Scope: p.Scope()}
	switch {
	case global:
		q.Owners = []string{""}
	case only != "":
		q.Owners = []string{"", only}
	}
	scs, err := sw.d.Store.Scripts(q)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	names := sw.clientNames()
	out := make([]api.Script, 0, len(scs))
	for _, sc := range scs {
		out = append(out, toAPIScript(sw.scriptView(sc, names)))
	}
	httpx.WriteJSON(w, 200, out)
}

// show shows a script by ID or name (?client= picks the owner of a
// name) with the list of its versions; ?version=N shows that version.
func (sw *Wing) show(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	sc, err := sw.resolveScript(p, r.PathValue("script"), r.URL.Query().Get("client"))
	if err != nil {
		writeScriptLookupError(w, err)
		return
	}
	vs, err := sw.d.Store.ScriptVersions(sc.ID)
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	if q := r.URL.Query().Get("version"); q != "" {
		n, _ := strconv.Atoi(q)
		i := slices.IndexFunc(vs, func(x store.Script) bool { return x.Version == n })
		if i < 0 {
			httpx.WriteError(w, 404, "script version not found")
			return
		}
		sc = vs[i]
	}
	v := sw.scriptView(sc, nil)
	for _, x := range vs {
		v.Versions = append(v.Versions, versionInfo{Version: x.Version, SHA256: x.SHA256,
			UpdatedAt: x.UpdatedAt.UTC().Format("2006-01-02T15:04:05Z"), UpdatedBy: x.UpdatedBy})
	}
	httpx.WriteJSON(w, 200, toAPIScript(v))
}

func writeScriptLookupError(w http.ResponseWriter, err error) {
	if errors.Is(err, errScriptAmbiguous) {
		httpx.WriteError(w, 409, "several of your clients have a script of that name; give the client or the script ID")
		return
	}
	httpx.WriteError(w, 404, "script not found")
}

func (sw *Wing) put(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	var req scriptRequest
	if err := httpx.DecodeBody(r, &req, 2<<20); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	owner := ""
	switch {
	case req.ID != "":
		sc, err := sw.d.Store.Script(req.ID)
		if err != nil || !scriptVisible(p, &sc) {
			httpx.WriteError(w, 404, "script not found")
			return
		}
		owner, req.Name = sc.ClientID, sc.Name
	case req.Client != "":
		c, ok := sw.d.Clients.ResolveClient(p, req.Client)
		if !ok {
			httpx.WriteError(w, 404, "client not found")
			return
		}
		owner = c.ID
	}
	if !canWriteScript(p, owner) {
		httpx.WriteError(w, 403, globalScriptDenied)
		return
	}
	if !scriptNameRE.MatchString(req.Name) {
		httpx.WriteError(w, 400, "script name must be 1-64 of a-z A-Z 0-9 . _ -")
		return
	}
	if !protocol.KnownInterpreter(req.Interpreter) {
		httpx.WriteError(w, 400, "interpreter must be one of sh, bash, powershell, cmd, python")
		return
	}
	if req.Body == "" || len(req.Body) > 1<<20 {
		httpx.WriteError(w, 400, "body must be 1 byte to 1 MiB")
		return
	}
	if len(req.Args) > 256 {
		httpx.WriteError(w, 400, "at most 256 default arguments")
		return
	}
	sc, err := sw.d.Store.PutScript(store.Script{ID: req.ID, ClientID: owner, Name: req.Name, Interpreter: req.Interpreter,
		Description: httpx.CleanText(req.Description, 1000), Body: req.Body, Args: req.Args, UpdatedAt: sw.d.Now(), UpdatedBy: p.Name})
	if errors.Is(err, store.ErrNotFound) {
		httpx.WriteError(w, 404, "script not found")
		return
	}
	if err != nil {
		httpx.WriteError(w, 500, "internal error")
		return
	}
	sw.d.Audit.AuditP(p, "script.put", sc.ID, scriptAudit(&sc))
	httpx.WriteJSON(w, 201, toAPIScript(sw.scriptView(sc, nil)))
}

func (sw *Wing) remove(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	sc, err := sw.resolveScript(p, r.PathValue("script"), r.URL.Query().Get("client"))
	if err != nil {
		writeScriptLookupError(w, err)
		return
	}
	if !canWriteScript(p, sc.ClientID) {
		httpx.WriteError(w, 403, globalScriptDenied)
		return
	}
	if err := sw.d.Store.DeleteScript(sc.ID); err != nil {
		httpx.WriteError(w, 404, "script not found")
		return
	}
	sw.d.Audit.AuditP(p, "script.delete", sc.ID, scriptAudit(&sc))
	httpx.WriteJSON(w, 200, api.ScriptDeleted{Deleted: sc.ID, Name: sc.Name})
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

func toAPIScript(v scriptView) api.Script {
	sc := v.Script
	return api.Script{ID: sc.ID, ClientID: sc.ClientID, Name: sc.Name, Version: sc.Version, Interpreter: sc.Interpreter,
		Description: sc.Description, Body: sc.Body, Args: sc.Args, SHA256: sc.SHA256, UpdatedAt: sc.UpdatedAt,
		UpdatedBy: sc.UpdatedBy, Deleted: sc.Deleted, ClientName: v.ClientName, Versions: v.Versions}
}
