// Package registry answers the toolbox's registry calls on the agent:
// browse keys (subkeys and typed values, paged), read, write and delete
// values of every type, create and delete keys, in the 64 or 32-bit view.
// The Windows registry sits behind a small Backend; the parts that decide
// (path parsing, value encoding and decoding, validation of writes,
// paging) are pure and tested on every system. Other systems answer
// "registry is Windows-only".
package registry

import (
	"strings"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

// Hives by their short name, with their full names.
var hives = map[string]string{
	"HKLM": "HKEY_LOCAL_MACHINE",
	"HKCU": "HKEY_CURRENT_USER",
	"HKCR": "HKEY_CLASSES_ROOT",
	"HKU":  "HKEY_USERS",
	"HKCC": "HKEY_CURRENT_CONFIG",
}

// Key is a parsed key path: a hive's short name and the path under it
// ("" for the hive itself).
type Key struct {
	Hive string
	Sub  string
}

// String is the key's canonical path ("HKLM\SOFTWARE\Vendor").
func (k Key) String() string {
	if k.Sub == "" {
		return k.Hive
	}
	return k.Hive + `\` + k.Sub
}

// Limits of key paths (Windows' own).
const (
	maxKeyName = 255
	maxKeyPath = 32767
	maxValName = 16383
)

func bad(f string, a ...any) error { return toolbox.Errorf(protocol.CallBadRequest, f, a...) }

// ParsePath parses "HKLM\SOFTWARE\Vendor", "HKEY_LOCAL_MACHINE\..." or
// regedit's "Computer\HKEY_...": hive names in any case, backslashes only
// (a slash is a legal character of a key name), one trailing backslash
// allowed; empty names, control characters and unknown hives refused.
func ParsePath(s string) (Key, error) {
	if s == "" {
		return Key{}, bad("registry path is empty")
	}
	if len(s) > maxKeyPath {
		return Key{}, bad("registry path is too long")
	}
	if strings.ContainsFunc(s, func(r rune) bool { return r < 32 || r == 127 }) {
		return Key{}, bad("registry path holds control characters")
	}
	if c, rest, ok := strings.Cut(s, `\`); ok && strings.EqualFold(c, "Computer") {
		s = rest
	}
	s = strings.TrimSuffix(s, `\`)
	parts := strings.Split(s, `\`)
	hive := ""
	for short, full := range hives {
		if strings.EqualFold(parts[0], short) || strings.EqualFold(parts[0], full) {
			hive = short
		}
	}
	if hive == "" {
		return Key{}, bad("unknown registry hive %q (HKLM, HKCU, HKCR, HKU or HKCC)", parts[0])
	}
	for _, p := range parts[1:] {
		if p == "" {
			return Key{}, bad("registry path has an empty key name")
		}
		if len(p) > maxKeyName {
			return Key{}, bad("registry key name longer than %d characters", maxKeyName)
		}
		if strings.TrimSpace(p) != p {
			return Key{}, bad("registry key name %q starts or ends with spaces", p)
		}
	}
	return Key{Hive: hive, Sub: strings.Join(parts[1:], `\`)}, nil
}

// checkView validates a view and names the default.
func checkView(v string) (string, error) {
	switch v {
	case "", protocol.RegView64:
		return protocol.RegView64, nil
	case protocol.RegView32:
		return v, nil
	}
	return "", bad("view must be 64 or 32")
}
