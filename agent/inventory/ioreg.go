package inventory

import (
	"bufio"
	"bytes"
	"strings"
)

// ParseIoreg reads `ioreg -rd1 -c IOPlatformExpertDevice` output: lines
// such as `"IOPlatformSerialNumber" = "C02XXXXXXXX"` and
// `"model" = <"MacBookPro18,3">` (data properties are shown in angle
// brackets). The manufacturer is the "manufacturer" property when present,
// else Apple's name, since only Macs have this platform expert.
func ParseIoreg(out []byte) Hardware {
	h := Hardware{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		key, val, ok := strings.Cut(strings.TrimSpace(strings.TrimLeft(sc.Text(), " |+-o")), " = ")
		if !ok {
			continue
		}
		val = strings.TrimSpace(val)
		val = strings.TrimSuffix(strings.TrimPrefix(val, "<"), ">")
		if len(val) < 2 || val[0] != '"' || val[len(val)-1] != '"' {
			continue // numbers, dictionaries and hex data carry nothing we want
		}
		val = val[1 : len(val)-1]
		switch strings.Trim(key, `"`) {
		case "IOPlatformSerialNumber":
			h.Serial = val
		case "model":
			h.Model = val
		case "manufacturer":
			h.Manufacturer = val
		}
	}
	if h.Manufacturer == "" && (h.Model != "" || h.Serial != "") {
		h.Manufacturer = "Apple Inc."
	}
	return h
}
