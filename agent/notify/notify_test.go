package notify

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

func TestTTYBannerKeepsHostileTextInert(t *testing.T) {
	m := protocol.MessageJob{Title: "Reboot\r\n\x1b]0;owned\a", Text: "Saving work?\x1b[2J\x1b[31mred\rfake line\nsecond line\u202e"}
	got := string(TTYBanner(m, time.Date(2026, 12, 5, 14, 5, 0, 0, time.UTC)))
	want := "\r\n\aBroadcast message from Steward (Reboot   ]0;owned) at 14:05:\r\n\r\n" +
		"Saving work? [2J [31mred fake line\r\nsecond line \r\n\r\n"
	if got != want {
		t.Fatalf("banner\n got %q\nwant %q", got, want)
	}
	if strings.ContainsAny(got[3:], "\x1b") {
		t.Fatal("escape sequence reached the terminal")
	}
	if Title(protocol.MessageJob{}) != "Message from IT" {
		t.Fatal("default title")
	}
}

func TestWTSStyleAndAnswers(t *testing.T) {
	// MB_YESNO|MB_ICONQUESTION|MB_SETFOREGROUND|MB_TOPMOST|MB_SYSTEMMODAL
	if s := WTSStyle(true); s != 0x4|0x20|0x10000|0x40000|0x1000 {
		t.Fatalf("prompt style %#x", s)
	}
	if s := WTSStyle(false); s != 0x0|0x40|0x10000|0x40000|0x1000 {
		t.Fatalf("message style %#x", s)
	}
	for resp, want := range map[uint32]string{6: "yes", 7: "no", 1: "ok", 32000: "timeout", 32001: "shown", 3: "unknown (3)"} {
		if got := WTSAnswer(resp); got != want {
			t.Errorf("response %d: %q, want %q", resp, got, want)
		}
	}
}

func TestOsascriptArgvPassesTextAsArguments(t *testing.T) {
	m := protocol.MessageJob{Title: "IT", Text: `-e "do shell script \"id\""`, Prompt: true, WaitSeconds: 90}
	argv := OsascriptArgv(501, m)
	head := "/bin/launchctl asuser 501 /usr/bin/sudo -n -u #501 -- /usr/bin/osascript"
	if got := strings.Join(argv[:9], " "); got != head {
		t.Fatalf("head %q", got)
	}
	n := len(argv)
	if argv[n-3] != "steward" || argv[n-2] != m.Text || argv[n-1] != "IT" {
		t.Fatalf("arguments %q", argv[n-3:])
	}
	script := strings.Join(argv[9:n-3], " ")
	if strings.Contains(script, "shell script") || !strings.Contains(script, `buttons {"No", "Yes"}`) ||
		!strings.Contains(script, "giving up after 90") {
		t.Fatalf("script %q", script)
	}
	if s := strings.Join(OsascriptArgv(501, protocol.MessageJob{Text: "hi"}), " "); !strings.Contains(s, `buttons {"OK"}`) ||
		!strings.Contains(s, "giving up after 120") {
		t.Fatalf("message script %q", s)
	}
	for out, want := range map[string]string{"Yes\n": "yes", "No\n": "no", "OK\n": "ok", "timeout\n": "timeout", "": "failed", "execution error": "failed"} {
		if got := DialogAnswer(out); got != want {
			t.Errorf("%q: %q, want %q", out, got, want)
		}
	}
}
