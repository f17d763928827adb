package store

import "errors"

// ErrRecordNotJSON is what encoding a secret-bearing record as JSON
// returns. Records are not REST bodies (the api package's types are);
// a record that holds a secret or its hash refuses to be serialised, so a
// handler, log line or event that wrongly writes one fails instead of
// leaking it. The bbolt store encodes its own disk types, which do not
// have these methods.
var ErrRecordNotJSON = errors.New("store: a record holding a secret is not a JSON body; convert it to an api type")

// MarshalJSON refuses: an enrollment token record holds its secret's hash.
func (EnrollToken) MarshalJSON() ([]byte, error) { return nil, ErrRecordNotJSON }

// MarshalJSON refuses: a user record holds the password hash, the TOTP
// secret and the recovery code hashes.
func (User) MarshalJSON() ([]byte, error) { return nil, ErrRecordNotJSON }

// MarshalJSON refuses: an API token record holds its secret's hash.
func (APIToken) MarshalJSON() ([]byte, error) { return nil, ErrRecordNotJSON }

// MarshalJSON refuses: a session record holds its cookie's hash and CSRF
// token.
func (Session) MarshalJSON() ([]byte, error) { return nil, ErrRecordNotJSON }
