package notify

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"github.com/steward-rmm/steward/protocol"
)

// TestWriteTTYReachesATerminal writes the banner to a real pseudo
// terminal and reads it from the other side.
func TestWriteTTYReachesATerminal(t *testing.T) {
	master, slave, err := pty.Open()
	if err != nil {
		t.Skipf("no pty: %v", err)
	}
	defer master.Close()
	defer slave.Close()
	banner := TTYBanner(protocol.MessageJob{Title: "Reboot", Text: "Rebooting at 18:00"}, time.Now())
	if err := WriteTTY(slave.Name(), banner); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 4096)
	var got string
	for !strings.Contains(got, "Rebooting at 18:00") {
		_ = master.SetReadDeadline(time.Now().Add(10 * time.Second))
		n, err := master.Read(buf)
		if err != nil {
			t.Fatalf("read %q: %v", got, err)
		}
		got += string(buf[:n])
	}
	if !strings.Contains(got, "Broadcast message from Steward (Reboot)") {
		t.Fatalf("terminal shows %q", got)
	}
}

func TestWriteTTYRefusesFilesAndHostileLines(t *testing.T) {
	f := filepath.Join(t.TempDir(), "notatty")
	if err := os.WriteFile(f, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := WriteTTY(f, []byte("x")); err == nil {
		t.Fatal("wrote to a regular file")
	}
	if b, _ := os.ReadFile(f); len(b) != 0 {
		t.Fatalf("file changed: %q", b)
	}
	for _, l := range []string{"../../etc/shadow", "pts/0/../../x", "", "pts/", "sda1", "tty1;id"} {
		if ttyRE.MatchString(l) {
			t.Errorf("terminal line %q accepted", l)
		}
	}
	for _, l := range []string{"pts/0", "tty2", "console", "ttyS0"} {
		if !ttyRE.MatchString(l) {
			t.Errorf("terminal line %q refused", l)
		}
	}
}
