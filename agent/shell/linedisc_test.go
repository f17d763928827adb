package shell

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLineDiscipline(t *testing.T) {
	tests := []struct {
		name      string
		in        []string // fed in this many calls
		toShell   string
		echo      string
		remaining string // line still being edited
	}{
		{"enter as CR", []string{"dir\r"}, "dir\r\n", "dir\r\n", ""},
		{"enter as LF", []string{"dir\n"}, "dir\r\n", "dir\r\n", ""},
		{"CRLF is one enter", []string{"a\r\nb\r\n"}, "a\r\nb\r\n", "a\r\nb\r\n", ""},
		{"CRLF split across writes", []string{"a\r", "\nb\r"}, "a\r\nb\r\n", "a\r\nb\r\n", ""},
		{"two CRs are two lines", []string{"\r\r"}, "\r\n\r\n", "\r\n\r\n", ""},
		{"backspace DEL", []string{"dirr\x7f\r"}, "dir\r\n", "dirr\b \b\r\n", ""},
		{"backspace BS", []string{"ab\b"}, "", "ab\b \b", "a"},
		{"backspace on empty", []string{"\x7f\x7f"}, "", "", ""},
		{"backspace removes a whole rune", []string{"né\x7f\r"}, "n\r\n", "né\b \b\r\n", ""},
		{"ctrl-u", []string{"abc\x15x\r"}, "x\r\n", "abc\b \b\b \b\b \bx\r\n", ""},
		{"ctrl-c drops line", []string{"del *\x03"}, "", "del *^C\r\n", ""},
		{"arrow keys dropped", []string{"a\x1b[Ab\x1b[1;5Cc\r"}, "abc\r\n", "abc\r\n", ""},
		{"SS3 keys dropped", []string{"a\x1bOPb"}, "", "ab", "ab"},
		{"escape split across writes", []string{"a\x1b", "[", "12~b"}, "", "ab", "ab"},
		{"lone escape dropped", []string{"\x1bxy"}, "", "xy", "xy"},
		{"escape before UTF-8 keeps the rune", []string{"\x1bé\x1bOé"}, "", "éé", "éé"},
		{"other controls dropped", []string{"a\x00\x01\x04b\tc"}, "", "ab\tc", "ab\tc"},
		{"partial line kept", []string{"Get-", "Process"}, "", "Get-Process", "Get-Process"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var l lineDiscipline
			var sh, ec []byte
			for _, in := range tt.in {
				s, e := l.feed([]byte(in))
				sh = append(sh, s...)
				ec = append(ec, e...)
			}
			if string(sh) != tt.toShell || string(ec) != tt.echo || string(l.line) != tt.remaining {
				t.Fatalf("feed(%q): toShell %q echo %q line %q; want %q %q %q",
					tt.in, sh, ec, l.line, tt.toShell, tt.echo, tt.remaining)
			}
		})
	}
}

func TestLineDisciplineCapsLine(t *testing.T) {
	var l lineDiscipline
	_, echo := l.feed([]byte(strings.Repeat("x", maxLine+5)))
	if len(l.line) != maxLine || !bytes.HasSuffix(echo, []byte("\a\a\a\a\a")) {
		t.Fatalf("line %d bytes (want %d), echo ends %q (want 5 bells)", len(l.line), maxLine, echo[len(echo)-8:])
	}
}

func FuzzLineDiscipline(f *testing.F) {
	f.Add([]byte("dir\r\n"), []byte("\x1b[A\x7f\x03"))
	f.Add([]byte("né\x7f"), []byte("\x1bO"))
	f.Fuzz(func(t *testing.T, a, b []byte) {
		var l lineDiscipline
		s1, _ := l.feed(a)
		s2, _ := l.feed(b)
		if len(l.line) > maxLine {
			t.Fatalf("line grew to %d bytes", len(l.line))
		}
		out := append(s1, s2...)
		// Everything sent to the shell is whole lines, free of escapes and
		// of control characters other than tab and the line ends.
		if len(out) > 0 && !bytes.HasSuffix(out, []byte("\r\n")) {
			t.Fatalf("toShell %q does not end in CRLF", out)
		}
		for _, c := range out {
			if c < 0x20 && c != '\t' && c != '\r' && c != '\n' || c == 0x7f {
				t.Fatalf("control byte %#x reached the shell: %q", c, out)
			}
		}
		if utf8.Valid(a) && utf8.Valid(b) && !utf8.Valid(out) {
			t.Fatalf("valid UTF-8 input produced invalid shell input %q", out)
		}
	})
}
