package eventlog

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"sync"

	"github.com/steward-rmm/steward/protocol"
)

// Runner starts argv and returns its standard output and a function that
// waits for its end (after the output was read or ctx ended) with its
// error, stderr included.
type Runner func(ctx context.Context, argv []string) (io.ReadCloser, func() error, error)

// capBuf keeps the first bytes written to it (a command's stderr).
type capBuf struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (c *capBuf) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if room := 4096 - c.b.Len(); room > 0 {
		c.b.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (c *capBuf) String() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return strings.TrimSpace(c.b.String())
}

// execRunner runs argv with os/exec; argv[0] is looked up in PATH.
func execRunner(ctx context.Context, argv []string) (io.ReadCloser, func() error, error) {
	if _, err := exec.LookPath(argv[0]); err != nil {
		return nil, nil, errf(protocol.CallFailed, "%s is not available on this device", argv[0])
	}
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var stderr capBuf
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, nil, fmt.Errorf("%s: %w", argv[0], err)
	}
	if err := cmd.Start(); err != nil {
		return nil, nil, fmt.Errorf("%s: %w", argv[0], err)
	}
	wait := func() error {
		err := cmd.Wait()
		if err != nil && ctx.Err() == nil {
			if msg := stderr.String(); msg != "" {
				return fmt.Errorf("%s: %w: %s", argv[0], err, msg)
			}
			return fmt.Errorf("%s: %w", argv[0], err)
		}
		return nil
	}
	return out, wait, nil
}

// lines runs argv and hands each output line to fn until fn says stop
// (then the command is ended) or the output ends.
func lines(ctx context.Context, run Runner, argv []string, fn func(line []byte) (stop bool, err error)) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	out, wait, err := run(ctx, argv)
	if err != nil {
		return err
	}
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var ferr error
	stopped := false
	for sc.Scan() {
		stop, err := fn(sc.Bytes())
		if err != nil {
			ferr = err
			break
		}
		if stop {
			stopped = true
			break
		}
	}
	if ferr == nil && !stopped {
		ferr = sc.Err()
	}
	if ferr != nil || stopped {
		cancel()
	}
	_, _ = io.Copy(io.Discard, out)
	out.Close()
	werr := wait()
	switch {
	case ferr != nil:
		return ferr
	case stopped:
		return nil
	case werr != nil && !errors.Is(werr, context.Canceled):
		return werr
	}
	return ctx.Err()
}
