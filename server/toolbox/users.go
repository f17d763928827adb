package toolbox

import (
	"net/http"
	"strconv"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/protocol"
	"github.com/steward-rmm/steward/server/httpx"
)

func (t *Wing) sessions(w http.ResponseWriter, r *http.Request, p *httpx.Principal) {
	v, c, ok := t.device(w, r, p, "user activity")
	if !ok {
		return
	}
	res := api.DeviceSessions{Device: v.ID}
	err := t.call(r, c, protocol.MethodSessionsList, struct{}{}, &res.SessionsResult)
	t.audit(p, "sessions.list", v, map[string]string{"sessions": strconv.Itoa(len(res.Sessions))}, err)
	if err != nil {
		writeCallError(w, err)
		return
	}
	if res.Sessions == nil {
		res.Sessions = []api.UserActivity{}
	}
	httpx.WriteJSON(w, http.StatusOK, res)
}
