package sessions

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"time"
	"unicode/utf16"

	"github.com/steward-rmm/steward/protocol"
)

// WTS connect states (WTS_CONNECTSTATE_CLASS).
const (
	wtsActive       = 0
	wtsConnected    = 1
	wtsConnectQuery = 2
	wtsShadow       = 3
	wtsDisconnected = 4
	wtsIdle         = 5
	wtsListen       = 6
	wtsReset        = 7
	wtsDown         = 8
	wtsInit         = 9
)

// Session flags of WTSINFOEX_LEVEL1 (lock state).
const (
	wtsSessionLock   = 0
	wtsSessionUnlock = 1
)

// WTSInfo is WTSINFOEXW level 1 decoded.
type WTSInfo struct {
	SessionID      uint32
	State          uint32
	Flags          int32
	Station        string
	User           string
	Domain         string
	LogonTime      time.Time
	ConnectTime    time.Time
	DisconnectTime time.Time
	LastInputTime  time.Time
	CurrentTime    time.Time
}

// wtsInfoExSize is sizeof(WTSINFOEXW): a DWORD level, then the level-1
// union at offset 8 (8-byte aligned for its LARGE_INTEGERs).
const wtsInfoExSize = 8 + 224

// filetime converts a FILETIME (100 ns since 1601) to a time; 0 is zero.
func filetime(v int64) time.Time {
	if v <= 0 {
		return time.Time{}
	}
	const epochDiff = 116444736000000000 // 1601 to 1970 in 100 ns
	return time.Unix(0, (v-epochDiff)*100).UTC()
}

func wchars(b []byte) string {
	u := make([]uint16, 0, len(b)/2)
	for i := 0; i+1 < len(b); i += 2 {
		c := binary.LittleEndian.Uint16(b[i:])
		if c == 0 {
			break
		}
		u = append(u, c)
	}
	return string(utf16.Decode(u))
}

// DecodeWTSInfoEx decodes the buffer WTSQuerySessionInformationW returns
// for WTSSessionInfoEx.
func DecodeWTSInfoEx(b []byte) (WTSInfo, error) {
	if len(b) < wtsInfoExSize {
		return WTSInfo{}, fmt.Errorf("WTSINFOEX: %d bytes, want %d", len(b), wtsInfoExSize)
	}
	le := binary.LittleEndian
	if lvl := le.Uint32(b); lvl != 1 {
		return WTSInfo{}, fmt.Errorf("WTSINFOEX: level %d", lvl)
	}
	r := b[8:]
	ft := func(off int) time.Time { return filetime(int64(le.Uint64(r[off:]))) }
	return WTSInfo{SessionID: le.Uint32(r[0:]), State: le.Uint32(r[4:]), Flags: int32(le.Uint32(r[8:])),
		Station: wchars(r[12:78]), User: wchars(r[78:120]), Domain: wchars(r[120:156]),
		LogonTime: ft(160), ConnectTime: ft(168), DisconnectTime: ft(176), LastInputTime: ft(184), CurrentTime: ft(192)}, nil
}

// Activity turns a session's information into a UserActivity; ok is false
// for sessions without a user (services, listeners). legacyLock says the
// system reports the lock flag inverted (Windows 7 and Server 2008 R2).
func (w WTSInfo) Activity(now time.Time, legacyLock bool) (protocol.UserActivity, bool) {
	if w.User == "" {
		return protocol.UserActivity{}, false
	}
	s := protocol.UserActivity{User: w.User, Domain: w.Domain, ID: strconv.FormatUint(uint64(w.SessionID), 10), Terminal: w.Station,
		LoginTime: w.LogonTime, Type: "rdp"}
	if w.Station == "Console" || w.Station == "console" {
		s.Type = "console"
	} else {
		s.Remote = true
	}
	switch w.State {
	case wtsActive:
		s.State = protocol.SessionActive
	case wtsDisconnected:
		s.State = protocol.SessionDisconnected
		s.DisconnectTime = w.DisconnectTime
		s.Remote = s.Type == "rdp"
	default:
		s.State = protocol.SessionOnline
	}
	switch w.Flags {
	case wtsSessionLock, wtsSessionUnlock:
		locked := w.Flags == wtsSessionLock
		if legacyLock {
			locked = !locked
		}
		s.Locked = &locked
	}
	// The idle time is the server's own difference, so a skewed clock on
	// either side does not matter; a session without input has none.
	if !w.LastInputTime.IsZero() && !w.CurrentTime.IsZero() {
		setIdle(&s, now.Add(-w.CurrentTime.Sub(w.LastInputTime)), now)
	}
	return s, true
}
