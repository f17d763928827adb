package health

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

func TestParseLoginctlSessions(t *testing.T) {
	cases := []struct {
		file string
		want []LoginctlSession
	}{
		{"loginctl-list-sessions-centos8-tty-and-pts.txt", []LoginctlSession{{"1", 1000, "yoann"}, {"3", 1000, "yoann"}}},
		{"loginctl-list-sessions-ubuntu-two-ssh-pts.txt", []LoginctlSession{{"1592", 1001, "ubuntu"}, {"1593", 1001, "ubuntu"}}},
		{"loginctl-elogind-257-new-columns-whitespace-suspect.txt", []LoginctlSession{{"6", 1004, "sed"}, {"c2", 1004, "sed"}}},
		{"loginctl-list-sessions-ubuntu-8-sessions-wide-format.txt", []LoginctlSession{
			{"1210", 0, "root"}, {"312", 0, "root"}, {"233", 0, "root"}, {"307", 1002, "hadoop"},
			{"1", 0, "root"}, {"305", 1002, "hadoop"}, {"220", 0, "root"}, {"1211", 0, "root"}}},
	}
	for _, c := range cases {
		if got := ParseLoginctlSessions(read(t, c.file)); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: got %+v", c.file, got)
		}
	}
}

func TestSessionFromLoginctl(t *testing.T) {
	blocks := ParseLoginctlShow(read(t, "loginctl-show-session-1210-ssh-ubuntu-2021.txt"))
	if len(blocks) != 1 {
		t.Fatalf("%d blocks", len(blocks))
	}
	got, ok := SessionFromLoginctl(blocks[0], time.UTC)
	want := protocol.UserSession{User: "root", Session: "1210", Terminal: "sshd", Host: "36.243.190.1", State: "active",
		Since: time.Date(2021, 2, 9, 5, 39, 2, 0, time.UTC)}
	if !ok || !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v", got)
	}
	// show-session without an id printed the manager's properties: no user.
	for _, b := range ParseLoginctlShow(read(t, "loginctl-show-session-no-args-prints-manager-props-ubuntu.txt")) {
		if u, ok := SessionFromLoginctl(b, time.UTC); ok {
			t.Errorf("manager properties read as session %+v", u)
		}
	}
	// Only -p IdleHint...: no Name, so not a session.
	for _, b := range ParseLoginctlShow(read(t, "loginctl-show-session-2-p-IdleHint-IdleSinceHint-CanIdle.txt")) {
		if _, ok := SessionFromLoginctl(b, time.UTC); ok {
			t.Error("nameless block accepted")
		}
	}
	// No LockedHint=yes capture exists; these blocks are synthetic.
	multi := "Id=2\nName=alice\nState=active\nClass=user\nIdleHint=yes\nIdleSinceHint=1700000000000000\nLockedHint=no\nTTY=tty2\n\n" +
		"Id=3\nName=bob\nState=active\nClass=user\nIdleHint=no\nLockedHint=yes\nSeat=seat0\n\n" +
		"Id=c1\nName=gdm\nState=online\nClass=greeter\n\n" +
		"Id=4\nName=carol\nState=closing\nClass=user\n"
	var states []string
	for _, b := range ParseLoginctlShow([]byte(multi)) {
		if u, ok := SessionFromLoginctl(b, time.UTC); ok {
			states = append(states, u.User+":"+u.State+":"+u.Terminal)
			if u.User == "alice" && !u.IdleSince.Equal(time.UnixMicro(1700000000000000)) {
				t.Errorf("alice idle since %v", u.IdleSince)
			}
		}
	}
	if want := []string{"alice:idle:tty2", "bob:locked:seat0", "carol:disconnected:"}; !reflect.DeepEqual(states, want) {
		t.Errorf("states %q", states)
	}
}

func TestParseWho(t *testing.T) {
	got := ParseWho(read(t, "who-a-macos-russian-locale.txt"), fixedNow)
	want := []protocol.UserSession{{User: "j1", Terminal: "console", State: "online"}, {User: "j1", Terminal: "ttys004", State: "online"}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("russian who -a: %+v", got)
	}
	// C-locale lines (GNU and BSD date styles) are synthetic: no English
	// capture is in os-samples.
	got = ParseWho([]byte("root     pts/0        2026-03-14 09:30 (10.0.0.5)\nbob      console  Mar 14 08:00 \nalice    tty7         2026-03-15 07:00 (:0)\n"), fixedNow)
	want = []protocol.UserSession{
		{User: "root", Terminal: "pts/0", Host: "10.0.0.5", State: "online", Since: time.Date(2026, 3, 14, 9, 30, 0, 0, time.UTC)},
		{User: "bob", Terminal: "console", State: "online", Since: time.Date(2026, 3, 14, 8, 0, 0, 0, time.UTC)},
		{User: "alice", Terminal: "tty7", State: "online", Since: time.Date(2026, 3, 15, 7, 0, 0, 0, time.UTC)},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("C locale: %+v", got)
	}
}

func TestParseLast(t *testing.T) {
	cases := []struct {
		name string
		in   []byte
		user string
		at   time.Time
	}{
		{"macOS russian", read(t, "last-n5-macos-russian-locale.txt"), "j1", time.Time{}},
		{"no logins (this machine)", read(t, "last-w-F-debian12-no-logins-local.txt"), "", time.Time{}},
		// Synthetic C-locale lines.
		{"-F", []byte("reboot   system boot  6.1.0-18-amd64   Sat Mar 14 08:00:01 2026   still running\nalice    pts/1        10.0.0.9         Fri Mar 13 22:10:05 2026 - Fri Mar 13 23:00:00 2026  (00:49)\n"),
			"alice", time.Date(2026, 3, 13, 22, 10, 5, 0, time.UTC)},
		{"no year in December seen in March", []byte("bob      ttys000                   Tue Dec  9 10:00   still logged in\n"),
			"bob", time.Date(2025, 12, 9, 10, 0, 0, 0, time.UTC)},
	}
	for _, c := range cases {
		user, at := ParseLast(c.in, fixedNow)
		if user != c.user || !at.Equal(c.at) {
			t.Errorf("%s: got %q %v, want %q %v", c.name, user, at, c.user, c.at)
		}
	}
}

func TestParseQuser(t *testing.T) {
	cases := []struct {
		file string
		want []protocol.UserSession
	}{
		{"query-user-two-rdp-sessions-htb.txt", []protocol.UserSession{
			{User: "juurena", Session: "1", Terminal: "rdp-tcp#13", State: "active", Since: time.Date(2021, 8, 25, 1, 23, 0, 0, time.UTC), IdleSince: fixedNow.Add(-7 * time.Minute)},
			{User: "lewen", Session: "2", Terminal: "rdp-tcp#14", State: "active", Since: time.Date(2021, 8, 25, 1, 28, 0, 0, time.UTC)},
		}},
		{"query-user-truncated-sessionname-2026.txt", []protocol.UserSession{
			{User: "paulo.feitosa", Session: "2", Terminal: "31c5ce94259d...", State: "active", Since: time.Date(2026, 5, 10, 15, 57, 0, 0, time.UTC)},
		}},
		{"quser-disc-no-sessionname-ddmmyyyy-java-test.txt", []protocol.UserSession{
			{User: "test", Session: "4", State: "disconnected", Since: time.Date(2024, 7, 4, 23, 24, 0, 0, time.UTC)},
		}},
		{"quser-server2008r2-rows-only-odd-idle.txt", []protocol.UserSession{
			{User: "user1", Session: "30", Terminal: "rdp-tcp#1", State: "active", Since: time.Date(2020, 11, 12, 11, 23, 0, 0, time.UTC)},
			{User: "user2", Session: "42", Terminal: "rdp-tcp#111", State: "active", Since: time.Date(2020, 11, 16, 8, 58, 0, 0, time.UTC)},
			{User: "user3", Session: "55", Terminal: "rdp-tcp#88", State: "active", Since: time.Date(2020, 11, 17, 12, 8, 0, 0, time.UTC), IdleSince: fixedNow.Add(-8 * time.Minute)},
		}},
	}
	for _, c := range cases {
		if got := ParseQuser(read(t, c.file), fixedNow); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s:\ngot  %+v\nwant %+v", c.file, got, c.want)
		}
	}
}

func TestParseQuserIdle(t *testing.T) {
	for in, want := range map[string]time.Duration{".": 0, "none": 0, "7": 7 * time.Minute, "1:05": 65 * time.Minute, "2+04:29": 52*time.Hour + 29*time.Minute} {
		if got, ok := parseQuserIdle(in); !ok || got != want {
			t.Errorf("%q: %v %v", in, got, ok)
		}
	}
	for _, bad := range []string{"24692+13:29", "*", "-5", "x:1"} {
		if _, ok := parseQuserIdle(bad); ok {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestUsersLinuxFlows(t *testing.T) {
	show := "Id=1592\nName=ubuntu\nState=active\nClass=user\nIdleHint=no\nLockedHint=no\nTimestamp=Sat 2026-03-14 09:00:00 UTC\nTTY=pts/0\nRemoteHost=10.1.2.3\n\n" +
		"Id=1593\nName=ubuntu\nState=active\nClass=user\nIdleHint=no\nLockedHint=no\nTTY=pts/1\n"
	args := "loginctl show-session --no-pager 1592 1593 -p Id -p Name -p State -p Class -p IdleHint -p IdleSinceHint -p LockedHint -p Timestamp -p TTY -p Seat -p Service -p RemoteHost"
	f := newFake(map[string]reply{
		"loginctl list-sessions --no-pager": {read(t, "loginctl-list-sessions-ubuntu-two-ssh-pts.txt"), 0},
		args:                                {[]byte(show), 0},
		"last -w -F -n 20":                  {[]byte("ubuntu   pts/1        10.1.2.3         Sat Mar 14 09:05:00 2026   still logged in\n"), 0},
	})
	users, last, at, err := Users(context.Background(), testEnv("linux", t.TempDir(), f))
	if err != nil || len(users) != 2 || users[0].Host != "10.1.2.3" || users[1].Terminal != "pts/1" || last != "ubuntu" || at.Hour() != 9 {
		t.Errorf("logind: %+v %q %v %v (calls %q)", users, last, at, err, f.Calls)
	}
	// No logind: who.
	f = newFake(map[string]reply{"who": {[]byte("root     pts/0        2026-03-14 09:30 (10.0.0.5)\n"), 0}})
	users, _, _, err = Users(context.Background(), testEnv("linux", t.TempDir(), f))
	if err != nil || len(users) != 1 || users[0].User != "root" {
		t.Errorf("who fallback: %+v %v", users, err)
	}
	// Neither: an error naming both.
	f = newFake(nil)
	if _, _, _, err = Users(context.Background(), testEnv("linux", t.TempDir(), f)); err == nil {
		t.Error("no error when every tool failed")
	}
}

func TestUsersWindows(t *testing.T) {
	r := newFakeRegistry()
	r.Set(`HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Authentication\LogonUI`, "LastLoggedOnUser", `CORP\juurena`)
	f := newFake(map[string]reply{"quser": {read(t, "query-user-two-rdp-sessions-htb.txt"), 0}})
	e := testEnv("windows", "", f)
	e.Registry = r
	users, last, _, err := Users(context.Background(), e)
	if err != nil || len(users) != 2 || last != `CORP\juurena` {
		t.Errorf("%+v %q %v", users, last, err)
	}
	// Nobody logged on: quser exits 1 (message text is synthetic).
	f = newFake(map[string]reply{"quser": {[]byte("No User exists for *\r\n"), 1}})
	users, _, _, err = Users(context.Background(), testEnv("windows", "", f))
	if err != nil || len(users) != 0 {
		t.Errorf("nobody: %+v %v", users, err)
	}
}

func TestUsersDarwinConsole(t *testing.T) {
	f := newFake(map[string]reply{
		"who":                      {read(t, "who-a-macos-russian-locale.txt"), 0},
		"stat -f %Su /dev/console": {[]byte("j1\n"), 0},
		"last -n 20":               {read(t, "last-n5-macos-russian-locale.txt"), 0},
	})
	users, last, _, err := Users(context.Background(), testEnv("darwin", t.TempDir(), f))
	want := []protocol.UserSession{{User: "j1", Terminal: "console", State: "active"}, {User: "j1", Terminal: "ttys004", State: "online"}}
	if err != nil || !reflect.DeepEqual(users, want) || last != "j1" {
		t.Errorf("%+v %q %v", users, last, err)
	}
}
