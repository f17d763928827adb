// Package regtest is an in-memory registry.Backend: the Windows registry
// cannot run elsewhere, so tests of the path from the server to the agent
// use it in its place (values are stored as the bytes Windows would
// store, through registry.Encode).
package regtest

import (
	"strings"
	"sync"

	"github.com/steward-rmm/steward/agent/registry"
	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

type value struct {
	t   uint32
	raw []byte
}

// Memory is a registry in memory, one per view. Key paths compare
// without case, as Windows does.
type Memory struct {
	mu   sync.Mutex
	keys map[string]map[string]value // view + "|" + lower(path) → lower(name) → value
	name map[string]string           // the same keys → the path as created
	vals map[string]map[string]string
}

// New returns a registry holding the hives' roots and the given keys (in
// both views).
func New(keys ...string) *Memory {
	m := &Memory{keys: map[string]map[string]value{}, name: map[string]string{}, vals: map[string]map[string]string{}}
	for _, view := range []string{protocol.RegView64, protocol.RegView32} {
		for _, h := range []string{"HKLM", "HKCU", "HKCR", "HKU", "HKCC"} {
			m.create(view, registry.Key{Hive: h})
		}
		for _, k := range keys {
			if p, err := registry.ParsePath(k); err == nil {
				m.create(view, p)
			}
		}
	}
	return m
}

func id(view string, k registry.Key) string { return view + "|" + strings.ToLower(k.String()) }

func (m *Memory) create(view string, k registry.Key) bool {
	if _, ok := m.keys[id(view, k)]; ok {
		return false
	}
	if k.Sub != "" {
		parent := registry.Key{Hive: k.Hive}
		if i := strings.LastIndexByte(k.Sub, '\\'); i >= 0 {
			parent.Sub = k.Sub[:i]
		}
		m.create(view, parent)
	}
	m.keys[id(view, k)] = map[string]value{}
	m.vals[id(view, k)] = map[string]string{}
	m.name[id(view, k)] = k.String()
	return true
}

func notFound(k registry.Key) error {
	return toolbox.Errorf(protocol.CallNotFound, "%s does not exist", k)
}

// List implements registry.Backend.
func (m *Memory) List(k registry.Key, view string) ([]string, []string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	vals, ok := m.keys[id(view, k)]
	if !ok {
		return nil, nil, notFound(k)
	}
	var keys, names []string
	prefix := id(view, k) + `\`
	for p := range m.keys {
		if rest, ok := strings.CutPrefix(p, prefix); ok && !strings.Contains(rest, `\`) {
			full := m.name[p]
			keys = append(keys, full[strings.LastIndexByte(full, '\\')+1:])
		}
	}
	for n := range vals {
		names = append(names, m.vals[id(view, k)][n])
	}
	return keys, names, nil
}

// Get implements registry.Backend.
func (m *Memory) Get(k registry.Key, view, name string) (uint32, []byte, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	vals, ok := m.keys[id(view, k)]
	if !ok {
		return 0, nil, false, notFound(k)
	}
	v, ok := vals[strings.ToLower(name)]
	return v.t, v.raw, ok, nil
}

// Set implements registry.Backend.
func (m *Memory) Set(k registry.Key, view string, w registry.Write, create bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[id(view, k)]; !ok {
		if !create {
			return notFound(k)
		}
		m.create(view, k)
	}
	m.keys[id(view, k)][strings.ToLower(w.Name)] = value{t: w.Type, raw: registry.Encode(w)}
	m.vals[id(view, k)][strings.ToLower(w.Name)] = w.Name
	return nil
}

// DeleteValue implements registry.Backend.
func (m *Memory) DeleteValue(k registry.Key, view, name string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[id(view, k)]; !ok {
		return notFound(k)
	}
	delete(m.keys[id(view, k)], strings.ToLower(name))
	delete(m.vals[id(view, k)], strings.ToLower(name))
	return nil
}

// CreateKey implements registry.Backend.
func (m *Memory) CreateKey(k registry.Key, view string) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.create(view, k), nil
}

// DeleteKey implements registry.Backend.
func (m *Memory) DeleteKey(k registry.Key, view string, recursive bool) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.keys[id(view, k)]; !ok {
		return notFound(k)
	}
	var subs []string
	for p := range m.keys {
		if strings.HasPrefix(p, id(view, k)+`\`) {
			subs = append(subs, p)
		}
	}
	if len(subs) > 0 && !recursive {
		return toolbox.Errorf(protocol.CallExists, "%s has subkeys; delete recursively to remove them too", k)
	}
	for _, p := range append(subs, id(view, k)) {
		delete(m.keys, p)
		delete(m.vals, p)
		delete(m.name, p)
	}
	return nil
}
