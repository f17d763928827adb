//go:build !windows

package health

func systemRegistry() Registry { return nil }
