//go:build !windows

package pkgmgr

import (
	"errors"
	"os"
	"syscall"
)

func ownerUID(path string) (int, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return 0, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, errors.New("no owner")
	}
	return int(st.Uid), nil
}
