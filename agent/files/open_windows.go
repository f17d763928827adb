//go:build windows

package files

import "os"

// openFlags: Windows has no FIFOs in the file namespace (named pipes live
// under \\.\pipe, which CleanPath refuses).
const openFlags = os.O_RDONLY

func clearNonblock(*os.File) {}
