package lowprio

import (
	"os/exec"
	"syscall"
	"unsafe"

	"golang.org/x/sys/windows"
)

const goos = "windows"

// The neutral constants must be the SDK's.
var _ = [1]struct{}{}[WindowsCreationFlags-(windows.BELOW_NORMAL_PRIORITY_CLASS|windows.CREATE_NO_WINDOW)]

func sysProcAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{CreationFlags: WindowsCreationFlags, HideWindow: true}
}

func haveTaskpolicy() bool { return false }

func start(c *exec.Cmd) error { return c.Start() }

// ioPriorityVeryLow is IO_PRIORITY_HINT IoPriorityVeryLow, what background
// mode gives a process's I/O.
const ioPriorityVeryLow = 0

// lowerStarted lowers the child's I/O priority. PROCESS_MODE_BACKGROUND_BEGIN
// is refused for any process but the caller, so the I/O hint is set
// directly; a failure leaves the child at normal I/O priority.
func lowerStarted(c *exec.Cmd) {
	if c.Process == nil {
		return
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_INFORMATION, false, uint32(c.Process.Pid))
	if err != nil {
		return
	}
	defer windows.CloseHandle(h)
	v := uint32(ioPriorityVeryLow)
	_ = windows.NtSetInformationProcess(h, windows.ProcessIoPriority, unsafe.Pointer(&v), uint32(unsafe.Sizeof(v)))
}
