package pkgmgr

import (
	"os"
	"path/filepath"
	"slices"
)

// winget is an App Installer package: the SYSTEM account has no alias on
// its PATH, so the newest installed x64 package folder is used.
// Chocolatey lives under %ProgramData%.
func extraPaths(exe string) []string {
	switch exe {
	case "winget":
		pf := os.Getenv("ProgramFiles")
		if pf == "" {
			pf = `C:\Program Files`
		}
		m, _ := filepath.Glob(filepath.Join(pf, "WindowsApps", "Microsoft.DesktopAppInstaller_*_x64__8wekyb3d8bbwe", "winget.exe"))
		slices.Sort(m)
		slices.Reverse(m)
		return m
	case "choco":
		pd := os.Getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		p := filepath.Join(pd, "chocolatey", "bin", "choco.exe")
		if _, err := os.Stat(p); err == nil {
			return []string{p}
		}
	}
	return nil
}
