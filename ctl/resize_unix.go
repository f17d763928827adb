//go:build !windows

package ctl

import (
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"
)

// watchResize forwards SIGWINCH as terminal sizes.
func watchResize(fd int, out chan<- Resize) func() {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-done:
				return
			case <-ch:
				if w, h, err := term.GetSize(fd); err == nil {
					select {
					case out <- Resize{w, h}:
					default:
					}
				}
			}
		}
	}()
	return func() { signal.Stop(ch); close(done) }
}
