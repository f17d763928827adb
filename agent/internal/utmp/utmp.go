// Package utmp reads the login records of Linux (struct utmp) and macOS
// (struct utmpx) from their bytes, for the agent's logged-in users
// (inventory) and user activity (sessions) alike: one reader of one
// binary layout.
package utmp

import (
	"bytes"
	"encoding/binary"
	"strings"
	"time"
)

// Record is a USER_PROCESS record.
type Record struct {
	PID     int
	Line    string // the terminal: pts/3, tty1, console
	User    string
	Host    string
	Session int       // Linux only
	Time    time.Time // zero when the record holds none
}

// userProcess is USER_PROCESS of utmp.h.
const userProcess = 7

// Size is glibc's struct utmp on every 64-bit and 32-bit Linux ABI that
// matters here (x86, arm, riscv; its times are 32-bit for compatibility).
const Size = 384

// XSize is macOS's on-disk struct utmpx of /var/run/utmpx (32-bit
// timeval), whose first record is a header.
const XSize = 628

// MaxRecords bounds what a damaged record file can make the agent hold.
const MaxRecords = 500

// Parse reads Linux utmp records in the device's byte order bo: type at 0,
// pid at 4, line at 8 (32 bytes), user at 44 (32), host at 76 (256),
// session at 336, tv_sec at 340 and tv_usec at 344 (int32 each). A
// trailing partial record (a file being written) is ignored.
func Parse(b []byte, bo binary.ByteOrder) []Record {
	var out []Record
	for ; len(b) >= Size && len(out) < MaxRecords; b = b[Size:] {
		r := b[:Size]
		if int16(bo.Uint16(r[0:])) != userProcess {
			continue
		}
		e := Record{PID: int(int32(bo.Uint32(r[4:]))), Line: Clean(r[8:40]), User: Clean(r[44:76]),
			Host: Clean(r[76:332]), Session: int(int32(bo.Uint32(r[336:]))),
			Time: stamp(int32(bo.Uint32(r[340:])), int32(bo.Uint32(r[344:])))}
		if e.User != "" {
			out = append(out, e)
		}
	}
	return out
}

// ParseX reads macOS /var/run/utmpx (little-endian): a header record,
// then records with user at 0 (256 bytes), line at 260 (32), pid at 292,
// type at 296 (int16), tv_sec at 300, tv_usec at 304 and host at 308
// (256).
func ParseX(b []byte) []Record {
	var out []Record
	le := binary.LittleEndian
	if len(b) >= XSize {
		b = b[XSize:] // the header record
	}
	for ; len(b) >= XSize && len(out) < MaxRecords; b = b[XSize:] {
		r := b[:XSize]
		if int16(le.Uint16(r[296:])) != userProcess {
			continue
		}
		e := Record{User: Clean(r[0:256]), Line: Clean(r[260:292]), PID: int(int32(le.Uint32(r[292:]))),
			Time: stamp(int32(le.Uint32(r[300:])), int32(le.Uint32(r[304:]))), Host: Clean(r[308:564])}
		if e.User != "" {
			out = append(out, e)
		}
	}
	return out
}

func stamp(sec, usec int32) time.Time {
	if sec <= 0 {
		return time.Time{}
	}
	return time.Unix(int64(sec), int64(usec)*1000).UTC()
}

// Clean is a NUL-terminated field as clean text: control bytes and
// invalid UTF-8 are dropped, so a hostile terminal name stays text.
func Clean(b []byte) string {
	if i := bytes.IndexByte(b, 0); i >= 0 {
		b = b[:i]
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == 0xfffd {
			return -1
		}
		return r
	}, strings.ToValidUTF8(string(b), ""))
}
