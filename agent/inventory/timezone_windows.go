package inventory

import "golang.org/x/sys/windows/registry"

// systemZone reads the zone key name Windows keeps for the system's
// zone and maps it to IANA.
func systemZone() string {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, `SYSTEM\CurrentControlSet\Control\TimeZoneInformation`, registry.QUERY_VALUE)
	if err != nil {
		return ""
	}
	defer k.Close()
	name, _, err := k.GetStringValue("TimeZoneKeyName")
	if err != nil {
		return ""
	}
	return WindowsToIANA(name)
}
