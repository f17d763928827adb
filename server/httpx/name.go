package httpx

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MaxNameRunes bounds an operator-given display name (a client, an API
// token), in characters.
const MaxNameRunes = 200

// CleanName validates an operator-given display name and returns it
// trimmed. Names are data, so any printable Unicode is accepted ("AT&T /
// Field Office", "Café #2", even "<script>"): every renderer escapes it.
// Refused, because they could restyle a terminal or reorder the text a
// reader sees: invalid UTF-8, control characters, Unicode format
// characters (bidi overrides, zero widths) and line or paragraph
// separators. field names the field in the error, max its length in
// characters.
func CleanName(field, s string, max int) (string, error) {
	// The JSON decoder turns invalid UTF-8 and lone surrogates into U+FFFD,
	// so a replacement character is how invalid input shows up here.
	if !utf8.ValidString(s) || strings.ContainsRune(s, utf8.RuneError) {
		return "", fmt.Errorf("%s must be valid UTF-8", field)
	}
	for _, r := range s {
		// Printable means letters, marks, numbers, punctuation, symbols and
		// spaces: not controls, format characters (Cf: bidi, zero width),
		// line or paragraph separators, private-use or unassigned points.
		if !unicode.IsPrint(r) && !unicode.Is(unicode.Zs, r) {
			return "", fmt.Errorf("%s must be printable text: no control, formatting or bidi characters (found U+%04X)", field, r)
		}
	}
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New(field + " is required")
	}
	if n := utf8.RuneCountInString(s); n > max {
		return "", fmt.Errorf("%s is too long: at most %d characters (got %d)", field, max, n)
	}
	return s, nil
}
