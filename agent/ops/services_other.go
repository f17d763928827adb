//go:build !windows

package ops

import (
	"context"

	"github.com/steward-rmm/steward/protocol"
)

func listWindows() ([]protocol.Service, error) { return nil, ErrUnsupported }

func controlWindows(ctx context.Context, name, action string) (string, error) {
	return "", ErrUnsupported
}
