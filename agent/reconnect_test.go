package agent

import (
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"testing"
	"time"
)

func TestSessionCacheSurvivesFailedHandshakes(t *testing.T) {
	var c sessionCache
	s1, s2 := &tls.ClientSessionState{}, &tls.ClientSessionState{}
	c.Put("srv", s1)
	// A busy server dropping the connection mid-handshake: crypto/tls
	// removes the session; the agent keeps it for the next attempt.
	for i := 0; i < keepTickets-1; i++ {
		c.Put("srv", nil)
		if got, ok := c.Get("srv"); !ok || got != s1 {
			t.Fatalf("after %d failed handshakes the session is gone", i+1)
		}
	}
	// A new session resets the count.
	c.Put("srv", s2)
	for i := 0; i < keepTickets-1; i++ {
		c.Put("srv", nil)
	}
	if got, ok := c.Get("srv"); !ok || got != s2 {
		t.Fatal("the newer session was not kept")
	}
	// A session that fails every time is dropped in the end.
	c.Put("srv", nil)
	if _, ok := c.Get("srv"); ok {
		t.Fatalf("session kept after %d failed handshakes in a row", keepTickets)
	}
	// Another server's name never gets this session.
	c.Put("srv", s1)
	if _, ok := c.Get("other"); ok {
		t.Fatal("session returned for another server name")
	}
}

func TestBackoffAfterRestart(t *testing.T) {
	// A real refused connection: a port nothing listens on.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	_, refused := net.Dial("tcp", addr)
	if refused == nil {
		t.Skip("the closed port accepted a connection")
	}
	wrapped := fmt.Errorf("connect: %w", refused)
	other := errors.New("read welcome: EOF")
	const max = time.Minute
	cases := []struct {
		name      string
		cur       time.Duration
		err       error
		lived     bool
		sinceLost time.Duration
		want      time.Duration
	}{
		{"a connection that lived resets", 32 * time.Second, other, true, 0, time.Second},
		{"refused just after a loss stays short", 4 * time.Second, wrapped, false, 10 * time.Second, refusedBackoff},
		{"refused long after a loss backs off", 4 * time.Second, wrapped, false, 3 * time.Minute, 8 * time.Second},
		{"a busy server gets the full backoff", 4 * time.Second, other, false, 10 * time.Second, 8 * time.Second},
		{"capped at max", 40 * time.Second, other, false, 10 * time.Second, max},
	}
	for _, c := range cases {
		if got := nextBackoff(c.cur, c.err, c.lived, c.sinceLost, max); got != c.want {
			t.Errorf("%s: got %v, want %v", c.name, got, c.want)
		}
	}
}
