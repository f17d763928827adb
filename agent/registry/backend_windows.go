//go:build windows

package registry

import (
	"errors"
	"fmt"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

// winBackend is the Windows registry through x/sys/windows/registry.
type winBackend struct{}

func system() Backend { return winBackend{} }

var roots = map[string]registry.Key{
	"HKLM": registry.LOCAL_MACHINE, "HKCU": registry.CURRENT_USER, "HKCR": registry.CLASSES_ROOT,
	"HKU": registry.USERS, "HKCC": registry.CURRENT_CONFIG,
}

func viewFlag(view string) uint32 {
	if view == protocol.RegView32 {
		return registry.WOW64_32KEY
	}
	return registry.WOW64_64KEY
}

// codeOf turns an OS error into a toolbox error.
func codeOf(k Key, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, registry.ErrNotExist), errors.Is(err, windows.ERROR_FILE_NOT_FOUND):
		return toolbox.Errorf(protocol.CallNotFound, "%s does not exist", k)
	case errors.Is(err, windows.ERROR_ACCESS_DENIED):
		return toolbox.Errorf(protocol.CallDenied, "access to %s was refused", k)
	}
	return toolbox.Errorf(protocol.CallFailed, "%s: %v", k, err)
}

func open(k Key, view string, access uint32) (registry.Key, error) {
	h, err := registry.OpenKey(roots[k.Hive], k.Sub, access|viewFlag(view))
	return h, codeOf(k, err)
}

func (winBackend) List(k Key, view string) ([]string, []string, error) {
	h, err := open(k, view, registry.ENUMERATE_SUB_KEYS|registry.QUERY_VALUE)
	if err != nil {
		return nil, nil, err
	}
	defer h.Close()
	keys, err := h.ReadSubKeyNames(-1)
	if err != nil {
		return nil, nil, codeOf(k, err)
	}
	vals, err := h.ReadValueNames(-1)
	return keys, vals, codeOf(k, err)
}

func (winBackend) Get(k Key, view, name string) (uint32, []byte, bool, error) {
	h, err := open(k, view, registry.QUERY_VALUE)
	if err != nil {
		return 0, nil, false, err
	}
	defer h.Close()
	n, t, err := h.GetValue(name, nil)
	if errors.Is(err, registry.ErrNotExist) {
		return 0, nil, false, nil
	}
	if err != nil {
		return 0, nil, false, codeOf(k, err)
	}
	buf := make([]byte, min(n, protocol.RegMaxData+8))
	for range 3 {
		m, t2, err := h.GetValue(name, buf)
		if errors.Is(err, registry.ErrShortBuffer) && m <= protocol.RegMaxData+8 {
			buf = make([]byte, m)
			continue
		}
		if errors.Is(err, registry.ErrShortBuffer) {
			return t2, nil, false, toolbox.Errorf(protocol.CallFailed, "%s: value %q is larger than %d bytes", k, name, protocol.RegMaxData)
		}
		if err != nil {
			return 0, nil, false, codeOf(k, err)
		}
		return t2, buf[:m], true, nil
	}
	return t, nil, false, toolbox.Errorf(protocol.CallFailed, "%s: value %q keeps changing", k, name)
}

func (winBackend) Set(k Key, view string, w Write, create bool) error {
	var h registry.Key
	var err error
	if create {
		h, _, err = registry.CreateKey(roots[k.Hive], k.Sub, registry.SET_VALUE|viewFlag(view))
		err = codeOf(k, err)
	} else {
		h, err = open(k, view, registry.SET_VALUE)
	}
	if err != nil {
		return err
	}
	defer h.Close()
	switch w.Type {
	case typeSZ:
		err = h.SetStringValue(w.Name, w.String)
	case typeExpandSZ:
		err = h.SetExpandStringValue(w.Name, w.String)
	case typeMultiSZ:
		err = h.SetStringsValue(w.Name, w.Strings)
	case typeDWORD:
		err = h.SetDWordValue(w.Name, uint32(w.Number))
	case typeQWORD:
		err = h.SetQWordValue(w.Name, w.Number)
	case typeBinary:
		err = h.SetBinaryValue(w.Name, w.Data)
	default:
		return fmt.Errorf("registry: type %d cannot be written", w.Type)
	}
	return codeOf(k, err)
}

func (winBackend) DeleteValue(k Key, view, name string) error {
	h, err := open(k, view, registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer h.Close()
	return codeOf(k, h.DeleteValue(name))
}

func (winBackend) CreateKey(k Key, view string) (bool, error) {
	h, existed, err := registry.CreateKey(roots[k.Hive], k.Sub, registry.QUERY_VALUE|viewFlag(view))
	if err != nil {
		return false, codeOf(k, err)
	}
	h.Close()
	return !existed, nil
}

// maxDepth bounds a recursive delete.
const maxDepth = 512

func (b winBackend) DeleteKey(k Key, view string, recursive bool) error {
	return b.deleteKey(k, view, recursive, 0)
}

func (b winBackend) deleteKey(k Key, view string, recursive bool, depth int) error {
	if depth > maxDepth {
		return toolbox.Errorf(protocol.CallFailed, "%s: keys nested too deep", k)
	}
	h, err := open(k, view, registry.ENUMERATE_SUB_KEYS)
	if err != nil {
		return err
	}
	subs, err := h.ReadSubKeyNames(-1)
	h.Close()
	if err != nil {
		return codeOf(k, err)
	}
	if len(subs) > 0 && !recursive {
		return toolbox.Errorf(protocol.CallExists, "%s has %d subkeys; delete recursively to remove them too", k, len(subs))
	}
	for _, s := range subs {
		if err := b.deleteKey(Key{Hive: k.Hive, Sub: k.Sub + `\` + s}, view, true, depth+1); err != nil {
			return err
		}
	}
	parent, name := Key{Hive: k.Hive}, k.Sub
	if i := lastSep(k.Sub); i >= 0 {
		parent.Sub, name = k.Sub[:i], k.Sub[i+1:]
	}
	ph, err := open(parent, view, registry.ENUMERATE_SUB_KEYS|registry.SET_VALUE)
	if err != nil {
		return err
	}
	defer ph.Close()
	// RegDeleteKeyEx honours the view (plain RegDeleteKey would not).
	pn, err := windows.UTF16PtrFromString(name)
	if err != nil {
		return bad("invalid key name")
	}
	return codeOf(k, regDeleteKeyEx(windows.Handle(ph), pn, viewFlag(view)))
}

func lastSep(s string) int {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i] == '\\' {
			return i
		}
	}
	return -1
}

var procRegDeleteKeyExW = windows.NewLazySystemDLL("advapi32.dll").NewProc("RegDeleteKeyExW")

func regDeleteKeyEx(h windows.Handle, name *uint16, sam uint32) error {
	r, _, _ := procRegDeleteKeyExW.Call(uintptr(h), uintptr(unsafe.Pointer(name)), uintptr(sam), 0)
	if r != 0 {
		return windows.Errno(r)
	}
	return nil
}
