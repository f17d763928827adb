package registry

import (
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/steward-rmm/steward/protocol"
)

// Windows registry type numbers.
const (
	typeNone     = 0
	typeSZ       = 1
	typeExpandSZ = 2
	typeBinary   = 3
	typeDWORD    = 4
	typeDWORDBE  = 5
	typeLink     = 6
	typeMultiSZ  = 7
	typeResList  = 8
	typeFullRes  = 9
	typeResReqs  = 10
	typeQWORD    = 11
)

var typeNames = map[uint32]string{
	typeNone: protocol.RegNone, typeSZ: protocol.RegSZ, typeExpandSZ: protocol.RegExpandSZ, typeBinary: protocol.RegBinary,
	typeDWORD: protocol.RegDWORD, typeDWORDBE: "REG_DWORD_BIG_ENDIAN", typeLink: "REG_LINK", typeMultiSZ: protocol.RegMultiSZ,
	typeResList: "REG_RESOURCE_LIST", typeFullRes: "REG_FULL_RESOURCE_DESCRIPTOR", typeResReqs: "REG_RESOURCE_REQUIREMENTS_LIST",
	typeQWORD: protocol.RegQWORD,
}

// writable are the types a technician may write.
var writable = map[string]uint32{
	protocol.RegSZ: typeSZ, protocol.RegExpandSZ: typeExpandSZ, protocol.RegMultiSZ: typeMultiSZ,
	protocol.RegDWORD: typeDWORD, protocol.RegQWORD: typeQWORD, protocol.RegBinary: typeBinary,
}

// TypeName names a type number.
func TypeName(t uint32) string {
	if n, ok := typeNames[t]; ok {
		return n
	}
	return fmt.Sprintf("REG_UNKNOWN_%d", t)
}

// utf16Text decodes UTF-16LE bytes (an odd last byte dropped).
func utf16Text(b []byte) []uint16 {
	u := make([]uint16, len(b)/2)
	for i := range u {
		u[i] = binary.LittleEndian.Uint16(b[2*i:])
	}
	return u
}

// Decode turns a value's stored bytes into a RegValue. Data that does not
// fit its type (a DWORD of 3 bytes) is shown raw.
func Decode(name string, t uint32, raw []byte) protocol.RegValue {
	v := protocol.RegValue{Name: name, Type: TypeName(t), Size: len(raw)}
	switch t {
	case typeSZ, typeExpandSZ, typeLink:
		u := utf16Text(raw)
		for len(u) > 0 && u[len(u)-1] == 0 {
			u = u[:len(u)-1]
		}
		v.String = string(utf16.Decode(u))
		if i := strings.IndexByte(v.String, 0); i >= 0 {
			v.String = v.String[:i] // what follows an early NUL is not shown by Windows either
		}
	case typeMultiSZ:
		u := utf16Text(raw)
		v.Strings = []string{}
		for len(u) > 0 {
			i := 0
			for i < len(u) && u[i] != 0 {
				i++
			}
			if i == 0 {
				break // the empty string ends the list
			}
			v.Strings = append(v.Strings, string(utf16.Decode(u[:i])))
			u = u[min(i+1, len(u)):]
		}
	case typeDWORD:
		if len(raw) != 4 {
			v.Data = raw
			break
		}
		v.Number = strconv.FormatUint(uint64(binary.LittleEndian.Uint32(raw)), 10)
	case typeDWORDBE:
		if len(raw) != 4 {
			v.Data = raw
			break
		}
		v.Number = strconv.FormatUint(uint64(binary.BigEndian.Uint32(raw)), 10)
	case typeQWORD:
		if len(raw) != 8 {
			v.Data = raw
			break
		}
		v.Number = strconv.FormatUint(binary.LittleEndian.Uint64(raw), 10)
	default:
		v.Data = raw
	}
	if v.Data == nil && t != typeSZ && t != typeExpandSZ && t != typeLink && t != typeMultiSZ && v.Number == "" {
		v.Data = []byte{}
	}
	return v
}

// Write is a validated value to store: its type and the Go value its
// setter takes.
type Write struct {
	Name    string
	Type    uint32
	String  string
	Strings []string
	Number  uint64
	Data    []byte
}

// parseNumber reads decimal or 0x-prefixed hexadecimal.
func parseNumber(s string, bits int) (uint64, error) {
	s = strings.TrimSpace(s)
	base := 10
	if h, ok := strings.CutPrefix(strings.ToLower(s), "0x"); ok {
		s, base = h, 16
	}
	n, err := strconv.ParseUint(s, base, bits)
	if err != nil {
		return 0, fmt.Errorf("not a %d-bit unsigned number: %q", bits, s)
	}
	return n, nil
}

// Validate checks a value to write: a type that can be written, only the
// data field of its type, no NUL inside strings, no empty string in a
// multi-string (it would end the list), numbers in range, sizes bounded.
func Validate(v protocol.RegValue) (Write, error) {
	t, ok := writable[v.Type]
	if !ok {
		return Write{}, bad("cannot write type %q (REG_SZ, REG_EXPAND_SZ, REG_MULTI_SZ, REG_DWORD, REG_QWORD or REG_BINARY)", v.Type)
	}
	if len(v.Name) > maxValName || strings.ContainsRune(v.Name, 0) {
		return Write{}, bad("invalid value name")
	}
	w := Write{Name: v.Name, Type: t}
	others := func(set ...bool) bool {
		n := 0
		for _, s := range set {
			if s {
				n++
			}
		}
		return n > 0
	}
	hasS, hasL, hasN, hasD := v.String != "", len(v.Strings) > 0, v.Number != "", len(v.Data) > 0
	switch t {
	case typeSZ, typeExpandSZ:
		if others(hasL, hasN, hasD) {
			return Write{}, bad("%s takes string only", v.Type)
		}
		if strings.ContainsRune(v.String, 0) {
			return Write{}, bad("a string cannot hold a NUL character")
		}
		w.String = v.String
	case typeMultiSZ:
		if others(hasS, hasN, hasD) {
			return Write{}, bad("%s takes strings only", v.Type)
		}
		for _, s := range v.Strings {
			if s == "" {
				return Write{}, bad("REG_MULTI_SZ cannot hold an empty string (it ends the list)")
			}
			if strings.ContainsRune(s, 0) {
				return Write{}, bad("a string cannot hold a NUL character")
			}
		}
		w.Strings = append([]string{}, v.Strings...)
	case typeDWORD, typeQWORD:
		if others(hasS, hasL, hasD) {
			return Write{}, bad("%s takes number only", v.Type)
		}
		bits := 32
		if t == typeQWORD {
			bits = 64
		}
		n, err := parseNumber(v.Number, bits)
		if err != nil {
			return Write{}, bad("%s: %v", v.Type, err)
		}
		w.Number = n
	case typeBinary:
		if others(hasS, hasL, hasN) {
			return Write{}, bad("%s takes data only", v.Type)
		}
		w.Data = append([]byte{}, v.Data...)
	}
	if raw := Encode(w); len(raw) > protocol.RegMaxData {
		return Write{}, bad("value of %d bytes exceeds %d", len(raw), protocol.RegMaxData)
	}
	return w, nil
}

func utf16Bytes(s string, out []byte) []byte {
	for _, c := range utf16.Encode([]rune(s)) {
		out = binary.LittleEndian.AppendUint16(out, c)
	}
	return out
}

// Encode is the bytes Windows stores for a value (strings NUL-terminated
// UTF-16LE, a multi-string ended by an empty one, numbers little-endian).
func Encode(w Write) []byte {
	switch w.Type {
	case typeSZ, typeExpandSZ:
		return append(utf16Bytes(w.String, nil), 0, 0)
	case typeMultiSZ:
		var b []byte
		for _, s := range w.Strings {
			b = append(utf16Bytes(s, b), 0, 0)
		}
		return append(b, 0, 0)
	case typeDWORD:
		return binary.LittleEndian.AppendUint32(nil, uint32(w.Number))
	case typeQWORD:
		return binary.LittleEndian.AppendUint64(nil, w.Number)
	}
	return w.Data
}
