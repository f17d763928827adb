package inventory

import (
	"context"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime"
	"testing"
)

func TestCleanHWDropsPlaceholders(t *testing.T) {
	for _, s := range []string{"To Be Filled By O.E.M.", "Default string", "System Serial Number", "None", "0",
		"   ", "", "0000000000", "not specified", "bad\x01value"} {
		if got := cleanHW(s); got != "" {
			t.Errorf("cleanHW(%q) = %q, want empty", s, got)
		}
	}
	if got := cleanHW("  Dell Inc.\n"); got != "Dell Inc." {
		t.Errorf("cleanHW kept %q", got)
	}
	if got := cleanHW("7XK2Q53\x00"); got != "7XK2Q53" {
		t.Errorf("cleanHW kept %q", got)
	}
}

// writeDMI lays out a fake /sys/class/dmi/id under a temporary root.
func writeDMI(t *testing.T, files map[string]string) string {
	t.Helper()
	root := t.TempDir()
	dir := filepath.Join(root, "sys", "class", "dmi", "id")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, v := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(v), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestReadHardwareLinuxFakeSys(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("reads /sys")
	}
	root := writeDMI(t, map[string]string{"sys_vendor": "LENOVO\n", "product_name": "20XW0055GE\n", "product_serial": "PF2ABCDE\n"})
	if got, want := ReadHardware(context.Background(), root), (Hardware{"LENOVO", "20XW0055GE", "PF2ABCDE"}); got != want {
		t.Fatalf("ReadHardware = %+v, want %+v", got, want)
	}
	// Not root: product_serial is absent (unreadable); a board with OEM
	// placeholders reports nothing rather than a shared fake serial.
	root = writeDMI(t, map[string]string{"sys_vendor": "To Be Filled By O.E.M.\n", "product_name": "Default string\n"})
	if got := ReadHardware(context.Background(), root); got != (Hardware{}) {
		t.Fatalf("placeholders and a missing serial gave %+v", got)
	}
	// No DMI at all (ARM boards).
	if got := ReadHardware(context.Background(), t.TempDir()); got != (Hardware{}) {
		t.Fatalf("no dmi gave %+v", got)
	}
}

func TestParseIoregMac(t *testing.T) {
	b, err := os.ReadFile("testdata/ioreg-platform-expert-macbookpro18.txt")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ParseIoreg(b), (Hardware{"Apple Inc.", "MacBookPro18,3", "C02XX00XXX00"}); got != want {
		t.Fatalf("ParseIoreg = %+v, want %+v", got, want)
	}
	// Older Intel Macs show no manufacturer property: Apple is implied.
	h := ParseIoreg([]byte(`    "model" = <"iMac20,1">` + "\n" + `    "IOPlatformSerialNumber" = "C02ZZ1ZZZZZZ"` + "\n"))
	if h != (Hardware{"Apple Inc.", "iMac20,1", "C02ZZ1ZZZZZZ"}) {
		t.Fatalf("intel ioreg = %+v", h)
	}
	if h := ParseIoreg([]byte("garbage\n")); h != (Hardware{}) {
		t.Fatalf("garbage gave %+v", h)
	}
}

// smbiosStruct builds one SMBIOS structure: the formatted part (type,
// length, handle, then fields) and its string set.
func smbiosStruct(typ byte, handle uint16, fields []byte, strs ...string) []byte {
	b := []byte{typ, byte(4 + len(fields)), 0, 0}
	binary.LittleEndian.PutUint16(b[2:], handle)
	b = append(b, fields...)
	if len(strs) == 0 {
		return append(b, 0, 0)
	}
	for _, s := range strs {
		b = append(append(b, s...), 0)
	}
	return append(b, 0)
}

// smbiosBlob is a RawSMBIOSData as GetSystemFirmwareTable('RSMB') returns
// it: header (method, major 3, minor 4, revision, length) then a type 0
// BIOS structure, type 1 System Information and the type 127 end marker.
func smbiosBlob(sysStrings ...string) []byte {
	// Type 0: vendor(1) version(2) segment(2 bytes) date(3) size ... (18 bytes of fields).
	bios := smbiosStruct(0, 0, []byte{1, 2, 0, 0xe8, 3, 0x0f, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4},
		"Dell Inc.", "1.14.1", "06/20/2023")
	// Type 1 (SMBIOS 2.4+, 27 bytes): manufacturer 04h, product 05h,
	// version 06h, serial 07h, UUID 08h-17h, wake-up 18h, SKU 19h, family 1Ah.
	fields := []byte{1, 2, 3, 4}
	fields = append(fields, []byte{0x44, 0x45, 0x4c, 0x4c, 0x58, 0x00, 0x10, 0x4b, 0x80, 0x37, 0xb7, 0xc0, 0x4f, 0x51, 0x35, 0x33}...)
	fields = append(fields, 6, 5, 6)
	sys := smbiosStruct(1, 0x100, fields, sysStrings...)
	end := smbiosStruct(127, 0xfeff, nil)
	table := append(append(append([]byte{}, bios...), sys...), end...)
	hdr := []byte{0, 3, 4, 0, 0, 0, 0, 0}
	binary.LittleEndian.PutUint32(hdr[4:], uint32(len(table)))
	return append(hdr, table...)
}

func TestParseSMBIOSSystemInformation(t *testing.T) {
	b := smbiosBlob("Dell Inc.", "PowerEdge R650", "Not Specified", "7XK2Q53", "SKU=0A4B", "PowerEdge")
	h, err := ParseSMBIOS(b)
	if err != nil {
		t.Fatal(err)
	}
	if want := (Hardware{"Dell Inc.", "PowerEdge R650", "7XK2Q53"}); h != want {
		t.Fatalf("ParseSMBIOS = %+v, want %+v", h, want)
	}
	// Truncated tables and tables without type 1 are errors, not panics.
	for i := 9; i < len(b); i += 7 {
		trunc := append([]byte{}, b[:i]...)
		_, _ = ParseSMBIOS(trunc)
	}
	if _, err := ParseSMBIOS(b[:20]); err == nil {
		t.Fatal("a truncated table parsed")
	}
	if _, err := ParseSMBIOS(nil); err == nil {
		t.Fatal("an empty table parsed")
	}
	// A string index past the string set gives an empty field.
	h, err = ParseSMBIOS(smbiosBlob("Acme"))
	if err != nil || h != (Hardware{Manufacturer: "Acme"}) {
		t.Fatalf("short string set gave %+v, %v", h, err)
	}
}
