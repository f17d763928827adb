//go:build !linux && !windows && !darwin

package notify

import (
	"context"
	"errors"

	"github.com/steward-rmm/steward/protocol"
)

func send(context.Context, protocol.MessageJob) ([]protocol.MessageAnswer, error) {
	return nil, errors.New("messages are not supported on this OS")
}
