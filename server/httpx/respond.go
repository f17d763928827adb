package httpx

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"

	"github.com/steward-rmm/steward/api"
)

// WriteJSON writes v as the JSON response body with status code.
func WriteJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(code)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}

// WriteError writes the body of every error response: a message for
// people and nothing internal.
func WriteError(w http.ResponseWriter, code int, msg string) {
	WriteJSON(w, code, api.Error{Error: msg})
}

// WriteNeedFresh refuses an action until the caller proves two-factor again.
func WriteNeedFresh(w http.ResponseWriter, msg string) {
	WriteJSON(w, http.StatusUnauthorized, api.Error{Error: msg, Code: api.CodeFresh2FA})
}

// DecodeBody reads at most limit bytes of JSON into v, refusing unknown
// fields.
func DecodeBody(r *http.Request, v any, limit int64) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("malformed JSON body: %w", err)
	}
	return nil
}
