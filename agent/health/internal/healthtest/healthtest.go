// Package healthtest holds the test doubles of the health collectors and
// installers: a command runner answering from a table, a filesystem tree
// builder, and an in-memory Windows registry loaded from reg.exe captures.
package healthtest

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Read returns testdata/name of the health package (dir is the path of
// health's testdata folder from the test's package).
func Read(t testing.TB, dir, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ExitErr is what a Runner returns for a non-zero exit, like *exec.ExitError.
type ExitErr int

func (e ExitErr) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
func (e ExitErr) ExitCode() int { return int(e) }

// Reply is a canned command outcome.
type Reply struct {
	Out  []byte
	Code int // exit status; 0 = success
}

// Runner answers commands from a table keyed by the full command line
// and records every call.
type Runner struct {
	Mu      sync.Mutex
	Replies map[string]Reply
	Calls   []string
	PanicOn string
}

// NewRunner answers from replies.
func NewRunner(replies map[string]Reply) *Runner { return &Runner{Replies: replies} }

// Run is an ops.Runner.
func (f *Runner) Run(ctx context.Context, name string, args ...string) ([]byte, error) {
	line := strings.Join(append([]string{name}, args...), " ")
	f.Mu.Lock()
	f.Calls = append(f.Calls, line)
	r, ok := f.Replies[line]
	f.Mu.Unlock()
	if f.PanicOn != "" && strings.HasPrefix(line, f.PanicOn) {
		panic("fake runner told to panic on " + line)
	}
	if !ok {
		return nil, fmt.Errorf("%s: executable file not found in $PATH", name)
	}
	if r.Code != 0 {
		return r.Out, ExitErr(r.Code)
	}
	return r.Out, nil
}

// Called reports whether a command starting with prefix ran.
func (f *Runner) Called(prefix string) bool {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	for _, c := range f.Calls {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

// Tree builds a filesystem root for health.Env.Root: paths ending in "*" become
// executables, others files with the given content.
func Tree(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	for p, content := range files {
		mode := os.FileMode(0o644)
		if strings.HasSuffix(p, "*") {
			p, mode = strings.TrimSuffix(p, "*"), 0o755
		}
		full := filepath.Join(root, filepath.FromSlash(p))
		if strings.HasSuffix(p, "/") {
			if err := os.MkdirAll(full, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), mode); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

// Now is the fixed clock of the tests.
var Now = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

// Registry is an in-memory health.Registry, case-insensitive like Windows.
type Registry struct {
	split func(string) (root, sub string, ok bool)
	keys  map[string]*Key
}

// Key is one registry key.
type Key struct {
	Vals map[string]any
	subs []string
}

// NewRegistry is an empty registry; split is health.SplitRegistryPath
// (passed in: this package cannot import health).
func NewRegistry(split func(string) (root, sub string, ok bool)) *Registry {
	return &Registry{split: split, keys: map[string]*Key{}}
}

func (r *Registry) canon(path string) string {
	root, sub, ok := r.split(path)
	if !ok {
		return strings.ToLower(path)
	}
	sub = strings.Trim(sub, `\`)
	if sub == "" {
		return strings.ToLower(root)
	}
	return strings.ToLower(root + `\` + sub)
}

// Key returns the key at path, creating it and its parents.
func (r *Registry) Key(path string) *Key {
	c := r.canon(path)
	if k, ok := r.keys[c]; ok {
		return k
	}
	k := &Key{Vals: map[string]any{}}
	r.keys[c] = k
	if i := strings.LastIndexByte(path, '\\'); i > 0 {
		parent := r.Key(path[:i])
		parent.subs = append(parent.subs, path[i+1:])
	}
	return k
}

// Set sets one value.
func (r *Registry) Set(path, name string, v any) { r.Key(path).Vals[name] = v }

func (r *Registry) KeyExists(path string) bool { _, ok := r.keys[r.canon(path)]; return ok }

func (r *Registry) SubKeys(path string) ([]string, error) {
	k, ok := r.keys[r.canon(path)]
	if !ok {
		return nil, fmt.Errorf("key %s not found", path)
	}
	return k.subs, nil
}

func (r *Registry) Values(path string) (map[string]any, error) {
	k, ok := r.keys[r.canon(path)]
	if !ok {
		return nil, fmt.Errorf("key %s not found", path)
	}
	return k.Vals, nil
}

var regQueryValueRE = regexp.MustCompile(`^\s+(.+?)\s+(REG_[A-Z_]+)\s*(.*)$`)

// Load loads a registry snapshot into r: regedit-style exports
// ([KEY] then "name"=value; also Wine's system.reg with doubled
// backslashes and a timestamp after the key, and the REG_EXPAND_SZ:"..."
// pseudo-typing of one export tool), and reg.exe query output (a key line
// then indented "name  REG_TYPE  data" lines). Keys without a root are put
// under defaultRoot.
func (r *Registry) Load(text, defaultRoot string) error {
	var cur string
	keyPath := func(p string) string {
		p = strings.ReplaceAll(p, `\\`, `\`)
		if _, _, ok := r.split(p); !ok {
			p = defaultRoot + `\` + p
		}
		r.Key(p)
		return p
	}
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		switch {
		case strings.TrimSpace(line) == "":
		case strings.HasPrefix(line, "["):
			end := strings.LastIndexByte(line, ']')
			if end < 0 {
				return fmt.Errorf("bad key line %q", line)
			}
			cur = keyPath(line[1:end])
		case strings.HasPrefix(line, "HKEY_"):
			cur = keyPath(strings.TrimSpace(line))
		case strings.HasPrefix(line, `"`) || strings.HasPrefix(line, "@="):
			if cur == "" {
				return fmt.Errorf("value before key: %q", line)
			}
			name, rest, err := regName(line)
			if err != nil {
				return err
			}
			v, err := regData(rest)
			if err != nil {
				return fmt.Errorf("%q: %w", line, err)
			}
			r.Set(cur, name, v)
		default:
			m := regQueryValueRE.FindStringSubmatch(line)
			if m == nil || cur == "" {
				continue // headers such as "Windows Registry Editor Version 5.00"
			}
			var v any
			switch m[2] {
			case "REG_MULTI_SZ":
				v = splitRegMulti(m[3])
			case "REG_DWORD", "REG_QWORD":
				n, err := strconv.ParseUint(strings.TrimPrefix(m[3], "0x"), 16, 64)
				if err != nil {
					return err
				}
				v = n
			default:
				v = m[3]
			}
			r.Set(cur, m[1], v)
		}
	}
	return nil
}

// splitRegMulti splits reg.exe's display of a REG_MULTI_SZ, where entries
// are joined by a literal \0. A path component starting with 0
// ("Temp\06482c31...") is not a separator: only \0 before a backslash or
// the end is.
func splitRegMulti(s string) []string {
	var out []string
	start := 0
	for i := 0; i+1 < len(s); i++ {
		if s[i] == '\\' && s[i+1] == '0' && (i+2 == len(s) || s[i+2] == '\\') {
			out = append(out, s[start:i])
			start = i + 2
			i++
		}
	}
	if start < len(s) {
		out = append(out, s[start:])
	}
	return out
}

func regName(line string) (string, string, error) {
	if strings.HasPrefix(line, "@=") {
		return "", line[2:], nil
	}
	s, n, err := regQuoted(line)
	if err != nil {
		return "", "", err
	}
	rest := line[n:]
	if !strings.HasPrefix(rest, "=") {
		return "", "", fmt.Errorf("no '=' in %q", line)
	}
	return s, rest[1:], nil
}

// regQuoted reads a "..." string with \\ and \" escapes; n is the bytes used.
func regQuoted(s string) (string, int, error) {
	if !strings.HasPrefix(s, `"`) {
		return "", 0, fmt.Errorf("not a string: %q", s)
	}
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case '"':
			return b.String(), i + 1, nil
		default:
			b.WriteByte(s[i])
		}
	}
	return "", 0, fmt.Errorf("unterminated string %q", s)
}

func regData(s string) (any, error) {
	switch {
	case strings.HasPrefix(s, `"`):
		v, _, err := regQuoted(s)
		return v, err
	case strings.HasPrefix(s, "dword:"):
		return strconv.ParseUint(strings.TrimPrefix(s, "dword:"), 16, 32)
	case strings.HasPrefix(s, "REG_EXPAND_SZ:"):
		v, _, err := regQuoted(strings.TrimPrefix(s, "REG_EXPAND_SZ:"))
		return v, err
	}
	return nil, fmt.Errorf("unsupported value %q", s)
}
