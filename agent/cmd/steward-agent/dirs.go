package main

import (
	"os"
	"path/filepath"
	"runtime"
)

// defaultDir is the root-owned configuration directory of the OS.
func defaultDir() string {
	switch runtime.GOOS {
	case "windows":
		pd := os.Getenv("ProgramData")
		if pd == "" {
			pd = `C:\ProgramData`
		}
		return filepath.Join(pd, "Steward")
	case "darwin":
		return "/Library/Application Support/Steward"
	default:
		return "/etc/steward"
	}
}
