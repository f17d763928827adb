//go:build windows

package eventlog

import (
	"context"
	"errors"
	"io"
	"unsafe"

	"golang.org/x/sys/windows"

	"github.com/steward-rmm/steward/protocol"
)

// wevtapi.dll, loaded on first use (the Windows Event Log API, Vista+).
var (
	wevtapi                      = windows.NewLazySystemDLL("wevtapi.dll")
	procEvtQuery                 = wevtapi.NewProc("EvtQuery")
	procEvtNext                  = wevtapi.NewProc("EvtNext")
	procEvtRender                = wevtapi.NewProc("EvtRender")
	procEvtClose                 = wevtapi.NewProc("EvtClose")
	procEvtOpenPublisherMetadata = wevtapi.NewProc("EvtOpenPublisherMetadata")
	procEvtFormatMessage         = wevtapi.NewProc("EvtFormatMessage")
)

const (
	evtQueryChannelPath         = 0x1
	evtQueryForwardDirection    = 0x100
	evtQueryReverseDirection    = 0x200
	evtQueryTolerateQueryErrors = 0x1000
	evtRenderEventXML           = 1
	evtFormatMessageXML         = 9
	errNoMoreItems              = windows.Errno(259)
	errInsufficientBuffer       = windows.ERROR_INSUFFICIENT_BUFFER
	// nextTimeout bounds one EvtNext wait (ms), so a cancel is seen.
	nextTimeout = 1000
	nextBatch   = 32
)

// winAPI queries the event log with wevtapi.
type winAPI struct{}

func windowsReader() reader { return winReader{src: winAPI{}} }

func evtClose(h uintptr) {
	if h != 0 {
		_, _, _ = procEvtClose.Call(h)
	}
}

func (winAPI) query(_ context.Context, queryXML string, newestFirst bool) (winResults, error) {
	if err := procEvtQuery.Find(); err != nil {
		return nil, errf(protocol.CallFailed, "the event log API is not available: %v", err)
	}
	q, err := windows.UTF16PtrFromString(queryXML)
	if err != nil {
		return nil, errf(protocol.CallBadRequest, "query: %v", err)
	}
	flags := uintptr(evtQueryChannelPath | evtQueryTolerateQueryErrors)
	if newestFirst {
		flags |= evtQueryReverseDirection
	} else {
		flags |= evtQueryForwardDirection
	}
	h, _, e := procEvtQuery.Call(0, 0, uintptr(unsafe.Pointer(q)), flags)
	if h == 0 {
		if errors.Is(e, windows.ERROR_EVT_CHANNEL_NOT_FOUND) {
			return nil, errf(protocol.CallNotFound, "no such event log channel")
		}
		if errors.Is(e, windows.ERROR_ACCESS_DENIED) {
			return nil, errf(protocol.CallDenied, "reading this channel was refused: %v", e)
		}
		return nil, errf(protocol.CallFailed, "EvtQuery: %v", e)
	}
	return &winSet{h: h, meta: map[string]uintptr{}}, nil
}

// winSet is an open result set with its events fetched in batches and a
// cache of publisher metadata (for the messages).
type winSet struct {
	h    uintptr
	buf  []uintptr
	meta map[string]uintptr
	done bool
}

func (s *winSet) next(ctx context.Context) ([]byte, error) {
	for len(s.buf) == 0 {
		if s.done {
			return nil, io.EOF
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		evs := make([]uintptr, nextBatch)
		var n uint32
		ok, _, e := procEvtNext.Call(s.h, nextBatch, uintptr(unsafe.Pointer(&evs[0])), nextTimeout, 0, uintptr(unsafe.Pointer(&n)))
		if ok == 0 {
			if errors.Is(e, errNoMoreItems) {
				s.done = true
				continue
			}
			if errors.Is(e, windows.ERROR_TIMEOUT) {
				continue
			}
			return nil, errf(protocol.CallFailed, "EvtNext: %v", e)
		}
		s.buf = evs[:n]
	}
	ev := s.buf[0]
	s.buf = s.buf[1:]
	defer evtClose(ev)
	raw, err := render(ev)
	if err != nil {
		return nil, err
	}
	// With its publisher's messages when they can be had: the same XML
	// with a RenderingInfo element.
	if r, perr := ParseEventXML(raw); perr == nil && r.Source != "" {
		if m := s.publisher(r.Source); m != 0 {
			if f, err := formatXML(m, ev); err == nil {
				return f, nil
			}
		}
	}
	return raw, nil
}

func (s *winSet) publisher(name string) uintptr {
	if h, ok := s.meta[name]; ok {
		return h
	}
	var h uintptr
	if p, err := windows.UTF16PtrFromString(name); err == nil {
		h, _, _ = procEvtOpenPublisherMetadata.Call(0, uintptr(unsafe.Pointer(p)), 0, 0, 0)
	}
	s.meta[name] = h // 0 too: no metadata, don't ask again
	return h
}

func (s *winSet) close() {
	for _, ev := range s.buf {
		evtClose(ev)
	}
	for _, h := range s.meta {
		evtClose(h)
	}
	evtClose(s.h)
	s.buf, s.h = nil, 0
}

// render is EvtRender of an event as XML (the buffer sizes are bytes).
func render(ev uintptr) ([]byte, error) {
	buf := make([]uint16, 4096)
	for range 3 {
		var used, props uint32
		ok, _, e := procEvtRender.Call(0, ev, evtRenderEventXML, uintptr(len(buf)*2), uintptr(unsafe.Pointer(&buf[0])),
			uintptr(unsafe.Pointer(&used)), uintptr(unsafe.Pointer(&props)))
		if ok != 0 {
			return []byte(windows.UTF16ToString(buf[:used/2])), nil
		}
		if !errors.Is(e, errInsufficientBuffer) {
			return nil, errf(protocol.CallFailed, "EvtRender: %v", e)
		}
		buf = make([]uint16, used/2+1)
	}
	return nil, errf(protocol.CallFailed, "EvtRender: the event keeps growing")
}

// formatXML is EvtFormatMessage of an event as XML with its RenderingInfo
// (the buffer sizes are characters).
func formatXML(meta, ev uintptr) ([]byte, error) {
	buf := make([]uint16, 8192)
	for range 3 {
		var used uint32
		ok, _, e := procEvtFormatMessage.Call(meta, ev, 0, 0, 0, evtFormatMessageXML, uintptr(len(buf)),
			uintptr(unsafe.Pointer(&buf[0])), uintptr(unsafe.Pointer(&used)))
		if ok != 0 {
			return []byte(windows.UTF16ToString(buf[:used])), nil
		}
		if !errors.Is(e, errInsufficientBuffer) {
			return nil, e
		}
		buf = make([]uint16, used+1)
	}
	return nil, errors.New("EvtFormatMessage: the message keeps growing")
}
