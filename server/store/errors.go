package store

import "errors"

// Errors every implementation returns (wrapped) and callers match with
// errors.Is.
var (
	// ErrNotFound: no record has the given ID or key.
	ErrNotFound = errors.New("not found")
	// ErrExists: a record with that ID or unique name exists already.
	ErrExists = errors.New("already exists")
	// ErrConflict: the change contradicts the stored state.
	ErrConflict = errors.New("conflict")
	// ErrTokenExpired, ErrTokenRevoked and ErrTokenUsedUp: Enroll refused
	// the enrollment token.
	ErrTokenExpired = errors.New("enrollment token expired")
	ErrTokenRevoked = errors.New("enrollment token revoked")
	ErrTokenUsedUp  = errors.New("enrollment token has no uses left")
	// ErrDeviceLimit: EnrollWithin refused a new device because the
	// account's device limit is reached.
	ErrDeviceLimit = errors.New("device limit reached")
	// ErrNewerSchema: the data was written by a newer server, whose format
	// this one cannot read.
	ErrNewerSchema = errors.New("data written by a newer server")
)
