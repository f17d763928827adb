package pkgmgr

import "errors"

func ownerUID(string) (int, error) { return 0, errors.New("Homebrew runs on macOS only") }
