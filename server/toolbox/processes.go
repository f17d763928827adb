package toolbox

import (
	"cmp"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
)

// Process sort keys (?sort=); cpu and memory sort largest first.
var processSorts = map[string]func(a, b api.Process) int{
	"cpu":     func(a, b api.Process) int { return cmp.Compare(b.CPUPercent, a.CPUPercent) },
	"memory":  func(a, b api.Process) int { return cmp.Compare(b.MemoryRSS, a.MemoryRSS) },
	"pid":     func(a, b api.Process) int { return cmp.Compare(a.PID, b.PID) },
	"name":    func(a, b api.Process) int { return cmp.Compare(strings.ToLower(a.Name), strings.ToLower(b.Name)) },
	"user":    func(a, b api.Process) int { return cmp.Compare(strings.ToLower(a.User), strings.ToLower(b.User)) },
	"started": func(a, b api.Process) int { return b.Started.Compare(a.Started) },
}

// processes lists a device's processes. Listing is not audited: the
// dashboard refreshes it every few seconds while the tab is open.
func (t *Wing) processes(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	_, c, ok := t.target(w, r, p)
	if !ok {
		return
	}
	q := r.URL.Query()
	sortBy := q.Get("sort")
	if sortBy == "" {
		sortBy = "cpu"
	}
	less, ok := processSorts[sortBy]
	if !ok {
		httpx.WriteError(w, http.StatusBadRequest, "sort must be cpu, memory, pid, name, user or started")
		return
	}
	limit := 0
	if s := q.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			httpx.WriteError(w, http.StatusBadRequest, "limit must be a positive number")
			return
		}
		limit = n
	}
	var pl protocol.ProcessList
	if err := t.call(r, c, protocol.MethodProcessesList, struct{}{}, &pl); err != nil {
		writeCallError(w, err)
		return
	}
	res := api.ProcessList{Total: len(pl.Processes), MemoryTotal: pl.MemoryTotal, Processes: pl.Processes}
	if f := strings.ToLower(q.Get("q")); f != "" {
		res.Processes = slices.DeleteFunc(res.Processes, func(x api.Process) bool {
			return !strings.Contains(strings.ToLower(x.Name), f) && !strings.Contains(strings.ToLower(x.User), f) &&
				!strings.Contains(strings.ToLower(x.Cmdline), f) && strconv.Itoa(int(x.PID)) != f
		})
	}
	slices.SortStableFunc(res.Processes, func(a, b api.Process) int {
		if c := less(a, b); c != 0 {
			return c
		}
		return cmp.Compare(a.PID, b.PID)
	})
	if limit > 0 && len(res.Processes) > limit {
		res.Processes = res.Processes[:limit]
	}
	if res.Processes == nil {
		res.Processes = []api.Process{}
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}

func (t *Wing) killProcess(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, c, ok := t.target(w, r, p)
	if !ok {
		return
	}
	pid, err := strconv.ParseInt(r.PathValue("pid"), 10, 32)
	if err != nil || pid < 0 {
		httpx.WriteError(w, http.StatusBadRequest, "invalid process ID")
		return
	}
	var req api.ProcessKillRequest
	if err := httpx.DecodeBody(r, &req, maxBody); err != nil {
		httpx.WriteBodyError(w, err)
		return
	}
	var res api.ProcessKilled
	err = t.call(r, c, protocol.MethodProcessesKill, protocol.ProcessKill{PID: int32(pid), Tree: req.Tree}, &res)
	detail := map[string]string{"pid": strconv.FormatInt(pid, 10), "tree": strconv.FormatBool(req.Tree)}
	if err == nil {
		detail["killed"] = strconv.Itoa(len(res.Killed))
	}
	t.audit(p, "process.kill", v, detail, err)
	if err != nil {
		writeCallError(w, err)
		return
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}
