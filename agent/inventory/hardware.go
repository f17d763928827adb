package inventory

import (
	"context"
	"strings"
)

// Hardware is the machine's maker, model and serial number as its firmware
// reports them. Empty fields are unknown: unreadable (the Linux serial is
// readable by root only) or a vendor placeholder.
type Hardware struct {
	Manufacturer, Model, Serial string
}

// ReadHardware reads the machine's hardware identity once (the inventory
// is collected hourly, so this is not on any hot path). root is the
// filesystem root the Linux reader starts from ("" or "/" for the real
// one; tests pass a fake tree); the Windows and macOS readers ignore it.
func ReadHardware(ctx context.Context, root string) Hardware {
	h := readHardware(ctx, root)
	return Hardware{Manufacturer: cleanHW(h.Manufacturer), Model: cleanHW(h.Model), Serial: cleanHW(h.Serial)}
}

// placeholders are what boards without a programmed value report; they
// would make every such machine share one "serial".
var placeholders = map[string]bool{
	"to be filled by o.e.m.": true, "to be filled by oem": true, "default string": true,
	"system serial number": true, "system manufacturer": true, "system product name": true,
	"system version": true, "none": true, "n/a": true, "na": true, "not specified": true,
	"not applicable": true, "unknown": true, "oem": true, "o.e.m.": true, "0": true,
	"00000000": true, "0000000000": true, "123456789": true, "chassis serial number": true,
	"invalid": true, "empty": true, "xxxxxxxxxx": true, "serial": true,
}

// cleanHW trims a firmware string and drops placeholders and anything not
// printable text, capping the length (the value is shown and searched).
func cleanHW(s string) string {
	s = strings.TrimSpace(strings.TrimRight(s, "\x00"))
	if s == "" || placeholders[strings.ToLower(s)] {
		return ""
	}
	if strings.IndexFunc(s, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0xfffd }) >= 0 {
		return ""
	}
	// All zeros or all one filler character is no serial either.
	if strings.Trim(s, "0") == "" || strings.Trim(s, "F") == "" || strings.Trim(s, ".") == "" {
		return ""
	}
	if r := []rune(s); len(r) > 128 {
		s = string(r[:128])
	}
	return s
}
