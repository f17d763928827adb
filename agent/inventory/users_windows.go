package inventory

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

var (
	wtsapi                     = windows.NewLazySystemDLL("wtsapi32.dll")
	procWTSQuerySessionInfoW   = wtsapi.NewProc("WTSQuerySessionInformationW")
	wtsCurrentServer           = windows.Handle(0)
	wtsUserName, wtsDomainName = uint32(5), uint32(7) // WTS_INFO_CLASS
)

// systemUsers asks the Terminal Services API on every call: it is a local
// RPC to the session manager, not a process, and Windows has no record
// file whose change could be watched cheaply.
var systemUsers = &recordCache{load: func() (string, func() ([]Login, error)) {
	return "", func() ([]Login, error) {
		ss, err := wtsSessions()
		if err != nil {
			return nil, err
		}
		return WTSLogins(ss), nil
	}
}}

// WTSSessions lists the Terminal Services sessions with their users.
func WTSSessions() ([]WTSSession, error) { return wtsSessions() }

func wtsSessions() ([]WTSSession, error) {
	var p *windows.WTS_SESSION_INFO
	var n uint32
	if err := windows.WTSEnumerateSessions(wtsCurrentServer, 0, 1, &p, &n); err != nil {
		return nil, err
	}
	defer windows.WTSFreeMemory(uintptr(unsafe.Pointer(p)))
	var out []WTSSession
	for _, s := range unsafe.Slice(p, n) {
		out = append(out, WTSSession{ID: s.SessionID, State: s.State,
			Station: windows.UTF16PtrToString(s.WindowStationName),
			User:    wtsString(s.SessionID, wtsUserName), Domain: wtsString(s.SessionID, wtsDomainName)})
	}
	return out, nil
}

// wtsString queries one string property of a session ("" on failure).
func wtsString(session, class uint32) string {
	var buf *uint16
	var size uint32
	r, _, _ := procWTSQuerySessionInfoW.Call(uintptr(wtsCurrentServer), uintptr(session), uintptr(class),
		uintptr(unsafe.Pointer(&buf)), uintptr(unsafe.Pointer(&size)))
	if r == 0 || buf == nil {
		return ""
	}
	defer windows.WTSFreeMemory(uintptr(unsafe.Pointer(buf)))
	return windows.UTF16PtrToString(buf)
}
