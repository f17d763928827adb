package sessions

import (
	"bytes"
	"encoding/binary"
	"time"
)

// utmpEntry is a USER_PROCESS record of utmp (Linux) or utmpx (macOS).
type utmpEntry struct {
	PID     int
	Line    string
	User    string
	Host    string
	Session int
	Time    time.Time
}

const utUserProcess = 7

func cstr(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return string(bytes.ToValidUTF8(b, []byte("\uFFFD")))
}

// linuxUtmpSize is glibc's struct utmp on 64 and 32-bit Linux alike
// (its times are 32-bit for compatibility).
const linuxUtmpSize = 384

// ParseUtmp decodes Linux utmp records (little-endian, glibc layout) and
// keeps the user processes.
func ParseUtmp(b []byte) []utmpEntry {
	var out []utmpEntry
	le := binary.LittleEndian
	for ; len(b) >= linuxUtmpSize; b = b[linuxUtmpSize:] {
		r := b[:linuxUtmpSize]
		if int16(le.Uint16(r[0:])) != utUserProcess {
			continue
		}
		e := utmpEntry{PID: int(int32(le.Uint32(r[4:]))), Line: cstr(r[8:40]), User: cstr(r[44:76]), Host: cstr(r[76:332]),
			Session: int(int32(le.Uint32(r[336:]))), Time: time.Unix(int64(int32(le.Uint32(r[340:]))), int64(int32(le.Uint32(r[344:])))*1000).UTC()}
		if e.User != "" {
			out = append(out, e)
		}
	}
	return out
}

// darwinUtmpxSize is the on-disk struct utmpx of /var/run/utmpx (32-bit
// time fields), whose first record is a header.
const darwinUtmpxSize = 628

// ParseUtmpx decodes macOS /var/run/utmpx and keeps the user processes.
func ParseUtmpx(b []byte) []utmpEntry {
	var out []utmpEntry
	le := binary.LittleEndian
	if len(b) >= darwinUtmpxSize {
		b = b[darwinUtmpxSize:] // the header record
	}
	for ; len(b) >= darwinUtmpxSize; b = b[darwinUtmpxSize:] {
		r := b[:darwinUtmpxSize]
		if int16(le.Uint16(r[296:])) != utUserProcess {
			continue
		}
		e := utmpEntry{User: cstr(r[0:256]), Line: cstr(r[260:292]), PID: int(int32(le.Uint32(r[292:]))),
			Time: time.Unix(int64(int32(le.Uint32(r[300:]))), int64(int32(le.Uint32(r[304:])))*1000).UTC(), Host: cstr(r[308:564])}
		if e.User != "" {
			out = append(out, e)
		}
	}
	return out
}
