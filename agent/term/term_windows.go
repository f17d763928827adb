//go:build windows

package term

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"unsafe"

	"github.com/charmbracelet/x/conpty"
	"golang.org/x/sys/windows"
)

// hasConPTY reports whether this Windows has CreatePseudoConsole (10 1809,
// Server 2019 and later).
func hasConPTY() bool {
	return windows.NewLazySystemDLL("kernel32.dll").NewProc("CreatePseudoConsole").Find() == nil
}

// Start launches a shell in a ConPTY, or with plain pipes where ConPTY is
// missing. The shell runs in a job object that dies with the session.
func Start(ctx context.Context, o Options) (Session, error) {
	argv, err := ResolveShell("windows", o.Shell, "", nil, exec.LookPath)
	if err != nil {
		return nil, err
	}
	if o.Cols == 0 || o.Rows == 0 {
		o.Cols, o.Rows = 80, 24
	}
	job, err := newJob()
	if err != nil {
		return nil, err
	}
	if !hasConPTY() {
		return startPipes(argv, job, o)
	}
	cp, err := conpty.New(int(o.Cols), int(o.Rows), 0)
	if err != nil {
		windows.CloseHandle(job)
		return nil, fmt.Errorf("create pseudo console: %w", err)
	}
	pid, handle, err := cp.Spawn(argv[0], argv, &syscall.ProcAttr{Env: os.Environ()})
	if err != nil {
		cp.Close()
		windows.CloseHandle(job)
		return nil, fmt.Errorf("start shell: %w", err)
	}
	_ = windows.AssignProcessToJobObject(job, windows.Handle(handle))
	s := &winSession{r: cp, w: cp, resize: func(c, r uint16) error { return cp.Resize(int(c), int(r)) },
		closer: cp.Close, job: job, proc: windows.Handle(handle), pid: pid, exited: make(chan struct{}), code: -1}
	s.idle = newIdle(o.IdleTimeout, func() { _ = s.Close() })
	go s.wait()
	return s, nil
}

func newJob() (windows.Handle, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, err
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		windows.CloseHandle(job)
		return 0, err
	}
	return job, nil
}

// startPipes is the fallback without a pseudo console: no resize, no
// line editing by the console, but a working shell.
func startPipes(argv []string, job windows.Handle, o Options) (Session, error) {
	cmd := exec.Command(argv[0], argv[1:]...)
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	pr, pw := io.Pipe()
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		windows.CloseHandle(job)
		return nil, fmt.Errorf("start shell: %w", err)
	}
	h, err := windows.OpenProcess(windows.PROCESS_SET_QUOTA|windows.PROCESS_TERMINATE|windows.SYNCHRONIZE|windows.PROCESS_QUERY_INFORMATION,
		false, uint32(cmd.Process.Pid))
	if err == nil {
		_ = windows.AssignProcessToJobObject(job, h)
	}
	s := &winSession{r: pr, w: in, resize: func(uint16, uint16) error { return nil },
		closer: func() error { pw.Close(); return in.Close() }, job: job, proc: h, pid: cmd.Process.Pid,
		exited: make(chan struct{}), code: -1}
	s.idle = newIdle(o.IdleTimeout, func() { _ = s.Close() })
	go func() { _ = cmd.Wait(); pw.Close() }()
	go s.wait()
	return s, nil
}

type winSession struct {
	r      io.Reader
	w      io.Writer
	resize func(cols, rows uint16) error
	closer func() error
	job    windows.Handle
	proc   windows.Handle
	pid    int
	idle   *idle
	once   sync.Once
	exited chan struct{}
	code   int
}

func (s *winSession) wait() {
	if s.proc != 0 {
		_, _ = windows.WaitForSingleObject(s.proc, windows.INFINITE)
		var code uint32
		if windows.GetExitCodeProcess(s.proc, &code) == nil {
			s.code = int(code)
		}
	}
	close(s.exited)
}

func (s *winSession) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if n > 0 {
		s.idle.touch()
	}
	return n, err
}

func (s *winSession) Write(p []byte) (int, error) {
	s.idle.touch()
	return s.w.Write(p)
}

func (s *winSession) Resize(cols, rows uint16) error { return s.resize(cols, rows) }

func (s *winSession) Close() error {
	s.once.Do(func() {
		s.idle.stop()
		_ = windows.TerminateJobObject(s.job, 1)
		windows.CloseHandle(s.job)
		_ = s.closer()
	})
	return nil
}

func (s *winSession) Wait() (int, error) {
	<-s.exited
	if s.code < 0 {
		return -1, errors.New("shell exit code unknown")
	}
	return s.code, nil
}
