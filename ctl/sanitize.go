package ctl

import (
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"
)

// Device output is hostile text. Written raw to a terminal, an escape
// sequence can set the technician's clipboard (OSC 52), retitle or clear
// the window, or hide lines; a bidirectional control can make a file name
// read backwards. The sanitiser turns every such character into a visible
// escape (\x1b, \x00, \u202e) instead of dropping it, so the technician
// sees that something was there. Sequences need no parser: once ESC is
// printed as "\x1b", the rest of the sequence is plain text.

// bidi reports the bidirectional controls that reorder displayed text.
func bidi(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}

// escapeRune writes r as a visible escape when it is a control or bidi
// character and reports whether it did.
func escapeRune(b *strings.Builder, r rune) bool {
	switch {
	case r < 0x20 || r == 0x7f:
		fmt.Fprintf(b, `\x%02x`, r)
	case (r >= 0x80 && r < 0xa0) || bidi(r):
		fmt.Fprintf(b, `\u%04x`, r)
	default:
		return false
	}
	return true
}

// Clean makes device text safe for one line of a table or message: every
// control character (newline and tab included), C1 control and
// bidirectional control becomes a visible escape, and invalid UTF-8 shows
// as \xNN bytes.
func Clean(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && n <= 1 {
			fmt.Fprintf(&b, `\x%02x`, s[i])
			i++
			continue
		}
		switch r {
		case '\n':
			b.WriteString(`\n`)
		case '\t':
			b.WriteString(`\t`)
		case '\r':
			b.WriteString(`\r`)
		default:
			if !escapeRune(&b, r) {
				b.WriteRune(r)
			}
		}
		i += n
	}
	return b.String()
}

// Sanitizer is a writer for device output shown on a terminal. It keeps
// line breaks and tabs, turns CR LF and a lone CR into a line break (a
// lone CR would let a line overwrite what came before), and escapes every
// other control, C1 and bidi character and invalid UTF-8. Writes may split
// a character or a CR LF anywhere; Close writes what is held back.
type Sanitizer struct {
	w         io.Writer
	pend      []byte // an incomplete character at the end of the last write
	pendingCR bool
}

// NewSanitizer wraps w.
func NewSanitizer(w io.Writer) *Sanitizer { return &Sanitizer{w: w} }

// Write sanitises p and writes it; it reports len(p) on success.
func (s *Sanitizer) Write(p []byte) (int, error) {
	data := append(s.pend, p...)
	s.pend = nil
	var b strings.Builder
	i := 0
	for i < len(data) {
		if !utf8.FullRune(data[i:]) {
			break // maybe completed by the next write
		}
		r, n := utf8.DecodeRune(data[i:])
		if s.pendingCR {
			s.pendingCR = false
			b.WriteByte('\n')
			if r == '\n' {
				i += n
				continue
			}
		}
		switch {
		case r == utf8.RuneError && n <= 1:
			fmt.Fprintf(&b, `\x%02x`, data[i])
		case r == '\r':
			s.pendingCR = true
		case r == '\n' || r == '\t':
			b.WriteRune(r)
		default:
			if !escapeRune(&b, r) {
				b.WriteRune(r)
			}
		}
		i += n
	}
	s.pend = append([]byte(nil), data[i:]...)
	if _, err := io.WriteString(s.w, b.String()); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Close flushes a held-back CR or incomplete character (as escapes). It
// does not close the underlying writer.
func (s *Sanitizer) Close() error {
	var b strings.Builder
	if s.pendingCR {
		b.WriteByte('\n')
		s.pendingCR = false
	}
	for _, c := range s.pend {
		fmt.Fprintf(&b, `\x%02x`, c)
	}
	s.pend = nil
	_, err := io.WriteString(s.w, b.String())
	return err
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// deviceWriter is where device output to w goes: w itself with --raw or
// when w is not a terminal (a pipe or file gets the exact bytes), else a
// Sanitizer. The caller closes it when done.
func (a *App) deviceWriter(w io.Writer) io.WriteCloser {
	if a.raw || !isTerminal(w) {
		return nopCloser{w}
	}
	return NewSanitizer(w)
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
