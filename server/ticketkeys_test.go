package server

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// TestTicketKeyRotation: the session ticket keys are created once, kept
// across loads, rotated daily with the previous ones kept (up to a week
// back), migrated from the single key file of earlier versions, and an
// unreadable file is replaced rather than stopping the server.
func TestTicketKeyRotation(t *testing.T) {
	dir := t.TempDir()
	t0 := time.Date(2026, 12, 5, 10, 0, 0, 0, time.UTC)
	legacy := bytes.Repeat([]byte{7}, 32)
	if err := os.WriteFile(filepath.Join(dir, legacyTicketKey), legacy, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(filepath.Join(dir, legacyTicketKey), t0, t0); err != nil {
		t.Fatal(err)
	}
	k, err := loadTicketKeys(dir, t0.Add(time.Hour))
	if err != nil || len(k) != 1 || !bytes.Equal(k[0].Key, legacy) {
		t.Fatalf("migrated keys %v, %v; want the old key alone", k, err)
	}
	fi, err := os.Stat(filepath.Join(dir, ticketKeysFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file %v, %v; want mode 0600", fi, err)
	}
	again, _ := loadTicketKeys(dir, t0.Add(2*time.Hour))
	if len(again) != 1 || !bytes.Equal(again[0].Key, legacy) {
		t.Fatalf("reloaded within the day: %d keys", len(again))
	}
	day, _ := loadTicketKeys(dir, t0.Add(ticketRotate))
	if len(day) != 2 || bytes.Equal(day[0].Key, legacy) || !bytes.Equal(day[1].Key, legacy) {
		t.Fatalf("a day later: %d keys; want a new one first and the old one kept", len(day))
	}
	var last []ticketKey
	for i := 2; i <= 12; i++ {
		last, _ = loadTicketKeys(dir, t0.Add(time.Duration(i)*ticketRotate))
	}
	if len(last) != ticketKeep {
		t.Fatalf("after 12 days %d keys, want %d", len(last), ticketKeep)
	}
	for i := 1; i < len(last); i++ {
		if !last[i].Created.Before(last[i-1].Created) {
			t.Fatalf("keys not newest first: %v", last)
		}
	}
	tls := sessionTicketKeys(last, []byte("cert A"))
	if other := sessionTicketKeys(last, []byte("cert B")); other[0] == tls[0] {
		t.Fatal("the ticket keys do not depend on the server certificate")
	}

	if err := os.WriteFile(filepath.Join(dir, ticketKeysFile), []byte("{garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	fresh, err := loadTicketKeys(dir, t0.Add(13*ticketRotate))
	if err == nil || len(fresh) != 1 {
		t.Fatalf("unreadable file: %d keys, %v; want one new key and a warning", len(fresh), err)
	}
	if back, err := loadTicketKeys(dir, t0.Add(13*ticketRotate)); err != nil || len(back) != 1 || !bytes.Equal(back[0].Key, fresh[0].Key) {
		t.Fatalf("the replacement was not saved: %v", err)
	}
}
