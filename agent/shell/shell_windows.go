//go:build windows

package shell

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"time"
	"unsafe"

	"github.com/charmbracelet/x/conpty"
	"golang.org/x/sys/windows"
)

// killExitCode is the exit code a shell reports when the session killed it
// (TerminateJobObject needs one; Windows has no "killed by signal").
const killExitCode = 1

// conptyCloseWait bounds ClosePseudoConsole, which on Windows builds before
// 11 24H2 may wait for its output to be drained.
const conptyCloseWait = 2 * time.Second

// winBackend is a shell on Windows, in a pseudo console or, where there is
// none, on plain pipes. The shell and everything it starts run in a job
// object that kills them all when the session ends.
type winBackend struct {
	log *slog.Logger
	inf Info
	job windows.Handle

	cpty  *conpty.ConPty // nil in pipe mode
	stdin *os.File       // pipe mode: the shell's stdin
	ld    lineDiscipline // pipe mode: guarded by wmu
	wmu   sync.Mutex

	// Output reaches Read through an io.Pipe so that closeIO can end a
	// blocked Read at once and Write can interleave the pipe mode's echo.
	out        *io.PipeReader
	outW       *io.PipeWriter
	copierDone chan struct{}

	exitedCh  chan struct{}
	code      int // valid once exitedCh is closed
	closeOnce sync.Once
	jobMu     sync.Mutex // guards job against closeIO racing kill
}

// hasConPTY reports whether this Windows has pseudo consoles (Windows 10
// 1809 / Server 2019 and later) by looking for the API itself.
func hasConPTY() bool {
	return windows.NewLazySystemDLL("kernel32.dll").NewProc("CreatePseudoConsole").Find() == nil
}

// findPwsh returns the path of PowerShell 7's pwsh.exe, or "". The
// machine-wide install location is checked before PATH.
func findPwsh() string {
	if dir, err := windows.KnownFolderPath(windows.FOLDERID_ProgramFiles, 0); err == nil {
		p := filepath.Join(dir, "PowerShell", "7", "pwsh.exe")
		if st, err := os.Stat(p); err == nil && st.Mode().IsRegular() {
			return p
		}
	}
	if p, err := exec.LookPath("pwsh.exe"); err == nil && filepath.IsAbs(p) {
		return p
	}
	return ""
}

// homeDir is the session's working directory: the agent user's profile
// (systemprofile for LocalSystem), else the system drive's root.
func homeDir(sysDir string) string {
	if h, err := os.UserHomeDir(); err == nil {
		if st, err := os.Stat(h); err == nil && st.IsDir() {
			return h
		}
	}
	return filepath.VolumeName(sysDir) + `\`
}

func startBackend(opts Options, log *slog.Logger) (backend, error) {
	sysDir, err := windows.GetSystemDirectory()
	if err != nil {
		return nil, fmt.Errorf("shell: find the system directory: %w", err)
	}
	host := windowsHost{systemDir: sysDir, pwsh: findPwsh(), conPTY: hasConPTY()}
	plan, err := resolveWindows(opts.Shell, host)
	if err != nil {
		return nil, err
	}
	env := mergeEnv(baseEnv(log), map[string]string{"TERM": "xterm-256color"}, true)
	env = mergeEnv(env, opts.Env, true)
	dir := homeDir(sysDir)

	job, err := newKillJob()
	if err != nil {
		return nil, err
	}
	var b *winBackend
	if !plan.pipe {
		b, err = startConPTY(plan, env, dir, job, opts)
		if err != nil {
			log.Warn("pseudo console unavailable, using the pipe fallback", "err", err)
			host.conPTY = false
			plan, err = resolveWindows(opts.Shell, host)
		}
	}
	if err == nil && plan.pipe {
		b, err = startPipes(plan, env, dir, job)
	}
	if err != nil {
		_ = windows.CloseHandle(job)
		return nil, err
	}
	b.log = log.With("shell", plan.path, "pid", b.inf.PID)
	return b, nil
}

// baseEnv is the default environment of the agent's user (what a fresh
// logon of LocalSystem would get), not the agent's own environment, so the
// service's settings do not leak into a technician's shell. It falls back to
// the agent's environment.
func baseEnv(log *slog.Logger) []string {
	env, err := windows.GetCurrentProcessToken().Environ(false)
	if err != nil || len(env) == 0 {
		log.Debug("user environment block unavailable, using the agent's", "err", err)
		return os.Environ()
	}
	return env
}

// newKillJob creates a job object that kills its processes when its last
// handle closes, so even a crashed agent leaves no shell behind.
func newKillJob() (windows.Handle, error) {
	job, err := windows.CreateJobObject(nil, nil)
	if err != nil {
		return 0, fmt.Errorf("shell: create job object: %w", err)
	}
	info := windows.JOBOBJECT_EXTENDED_LIMIT_INFORMATION{
		BasicLimitInformation: windows.JOBOBJECT_BASIC_LIMIT_INFORMATION{
			LimitFlags: windows.JOB_OBJECT_LIMIT_KILL_ON_JOB_CLOSE,
		},
	}
	if _, err := windows.SetInformationJobObject(job, windows.JobObjectExtendedLimitInformation,
		uintptr(unsafe.Pointer(&info)), uint32(unsafe.Sizeof(info))); err != nil {
		_ = windows.CloseHandle(job)
		return 0, fmt.Errorf("shell: configure job object: %w", err)
	}
	return job, nil
}

// spawnInJob starts the plan's program suspended, puts it in job, then lets
// it run: assigned before its first instruction, it cannot start a child
// outside the job. It returns the process handle and ID.
func spawnInJob(plan windowsPlan, env []string, dir string, job windows.Handle,
	si *windows.StartupInfoEx, inherit bool, flags uint32) (windows.Handle, int, error) {
	app, err := windows.UTF16PtrFromString(plan.path)
	if err != nil {
		return 0, 0, fmt.Errorf("shell: program path: %w", err)
	}
	cmdline, err := windows.UTF16PtrFromString(windows.ComposeCommandLine(plan.argv))
	if err != nil {
		return 0, 0, fmt.Errorf("shell: command line: %w", err)
	}
	dirp, err := windows.UTF16PtrFromString(dir)
	if err != nil {
		return 0, 0, fmt.Errorf("shell: working directory: %w", err)
	}
	block := envBlockUTF16(env)
	si.Cb = uint32(unsafe.Sizeof(*si))
	flags |= windows.CREATE_SUSPENDED | windows.CREATE_UNICODE_ENVIRONMENT | windows.EXTENDED_STARTUPINFO_PRESENT
	var pi windows.ProcessInformation
	if err := windows.CreateProcess(app, cmdline, nil, nil, inherit, flags, &block[0], dirp, &si.StartupInfo, &pi); err != nil {
		return 0, 0, fmt.Errorf("shell: start %s: %w", plan.path, err)
	}
	defer windows.CloseHandle(pi.Thread)
	if err := windows.AssignProcessToJobObject(job, pi.Process); err != nil {
		_ = windows.TerminateProcess(pi.Process, killExitCode)
		_ = windows.CloseHandle(pi.Process)
		return 0, 0, fmt.Errorf("shell: put the shell in its job object: %w", err)
	}
	if _, err := windows.ResumeThread(pi.Thread); err != nil {
		_ = windows.TerminateProcess(pi.Process, killExitCode)
		_ = windows.CloseHandle(pi.Process)
		return 0, 0, fmt.Errorf("shell: resume the shell: %w", err)
	}
	return pi.Process, int(pi.ProcessId), nil
}

// startConPTY starts the shell attached to a new pseudo console. The
// process is created here rather than with conpty's Spawn because Spawn
// does not return the thread handle needed to start it suspended.
func startConPTY(plan windowsPlan, env []string, dir string, job windows.Handle, opts Options) (*winBackend, error) {
	cpty, err := conpty.New(int(opts.Cols), int(opts.Rows), 0)
	if err != nil {
		return nil, fmt.Errorf("shell: create pseudo console: %w", err)
	}
	attrs, err := windows.NewProcThreadAttributeList(1)
	if err != nil {
		_ = cpty.Close()
		return nil, fmt.Errorf("shell: attribute list: %w", err)
	}
	defer attrs.Delete()
	// The attribute's value is the HPCON itself, not a pointer to it.
	hpc := windows.Handle(cpty.Fd())
	if err := attrs.Update(windows.PROC_THREAD_ATTRIBUTE_PSEUDOCONSOLE,
		*(*unsafe.Pointer)(unsafe.Pointer(&hpc)), unsafe.Sizeof(hpc)); err != nil {
		_ = cpty.Close()
		return nil, fmt.Errorf("shell: attach pseudo console: %w", err)
	}
	si := &windows.StartupInfoEx{ProcThreadAttributeList: attrs.List()}
	// Null std handles with this flag keep the shell from inheriting the
	// agent's own console handles instead of the pseudo console's.
	si.Flags = windows.STARTF_USESTDHANDLES
	proc, pid, err := spawnInJob(plan, env, dir, job, si, false, 0)
	if err != nil {
		_ = cpty.Close()
		return nil, err
	}
	b := newWinBackend(plan, pid, job, true)
	b.cpty = cpty
	go b.copyOut(cpty, nil)
	go b.reap(proc)
	return b, nil
}

// startPipes starts the shell with pipes for stdin and stdout/stderr.
func startPipes(plan windowsPlan, env []string, dir string, job windows.Handle) (*winBackend, error) {
	sa := &windows.SecurityAttributes{InheritHandle: 1}
	sa.Length = uint32(unsafe.Sizeof(*sa))
	var inR, inW, outR, outW windows.Handle
	if err := windows.CreatePipe(&inR, &inW, sa, 0); err != nil {
		return nil, fmt.Errorf("shell: stdin pipe: %w", err)
	}
	if err := windows.CreatePipe(&outR, &outW, sa, 0); err != nil {
		closeHandles(inR, inW)
		return nil, fmt.Errorf("shell: stdout pipe: %w", err)
	}
	// Only the shell's ends are inherited, and only by the shell (the
	// handle list keeps any other inheritable handle of the agent out).
	for _, h := range []windows.Handle{inW, outR} {
		if err := windows.SetHandleInformation(h, windows.HANDLE_FLAG_INHERIT, 0); err != nil {
			closeHandles(inR, inW, outR, outW)
			return nil, fmt.Errorf("shell: pipe handle: %w", err)
		}
	}
	attrs, err := windows.NewProcThreadAttributeList(1)
	if err != nil {
		closeHandles(inR, inW, outR, outW)
		return nil, fmt.Errorf("shell: attribute list: %w", err)
	}
	defer attrs.Delete()
	handles := []windows.Handle{inR, outW}
	if err := attrs.Update(windows.PROC_THREAD_ATTRIBUTE_HANDLE_LIST,
		unsafe.Pointer(&handles[0]), uintptr(len(handles))*unsafe.Sizeof(handles[0])); err != nil {
		closeHandles(inR, inW, outR, outW)
		return nil, fmt.Errorf("shell: handle list: %w", err)
	}
	si := &windows.StartupInfoEx{ProcThreadAttributeList: attrs.List()}
	si.Flags = windows.STARTF_USESTDHANDLES
	si.StdInput, si.StdOutput, si.StdErr = inR, outW, outW
	proc, pid, err := spawnInJob(plan, env, dir, job, si, true, windows.CREATE_NO_WINDOW)
	closeHandles(inR, outW) // the shell has its own copies now
	if err != nil {
		closeHandles(inW, outR)
		return nil, err
	}
	b := newWinBackend(plan, pid, job, false)
	b.stdin = os.NewFile(uintptr(inW), "shell-stdin")
	stdout := os.NewFile(uintptr(outR), "shell-stdout")
	go b.copyOut(stdout, stdout)
	go b.reap(proc)
	return b, nil
}

func closeHandles(hs ...windows.Handle) {
	for _, h := range hs {
		_ = windows.CloseHandle(h)
	}
}

func newWinBackend(plan windowsPlan, pid int, job windows.Handle, pty bool) *winBackend {
	r, w := io.Pipe()
	return &winBackend{
		inf:        Info{Shell: plan.path, PID: pid, PTY: pty},
		job:        job,
		out:        r,
		outW:       w,
		copierDone: make(chan struct{}),
		exitedCh:   make(chan struct{}),
	}
}

// copyOut moves the shell's output into the io.Pipe. Once nobody takes it
// any more, it keeps draining into nothing: a console host that cannot
// write blocks ClosePseudoConsole on older Windows.
func (b *winBackend) copyOut(src io.Reader, closer io.Closer) {
	defer close(b.copierDone)
	buf := make([]byte, 32<<10)
	discard := false
	for {
		n, err := src.Read(buf)
		if n > 0 && !discard {
			if _, werr := b.outW.Write(buf[:n]); werr != nil {
				discard = true
			}
		}
		if err != nil {
			_ = b.outW.CloseWithError(io.EOF)
			if closer != nil {
				_ = closer.Close()
			}
			return
		}
	}
}

// reap waits for the shell process and records its exit code.
func (b *winBackend) reap(proc windows.Handle) {
	b.code = -1
	if _, err := windows.WaitForSingleObject(proc, windows.INFINITE); err == nil {
		var c uint32
		if windows.GetExitCodeProcess(proc, &c) == nil {
			b.code = int(int32(c))
		}
	}
	_ = windows.CloseHandle(proc)
	close(b.exitedCh)
}

func (b *winBackend) Read(p []byte) (int, error) { return b.out.Read(p) }

func (b *winBackend) Write(p []byte) (int, error) {
	if b.cpty != nil {
		return b.cpty.Write(p)
	}
	b.wmu.Lock()
	defer b.wmu.Unlock()
	toShell, echo := b.ld.feed(p)
	if len(echo) > 0 {
		if _, err := b.outW.Write(echo); err != nil {
			return 0, err
		}
	}
	if len(toShell) > 0 {
		if _, err := b.stdin.Write(toShell); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (b *winBackend) resize(cols, rows uint16) error {
	if b.cpty == nil {
		return ErrResizeUnsupported
	}
	return b.cpty.Resize(int(cols), int(rows))
}

// hangup: Windows has no hangup signal to send; closing the pseudo console
// (in closeIO) is the nearest thing and comes after the kill anyway.
func (b *winBackend) hangup() bool { return false }

func (b *winBackend) kill() {
	b.jobMu.Lock()
	defer b.jobMu.Unlock()
	if b.job == 0 {
		return
	}
	if err := windows.TerminateJobObject(b.job, killExitCode); err != nil {
		b.log.Warn("terminating the shell's job object", "err", err)
	}
}

func (b *winBackend) exited() <-chan struct{} { return b.exitedCh }
func (b *winBackend) exitCode() int           { return b.code }
func (b *winBackend) info() Info              { return b.inf }

// closeIO closes the job (killing whatever is left, as closing a console
// window would), the pseudo console or stdin, and the output pipe. Every
// step that could block is bounded.
func (b *winBackend) closeIO() error {
	var err error
	b.closeOnce.Do(func() {
		b.jobMu.Lock()
		if b.job != 0 {
			err = windows.CloseHandle(b.job)
			b.job = 0
		}
		b.jobMu.Unlock()
		if b.stdin != nil {
			err = errors.Join(err, b.stdin.Close())
		}
		if b.cpty != nil {
			closed := make(chan error, 1)
			go func() { closed <- b.cpty.Close() }()
			t := time.NewTimer(conptyCloseWait)
			select {
			case cerr := <-closed:
				err = errors.Join(err, cerr)
			case <-t.C:
				b.log.Warn("closing the pseudo console is taking long; not waiting", "waited", conptyCloseWait)
			}
			t.Stop()
		}
		// Give the copier a moment to pass on what the console host
		// flushed while closing, then end the output regardless.
		t := time.NewTimer(conptyCloseWait)
		select {
		case <-b.copierDone:
		case <-t.C:
		}
		t.Stop()
		_ = b.outW.CloseWithError(io.EOF)
	})
	return err
}
