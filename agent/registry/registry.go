package registry

import (
	"context"
	"slices"
	"strings"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

// Backend is the registry of the system. Errors are toolbox errors with a
// code (not found, denied...).
type Backend interface {
	// List names a key's subkeys and values.
	List(k Key, view string) (keys, values []string, err error)
	// Get reads a value's type and stored bytes; ok is false when absent.
	Get(k Key, view, name string) (t uint32, raw []byte, ok bool, err error)
	// Set writes a value, creating the key first when create is set.
	Set(k Key, view string, w Write, create bool) error
	DeleteValue(k Key, view, name string) error
	// CreateKey creates a key (and its missing parents); created is false
	// when it existed.
	CreateKey(k Key, view string) (created bool, err error)
	// DeleteKey deletes a key; with subkeys only when recursive.
	DeleteKey(k Key, view string, recursive bool) error
}

// Methods returns the registry methods on the system's registry.
func Methods() []toolbox.Method { return MethodsOn(system()) }

// MethodsOn returns the registry methods on a given backend.
func MethodsOn(b Backend) []toolbox.Method {
	m := func(name string, fn func(b Backend, c *toolbox.Call) (any, error)) toolbox.Method {
		return toolbox.Method{Name: name, Handler: func(_ context.Context, c *toolbox.Call) (any, error) {
			if _, no := b.(unsupported); no {
				return nil, ErrWindowsOnly
			}
			return fn(b, c)
		}}
	}
	return []toolbox.Method{
		m(protocol.MethodRegistryList, func(b Backend, c *toolbox.Call) (any, error) {
			var p protocol.RegistryListParams
			if err := c.Decode(&p); err != nil {
				return nil, err
			}
			return List(b, p)
		}),
		m(protocol.MethodRegistryGet, func(b Backend, c *toolbox.Call) (any, error) {
			var p protocol.RegistryValueParams
			if err := c.Decode(&p); err != nil {
				return nil, err
			}
			return Get(b, p)
		}),
		m(protocol.MethodRegistrySet, func(b Backend, c *toolbox.Call) (any, error) {
			var p protocol.RegistrySetParams
			if err := c.Decode(&p); err != nil {
				return nil, err
			}
			return Set(b, p)
		}),
		m(protocol.MethodRegistryDeleteValue, func(b Backend, c *toolbox.Call) (any, error) {
			var p protocol.RegistryValueParams
			if err := c.Decode(&p); err != nil {
				return nil, err
			}
			return DeleteValue(b, p)
		}),
		m(protocol.MethodRegistryCreateKey, func(b Backend, c *toolbox.Call) (any, error) {
			var p protocol.RegistryKeyParams
			if err := c.Decode(&p); err != nil {
				return nil, err
			}
			return CreateKey(b, p)
		}),
		m(protocol.MethodRegistryDeleteKey, func(b Backend, c *toolbox.Call) (any, error) {
			var p protocol.RegistryKeyParams
			if err := c.Decode(&p); err != nil {
				return nil, err
			}
			return DeleteKey(b, p)
		}),
	}
}

func keyOf(p protocol.RegistryKeyParams) (Key, string, error) {
	k, err := ParsePath(p.Path)
	if err != nil {
		return k, "", err
	}
	v, err := checkView(p.View)
	return k, v, err
}

func byName(a, b string) int { return strings.Compare(strings.ToLower(a), strings.ToLower(b)) }

// List pages through a key: its subkeys, then its values, each by name
// without case (as regedit shows them).
func List(b Backend, p protocol.RegistryListParams) (protocol.RegistryList, error) {
	k, view, err := keyOf(p.RegistryKeyParams)
	if err != nil {
		return protocol.RegistryList{}, err
	}
	limit := p.Limit
	switch {
	case limit < 0 || p.Cursor < 0:
		return protocol.RegistryList{}, bad("cursor and limit must be positive")
	case limit == 0:
		limit = protocol.RegDefaultLimit
	case limit > protocol.RegMaxLimit:
		limit = protocol.RegMaxLimit
	}
	keys, vals, err := b.List(k, view)
	if err != nil {
		return protocol.RegistryList{}, err
	}
	slices.SortFunc(keys, byName)
	slices.SortFunc(vals, byName)
	out := protocol.RegistryList{Path: k.String(), View: view, Keys: []string{}, Values: []protocol.RegValue{},
		TotalKeys: len(keys), TotalValues: len(vals)}
	end := min(p.Cursor+limit, len(keys)+len(vals))
	for i := p.Cursor; i < end; i++ {
		if i < len(keys) {
			out.Keys = append(out.Keys, keys[i])
			continue
		}
		name := vals[i-len(keys)]
		t, raw, ok, err := b.Get(k, view, name)
		if err != nil || !ok {
			continue // removed meanwhile, or unreadable: the page goes on
		}
		out.Values = append(out.Values, Decode(name, t, clipData(raw)))
	}
	if end < len(keys)+len(vals) {
		out.Next = end
	}
	return out, nil
}

// clipData bounds what one value shows in a listing.
func clipData(b []byte) []byte { return b[:min(len(b), protocol.RegMaxData)] }

// Get reads one value.
func Get(b Backend, p protocol.RegistryValueParams) (protocol.RegValue, error) {
	k, view, err := keyOf(p.RegistryKeyParams)
	if err != nil {
		return protocol.RegValue{}, err
	}
	t, raw, ok, err := b.Get(k, view, p.Name)
	if err != nil {
		return protocol.RegValue{}, err
	}
	if !ok {
		return protocol.RegValue{}, toolbox.Errorf(protocol.CallNotFound, "no value %q under %s", p.Name, k)
	}
	return Decode(p.Name, t, clipData(raw)), nil
}

func previous(b Backend, k Key, view, name string) *protocol.RegValue {
	t, raw, ok, err := b.Get(k, view, name)
	if err != nil || !ok {
		return nil
	}
	v := Decode(name, t, clipData(raw))
	return &v
}

// Set writes a value after validating it; the answer carries the value it
// replaced, for the audit log.
func Set(b Backend, p protocol.RegistrySetParams) (protocol.RegistryChanged, error) {
	k, view, err := keyOf(p.RegistryKeyParams)
	if err != nil {
		return protocol.RegistryChanged{}, err
	}
	if k.Sub == "" {
		return protocol.RegistryChanged{}, bad("values cannot be written at the root of a hive")
	}
	w, err := Validate(p.Value)
	if err != nil {
		return protocol.RegistryChanged{}, err
	}
	res := protocol.RegistryChanged{Path: k.String(), View: view, Name: w.Name, Previous: previous(b, k, view, w.Name)}
	return res, b.Set(k, view, w, p.Create)
}

// DeleteValue deletes one value.
func DeleteValue(b Backend, p protocol.RegistryValueParams) (protocol.RegistryChanged, error) {
	k, view, err := keyOf(p.RegistryKeyParams)
	if err != nil {
		return protocol.RegistryChanged{}, err
	}
	prev := previous(b, k, view, p.Name)
	if prev == nil {
		return protocol.RegistryChanged{}, toolbox.Errorf(protocol.CallNotFound, "no value %q under %s", p.Name, k)
	}
	return protocol.RegistryChanged{Path: k.String(), View: view, Name: p.Name, Previous: prev}, b.DeleteValue(k, view, p.Name)
}

// CreateKey creates a key.
func CreateKey(b Backend, p protocol.RegistryKeyParams) (protocol.RegistryChanged, error) {
	k, view, err := keyOf(p)
	if err != nil {
		return protocol.RegistryChanged{}, err
	}
	if k.Sub == "" {
		return protocol.RegistryChanged{}, bad("a hive cannot be created")
	}
	created, err := b.CreateKey(k, view)
	return protocol.RegistryChanged{Path: k.String(), View: view, Created: created}, err
}

// DeleteKey deletes a key (never a hive, nor a key with subkeys unless
// recursive).
func DeleteKey(b Backend, p protocol.RegistryKeyParams) (protocol.RegistryChanged, error) {
	k, view, err := keyOf(p)
	if err != nil {
		return protocol.RegistryChanged{}, err
	}
	if k.Sub == "" {
		return protocol.RegistryChanged{}, bad("a hive cannot be deleted")
	}
	return protocol.RegistryChanged{Path: k.String(), View: view}, b.DeleteKey(k, view, p.Recursive)
}

// ErrWindowsOnly is what other systems answer.
var ErrWindowsOnly = toolbox.Errorf(protocol.CallBadRequest, "registry is Windows-only")

// unsupported is the backend of systems without a registry.
type unsupported struct{}

func (unsupported) List(Key, string) ([]string, []string, error) { return nil, nil, ErrWindowsOnly }
func (unsupported) Get(Key, string, string) (uint32, []byte, bool, error) {
	return 0, nil, false, ErrWindowsOnly
}
func (unsupported) Set(Key, string, Write, bool) error    { return ErrWindowsOnly }
func (unsupported) DeleteValue(Key, string, string) error { return ErrWindowsOnly }
func (unsupported) CreateKey(Key, string) (bool, error)   { return false, ErrWindowsOnly }
func (unsupported) DeleteKey(Key, string, bool) error     { return ErrWindowsOnly }
