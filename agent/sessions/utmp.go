package sessions

import (
	"encoding/binary"

	"github.com/steward-rmm/steward/agent/internal/utmp"
)

// utmpEntry is a USER_PROCESS record of utmp (Linux) or utmpx (macOS).
type utmpEntry = utmp.Record

// ParseUtmp decodes Linux utmp records (little-endian, glibc layout) and
// keeps the user processes.
func ParseUtmp(b []byte) []utmpEntry { return utmp.Parse(b, binary.LittleEndian) }

// ParseUtmpx decodes macOS /var/run/utmpx and keeps the user processes.
func ParseUtmpx(b []byte) []utmpEntry { return utmp.ParseX(b) }
