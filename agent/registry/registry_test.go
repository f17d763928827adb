package registry

import (
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/steward-rmm/steward/agent/toolbox"
	"github.com/steward-rmm/steward/protocol"
)

func TestParsePath(t *testing.T) {
	good := map[string]string{
		`HKLM\SOFTWARE\Microsoft`:                          `HKLM\SOFTWARE\Microsoft`,
		`hkey_local_machine\SOFTWARE\`:                     `HKLM\SOFTWARE`,
		`Computer\HKEY_CURRENT_USER\Control Panel\Desktop`: `HKCU\Control Panel\Desktop`,
		`HKU`:                 `HKU`,
		`HKCR\.txt`:           `HKCR\.txt`,
		`HKCC\System\a/b`:     `HKCC\System\a/b`,
		`HKEY_USERS\S-1-5-18`: `HKU\S-1-5-18`,
	}
	for in, want := range good {
		k, err := ParsePath(in)
		if err != nil || k.String() != want {
			t.Errorf("ParsePath(%q) = %q, %v; want %q", in, k, err, want)
		}
	}
	for _, in := range []string{"", `\HKLM\x`, `HKLM\\x`, `HKXX\x`, `SOFTWARE\Microsoft`, "HKLM\\a\x00b", "HKLM\\a\nb", `HKLM\ x`,
		`HKLM\` + strings.Repeat("k", 256), `HKLM/SOFTWARE`, `Computer`} {
		if k, err := ParsePath(in); err == nil {
			t.Errorf("ParsePath(%q) accepted as %q", in, k)
		}
	}
}

func utf16le(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r), byte(r>>8))
	}
	return b
}

func TestDecodeEveryType(t *testing.T) {
	cases := []struct {
		t    uint32
		raw  []byte
		want protocol.RegValue
	}{
		{typeSZ, append(utf16le("C:\\Program Files"), 0, 0), protocol.RegValue{Type: "REG_SZ", String: `C:\Program Files`}},
		{typeSZ, utf16le("no terminator"), protocol.RegValue{Type: "REG_SZ", String: "no terminator"}},
		{typeSZ, append(utf16le("odd"), 0), protocol.RegValue{Type: "REG_SZ", String: "odd"}},
		{typeExpandSZ, append(utf16le("%SystemRoot%\\x"), 0, 0), protocol.RegValue{Type: "REG_EXPAND_SZ", String: `%SystemRoot%\x`}},
		{typeMultiSZ, append(append(append(utf16le("a"), 0, 0), append(utf16le("bé"), 0, 0)...), 0, 0), protocol.RegValue{Type: "REG_MULTI_SZ", Strings: []string{"a", "bé"}}},
		{typeMultiSZ, []byte{0, 0}, protocol.RegValue{Type: "REG_MULTI_SZ", Strings: []string{}}},
		{typeDWORD, []byte{0xff, 0xff, 0xff, 0xff}, protocol.RegValue{Type: "REG_DWORD", Number: "4294967295"}},
		{typeDWORD, []byte{1, 2, 3}, protocol.RegValue{Type: "REG_DWORD", Data: []byte{1, 2, 3}}},
		{typeDWORDBE, []byte{0, 0, 1, 0}, protocol.RegValue{Type: "REG_DWORD_BIG_ENDIAN", Number: "256"}},
		{typeQWORD, []byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff}, protocol.RegValue{Type: "REG_QWORD", Number: "18446744073709551615"}},
		{typeBinary, []byte{0xde, 0xad}, protocol.RegValue{Type: "REG_BINARY", Data: []byte{0xde, 0xad}}},
		{typeNone, nil, protocol.RegValue{Type: "REG_NONE", Data: []byte{}}},
		{99, []byte{1}, protocol.RegValue{Type: "REG_UNKNOWN_99", Data: []byte{1}}},
	}
	for _, c := range cases {
		got := Decode("v", c.t, c.raw)
		c.want.Name, c.want.Size = "v", len(c.raw)
		if got.Type != c.want.Type || got.String != c.want.String || !slices.Equal(got.Strings, c.want.Strings) || got.Number != c.want.Number ||
			hex.EncodeToString(got.Data) != hex.EncodeToString(c.want.Data) || (got.Data == nil) != (c.want.Data == nil) || got.Size != c.want.Size {
			t.Errorf("Decode(%d, %x) = %+v, want %+v", c.t, c.raw, got, c.want)
		}
	}
}

func TestValidateEncodeRoundTrip(t *testing.T) {
	for _, v := range []protocol.RegValue{
		{Name: "Path", Type: protocol.RegSZ, String: `C:\Tools;ü`},
		{Name: "", Type: protocol.RegSZ, String: ""},
		{Name: "Exp", Type: protocol.RegExpandSZ, String: `%ProgramFiles%\x`},
		{Name: "Multi", Type: protocol.RegMultiSZ, Strings: []string{"one", "two 😀"}},
		{Name: "D", Type: protocol.RegDWORD, Number: "0xFFFFFFFF"},
		{Name: "Q", Type: protocol.RegQWORD, Number: "18446744073709551615"},
		{Name: "B", Type: protocol.RegBinary, Data: []byte{0, 1, 254, 255}},
	} {
		w, err := Validate(v)
		if err != nil {
			t.Fatalf("%+v: %v", v, err)
		}
		got := Decode(v.Name, w.Type, Encode(w))
		want := v
		if v.Type == protocol.RegDWORD {
			want.Number = "4294967295"
		}
		if got.String != want.String || !slices.Equal(got.Strings, want.Strings) || got.Number != want.Number || string(got.Data) != string(want.Data) || got.Type != want.Type {
			t.Errorf("round trip %+v -> %+v", v, got)
		}
	}
	if got := hex.EncodeToString(Encode(Write{Type: typeMultiSZ, Strings: []string{"a"}})); got != "610000000000" {
		t.Errorf("multi-string bytes %s", got)
	}
	for _, v := range []protocol.RegValue{
		{Type: "REG_LINK", Data: []byte{1}},
		{Type: protocol.RegDWORD, Number: "4294967296"},
		{Type: protocol.RegDWORD, Number: "-1"},
		{Type: protocol.RegDWORD, Number: "12", String: "x"},
		{Type: protocol.RegQWORD, Number: "ten"},
		{Type: protocol.RegSZ, String: "a\x00b"},
		{Type: protocol.RegMultiSZ, Strings: []string{"a", ""}},
		{Type: protocol.RegBinary, Data: make([]byte, protocol.RegMaxData+1)},
		{Type: protocol.RegSZ, Name: "a\x00"},
	} {
		if _, err := Validate(v); err == nil {
			t.Errorf("Validate accepted %+v", v)
		}
	}
}

// memBackend is a registry in memory: key path → values; subkeys are the
// paths under it.
type memBackend struct {
	keys map[string]map[string]Write
}

func (m *memBackend) List(k Key, _ string) ([]string, []string, error) {
	vals, ok := m.keys[k.String()]
	if !ok {
		return nil, nil, toolbox.Errorf(protocol.CallNotFound, "%s does not exist", k)
	}
	var keys, names []string
	for p := range m.keys {
		if rest, ok := strings.CutPrefix(p, k.String()+`\`); ok && !strings.Contains(rest, `\`) {
			keys = append(keys, rest)
		}
	}
	for n := range vals {
		names = append(names, n)
	}
	return keys, names, nil
}
func (m *memBackend) Get(k Key, _, name string) (uint32, []byte, bool, error) {
	w, ok := m.keys[k.String()][name]
	return w.Type, Encode(w), ok, nil
}
func (m *memBackend) Set(k Key, _ string, w Write, create bool) error {
	if m.keys[k.String()] == nil {
		if !create {
			return toolbox.Errorf(protocol.CallNotFound, "%s does not exist", k)
		}
		m.keys[k.String()] = map[string]Write{}
	}
	m.keys[k.String()][w.Name] = w
	return nil
}
func (m *memBackend) DeleteValue(k Key, _, name string) error {
	delete(m.keys[k.String()], name)
	return nil
}
func (m *memBackend) CreateKey(k Key, _ string) (bool, error) {
	if _, ok := m.keys[k.String()]; ok {
		return false, nil
	}
	m.keys[k.String()] = map[string]Write{}
	return true, nil
}
func (m *memBackend) DeleteKey(k Key, _ string, _ bool) error { delete(m.keys, k.String()); return nil }

func TestListPagesKeysThenValues(t *testing.T) {
	m := &memBackend{keys: map[string]map[string]Write{
		`HKLM\SOFTWARE\Acme`:       {"b": {Name: "b", Type: typeDWORD, Number: 7}, "A": {Name: "A", Type: typeSZ, String: "x"}, "": {Type: typeSZ, String: "default"}},
		`HKLM\SOFTWARE\Acme\Zed`:   {},
		`HKLM\SOFTWARE\Acme\alpha`: {},
	}}
	p := protocol.RegistryListParams{RegistryKeyParams: protocol.RegistryKeyParams{Path: `hklm\SOFTWARE\Acme`}, Limit: 3}
	one, err := List(m, p)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(one.Keys, []string{"alpha", "Zed"}) || len(one.Values) != 1 || one.Values[0].String != "default" || one.Next != 3 ||
		one.TotalKeys != 2 || one.TotalValues != 3 || one.View != "64" || one.Path != `HKLM\SOFTWARE\Acme` {
		t.Fatalf("page one %+v", one)
	}
	p.Cursor = one.Next
	two, err := List(m, p)
	if err != nil {
		t.Fatal(err)
	}
	if len(two.Keys) != 0 || len(two.Values) != 2 || two.Values[0].Name != "A" || two.Values[1].Number != "7" || two.Next != 0 {
		t.Fatalf("page two %+v", two)
	}
	// Writes: set returns the previous value; root and bad views refused.
	res, err := Set(m, protocol.RegistrySetParams{RegistryKeyParams: protocol.RegistryKeyParams{Path: `HKLM\SOFTWARE\Acme`, View: "32"},
		Value: protocol.RegValue{Name: "b", Type: protocol.RegQWORD, Number: "9"}})
	if err != nil || res.Previous == nil || res.Previous.Number != "7" || res.View != "32" {
		t.Fatalf("set %+v %v", res, err)
	}
	if _, err := Set(m, protocol.RegistrySetParams{RegistryKeyParams: protocol.RegistryKeyParams{Path: `HKLM`}, Value: protocol.RegValue{Type: protocol.RegSZ}}); err == nil {
		t.Error("write at a hive root accepted")
	}
	if _, err := List(m, protocol.RegistryListParams{RegistryKeyParams: protocol.RegistryKeyParams{Path: `HKLM\SOFTWARE\Acme`, View: "16"}}); err == nil {
		t.Error("view 16 accepted")
	}
	if _, err := DeleteKey(m, protocol.RegistryKeyParams{Path: `HKCU`}); err == nil {
		t.Error("hive delete accepted")
	}
	if _, err := DeleteValue(m, protocol.RegistryValueParams{RegistryKeyParams: protocol.RegistryKeyParams{Path: `HKLM\SOFTWARE\Acme`}, Name: "nope"}); !isCode(err, protocol.CallNotFound) {
		t.Errorf("delete of a missing value: %v", err)
	}
	if c, err := CreateKey(m, protocol.RegistryKeyParams{Path: `HKLM\SOFTWARE\Acme\New`}); err != nil || !c.Created {
		t.Errorf("create %+v %v", c, err)
	}
}

func isCode(err error, code string) bool {
	var te *toolbox.Error
	return errors.As(err, &te) && te.Code == code
}

func TestOtherSystemsAnswerWindowsOnly(t *testing.T) {
	if _, _, err := (unsupported{}).List(Key{}, ""); err == nil || err.Error() != "registry is Windows-only" {
		t.Fatalf("unsupported: %v", err)
	}
}
