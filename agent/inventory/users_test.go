package inventory

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

func TestParseUtmpRealRecords(t *testing.T) {
	b, err := os.ReadFile("testdata/utmp-utmpdump.bin")
	if err != nil {
		t.Fatal(err)
	}
	got := ParseUtmp(b, binary.LittleEndian)
	want := []Login{
		{User: "alice", Terminal: "pts/0", Host: "192.0.2.10", Started: time.Date(2024, 1, 15, 9, 30, 0, 0, time.UTC)},
		{User: "bob", Terminal: "tty2", Started: time.Date(2024, 1, 15, 10, 5, 0, 0, time.UTC)},
		{User: "carol", Terminal: "pts/2", Host: "2001:db8::1", Started: time.Date(2024, 1, 15, 11, 0, 0, 0, time.UTC)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
	if u := latestUser(got); u != "carol" {
		t.Fatalf("latest user %q, want carol", u)
	}
	if n := userNames(append(got, Login{User: "alice", Terminal: "pts/9"})); !reflect.DeepEqual(n, []string{"alice", "bob", "carol"}) {
		t.Fatalf("names %q", n)
	}
	// A file being written ends in a partial record: it is left out.
	if n := len(ParseUtmp(b[:len(b)-10], binary.LittleEndian)); n != 2 {
		t.Fatalf("partial last record: %d logins, want 2", n)
	}
}

// utmpRecord crafts one struct utmp.
func utmpRecord(typ int16, user, line, host string, sec int32) []byte {
	r := make([]byte, UtmpSize)
	binary.LittleEndian.PutUint16(r[0:], uint16(typ))
	copy(r[8:40], line)
	copy(r[44:76], user)
	copy(r[76:332], host)
	binary.LittleEndian.PutUint32(r[340:], uint32(sec))
	return r
}

func TestParseUtmpCraftedRecords(t *testing.T) {
	var b []byte
	b = append(b, utmpRecord(8, "gone", "pts/3", "", 100)...)                                   // DEAD_PROCESS
	b = append(b, utmpRecord(7, "", "pts/4", "", 100)...)                                       // no user
	b = append(b, utmpRecord(7, "eve\x1b[2J\x07", "pts/5\r\nX", "h\xff\xfeost", 1700000000)...) // hostile bytes
	b = append(b, utmpRecord(7, "0123456789012345678901234567890123", "tty1", "", 0)...)        // 32 bytes, no NUL
	got := ParseUtmp(b, binary.LittleEndian)
	want := []Login{
		{User: "eve[2J", Terminal: "pts/5X", Host: "host", Started: time.Unix(1700000000, 0).UTC()},
		{User: "01234567890123456789012345678901", Terminal: "tty1"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestParseUtmpxCrafted(t *testing.T) {
	rec := func(typ int16, user, line, host string, sec int32) []byte {
		r := make([]byte, UtmpxSize)
		copy(r[0:256], user)
		copy(r[260:292], line)
		binary.LittleEndian.PutUint16(r[296:], uint16(typ))
		binary.LittleEndian.PutUint32(r[300:], uint32(sec))
		copy(r[308:564], host)
		return r
	}
	b := rec(10, "utmpx-1.00", "", "", 0) // the file's header record
	b = append(b, rec(2, "", "~", "", 1700000000)...)
	b = append(b, rec(7, "jane", "console", "", 1700000100)...)
	b = append(b, rec(7, "jane", "ttys000", "", 1700000200)...)
	b = append(b, rec(7, "admin", "ttys001", "192.0.2.7", 1700000300)...)
	got := ParseUtmpx(b)
	want := []Login{
		{User: "jane", Terminal: "console", Started: time.Unix(1700000100, 0).UTC()},
		{User: "jane", Terminal: "ttys000", Started: time.Unix(1700000200, 0).UTC()},
		{User: "admin", Terminal: "ttys001", Host: "192.0.2.7", Started: time.Unix(1700000300, 0).UTC()},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v\nwant %+v", got, want)
	}
}

func TestParseLogindSessions(t *testing.T) {
	got, err := readLogindSessions("testdata-logind")
	if err == nil {
		t.Fatalf("missing dir read: %+v", got)
	}
	dir := t.TempDir()
	for _, n := range []string{"logind-session-ssh", "logind-session-greeter"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, n), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err = readLogindSessions(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := []Login{{User: "alice", Terminal: "pts/0", Host: "192.0.2.10", Started: time.UnixMicro(1705311000000000).UTC(), UID: "1000"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v (the greeter is no login)", got, want)
	}
}

func TestWTSLogins(t *testing.T) {
	got := WTSLogins([]WTSSession{
		{ID: 0, State: 4, Station: "Services"},
		{ID: 1, State: WTSActive, Station: "Console", User: "jdoe", Domain: "CORP"},
		{ID: 2, State: WTSDisconnected, Station: "", User: "admin", Domain: "CORP"},
		{ID: 65536, State: WTSListen, Station: "RDP-Tcp"},
	})
	want := []Login{{User: "jdoe", Terminal: "Console"}, {User: "admin"}}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

// TestRecordCacheRereadsOnlyOnChange: an unchanged utmp is parsed once,
// however many heartbeats ask.
func TestRecordCacheRereadsOnlyOnChange(t *testing.T) {
	path := filepath.Join(t.TempDir(), "utmp")
	one := utmpRecord(7, "alice", "pts/0", "", 1700000000)
	if err := os.WriteFile(path, one, 0o644); err != nil {
		t.Fatal(err)
	}
	c := &recordCache{load: func() (string, func() ([]Login, error)) {
		return statKey(path), func() ([]Login, error) {
			b, err := os.ReadFile(path)
			return ParseUtmp(b, binary.LittleEndian), err
		}
	}}
	for range 5 {
		if us, err := c.read(); err != nil || len(us) != 1 {
			t.Fatalf("read: %v %+v", err, us)
		}
	}
	if c.reads != 1 {
		t.Fatalf("unchanged file parsed %d times", c.reads)
	}
	two := append(one, utmpRecord(7, "bob", "pts/1", "", 1700000100)...)
	if err := os.WriteFile(path, two, 0o644); err != nil {
		t.Fatal(err)
	}
	us, _ := c.read()
	if c.reads != 2 || latestUser(us) != "bob" {
		t.Fatalf("after a login: %d parses, users %+v", c.reads, us)
	}
}
