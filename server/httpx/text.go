package httpx

import "unicode/utf8"

// MaxField is the most a device may send in one text field, whatever its
// frame size.
const MaxField = 1024

// CleanText caps a device-reported string at max bytes on a rune boundary
// and replaces invalid UTF-8. Control characters stay (they are data);
// every renderer escapes them.
func CleanText(s string, max int) string {
	if !utf8.ValidString(s) {
		s = string([]rune(s)) // replaces invalid bytes with U+FFFD
	}
	if len(s) <= max {
		return s
	}
	cut := max
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut]
}
