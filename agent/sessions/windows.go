//go:build windows

package sessions

import (
	"fmt"
	"time"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/steward-rmm/steward/protocol"
)

var (
	wtsapi32                        = windows.NewLazySystemDLL("wtsapi32.dll")
	procWTSQuerySessionInformationW = wtsapi32.NewProc("WTSQuerySessionInformationW")
)

const wtsSessionInfoEx = 25

func windowsSessions(now time.Time) (protocol.SessionsResult, error) {
	var res protocol.SessionsResult
	var infos *windows.WTS_SESSION_INFO
	var n uint32
	if err := windows.WTSEnumerateSessions(0, 0, 1, &infos, &n); err != nil {
		return res, fmt.Errorf("WTSEnumerateSessions: %w", err)
	}
	defer windows.WTSFreeMemory(uintptr(unsafe.Pointer(infos)))
	v := windows.RtlGetVersion()
	// Windows 7 and Server 2008 R2 report the lock flag inverted.
	legacy := v.MajorVersion == 6 && v.MinorVersion == 1
	for _, si := range unsafe.Slice(infos, n) {
		var buf *byte
		var size uint32
		ok, _, err := procWTSQuerySessionInformationW.Call(0, uintptr(si.SessionID), wtsSessionInfoEx,
			uintptr(unsafe.Pointer(&buf)), uintptr(unsafe.Pointer(&size)))
		if ok == 0 {
			res.Notes = append(res.Notes, fmt.Sprintf("session %d: %v", si.SessionID, err))
			continue
		}
		b := append([]byte(nil), unsafe.Slice(buf, size)...)
		windows.WTSFreeMemory(uintptr(unsafe.Pointer(buf)))
		info, derr := DecodeWTSInfoEx(b)
		if derr != nil {
			res.Notes = append(res.Notes, fmt.Sprintf("session %d: %v", si.SessionID, derr))
			continue
		}
		if s, ok := info.Activity(now, legacy); ok {
			res.Sessions = append(res.Sessions, s)
		}
	}
	return res, nil
}
