//go:build !windows

package sessions

import (
	"errors"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

func windowsSessions(time.Time) (protocol.SessionsResult, error) {
	return protocol.SessionsResult{}, errors.New("WTS sessions are only readable on Windows")
}
