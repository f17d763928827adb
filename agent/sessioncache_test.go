package agent

import (
	"crypto/tls"
	"testing"
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
