package inventory

import (
	"context"
	"unsafe"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
)

var procGetSystemFirmwareTable = windows.NewLazySystemDLL("kernel32.dll").NewProc("GetSystemFirmwareTable")

// rsmb is the 'RSMB' firmware table provider signature (raw SMBIOS).
const rsmb = 'R'<<24 | 'S'<<16 | 'M'<<8 | 'B'

// readHardware takes maker and model from the registry copy of SMBIOS the
// kernel keeps, and the serial (which the registry lacks) from the raw
// SMBIOS table; no WMI, no process.
func readHardware(_ context.Context, _ string) Hardware {
	var h Hardware
	if b, err := smbiosTable(); err == nil {
		h, _ = ParseSMBIOS(b)
	}
	if k, err := registry.OpenKey(registry.LOCAL_MACHINE, `HARDWARE\DESCRIPTION\System\BIOS`, registry.QUERY_VALUE); err == nil {
		defer k.Close()
		if s, _, err := k.GetStringValue("SystemManufacturer"); err == nil && cleanHW(s) != "" {
			h.Manufacturer = s
		}
		if s, _, err := k.GetStringValue("SystemProductName"); err == nil && cleanHW(s) != "" {
			h.Model = s
		}
	}
	return h
}

// smbiosTable returns GetSystemFirmwareTable('RSMB', 0): asked once for
// the size, then for the data.
func smbiosTable() ([]byte, error) {
	if err := procGetSystemFirmwareTable.Find(); err != nil {
		return nil, err
	}
	n, _, err := procGetSystemFirmwareTable.Call(rsmb, 0, 0, 0)
	if n == 0 {
		return nil, err
	}
	if n > 1<<20 {
		n = 1 << 20
	}
	b := make([]byte, n)
	got, _, err := procGetSystemFirmwareTable.Call(rsmb, 0, uintptr(unsafe.Pointer(&b[0])), n)
	if got == 0 || got > n {
		return nil, err
	}
	return b[:got], nil
}
