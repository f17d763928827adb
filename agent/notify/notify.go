// Package notify shows a technician's message to the people logged in on
// the device and, where the OS can ask, collects a yes/no answer per
// user: on Linux a wall-style banner on each user terminal and a desktop
// notification in graphical sessions; on Windows a message box in each
// user session (WTSSendMessage); on macOS a dialog in the console user's
// session (osascript run through launchctl asuser). The per-OS parts
// behind Send are built from pure functions tested on every OS.
package notify

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/steward-rmm/steward/protocol"
)

// DefaultWait is how long a prompt waits for an answer.
const DefaultWait = 120 * time.Second

// Send shows m to the logged-in users and returns one answer per user
// session reached.
func Send(ctx context.Context, m protocol.MessageJob) ([]protocol.MessageAnswer, error) {
	return send(ctx, m)
}

// wait is a message's answer timeout.
func wait(m protocol.MessageJob) time.Duration {
	if m.WaitSeconds > 0 {
		return time.Duration(m.WaitSeconds) * time.Second
	}
	return DefaultWait
}

// Text cleans message text for display: control characters other than
// newline and tab become blanks, so a message cannot drive a terminal
// (escape sequences) or spoof extra dialog lines with carriage returns.
func Text(s string) string {
	s = strings.ToValidUTF8(s, "?")
	return strings.Map(func(r rune) rune {
		switch {
		case r == '\n' || r == '\t':
			return r
		case r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0):
			return ' '
		case r >= 0x202a && r <= 0x202e, r >= 0x2066 && r <= 0x2069: // bidi overrides
			return ' '
		}
		return r
	}, s)
}

// Title is the message's title, "Message from IT" by default.
func Title(m protocol.MessageJob) string {
	if t := strings.TrimSpace(Text(strings.ReplaceAll(m.Title, "\n", " "))); t != "" {
		return t
	}
	return "Message from IT"
}

// TTYBanner is what a terminal shows, in the style of wall(1): a bell,
// a header line, the text with CR LF line ends.
func TTYBanner(m protocol.MessageJob, now time.Time) []byte {
	var b strings.Builder
	b.WriteString("\r\n\a")
	fmt.Fprintf(&b, "Broadcast message from Steward (%s) at %s:\r\n\r\n", Title(m), now.Format("15:04"))
	for _, l := range strings.Split(Text(m.Text), "\n") {
		b.WriteString(l)
		b.WriteString("\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// Windows message box styles and answers (winuser.h).
const (
	mbOK              = 0x0
	mbYesNo           = 0x4
	mbIconInformation = 0x40
	mbIconQuestion    = 0x20
	mbSetForeground   = 0x10000
	mbTopmost         = 0x40000
	mbSystemModal     = 0x1000

	idOK      = 1
	idYes     = 6
	idNo      = 7
	idTimeout = 32000
	idAsync   = 32001
)

// WTSStyle is the message box style of a message: Yes/No with a question
// icon for a prompt, OK otherwise; always on top of the user's windows.
func WTSStyle(prompt bool) uint32 {
	if prompt {
		return mbYesNo | mbIconQuestion | mbSetForeground | mbTopmost | mbSystemModal
	}
	return mbOK | mbIconInformation | mbSetForeground | mbTopmost | mbSystemModal
}

// WTSAnswer names WTSSendMessage's response.
func WTSAnswer(resp uint32) string {
	switch resp {
	case idYes:
		return "yes"
	case idNo:
		return "no"
	case idOK:
		return "ok"
	case idTimeout:
		return "timeout"
	case idAsync:
		return "shown"
	}
	return "unknown (" + strconv.FormatUint(uint64(resp), 10) + ")"
}

// osascript's run handler: the text and title come in as arguments, never
// inside the script, so no quoting can break out of a string literal.
// argv item 1 is a fixed marker: BSD getopt stops at it, so a text that
// starts with "-" stays an argument.
func dialogScript(prompt bool, wait time.Duration) []string {
	buttons := `buttons {"OK"} default button "OK"`
	if prompt {
		buttons = `buttons {"No", "Yes"} default button "Yes"`
	}
	return []string{
		"-e", "on run argv",
		"-e", "set r to display dialog (item 2 of argv) with title (item 3 of argv) " + buttons +
			" with icon caution giving up after " + strconv.Itoa(int(wait.Seconds())),
		"-e", `if gave up of r then return "timeout"`,
		"-e", "return button returned of r",
		"-e", "end run",
	}
}

// OsascriptArgv is the command that shows m in the session of console
// user uid, started by a root agent.
func OsascriptArgv(uid int, m protocol.MessageJob) []string {
	u := strconv.Itoa(uid)
	argv := []string{"/bin/launchctl", "asuser", u, "/usr/bin/sudo", "-n", "-u", "#" + u, "--", "/usr/bin/osascript"}
	argv = append(argv, dialogScript(m.Prompt, wait(m))...)
	return append(argv, "steward", Text(m.Text), Title(m))
}

// DialogAnswer reads the dialog script's output.
func DialogAnswer(out string) string {
	switch strings.TrimSpace(out) {
	case "Yes":
		return "yes"
	case "No":
		return "no"
	case "OK":
		return "ok"
	case "timeout":
		return "timeout"
	}
	return "failed"
}
