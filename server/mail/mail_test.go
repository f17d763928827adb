package mail

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/steward-rmm/steward/server/mail/mailtest"
)

// TestSendStartTLSAuth: a message reaches a real SMTP server over
// STARTTLS, authenticated with the password read from a file, with its
// recipients, subject, extra header and text intact.
func TestSendStartTLSAuth(t *testing.T) {
	srv := mailtest.Start(t, "steward", "pa55 word")
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("pa55 word\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := New(Config{Host: srv.Host, Port: srv.Port, User: "steward", PasswordFile: pw, From: "Steward <rmm@example.com>",
		RootCAs: srv.CAs})
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), Message{To: []string{"ops@example.com", "boss@example.com"}, Subject: "Disk C: full on SRV01",
		Text: "Free space below 5 %\n<script>x</script>", Headers: map[string]string{"X-Steward-Delivery": "dl_1"}})
	if err != nil {
		t.Fatal(err)
	}
	msgs := srv.Wait(1, 10*time.Second)
	if len(msgs) != 1 {
		t.Fatalf("%d messages", len(msgs))
	}
	m := msgs[0]
	data := string(m.Data)
	if !m.TLS || m.User != "steward" || m.From != "rmm@example.com" || strings.Join(m.To, ",") != "ops@example.com,boss@example.com" {
		t.Fatalf("envelope = tls %v user %q from %q to %v", m.TLS, m.User, m.From, m.To)
	}
	for _, want := range []string{"Subject: Disk C: full on SRV01", "X-Steward-Delivery: dl_1", "Free space below 5 %", "<script>x</script>"} {
		if !strings.Contains(data, want) {
			t.Errorf("message lacks %q:\n%s", want, data)
		}
	}
}

// TestSendRefusals: a wrong password, an untrusted certificate and a
// missing server are errors, and nothing is accepted.
func TestSendRefusals(t *testing.T) {
	srv := mailtest.Start(t, "steward", "right")
	msg := Message{To: []string{"ops@example.com"}, Subject: "s", Text: "t"}
	bad, err := New(Config{Host: srv.Host, Port: srv.Port, User: "steward", Password: "wrong", From: "rmm@example.com", RootCAs: srv.CAs})
	if err != nil {
		t.Fatal(err)
	}
	if err := bad.Send(context.Background(), msg); err == nil {
		t.Error("a wrong password sent")
	}
	untrusted, _ := New(Config{Host: srv.Host, Port: srv.Port, User: "steward", Password: "right", From: "rmm@example.com"})
	if err := untrusted.Send(context.Background(), msg); err == nil {
		t.Error("an unverified certificate was accepted")
	}
	if n := len(srv.Messages()); n != 0 {
		t.Fatalf("%d messages accepted", n)
	}
	none, _ := New(Config{})
	if err := none.Send(context.Background(), msg); !errors.Is(err, ErrNotConfigured) {
		t.Errorf("unconfigured: %v", err)
	}
	if _, err := New(Config{Host: "x", From: "not an address"}); err == nil {
		t.Error("a bad From was accepted")
	}
	if _, err := New(Config{Host: "x", From: "a@b.c", TLS: "maybe"}); err == nil {
		t.Error("a bad TLS mode was accepted")
	}
}
