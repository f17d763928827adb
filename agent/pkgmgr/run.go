package pkgmgr

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
)

// Output receives a command's output as it comes.
type Output func(stream string, b []byte)

// Run carries out a plan's commands in order, stopping at the first that
// fails. It returns the last exit code (-1: not started).
func Run(ctx context.Context, p Plan, out Output) (int, error) {
	var mu sync.Mutex // the two streams are copied by two goroutines; out is not reentrant
	emit := func(stream string) writerFunc {
		return func(b []byte) {
			mu.Lock()
			defer mu.Unlock()
			out(stream, b)
		}
	}
	for _, c := range p.Commands {
		exe, err := Look(c.Argv[0])
		if err != nil {
			return -1, err
		}
		if p.AsPrefixOwner {
			if c, err = asPrefixOwner(exe, c); err != nil {
				return -1, err
			}
			if exe, err = Look(c.Argv[0]); err != nil {
				return -1, err
			}
		}
		cmd := exec.CommandContext(ctx, exe, c.Argv[1:]...)
		cmd.Env = append(cmd.Environ(), c.Env...)
		cmd.Stdout, cmd.Stderr = emit("stdout"), emit("stderr")
		err = cmd.Run()
		var ee *exec.ExitError
		switch {
		case errors.As(err, &ee):
			return ee.ExitCode(), fmt.Errorf("%s exited with %d", c.Argv[0], ee.ExitCode())
		case err != nil:
			return -1, fmt.Errorf("%s: %w", c.Argv[0], err)
		}
	}
	return 0, nil
}

type writerFunc func([]byte)

func (f writerFunc) Write(b []byte) (int, error) {
	f(append([]byte(nil), b...))
	return len(b), nil
}

// asPrefixOwner runs a Homebrew command as the user who owns the prefix:
// Homebrew refuses root, and installing as anyone else would leave files
// its owner cannot change.
func asPrefixOwner(exe string, c Command) (Command, error) {
	real, err := filepath.EvalSymlinks(exe)
	if err != nil {
		return c, fmt.Errorf("homebrew: %w", err)
	}
	prefix := filepath.Dir(filepath.Dir(real)) // <prefix>/bin/brew
	uid, err := ownerUID(prefix)
	if err != nil {
		return c, fmt.Errorf("homebrew prefix %s: %w", prefix, err)
	}
	return OwnerCommand(os.Getuid(), uid, real, c)
}

// OwnerCommand is c (whose argv[0] is the Homebrew program at exe) run as
// user owner by an agent running as self: directly when they are the same
// user, else through sudo -H -u #UID (the agent is root) with the
// environment passed by env(1). A root-owned prefix is refused.
func OwnerCommand(self, owner int, exe string, c Command) (Command, error) {
	if owner == 0 {
		return c, errors.New("the Homebrew prefix is owned by root; Homebrew must not run as root")
	}
	argv := append([]string{exe}, c.Argv[1:]...)
	if self == owner {
		return Command{Argv: argv, Env: c.Env}, nil
	}
	if self != 0 {
		return c, fmt.Errorf("the Homebrew prefix belongs to uid %d and the agent (uid %d) cannot act as it", owner, self)
	}
	wrapped := []string{"sudo", "-n", "-H", "-u", "#" + strconv.Itoa(owner), "--", "/usr/bin/env"}
	wrapped = append(wrapped, c.Env...)
	return Command{Argv: append(wrapped, argv...)}, nil
}
