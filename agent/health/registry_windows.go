//go:build windows

package health

import (
	"errors"
	"fmt"
	"io"

	"golang.org/x/sys/windows/registry"
)

func systemRegistry() Registry { return winRegistry{} }

// winRegistry reads the live registry, always in the 64-bit view (the
// 32-bit view is reached through its WOW6432Node path).
type winRegistry struct{}

// Caps on what one key may return.
const (
	maxRegValues  = 4096
	maxRegSubKeys = 20000
	maxRegData    = 1 << 20
)

func openKey(path string) (registry.Key, error) {
	root, sub, ok := SplitRegistryPath(path)
	if !ok {
		return 0, fmt.Errorf("unknown registry root in %q", path)
	}
	var k registry.Key
	switch root {
	case "HKLM":
		k = registry.LOCAL_MACHINE
	case "HKU":
		k = registry.USERS
	case "HKCU":
		k = registry.CURRENT_USER
	case "HKCR":
		k = registry.CLASSES_ROOT
	case "HKCC":
		k = registry.CURRENT_CONFIG
	}
	return registry.OpenKey(k, sub, registry.QUERY_VALUE|registry.ENUMERATE_SUB_KEYS|registry.WOW64_64KEY)
}

func (winRegistry) KeyExists(path string) bool {
	k, err := openKey(path)
	if err != nil {
		return false
	}
	k.Close()
	return true
}

func (winRegistry) SubKeys(path string) ([]string, error) {
	k, err := openKey(path)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	names, err := k.ReadSubKeyNames(maxRegSubKeys)
	if errors.Is(err, io.EOF) { // fewer than the cap: all of them
		err = nil
	}
	return names, err
}

func (winRegistry) Values(path string) (map[string]any, error) {
	k, err := openKey(path)
	if err != nil {
		return nil, err
	}
	defer k.Close()
	names, err := k.ReadValueNames(maxRegValues)
	if err != nil && !errors.Is(err, io.EOF) { // io.EOF: fewer than the cap
		return nil, err
	}
	out := make(map[string]any, len(names))
	for _, n := range names {
		size, typ, err := k.GetValue(n, nil)
		if err != nil || size > maxRegData {
			continue
		}
		switch typ {
		case registry.SZ, registry.EXPAND_SZ:
			if s, _, err := k.GetStringValue(n); err == nil {
				out[n] = s
			}
		case registry.MULTI_SZ:
			if s, _, err := k.GetStringsValue(n); err == nil {
				out[n] = s
			}
		case registry.DWORD, registry.QWORD:
			if v, _, err := k.GetIntegerValue(n); err == nil {
				out[n] = v
			}
		default:
			if b, _, err := k.GetBinaryValue(n); err == nil {
				out[n] = b
			} else {
				out[n] = []byte(nil)
			}
		}
	}
	return out, nil
}
