//go:build !linux && !windows

package term

import (
	"os/exec"
	"strconv"
	"strings"
)

// sessionMembers lists the processes of session sid with pgrep -s, which
// macOS and the BSDs ship.
func sessionMembers(sid int) []int {
	out, err := exec.Command("pgrep", "-s", strconv.Itoa(sid)).Output()
	if err != nil {
		return nil
	}
	var pids []int
	for _, f := range strings.Fields(string(out)) {
		if p, err := strconv.Atoi(f); err == nil {
			pids = append(pids, p)
		}
	}
	return pids
}
