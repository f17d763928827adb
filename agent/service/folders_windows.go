//go:build windows

package service

import "golang.org/x/sys/windows"

const goos = "windows"

// systemFolders asks the shell for the known folders rather than trusting
// environment variables, which the calling user controls.
func systemFolders() (programFiles, programData string) {
	programFiles, _ = windows.KnownFolderPath(windows.FOLDERID_ProgramFiles, 0)
	programData, _ = windows.KnownFolderPath(windows.FOLDERID_ProgramData, 0)
	return programFiles, programData
}
