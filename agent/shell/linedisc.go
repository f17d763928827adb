package shell

import "unicode/utf8"

// maxLine caps one input line in the pipe fallback. cmd.exe's own limit is
// 8191 characters.
const maxLine = 8191

// lineDiscipline is a tiny cooked-mode line editor for the Windows pipe
// fallback, where no console echoes keystrokes or edits lines: it turns a
// terminal's keystrokes into whole lines for the shell's stdin, plus the
// echo the technician should see. It handles printable text (UTF-8),
// Enter (CR, LF or CRLF), Backspace/DEL, Ctrl-U (erase line) and Ctrl-C
// (discard line); escape sequences (arrows, function keys), a lone ESC and
// other control characters are dropped. Not safe for concurrent use.
type lineDiscipline struct {
	line   []byte
	state  ldState
	lastCR bool
}

type ldState uint8

const (
	ldNormal ldState = iota
	ldEsc            // after ESC
	ldCSI            // inside ESC [ ... (parameters until a final byte)
	ldSS3            // after ESC O, one more byte to drop
)

const eraseRune = "\b \b"

// feed processes input and returns what to send to the shell and what to
// echo to the terminal.
func (l *lineDiscipline) feed(in []byte) (toShell, echo []byte) {
	for _, c := range in {
		switch l.state {
		case ldEsc:
			l.state = ldNormal
			switch c {
			case '[':
				l.state = ldCSI
				continue
			case 'O':
				l.state = ldSS3
				continue
			}
			// A lone ESC (or Alt+key): drop the ESC, keep the key.
		case ldCSI:
			if c >= 0x40 && c <= 0x7e {
				l.state = ldNormal
			}
			continue
		case ldSS3:
			l.state = ldNormal
			if c >= 0x20 && c <= 0x7e {
				continue
			}
		}
		wasCR := l.lastCR
		l.lastCR = c == '\r'
		switch {
		case c == '\n' && wasCR:
			// The LF of a CRLF: the line was already sent.
		case c == '\r' || c == '\n':
			toShell = append(toShell, l.line...)
			toShell = append(toShell, '\r', '\n')
			echo = append(echo, '\r', '\n')
			l.line = l.line[:0]
		case c == 0x7f || c == '\b':
			if len(l.line) > 0 {
				_, n := utf8.DecodeLastRune(l.line)
				l.line = l.line[:len(l.line)-n]
				echo = append(echo, eraseRune...)
			}
		case c == 0x15: // Ctrl-U
			for len(l.line) > 0 {
				_, n := utf8.DecodeLastRune(l.line)
				l.line = l.line[:len(l.line)-n]
				echo = append(echo, eraseRune...)
			}
		case c == 0x03: // Ctrl-C: there is no console to interrupt; drop the line
			l.line = l.line[:0]
			echo = append(echo, "^C\r\n"...)
		case c == 0x1b:
			l.state = ldEsc
		case c == '\t' || c >= 0x20:
			if len(l.line) >= maxLine {
				echo = append(echo, '\a')
				continue
			}
			l.line = append(l.line, c)
			echo = append(echo, c)
		}
	}
	return toShell, echo
}
