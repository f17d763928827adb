package notify

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"syscall"

	"github.com/steward-rmm/steward/agent/inventory"
	"github.com/steward-rmm/steward/protocol"
)

// send shows a dialog to the console user (the one at the screen); ssh
// users are not reached.
func send(ctx context.Context, m protocol.MessageJob) ([]protocol.MessageAnswer, error) {
	fi, err := os.Stat("/dev/console")
	if err != nil {
		return nil, err
	}
	uid := int(fi.Sys().(*syscall.Stat_t).Uid)
	if uid == 0 {
		return nil, nil // the login window: nobody is logged in at the screen
	}
	user := strconv.Itoa(uid)
	if ls, err := inventory.Users(); err == nil {
		for _, l := range ls {
			if l.Terminal == "console" {
				user = l.User
			}
		}
	}
	ctx, cancel := context.WithTimeout(ctx, wait(m)+30e9)
	defer cancel()
	argv := OsascriptArgv(uid, m)
	out, err := exec.CommandContext(ctx, argv[0], argv[1:]...).Output()
	a := protocol.MessageAnswer{User: user, Session: "console", Answer: DialogAnswer(string(out))}
	if err != nil {
		a.Answer, a.Error = "failed", fmt.Sprintf("osascript: %v", err)
	}
	return []protocol.MessageAnswer{a}, nil
}
