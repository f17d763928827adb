//go:build !windows

package service

import "runtime"

const goos = runtime.GOOS

// systemFolders is only meaningful on Windows.
func systemFolders() (programFiles, programData string) { return "", "" }
