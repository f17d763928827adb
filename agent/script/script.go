// Package script runs script jobs: a body written to a private temporary
// file and run by the chosen interpreter, or an argv run directly. Arguments
// are always an argument list, never a shell string. A timeout or cancel
// kills the whole process tree (the process group on Unix, a job object on
// Windows).
package script

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"
)

// Spec is one script to run.
type Spec struct {
	Interpreter string            // sh, bash, powershell, cmd, python
	Body        string            // script text; empty when Command is set
	Command     []string          // argv to run directly instead of a body
	Args        []string          // extra argv entries after the script file
	Env         map[string]string // added to a minimal environment
	Timeout     time.Duration     // 0 = none
	WorkDir     string            // agent-owned directory for the script file
}

// Result is how a script ended.
type Result struct {
	ExitCode  int
	TimedOut  bool
	Cancelled bool
	Err       string // could not start, or killed: a human reason
	Started   time.Time
	Ended     time.Time
}

// ChunkSize is the largest output chunk passed to out.
const ChunkSize = 32 << 10

// Invocation resolves the interpreter and builds argv for a script file,
// for goos. It is pure so every OS's choices are tested here.
func Invocation(goos, interp, file string, args []string, lookPath func(string) (string, error)) ([]string, string, error) {
	var argv []string
	ext := ""
	switch interp {
	case "sh":
		if goos == "windows" {
			return nil, "", errors.New("interpreter sh is not available on windows")
		}
		argv, ext = []string{"/bin/sh", file}, ".sh"
	case "bash":
		p, err := lookPath("bash")
		if err != nil {
			return nil, "", errors.New("interpreter bash is not installed")
		}
		argv, ext = []string{p, file}, ".sh"
	case "powershell":
		p, err := lookPath("pwsh")
		if err != nil {
			if p, err = lookPath("powershell.exe"); err != nil {
				if p, err = lookPath("powershell"); err != nil {
					return nil, "", errors.New("interpreter powershell (pwsh or Windows PowerShell) is not installed")
				}
			}
		}
		argv, ext = []string{p, "-NoProfile", "-NonInteractive", "-ExecutionPolicy", "Bypass", "-File", file}, ".ps1"
	case "cmd":
		if goos != "windows" {
			return nil, "", errors.New("interpreter cmd is only available on windows")
		}
		argv, ext = []string{"cmd.exe", "/d", "/c", file}, ".cmd"
	case "python":
		p, err := lookPath("python3")
		if err != nil {
			if p, err = lookPath("python"); err != nil {
				return nil, "", errors.New("interpreter python is not installed")
			}
		}
		argv, ext = []string{p, file}, ".py"
	default:
		return nil, "", fmt.Errorf("unknown interpreter %q", interp)
	}
	return append(argv, args...), ext, nil
}

// Env builds a minimal environment plus extra. Names must be non-empty and
// free of '=' and NUL.
func Env(goos string, base func(string) string, extra map[string]string) ([]string, error) {
	keep := []string{"PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME", "TMPDIR"}
	if goos == "windows" {
		keep = []string{"PATH", "PATHEXT", "SystemRoot", "SystemDrive", "ComSpec", "windir", "TEMP", "TMP",
			"ProgramData", "ProgramFiles", "ProgramFiles(x86)", "USERPROFILE", "COMPUTERNAME", "PSModulePath"}
	}
	var env []string
	for _, k := range keep {
		if v := base(k); v != "" {
			env = append(env, k+"="+v)
		}
	}
	if goos != "windows" && base("PATH") == "" {
		env = append(env, "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin")
	}
	for k, v := range extra {
		if k == "" || strings.ContainsAny(k, "=\x00") || strings.ContainsRune(v, 0) {
			return nil, fmt.Errorf("invalid environment variable %q", k)
		}
		env = append(env, k+"="+v)
	}
	return env, nil
}

// Run executes spec, streaming output to out. out is never called
// concurrently; chunks are coalesced for up to 100 ms so a chatty script
// does not become one message per line.
func Run(ctx context.Context, spec Spec, out func(stream string, chunk []byte)) Result {
	res := Result{Started: time.Now().UTC(), ExitCode: -1}
	fail := func(format string, a ...any) Result {
		res.Err, res.Ended = fmt.Sprintf(format, a...), time.Now().UTC()
		return res
	}
	var argv []string
	if len(spec.Command) > 0 {
		p, err := exec.LookPath(spec.Command[0])
		if err != nil {
			return fail("command %q not found", spec.Command[0])
		}
		argv = append([]string{p}, spec.Command[1:]...)
		argv = append(argv, spec.Args...)
	} else {
		dir, err := os.MkdirTemp(spec.WorkDir, "job-")
		if err != nil {
			return fail("create script directory: %v", err)
		}
		defer os.RemoveAll(dir)
		// The first call only checks the interpreter and learns the file
		// extension; the second builds the argv with the written file.
		_, ext, err := Invocation(runtime.GOOS, spec.Interpreter, "", spec.Args, exec.LookPath)
		if err != nil {
			return fail("%v", err)
		}
		file := filepath.Join(dir, "script"+ext)
		if err := os.WriteFile(file, []byte(spec.Body), 0o700); err != nil {
			return fail("write script: %v", err)
		}
		argv, _, _ = Invocation(runtime.GOOS, spec.Interpreter, file, spec.Args, exec.LookPath)
	}
	env, err := Env(runtime.GOOS, os.Getenv, spec.Env)
	if err != nil {
		return fail("%v", err)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Env = env
	cmd.Dir = os.TempDir()
	prepare(cmd)
	// Our own pipes: Wait then returns when the script exits, even if a
	// child it left behind still holds the write ends.
	outR, outW, err := os.Pipe()
	if err != nil {
		return fail("%v", err)
	}
	errR, errW, err := os.Pipe()
	if err != nil {
		outR.Close()
		outW.Close()
		return fail("%v", err)
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	err = cmd.Start()
	outW.Close()
	errW.Close()
	if err != nil {
		outR.Close()
		errR.Close()
		return fail("start %s: %v", argv[0], err)
	}
	tree, err := attach(cmd)
	if err != nil {
		killTree(cmd, nil)
		_ = cmd.Wait()
		outR.Close()
		errR.Close()
		return fail("contain process tree: %v", err)
	}
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, p := range []struct {
		name string
		r    io.Reader
	}{{"stdout", outR}, {"stderr", errR}} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			pump(p.r, func(b []byte) {
				mu.Lock()
				out(p.name, b)
				mu.Unlock()
			})
		}()
	}
	var timeout <-chan time.Time
	if spec.Timeout > 0 {
		t := time.NewTimer(spec.Timeout)
		defer t.Stop()
		timeout = t.C
	}
	waitErr := make(chan error, 1)
	go func() { waitErr <- cmd.Wait() }()
	var werr error
	select {
	case werr = <-waitErr:
	case <-timeout:
		res.TimedOut = true
		killTree(cmd, tree)
		werr = <-waitErr
	case <-ctx.Done():
		res.Cancelled = true
		killTree(cmd, tree)
		werr = <-waitErr
	}
	// The job ends with its script: whatever it left running in its process
	// group goes too, which also closes the pipes.
	killTree(cmd, tree)
	pumped := make(chan struct{})
	go func() { wg.Wait(); close(pumped) }()
	select {
	case <-pumped:
	case <-time.After(2 * time.Second):
		// A process that escaped the group still holds a pipe.
		outR.Close()
		errR.Close()
		<-pumped
	}
	outR.Close()
	errR.Close()
	res.Ended = time.Now().UTC()
	var ee *exec.ExitError
	switch {
	case werr == nil:
		res.ExitCode = 0
	case errors.As(werr, &ee):
		res.ExitCode = ee.ExitCode()
	default:
		res.Err = werr.Error()
	}
	switch {
	case res.TimedOut:
		res.Err = fmt.Sprintf("timed out after %s; process tree killed", spec.Timeout)
	case res.Cancelled:
		res.Err = "cancelled; process tree killed"
	}
	return res
}

// pump reads r and passes coalesced chunks to emit.
func pump(r io.Reader, emit func([]byte)) {
	ch := make(chan []byte, 16)
	go func() {
		defer close(ch)
		for {
			b := make([]byte, ChunkSize)
			n, err := r.Read(b)
			if n > 0 {
				ch <- b[:n]
			}
			if err != nil {
				return
			}
		}
	}()
	var buf []byte
	flush := time.NewTimer(time.Hour)
	flush.Stop()
	for {
		select {
		case b, ok := <-ch:
			if !ok {
				if len(buf) > 0 {
					emit(buf)
				}
				return
			}
			if len(buf) == 0 {
				flush.Reset(100 * time.Millisecond)
			}
			buf = append(buf, b...)
			for len(buf) >= ChunkSize {
				emit(buf[:ChunkSize:ChunkSize])
				buf = append([]byte(nil), buf[ChunkSize:]...)
			}
		case <-flush.C:
			if len(buf) > 0 {
				emit(buf)
				buf = nil
			}
		}
	}
}
