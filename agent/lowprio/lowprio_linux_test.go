package lowprio

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"golang.org/x/sys/unix"
)

// TestMain lets the test binary play the child: with LOWPRIO_CHILD set it
// prints its own nice value (from /proc/self/stat) and I/O priority, read
// by the syscall, for every thread it has.
func TestMain(m *testing.M) {
	if os.Getenv("LOWPRIO_CHILD") == "1" {
		pid := os.Getpid()
		io, err := IOPrio(pid)
		if err != nil {
			fmt.Println("ioprio error", err)
			os.Exit(3)
		}
		fmt.Printf("nice=%d ioprio=%d\n", statNice(pid), io)
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// statNice reads field 19 (nice) of /proc/PID/stat.
func statNice(pid int) int { return niceOf(fmt.Sprintf("/proc/%d/stat", pid)) }

func taskNice(tid int) int { return niceOf(fmt.Sprintf("/proc/self/task/%d/stat", tid)) }

func niceOf(path string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return -100
	}
	s := string(b)
	f := strings.Fields(s[strings.LastIndexByte(s, ')')+2:]) // after "pid (comm) "
	n, err := strconv.Atoi(f[16])                            // field 19 counted from 1: state is field 3
	if err != nil {
		return -100
	}
	return n
}

func TestChildRunsAtNice19AndIdleIOClass(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	os.Setenv("LOWPRIO_CHILD", "1")
	defer os.Unsetenv("LOWPRIO_CHILD")
	// The caller's thread keeps its priority: only the child (and the
	// discarded thread that forked it) are lowered.
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	tid := unix.Gettid()
	before := taskNice(tid)
	out, err := Exec(context.Background(), exe)
	if err != nil {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if got, want := strings.TrimSpace(string(out)), fmt.Sprintf("nice=19 ioprio=%d", IOPrioIdle); got != want {
		t.Fatalf("child reports %q, want %q", got, want)
	}
	if after := taskNice(tid); after != before || after == Nice {
		t.Fatalf("the calling thread went from nice %d to %d", before, after)
	}
}

func TestStartedChildSeenFromOutside(t *testing.T) {
	c := Command(context.Background(), "sleep", "30")
	if err := c.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = c.Process.Kill(); _ = c.Wait() }()
	pid := c.Process.Pid
	if n := statNice(pid); n != 19 {
		t.Fatalf("sleep runs at nice %d, want 19", n)
	}
	io, err := IOPrio(pid)
	if err != nil {
		t.Fatal(err)
	}
	if io>>13 != 3 {
		t.Fatalf("sleep's I/O class is %d (ioprio %d), want 3 (idle)", io>>13, io)
	}
}
