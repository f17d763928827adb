//go:build !windows

package inventory

import "os"

func systemZone() string {
	return unixZone(os.Readlink, os.ReadFile, os.Getenv)
}
