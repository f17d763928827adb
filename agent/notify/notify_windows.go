package notify

import (
	"context"
	"strconv"
	"sync"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/steward-rmm/steward/agent/inventory"
	"github.com/steward-rmm/steward/protocol"
)

var procWTSSendMessageW = windows.NewLazySystemDLL("wtsapi32.dll").NewProc("WTSSendMessageW")

// send shows a message box in every session with a user (console and
// remote desktop), all at once, and waits for each answer.
func send(ctx context.Context, m protocol.MessageJob) ([]protocol.MessageAnswer, error) {
	ss, err := inventory.WTSSessions()
	if err != nil {
		return nil, err
	}
	title, text := Title(m), Text(m.Text)
	secs := uint32(wait(m).Seconds())
	var mu sync.Mutex
	var wg sync.WaitGroup
	var out []protocol.MessageAnswer
	for _, s := range ss {
		if s.User == "" || (s.State != inventory.WTSActive && s.State != inventory.WTSConnected) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := protocol.MessageAnswer{User: s.User, Session: strconv.FormatUint(uint64(s.ID), 10)}
			// A plain message does not wait for its OK (the answer is
			// "shown"); a prompt waits for yes, no or the timeout.
			resp, err := wtsSend(s.ID, title, text, WTSStyle(m.Prompt), secs, m.Prompt)
			if err != nil {
				a.Answer, a.Error = "failed", err.Error()
			} else {
				a.Answer = WTSAnswer(resp)
			}
			mu.Lock()
			out = append(out, a)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return out, nil
}

func wtsSend(session uint32, title, text string, style, timeout uint32, wait bool) (uint32, error) {
	t, err := windows.UTF16FromString(title)
	if err != nil {
		return 0, err
	}
	b, err := windows.UTF16FromString(text)
	if err != nil {
		return 0, err
	}
	var resp uint32
	// Lengths are in bytes, without the terminating NUL.
	r, _, e := procWTSSendMessageW.Call(0, uintptr(session), uintptr(unsafe.Pointer(&t[0])), uintptr(2*(len(t)-1)),
		uintptr(unsafe.Pointer(&b[0])), uintptr(2*(len(b)-1)), uintptr(style), uintptr(timeout),
		uintptr(unsafe.Pointer(&resp)), boolArg(wait))
	if r == 0 {
		return 0, e
	}
	return resp, nil
}

func boolArg(b bool) uintptr {
	if b {
		return 1
	}
	return 0
}
