//go:build !windows

package registry

func system() Backend { return unsupported{} }
