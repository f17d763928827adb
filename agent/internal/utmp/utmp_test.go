package utmp

import (
	"encoding/binary"
	"testing"
)

// TestHostileAndDamagedRecords: control bytes and invalid UTF-8 in a
// terminal or host name are dropped, and a file of endless records is
// read no further than MaxRecords.
func TestHostileAndDamagedRecords(t *testing.T) {
	rec := make([]byte, Size)
	binary.LittleEndian.PutUint16(rec[0:], userProcess)
	copy(rec[8:], "pts/\x1b[31m1\xff")
	copy(rec[44:], "eve")
	copy(rec[76:], "evil\r\nhost")
	got := Parse(rec, binary.LittleEndian)
	if len(got) != 1 || got[0].Line != "pts/[31m1" || got[0].Host != "evilhost" || !got[0].Time.IsZero() {
		t.Fatalf("got %+v", got)
	}
	var many []byte
	for range MaxRecords + 10 {
		many = append(many, rec...)
	}
	if n := len(Parse(many, binary.LittleEndian)); n != MaxRecords {
		t.Fatalf("%d records read, want the bound %d", n, MaxRecords)
	}
}
