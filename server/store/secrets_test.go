package store

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

// TestSecretRecordsRefuseJSON: serialising a record that holds a secret,
// by value, by pointer or inside another value, fails without writing the
// secret.
func TestSecretRecordsRefuseJSON(t *testing.T) {
	const secret = "s3cret-value"
	tok := EnrollToken{ID: "et", Hash: secret}
	u := User{ID: "u", PasswordHash: secret, TOTPSecret: secret, Recovery: []string{secret}}
	at := APIToken{ID: "at", Hash: secret}
	se := Session{Hash: secret, CSRF: secret}
	for _, v := range []any{tok, &tok, u, &u, at, &at, se, &se, []User{u}, map[string]any{"token": tok}} {
		b, err := json.Marshal(v)
		if !errors.Is(err, ErrRecordNotJSON) || strings.Contains(string(b), secret) {
			t.Errorf("%T encoded as %s (%v)", v, b, err)
		}
	}
}
