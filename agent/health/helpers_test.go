package health

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

func read(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// exitErr is what a Runner returns for a non-zero exit, like *exec.ExitError.
type exitErr int

func (e exitErr) Error() string { return fmt.Sprintf("exit status %d", int(e)) }
func (e exitErr) ExitCode() int { return int(e) }

type reply struct {
	out  []byte
	code int // exit status; 0 = success
}

// fakeRunner answers commands from a table keyed by the full command line
// and records every call.
type fakeRunner struct {
	mu      sync.Mutex
	replies map[string]reply
	calls   []string
	panicOn string
}

func newFake(replies map[string]reply) *fakeRunner { return &fakeRunner{replies: replies} }

func (f *fakeRunner) run(ctx context.Context, name string, args ...string) ([]byte, error) {
	line := strings.Join(append([]string{name}, args...), " ")
	f.mu.Lock()
	f.calls = append(f.calls, line)
	r, ok := f.replies[line]
	f.mu.Unlock()
	if f.panicOn != "" && strings.HasPrefix(line, f.panicOn) {
		panic("fake runner told to panic on " + line)
	}
	if !ok {
		return nil, fmt.Errorf("%s: executable file not found in $PATH", name)
	}
	if r.code != 0 {
		return r.out, exitErr(r.code)
	}
	return r.out, nil
}

func (f *fakeRunner) called(prefix string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.calls {
		if strings.HasPrefix(c, prefix) {
			return true
		}
	}
	return false
}

// tree builds a filesystem root for Env.Root: paths ending in "*" become
// executables, others files with the given content.
func tree(t *testing.T, files map[string]string) string {
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

var fixedNow = time.Date(2026, 3, 15, 12, 0, 0, 0, time.UTC)

func testEnv(goos, root string, f *fakeRunner) Env {
	return Env{Root: root, GOOS: goos, Run: f.run, Now: func() time.Time { return fixedNow }}
}

// fakeRegistry is an in-memory registry, case-insensitive like Windows.
type fakeRegistry struct {
	keys map[string]*fakeKey
}

type fakeKey struct {
	vals map[string]any
	subs []string
}

func newFakeRegistry() *fakeRegistry { return &fakeRegistry{keys: map[string]*fakeKey{}} }

func canon(path string) string {
	root, sub, ok := SplitRegistryPath(path)
	if !ok {
		return strings.ToLower(path)
	}
	sub = strings.Trim(sub, `\`)
	if sub == "" {
		return strings.ToLower(root)
	}
	return strings.ToLower(root + `\` + sub)
}

// key returns the key at path, creating it and its parents.
func (r *fakeRegistry) key(path string) *fakeKey {
	c := canon(path)
	if k, ok := r.keys[c]; ok {
		return k
	}
	k := &fakeKey{vals: map[string]any{}}
	r.keys[c] = k
	if i := strings.LastIndexByte(path, '\\'); i > 0 {
		parent := r.key(path[:i])
		parent.subs = append(parent.subs, path[i+1:])
	}
	return k
}

func (r *fakeRegistry) set(path, name string, v any) { r.key(path).vals[name] = v }

func (r *fakeRegistry) KeyExists(path string) bool { _, ok := r.keys[canon(path)]; return ok }

func (r *fakeRegistry) SubKeys(path string) ([]string, error) {
	k, ok := r.keys[canon(path)]
	if !ok {
		return nil, fmt.Errorf("key %s not found", path)
	}
	return k.subs, nil
}

func (r *fakeRegistry) Values(path string) (map[string]any, error) {
	k, ok := r.keys[canon(path)]
	if !ok {
		return nil, fmt.Errorf("key %s not found", path)
	}
	return k.vals, nil
}

var regQueryValueRE = regexp.MustCompile(`^\s+(.+?)\s+(REG_[A-Z_]+)\s*(.*)$`)

// loadReg loads a registry snapshot into r: regedit-style exports
// ([KEY] then "name"=value; also Wine's system.reg with doubled
// backslashes and a timestamp after the key, and the REG_EXPAND_SZ:"..."
// pseudo-typing of one export tool), and reg.exe query output (a key line
// then indented "name  REG_TYPE  data" lines). Keys without a root are put
// under defaultRoot.
func loadReg(r *fakeRegistry, text, defaultRoot string) error {
	var cur string
	keyPath := func(p string) string {
		p = strings.ReplaceAll(p, `\\`, `\`)
		if _, _, ok := SplitRegistryPath(p); !ok {
			p = defaultRoot + `\` + p
		}
		r.key(p)
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
			r.set(cur, name, v)
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
			r.set(cur, m[1], v)
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

func TestLoadRegSnapshots(t *testing.T) {
	r := newFakeRegistry()
	for _, f := range []string{"reg-uninstall-java8-wow6432-msi.txt", "reg-uninstall-doxygen-innosetup.txt", "reg-uninstall-wine-innosetup.txt", "reg-query-pending-file-rename.txt"} {
		if err := loadReg(r, string(read(t, f)), "HKLM"); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
	}
	vals, err := r.Values(`HKLM\SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\{26A24AE4-039D-4CA4-87B4-2F83218066F0}`)
	if err != nil {
		t.Fatal(err)
	}
	if got := regString(vals, "InstallLocation"); got != `C:\Program Files (x86)\Java\jre1.8.0_66\` {
		t.Errorf("InstallLocation = %q", got)
	}
	if n, _ := regUint(vals, "EstimatedSize"); n != 0x163ae {
		t.Errorf("EstimatedSize = %#x", n)
	}
	sm, _ := r.Values(regSessionMgr)
	if got := len(regStrings(sm, "PendingFileRenameOperations")); got != 8 {
		t.Errorf("PendingFileRenameOperations entries = %d, want 8", got)
	}
	subs, _ := r.SubKeys(regUninstall64)
	if len(subs) != 2 {
		t.Errorf("64-bit uninstall subkeys = %v, want doxygen_is1 and the Wine entry", subs)
	}
}
