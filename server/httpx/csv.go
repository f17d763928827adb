package httpx

import (
	"fmt"
	"strings"
)

// CSVSafe prepares a cell of a CSV export: it neutralises a cell a
// spreadsheet would run as a formula (a leading =, +, -, @, tab or CR
// gets a quote), drops control characters, and shows bidirectional
// controls (which would make "invoice\u202efdp.exe" read
// "invoiceexe.pdf") as a visible \u202e.
func CSVSafe(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	if strings.ContainsFunc(s, IsBidiControl) {
		var b strings.Builder
		for _, r := range s {
			if IsBidiControl(r) {
				fmt.Fprintf(&b, `\u%04x`, r)
			} else {
				b.WriteRune(r)
			}
		}
		s = b.String()
	}
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// IsBidiControl reports the Unicode controls that reorder displayed text.
func IsBidiControl(r rune) bool {
	return (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) || r == 0x200e || r == 0x200f || r == 0x061c
}
