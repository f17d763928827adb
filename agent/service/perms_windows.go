//go:build windows

package service

import (
	"errors"
	"fmt"
	"os"

	"golang.org/x/sys/windows"
)

// privileged reports whether the process runs elevated.
func privileged() bool { return windows.GetCurrentProcessToken().IsElevated() }

// Protected DACLs: nothing is inherited from the parent (ProgramData lets
// every user create files below it). Private: SYSTEM and Administrators
// only. Public: the same plus read and execute for Users.
const (
	privateSDDL = "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)"
	publicSDDL  = "D:PAI(A;OICI;FA;;;SY)(A;OICI;FA;;;BA)(A;OICI;0x1200a9;;;BU)"
)

// secureDir creates dir and replaces its DACL with the private or public
// one, so files created in it later inherit that.
func secureDir(dir string, private bool) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create %s: %w", dir, err)
	}
	sddl := publicSDDL
	if private {
		sddl = privateSDDL
	}
	sd, err := windows.SecurityDescriptorFromString(sddl)
	if err != nil {
		return fmt.Errorf("acl %s: %w", dir, err)
	}
	dacl, _, err := sd.DACL()
	if err != nil {
		return fmt.Errorf("acl %s: %w", dir, err)
	}
	err = windows.SetNamedSecurityInfo(dir, windows.SE_FILE_OBJECT,
		windows.DACL_SECURITY_INFORMATION|windows.PROTECTED_DACL_SECURITY_INFORMATION, nil, nil, dacl, nil)
	if err != nil {
		return fmt.Errorf("acl %s: %w", dir, err)
	}
	return nil
}

// secureFile: files inherit the protected DACL of their directory.
func secureFile(path string, mode os.FileMode) error { return nil }

// checkTrusted relies on secureDir's protected DACL on the install
// directory; Program Files itself is writable only by administrators.
func checkTrusted(path string) error { return nil }

// removeBinary removes the installed binary. A running executable (the
// uninstall may be run from it) cannot be deleted on Windows: it is moved
// aside and deleted at the next reboot instead.
func removeBinary(path string) error {
	err := os.Remove(path)
	if err == nil || errors.Is(err, os.ErrNotExist) {
		return err
	}
	old := path + ".old"
	_ = os.Remove(old)
	if rerr := os.Rename(path, old); rerr != nil {
		return err
	}
	p, perr := windows.UTF16PtrFromString(old)
	if perr != nil {
		return perr
	}
	return windows.MoveFileEx(p, nil, windows.MOVEFILE_DELAY_UNTIL_REBOOT)
}
