package toolbox

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/steward-rmm/steward/server/agentcall"
	"github.com/steward-rmm/steward/server/hub"
)

// gather makes a call whose chunks are JSON arrays of T, appends every
// item to out and decodes the call's result into end: the shape of the
// toolbox's paged and searched listings. what names the items in errors.
func gather[T any](ctx context.Context, calls Calls, c *hub.Conn, method string, params any, o agentcall.Options,
	what string, out []T, end any) ([]T, error) {
	call, err := calls.Start(ctx, c, method, params, o)
	if err != nil {
		return out, err
	}
	defer call.Close()
	for {
		raw, err := call.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return out, err
		}
		var batch []T
		if err := json.Unmarshal(raw, &batch); err != nil {
			return out, fmt.Errorf("%s: %w", what, err)
		}
		out = append(out, batch...)
	}
	return out, call.Result(end)
}
