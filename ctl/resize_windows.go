//go:build windows

package ctl

import (
	"time"

	"golang.org/x/term"
)

// watchResize polls the console size: Windows has no SIGWINCH.
func watchResize(fd int, out chan<- Resize) func() {
	done := make(chan struct{})
	go func() {
		w0, h0, _ := term.GetSize(fd)
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if w, h, err := term.GetSize(fd); err == nil && (w != w0 || h != h0) {
					w0, h0 = w, h
					select {
					case out <- Resize{w, h}:
					default:
					}
				}
			}
		}
	}()
	return func() { close(done) }
}
