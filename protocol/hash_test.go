package protocol

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"
)

// roundTrip is what the server holds: the value decoded from the frame the
// agent sent.
func roundTrip[T any](t *testing.T, typ string, v T) T {
	t.Helper()
	env, err := Decode(MustEncode(typ, "", v), MaxAgentFrame)
	if err != nil {
		t.Fatal(err)
	}
	var got T
	if err := DecodeData(env, &got); err != nil {
		t.Fatal(err)
	}
	return got
}

// TestContentHashSameOnBothSides: text the server sanitises (invalid
// UTF-8, over-long fields, control characters, a literal `\ufffd`) hashes
// the same on the agent (before sending) and on the server (after
// decoding, before sanitising), so an unchanged report is not resent.
func TestContentHashSameOnBothSides(t *testing.T) {
	bad := "caf\xe9 \xff\xfe" + `\ufffd` + "\x1b[31m\x00" + strings.Repeat("A", 70<<10)
	inv := Inventory{Hostname: bad, OS: "linux", CPUModel: "\xc3", MemoryTotal: 1<<63 + 12345,
		BootTime: time.Date(2026, 12, 5, 1, 2, 3, 456789, time.FixedZone("x", 3600)),
		Disks:    []Disk{{Mount: "/m\xed\xa0\x80", Total: 1 << 40}}, Users: []string{bad}}
	if a, s := ContentHash(inv), ContentHash(roundTrip(t, TypeInventory, inv)); a != s {
		t.Fatalf("inventory: agent %s, server %s", a, s)
	}
	h := Health{LastUser: bad, Errors: []string{"\xff"}, Software: []Software{{Name: bad, Version: "1\xfe"}}}
	h.Reboot.Reasons = []RebootReason{{Code: "x", Detail: bad}}
	if a, s := ContentHash(h), ContentHash(roundTrip(t, TypeHealth, h)); a != s {
		t.Fatalf("health: agent %s, server %s", a, s)
	}
	// A literal backslash-u text is not an invalid byte: it must not hash
	// like one.
	if ContentHash(Inventory{Hostname: `\ufffd`}) == ContentHash(Inventory{Hostname: "\xff"}) {
		t.Fatal(`literal \ufffd text hashes like an invalid byte`)
	}
	if ContentHash(Inventory{Hostname: "a"}) == ContentHash(Inventory{Hostname: "b"}) {
		t.Fatal("different reports hash alike")
	}
}

// TestContentHashStable: for valid text the hash is the one stored by
// earlier versions (16 bytes of SHA-256 of the JSON encoding, hex), so
// stored hashes stay valid across the upgrade.
func TestContentHashStable(t *testing.T) {
	inv := Inventory{Hostname: "web-1 \u00e9 \ufffd", OS: "linux", MemoryTotal: 8 << 30}
	b, _ := json.Marshal(inv)
	sum := sha256.Sum256(b)
	if got, want := ContentHash(inv), hex.EncodeToString(sum[:16]); got != want {
		t.Fatalf("hash %s, earlier versions stored %s", got, want)
	}
}
