package sessions

import (
	"bytes"
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"testing"
	"time"
	"unicode/utf16"

	"github.com/steward-rmm/steward/agent/internal/utmp"
	"github.com/steward-rmm/steward/protocol"
)

// glibcUtmp is glibc's struct utmp as declared in <bits/utmp.h>, written
// with encoding/binary: an independent statement of the layout ParseUtmp
// reads by offsets.
type glibcUtmp struct {
	Type    int16
	_       [2]byte
	PID     int32
	Line    [32]byte
	ID      [4]byte
	User    [32]byte
	Host    [256]byte
	Exit    [2]int16
	Session int32
	Sec     int32
	Usec    int32
	Addr    [4]int32
	_       [20]byte
}

// darwinUtmpx32 is the on-disk struct utmpx of macOS (utmpx32 with a
// 32-bit timeval).
type darwinUtmpx32 struct {
	User [256]byte
	ID   [4]byte
	Line [32]byte
	PID  int32
	Type int16
	_    [2]byte
	Sec  int32
	Usec int32
	Host [256]byte
	Pad  [16]uint32
}

func put(dst []byte, s string) { copy(dst, s) }

func utmpFile(t *testing.T, recs ...glibcUtmp) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, r := range recs {
		if err := binary.Write(&b, binary.LittleEndian, r); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func utmpRec(typ int16, line, user, host string, sec int32) glibcUtmp {
	r := glibcUtmp{Type: typ, PID: 4242, Sec: sec, Usec: 500, Session: 7}
	put(r.Line[:], line)
	put(r.User[:], user)
	put(r.Host[:], host)
	return r
}

func TestParseUtmpLayout(t *testing.T) {
	if n := binary.Size(glibcUtmp{}); n != utmp.Size {
		t.Fatalf("glibc utmp is %d bytes, parser assumes %d", n, utmp.Size)
	}
	b := utmpFile(t, utmpRec(2, "~", "reboot", "6.8.0", 1764800000), utmpRec(7, "pts/3", "carol", "198.51.100.4", 1764900000),
		utmpRec(8, "pts/1", "", "", 1764800001), utmpRec(7, "tty1", "root", "", 1764900100))
	got := ParseUtmp(append(b, 1, 2, 3)) // a torn last record is ignored
	if len(got) != 2 {
		t.Fatalf("%d entries: %+v", len(got), got)
	}
	if e := got[0]; e.User != "carol" || e.Line != "pts/3" || e.Host != "198.51.100.4" || e.PID != 4242 || e.Session != 7 ||
		!e.Time.Equal(time.Unix(1764900000, 500000)) {
		t.Errorf("entry %+v", e)
	}
	if n := binary.Size(darwinUtmpx32{}); n != utmp.XSize {
		t.Fatalf("darwin utmpx is %d bytes, parser assumes %d", n, utmp.XSize)
	}
	var x bytes.Buffer
	for i, r := range []struct {
		typ              int16
		user, line, host string
	}{{10, "utmpx-1.00", "", ""}, {7, "jane", "console", ""}, {7, "jane", "ttys004", "10.0.0.8"}, {8, "gone", "ttys001", ""}} {
		var u darwinUtmpx32
		u.Type, u.PID, u.Sec = r.typ, int32(100+i), 1764900000+int32(i)
		put(u.User[:], r.user)
		put(u.Line[:], r.line)
		put(u.Host[:], r.host)
		_ = binary.Write(&x, binary.LittleEndian, u)
	}
	mac := ParseUtmpx(x.Bytes())
	if len(mac) != 2 || mac[0].Line != "console" || mac[1].Host != "10.0.0.8" || mac[1].PID != 102 || !mac[1].Time.Equal(time.Unix(1764900002, 0)) {
		t.Fatalf("utmpx %+v", mac)
	}
}

func copyFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(dst, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// LinuxTree lays out logind session files, a utmp and terminals with
// access times under root; used here and by the e2e test.
func linuxTree(t *testing.T, root string, now time.Time) {
	t.Helper()
	sd := filepath.Join(root, "run/systemd/sessions")
	copyFile(t, "testdata/logind-ssh", filepath.Join(sd, "41"))
	copyFile(t, "testdata/logind-x11", filepath.Join(sd, "3"))
	copyFile(t, "testdata/logind-greeter", filepath.Join(sd, "c1"))
	if err := os.WriteFile(filepath.Join(sd, "41.ref"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for tty, idle := range map[string]time.Duration{"pts/0": 90 * time.Second, "tty2": time.Hour, "tty5": 5 * time.Minute} {
		p := filepath.Join(root, "dev", tty)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, nil, 0o620); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-idle), now.Add(-idle)); err != nil {
			t.Fatal(err)
		}
	}
	// utmp: the ssh login logind knows, and a console login it does not.
	b := utmpFile(t, utmpRec(7, "pts/0", "alice", "203.0.113.9", 1764900000), utmpRec(7, "tty5", "root", "", 1764900500))
	if err := os.WriteFile(filepath.Join(root, "run/utmp"), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLinuxSessions(t *testing.T) {
	root := t.TempDir()
	now := time.Now().Truncate(time.Second)
	linuxTree(t, root, now)
	res, err := List(context.Background(), Options{Root: root, GOOS: "linux", Now: func() time.Time { return now }})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Sessions) != 3 {
		t.Fatalf("sessions %+v", res.Sessions)
	}
	by := map[string]protocol.UserActivity{}
	for _, s := range res.Sessions {
		by[s.User] = s
	}
	a := by["alice"]
	if a.ID != "41" || a.Type != "ssh" || !a.Remote || a.Host != "203.0.113.9" || a.State != protocol.SessionActive || a.IdleSeconds == nil ||
		*a.IdleSeconds != 90 || !a.LastActivity.Equal(now.Add(-90*time.Second)) || !a.LoginTime.Equal(time.UnixMicro(1764900000123456)) || a.Locked != nil {
		t.Errorf("alice %+v", a)
	}
	b := by["bob"]
	if b.Type != "x11" || b.State != protocol.SessionOnline || b.Terminal != "tty2" || b.IdleSeconds == nil || *b.IdleSeconds != 3600 {
		t.Errorf("bob %+v", b)
	}
	r := by["root"]
	if r.ID != "tty5" || r.State != protocol.SessionActive || r.IdleSeconds == nil || *r.IdleSeconds != 300 {
		t.Errorf("root (utmp only) %+v", r)
	}
	if _, ok := by["gdm"]; ok {
		t.Error("the greeter is listed as a user")
	}
	// Nothing to read: an empty list with a note, not an error.
	empty, err := List(context.Background(), Options{Root: t.TempDir(), GOOS: "linux"})
	if err != nil || len(empty.Sessions) != 0 || len(empty.Notes) == 0 {
		t.Errorf("empty root: %+v %v", empty, err)
	}
}

// wtsInfoEx is WTSINFOEXW (level 1) as declared in wtsapi32.h, written
// with encoding/binary for the decoder's test.
type wtsInfoEx struct {
	Level          uint32
	_              [4]byte
	SessionID      uint32
	SessionState   uint32
	SessionFlags   int32
	WinStationName [33]uint16
	UserName       [21]uint16
	DomainName     [18]uint16
	_              [4]byte
	LogonTime      int64
	ConnectTime    int64
	DisconnectTime int64
	LastInputTime  int64
	CurrentTime    int64
	Counters       [6]uint32
}

func wstr(dst []uint16, s string) { copy(dst, utf16.Encode([]rune(s))) }

func ft(t time.Time) int64 { return t.UnixNano()/100 + 116444736000000000 }

func TestDecodeWTSInfoEx(t *testing.T) {
	if n := binary.Size(wtsInfoEx{}); n != wtsInfoExSize {
		t.Fatalf("WTSINFOEXW is %d bytes, decoder assumes %d", n, wtsInfoExSize)
	}
	server := time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC)
	mk := func(id, state uint32, flags int32, station, user string, lastInput time.Time) []byte {
		w := wtsInfoEx{Level: 1, SessionID: id, SessionState: state, SessionFlags: flags, LogonTime: ft(server.Add(-3 * time.Hour)),
			CurrentTime: ft(server), DisconnectTime: ft(server.Add(-time.Hour))}
		if !lastInput.IsZero() {
			w.LastInputTime = ft(lastInput)
		}
		wstr(w.WinStationName[:], station)
		wstr(w.UserName[:], user)
		wstr(w.DomainName[:], "CONTOSO")
		var b bytes.Buffer
		_ = binary.Write(&b, binary.LittleEndian, w)
		return b.Bytes()
	}
	// The agent's clock is 10 minutes off the session's: idle is the
	// server's own difference.
	now := server.Add(10 * time.Minute)
	cases := []struct {
		raw    []byte
		legacy bool
		check  func(s protocol.UserActivity, ok bool) bool
	}{
		{mk(1, wtsActive, wtsSessionLock, "Console", "jdoe", server.Add(-15*time.Minute)), false, func(s protocol.UserActivity, ok bool) bool {
			return ok && s.User == "jdoe" && s.Domain == "CONTOSO" && s.Type == "console" && !s.Remote && s.State == protocol.SessionActive &&
				s.Locked != nil && *s.Locked && s.IdleSeconds != nil && *s.IdleSeconds == 900 && s.LoginTime.Equal(server.Add(-3*time.Hour))
		}},
		{mk(3, wtsActive, wtsSessionUnlock, "RDP-Tcp#12", "admin", server.Add(-2*time.Second)), false, func(s protocol.UserActivity, ok bool) bool {
			return ok && s.Type == "rdp" && s.Remote && s.ID == "3" && s.Terminal == "RDP-Tcp#12" && s.Locked != nil && !*s.Locked && *s.IdleSeconds == 2
		}},
		{mk(4, wtsDisconnected, -1, "", "old", time.Time{}), false, func(s protocol.UserActivity, ok bool) bool {
			return ok && s.State == protocol.SessionDisconnected && s.Locked == nil && s.IdleSeconds == nil && s.DisconnectTime.Equal(server.Add(-time.Hour))
		}},
		// Windows 7 reports the flag inverted.
		{mk(1, wtsActive, wtsSessionLock, "Console", "w7", time.Time{}), true, func(s protocol.UserActivity, ok bool) bool {
			return ok && s.Locked != nil && !*s.Locked
		}},
		{mk(65536, wtsListen, -1, "RDP-Tcp", "", time.Time{}), false, func(_ protocol.UserActivity, ok bool) bool { return !ok }},
	}
	for i, c := range cases {
		info, err := DecodeWTSInfoEx(c.raw)
		if err != nil {
			t.Fatal(err)
		}
		s, ok := info.Activity(now, c.legacy)
		if !c.check(s, ok) {
			t.Errorf("case %d: %+v (ok %v) from %+v", i, s, ok, info)
		}
	}
	if _, err := DecodeWTSInfoEx(make([]byte, 100)); err == nil {
		t.Error("short buffer accepted")
	}
}

func TestMacSessionsFromCaptures(t *testing.T) {
	hid, _ := os.ReadFile("testdata/ioreg-hidsystem.txt")
	idle, ok := ParseHIDIdle(hid)
	if !ok || idle != 754303958*time.Nanosecond {
		t.Fatalf("HIDIdleTime %v %v", idle, ok)
	}
	if _, ok := ParseHIDIdle([]byte(`"HIDIdleTimeCorrection" = Yes`)); ok {
		t.Error("HIDIdleTimeCorrection read as the idle time")
	}
	root, _ := os.ReadFile("testdata/ioreg-root.plist")
	users, err := ParseConsoleUsers(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(users) != 2 || users[0] != (ConsoleUser{User: "jane", UID: 501, OnConsole: true, Locked: true}) || users[1].Locked || users[1].OnConsole {
		t.Fatalf("console users %+v", users)
	}
	now := time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC)
	logins := []utmpEntry{{User: "jane", Line: "console"}, {User: "jane", Line: "ttys004", Host: "10.0.0.8"}}
	ss := MacSessions(logins, users, idle, true, func(tty string) time.Time { return now.Add(-42 * time.Second) }, now)
	if len(ss) != 3 {
		t.Fatalf("sessions %+v", ss)
	}
	if c := ss[0]; c.Type != "console" || c.State != protocol.SessionActive || c.Locked == nil || !*c.Locked || *c.IdleSeconds != 0 {
		t.Errorf("console %+v", c)
	}
	if s := ss[1]; s.Type != "ssh" || !s.Remote || *s.IdleSeconds != 42 {
		t.Errorf("ssh %+v", s)
	}
	// The other user, switched away: online, lock state unknown.
	if k := ss[2]; k.User != "kid" || k.State != protocol.SessionOnline || k.Locked != nil || k.IdleSeconds != nil {
		t.Errorf("kid %+v", k)
	}
	// Through List with a fake ioreg and an empty utmpx.
	res, err := List(context.Background(), Options{Root: t.TempDir(), GOOS: "darwin", Now: func() time.Time { return now },
		Command: func(_ context.Context, argv ...string) ([]byte, error) {
			if argv[1] == "-n" {
				return root, nil
			}
			return hid, nil
		}})
	if err != nil || len(res.Sessions) != 2 || res.Sessions[0].User != "jane" || !*res.Sessions[0].Locked {
		t.Errorf("List darwin %+v %v", res, err)
	}
}

func TestLogindHints(t *testing.T) {
	now := time.Date(2026, 12, 5, 5, 0, 0, 0, time.UTC)
	// Properties as godbus hands them (Variant values).
	h, ok := hintsFrom(map[string]any{"IdleHint": true, "IdleSinceHint": uint64(now.Add(-20 * time.Minute).UnixMicro()), "LockedHint": true,
		"Name": "bob", "State": "active"})
	if !ok || !h.Idle || !h.Locked || !h.IdleSince.Equal(now.Add(-20*time.Minute)) {
		t.Fatalf("hints %+v %v", h, ok)
	}
	s := protocol.UserActivity{User: "bob"}
	applyHints(&s, h, now)
	if s.Locked == nil || !*s.Locked || s.IdleSeconds == nil || *s.IdleSeconds != 1200 {
		t.Errorf("idle and locked %+v", s)
	}
	// Not idle: the lock state is known, the terminal's idle time kept.
	tty := int64(42)
	s = protocol.UserActivity{IdleSeconds: &tty}
	applyHints(&s, hints{}, now)
	if s.Locked == nil || *s.Locked || *s.IdleSeconds != 42 {
		t.Errorf("active %+v", s)
	}
	if _, ok := hintsFrom(map[string]any{"IdleHint": "yes"}); ok {
		t.Error("properties of the wrong type accepted")
	}
}
