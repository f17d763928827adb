package inventory

import (
	"encoding/binary"
	"errors"
)

// ParseSMBIOS reads the System Information structure (type 1) of an SMBIOS
// table as Windows' GetSystemFirmwareTable('RSMB') returns it: an 8-byte
// RawSMBIOSData header (calling method, major, minor, DMI revision, a
// 32-bit table length) followed by the structures. Each structure is a
// formatted part (type, length, handle, fields) then its strings, each
// NUL-terminated, the set ended by an extra NUL. A bare table (no header)
// is accepted when the header's length does not fit.
func ParseSMBIOS(b []byte) (Hardware, error) {
	table := b
	if len(b) >= 8 {
		if n := binary.LittleEndian.Uint32(b[4:8]); int(n) <= len(b)-8 && n > 0 {
			table = b[8 : 8+n]
		}
	}
	for i := 0; i+4 <= len(table); {
		typ, length := table[i], int(table[i+1])
		if length < 4 || i+length > len(table) {
			return Hardware{}, errors.New("smbios: truncated structure")
		}
		formatted := table[i : i+length]
		strs, next := smbiosStrings(table, i+length)
		if typ == 1 {
			at := func(off int) string {
				if off >= len(formatted) {
					return ""
				}
				if k := int(formatted[off]); k > 0 && k <= len(strs) {
					return strs[k-1]
				}
				return ""
			}
			// Offsets from the SMBIOS spec (DSP0134), System Information:
			// 04h manufacturer, 05h product name, 07h serial number.
			return Hardware{Manufacturer: at(4), Model: at(5), Serial: at(7)}, nil
		}
		if typ == 127 { // end of table
			break
		}
		i = next
	}
	return Hardware{}, errors.New("smbios: no system information structure")
}

// smbiosStrings returns the strings after a structure's formatted part
// starting at i, and where the next structure starts.
func smbiosStrings(t []byte, i int) ([]string, int) {
	var out []string
	if i+1 < len(t) && t[i] == 0 && t[i+1] == 0 { // no strings
		return nil, i + 2
	}
	start := i
	for i < len(t) {
		if t[i] == 0 {
			out = append(out, string(t[start:i]))
			i++
			if i < len(t) && t[i] == 0 {
				return out, i + 1
			}
			start = i
			continue
		}
		i++
	}
	return out, len(t)
}
