//go:build !linux && !windows && !darwin

package pkgmgr

func extraPaths(string) []string { return nil }
