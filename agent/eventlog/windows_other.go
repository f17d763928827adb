//go:build !windows

package eventlog

import (
	"context"

	"github.com/steward-rmm/steward/protocol"
)

// winAPI stands for wevtapi on other systems: their agents never read a
// Windows log.
type winAPI struct{}

func windowsReader() reader { return winReader{src: winAPI{}} }

func (winAPI) query(context.Context, string, bool) (winResults, error) {
	return nil, errf(protocol.CallFailed, "the Windows event log is only readable on Windows")
}
