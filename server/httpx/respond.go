package httpx

import (
	"encoding/json"
	"errors"
	"fmt"
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

// BodyTooLargeError is DecodeBody's answer to a body over its limit.
type BodyTooLargeError struct{ Limit int64 }

func (e *BodyTooLargeError) Error() string {
	return fmt.Sprintf("request body too large: limit %d bytes", e.Limit)
}

// DecodeBody reads at most limit bytes of JSON into v, refusing unknown
// fields. A longer body is a *BodyTooLargeError rather than the truncated
// JSON's syntax error, so the caller can say which limit it hit; answer
// its errors with WriteBodyError.
func DecodeBody(r *http.Request, v any, limit int64) error {
	// No ResponseWriter: the server discards or drops the unread rest itself.
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, limit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if mbe := (*http.MaxBytesError)(nil); errors.As(err, &mbe) {
			return &BodyTooLargeError{Limit: limit}
		}
		return fmt.Errorf("malformed JSON body: %w", err)
	}
	return nil
}

// WriteBodyError answers a DecodeBody error: 413 naming the limit for a
// body that is too large, 400 for anything else.
func WriteBodyError(w http.ResponseWriter, err error) {
	if tl := (*BodyTooLargeError)(nil); errors.As(err, &tl) {
		WriteError(w, http.StatusRequestEntityTooLarge, tl.Error())
		return
	}
	WriteError(w, http.StatusBadRequest, err.Error())
}
