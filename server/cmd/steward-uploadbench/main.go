// Command steward-uploadbench measures an attachment upload: it starts
// bin/steward-server on a fresh data folder, streams one file of --size
// bytes to it over TLS (127.0.0.1), and prints the throughput and the
// server's resident memory before, at its peak during, and after the
// upload, sampled from /proc every 50 ms (Linux). The server must not
// hold the file in memory: its peak should not grow with --size.
//
//	steward-uploadbench [--bin bin] [--size 1073741824]
package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/steward-rmm/steward/tlspin"
)

func main() {
	bin := flag.String("bin", "bin", "directory holding steward-server")
	size := flag.Int64("size", 1<<30, "bytes to upload")
	flag.Parse()
	if err := run(*bin, *size); err != nil {
		fmt.Fprintln(os.Stderr, "steward-uploadbench:", err)
		os.Exit(1)
	}
}

// source yields n pseudo-random bytes without holding them: one random
// MiB, repeated with a changing first word so blocks differ.
type source struct {
	block []byte
	left  int64
	n     uint64
	off   int
}

func (s *source) Read(p []byte) (int, error) {
	if s.left <= 0 {
		return 0, io.EOF
	}
	if s.off == len(s.block) {
		s.off = 0
		s.n++
		copy(s.block, strconv.FormatUint(s.n, 16))
	}
	k := copy(p, s.block[s.off:])
	if int64(k) > s.left {
		k = int(s.left)
	}
	s.off += k
	s.left -= int64(k)
	return k, nil
}

func rss(pid int) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(l, "VmRSS:") {
			kb, _ := strconv.ParseInt(strings.Fields(l)[1], 10, 64)
			return kb << 10
		}
	}
	return 0
}

func run(bin string, size int64) error {
	dir, err := os.MkdirTemp("", "steward-uploadbench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	addr := ln.Addr().String()
	ln.Close()
	data := filepath.Join(dir, "server")
	srv := exec.Command(filepath.Join(bin, "steward-server"), "--data", data, "--listen", addr,
		"--attachment-max-size", strconv.FormatInt(size+1, 10), "--log-level", "warn")
	srv.Stderr = os.Stderr
	if err := srv.Start(); err != nil {
		return err
	}
	defer func() {
		srv.Process.Signal(os.Interrupt)
		srv.Wait()
	}()
	var tok string
	for i := 0; i < 200 && tok == ""; i++ {
		time.Sleep(100 * time.Millisecond)
		b, _ := os.ReadFile(filepath.Join(data, "admin-token"))
		tok = strings.TrimSpace(string(b))
	}
	pin, err := exec.Command(filepath.Join(bin, "steward-server"), "pin", "--data", data).Output()
	if err != nil {
		return fmt.Errorf("pin: %w", err)
	}
	pins, err := tlspin.ParsePins(strings.TrimSpace(string(pin)))
	if err != nil {
		return err
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: tlspin.ClientConfig(tlspin.Verifier{Pins: pins, ServerName: "127.0.0.1"})}}
	call := func(method, path string, body io.Reader, n int64, out any) error {
		req, _ := http.NewRequest(method, "https://"+addr+path, body)
		req.Header.Set("Authorization", "Bearer "+tok)
		req.ContentLength = n
		resp, err := hc.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode/100 != 2 {
			return fmt.Errorf("%s %s: %d %s", method, path, resp.StatusCode, b)
		}
		return json.Unmarshal(b, out)
	}
	var c struct{ ID string }
	for i := 0; ; i++ {
		err = call("POST", "/api/v1/clients", bytes.NewReader([]byte(`{"name":"Bench"}`)), -1, &c)
		if err == nil || i > 100 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	if err != nil {
		return err
	}
	pid := srv.Process.Pid
	before := rss(pid)
	var peak atomic.Int64
	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if r := rss(pid); r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	blk := make([]byte, 1<<20)
	rng := rand.NewChaCha8([32]byte{1})
	rng.Read(blk)
	start := time.Now()
	var a struct {
		Size   int64
		SHA256 string
	}
	err = call("POST", "/api/v1/clients/"+c.ID+"/attachments?name=bench.bin", &source{block: blk, left: size, off: len(blk)}, size, &a)
	el := time.Since(start)
	close(stop)
	<-done
	if err != nil {
		return err
	}
	if a.Size != size {
		return errors.New("the server stored " + strconv.FormatInt(a.Size, 10) + " bytes")
	}
	time.Sleep(500 * time.Millisecond)
	mib := func(n int64) string { return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20)) }
	fmt.Printf("upload of %s over TLS on 127.0.0.1: %.2f s, %.0f MiB/s\n", mib(size), el.Seconds(), float64(size)/(1<<20)/el.Seconds())
	fmt.Printf("server RSS: before %s, peak during %s (+%s), after %s\n", mib(before), mib(peak.Load()), mib(peak.Load()-before), mib(rss(pid)))
	return nil
}
