package health

import (
	"strings"
)

// Registry reads the Windows registry. Paths are written the way reg.exe
// prints them, with a root of HKLM, HKU, HKCU (or their long names) and
// backslashes: `HKLM\SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall`.
// The real implementation opens keys in the 64-bit view, so the 32-bit view
// is reached through its WOW6432Node path. Tests use a fake built from real
// reg.exe / regedit exports.
type Registry interface {
	// KeyExists reports whether the key exists and can be opened.
	KeyExists(path string) bool
	// SubKeys lists the names (not paths) of a key's subkeys.
	SubKeys(path string) ([]string, error)
	// Values returns a key's values by name. REG_SZ and REG_EXPAND_SZ are
	// string, REG_MULTI_SZ is []string, REG_DWORD and REG_QWORD are uint64,
	// anything else is []byte.
	Values(path string) (map[string]any, error)
}

// SplitRegistryPath returns the canonical root ("HKLM", "HKU", "HKCU",
// "HKCR", "HKCC") and the subkey of a registry path, or ok=false for an
// unknown root.
func SplitRegistryPath(path string) (root, sub string, ok bool) {
	path = strings.Trim(path, `\`)
	head, rest, _ := strings.Cut(path, `\`)
	switch strings.ToUpper(head) {
	case "HKLM", "HKEY_LOCAL_MACHINE":
		root = "HKLM"
	case "HKU", "HKEY_USERS":
		root = "HKU"
	case "HKCU", "HKEY_CURRENT_USER":
		root = "HKCU"
	case "HKCR", "HKEY_CLASSES_ROOT":
		root = "HKCR"
	case "HKCC", "HKEY_CURRENT_CONFIG":
		root = "HKCC"
	default:
		return "", "", false
	}
	return root, rest, true
}

// regValue looks a value up by name, ignoring case as Windows does.
func regValue(vals map[string]any, name string) (any, bool) {
	if v, ok := vals[name]; ok {
		return v, true
	}
	for k, v := range vals {
		if strings.EqualFold(k, name) {
			return v, true
		}
	}
	return nil, false
}

// regString returns a string value (the first line of a multi-string).
func regString(vals map[string]any, name string) string {
	v, _ := regValue(vals, name)
	switch t := v.(type) {
	case string:
		return t
	case []string:
		if len(t) > 0 {
			return t[0]
		}
	}
	return ""
}

// regUint returns an integer value; a numeric string counts too, because
// some installers write DWORD-like flags as REG_SZ.
func regUint(vals map[string]any, name string) (uint64, bool) {
	v, ok := regValue(vals, name)
	if !ok {
		return 0, false
	}
	switch t := v.(type) {
	case uint64:
		return t, true
	case string:
		var n uint64
		t = strings.TrimSpace(t)
		if t == "" || len(t) > 19 {
			return 0, false
		}
		for i := 0; i < len(t); i++ {
			if !isDigit(t[i]) {
				return 0, false
			}
			n = n*10 + uint64(t[i]-'0')
		}
		return n, true
	case []byte:
		for _, b := range t {
			if b != 0 {
				return 1, true
			}
		}
		return 0, true
	}
	return 0, false
}

// regStrings returns a multi-string value without empty entries.
func regStrings(vals map[string]any, name string) []string {
	v, _ := regValue(vals, name)
	var in []string
	switch t := v.(type) {
	case []string:
		in = t
	case string:
		in = []string{t}
	}
	var out []string
	for _, s := range in {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}
