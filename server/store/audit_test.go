package store

import (
	"errors"
	"testing"
	"time"
)

// TestAuditChainEncodingFixed: hash and MAC of a known event are the
// values the server wrote before the store contract (computed with that
// code), so chains on disk keep verifying whatever happens to AuditEvent.
func TestAuditChainEncodingFixed(t *testing.T) {
	e := AuditEvent{Seq: 7, At: time.Date(2026, 12, 1, 10, 0, 0, 5, time.UTC), Actor: "admin", Action: "job.create", Target: "d1",
		Detail: map[string]string{"b": "2", "a": "<&>"}, Source: "192.0.2.1", Prev: "abc", Client: "c1,c2"}
	if h := AuditHash(e); h != "f5b164792e60b451d743ab7c62a3c5adfdcd03bc7e25965e478eaef37413f9ca" {
		t.Fatalf("hash %s", h)
	}
	e.Hash = AuditHash(e)
	if m := AuditMAC([]byte("0123456789abcdef"), "prevlink", e); m != "17d21efa65f445e1f436f1f8149295575d56a994af2ebdcca4820ba2703bf8b6" {
		t.Fatalf("mac %s", m)
	}
}

// TestChainVerifierFindsFirstBreak: the shared verifier accepts a chain
// Link built and names the first record that was changed.
func TestChainVerifierFindsFirstBreak(t *testing.T) {
	key := []byte("0123456789abcdef")
	var evs []AuditEvent
	var last *AuditEvent // a copy: evs grows
	for i := 1; i <= 5; i++ {
		e := AuditEvent{Seq: uint64(i), Actor: "a", Action: "x"}
		var k []byte
		if i >= 3 {
			k = key
		}
		e.Link(last, k)
		evs = append(evs, e)
		last = &e
	}
	head := evs[4].MAC
	check := func(evs []AuditEvent) error {
		v, err := NewChainVerifier(key, 3, AuditAnchors{KeyedFrom: 3, Heads: map[uint64]string{5: head}})
		if err != nil {
			return err
		}
		for _, e := range evs {
			if err := v.Next(e.Seq, e); err != nil {
				return err
			}
		}
		_, err = v.Finish()
		return err
	}
	if err := check(evs); err != nil {
		t.Fatalf("intact chain: %v", err)
	}
	bad := append([]AuditEvent(nil), evs...)
	bad[3].Actor = "mallory"
	var br *AuditBreak
	if err := check(bad); !errors.As(err, &br) || br.Seq != 4 {
		t.Fatalf("edited record 4: %v", err)
	}
	if err := check(evs[:4]); !errors.As(err, &br) || br.Seq != 5 {
		t.Fatalf("cut-off tail: %v", err)
	}
	if _, err := NewChainVerifier(nil, 3, AuditAnchors{}); !errors.As(err, &br) || br.Seq != 3 {
		t.Fatalf("keyed chain without a key: %v", err)
	}
}
