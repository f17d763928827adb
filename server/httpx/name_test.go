package httpx

import (
	"strings"
	"testing"
)

func TestCleanName(t *testing.T) {
	for _, ok := range []string{"Smith, Jones & Co", "A+B Plumbing", "AT&T / Field Office", "Café #2",
		"<script>alert(1)</script>", "=cmd|' /C calc'!A0", "東京 支店", "Zoë\u00a0Ltd", strings.Repeat("é", 200)} {
		got, err := CleanName("client name", "  "+ok+" ", 200)
		if err != nil || got != ok {
			t.Errorf("CleanName(%q) = %q, %v; want it accepted and trimmed", ok, got, err)
		}
	}
	for in, want := range map[string]string{
		"":                       "client name is required",
		"   ":                    "client name is required",
		"evil\u202Etxt.exe":      "no control, formatting or bidi characters (found U+202E)",
		"zero\u200Bwidth":        "(found U+200B)",
		"bell\a":                 "(found U+0007)",
		"esc\x1b[31mred":         "(found U+001B)",
		"line\nbreak":            "(found U+000A)",
		"para\u2029sep":          "(found U+2029)",
		"bad\xffbyte":            "client name must be valid UTF-8",
		strings.Repeat("é", 201): "client name is too long: at most 200 characters (got 201)",
	} {
		if _, err := CleanName("client name", in, 200); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CleanName(%q) error = %v; want it to contain %q", in, err, want)
		}
	}
}
