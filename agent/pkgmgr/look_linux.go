package pkgmgr

func extraPaths(string) []string { return nil }
