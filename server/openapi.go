package server

import (
	"net/http"
	"sync"

	"github.com/steward-rmm/steward/api"
	"github.com/steward-rmm/steward/server/httpx"
)

// openAPIDoc is the OpenAPI document of package api, built once.
var openAPIDoc = sync.OnceValues(api.OpenAPI)

// apiOpenAPI serves the OpenAPI 3.1 document of the whole API. It is
// public: it describes request and response shapes and policies, which
// the source states anyway, and holds no data or secret.
func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request, _ *httpx.Principal) {
	b, err := openAPIDoc()
	if err != nil {
		s.log.Error("openapi document", "err", err)
		httpx.WriteError(w, 500, "internal error")
		return
	}
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	_, _ = w.Write(b)
}
