package inventory

import (
	"context"
	"os/exec"
	"time"
)

// readHardware asks the I/O Kit registry through ioreg, once per
// inventory (hourly): one short process, no cgo.
func readHardware(ctx context.Context, _ string) Hardware {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "/usr/sbin/ioreg", "-rd1", "-c", "IOPlatformExpertDevice").Output()
	if err != nil {
		return Hardware{}
	}
	return ParseIoreg(out)
}
